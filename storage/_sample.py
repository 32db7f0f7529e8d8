"""The bundled WANDS sample, imported on first start so a new user sees real data at once."""

from __future__ import annotations

from pathlib import Path

from ._db import connect
from ._import_wands import import_wands

SAMPLE_FOLDER = Path(__file__).resolve().parents[1] / "sample_data"
SAMPLE_DATASET = "wands-sample"


def bootstrap_sample(db: str | Path, folder: str | Path = SAMPLE_FOLDER) -> bool:
    """Import the WANDS sample as "wands-sample" if the store at `db` has no dataset yet.

    Returns True when it imported. Safe to call on every start: a store with any dataset
    is left alone, and two processes racing here import the same rows idempotently.
    """
    with connect(db) as con:
        empty = con.execute("SELECT count(*) FROM datasets").fetchall()[0][0] == 0
    if empty:
        import_wands(db, folder, dataset=SAMPLE_DATASET)
    return empty
