"""The bundled WANDS sample, imported on first start so a new user sees real data at once."""

from __future__ import annotations

from pathlib import Path

from ._db import Db, connect, one_connection
from .importers import import_wands

SAMPLE_FOLDER = Path(__file__).resolve().parents[1] / "sample_data"
SAMPLE_DATASET = "wands-sample"


def bootstrap_sample(db: Db, folder: str | Path = SAMPLE_FOLDER) -> bool:
    """Import the WANDS sample as "wands-sample" if the store at `db` has no dataset yet.

    Returns True when it imported. Safe to call on every start: a store with any dataset
    is left alone, and two processes racing here import the same rows idempotently.
    """
    with one_connection(db) as store:
        with connect(store) as con:
            empty = con.execute("SELECT count(*) FROM datasets").fetchall()[0][0] == 0
        if empty:
            import_wands(store, folder, dataset=SAMPLE_DATASET)
    return empty
