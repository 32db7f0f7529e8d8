"""Shared fixtures: real DuckDB files in tmp_path, the bundled WANDS sample, store snapshots."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import storage

REPO = Path(__file__).resolve().parents[1]
SAMPLE_FOLDER = REPO / "sample_data"
STORE_TABLES = (
    "datasets",
    "queries",
    "documents",
    "pairs",
    "label_events",
    "current_labels",
    "judge_runs",
    "judgments",
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A path for a fresh store (created on first use)."""
    return tmp_path / "store.duckdb"


@pytest.fixture
def sample_db(db: Path) -> Path:
    """A fresh store with the WANDS sample imported as dataset "wands-sample"."""
    storage.import_wands(db, SAMPLE_FOLDER, dataset="wands-sample")
    return db


@pytest.fixture
def wands_copy(tmp_path: Path) -> Path:
    """A writable copy of the sample folder, for tests that break or change a file."""
    folder = tmp_path / "wands"
    shutil.copytree(SAMPLE_FOLDER, folder)
    return folder


def store_snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: equal snapshots mean the content did not change."""
    with storage.connect(db) as con:
        return {
            table: sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in STORE_TABLES
        }


def assert_label_cache_is_a_rebuild(db: Path) -> int:
    """Assert that current_labels equals a from-scratch refresh over every event; its rows."""
    from storage._labels import refresh_current_labels

    with storage.connect(db) as con:
        cached = con.execute("SELECT * FROM current_labels ORDER BY pair_id").df()
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM current_labels")
        refresh_current_labels(con, "label_events")
        rebuilt = con.execute("SELECT * FROM current_labels ORDER BY pair_id").df()
        con.execute("ROLLBACK")
    assert cached.equals(rebuilt)
    return len(cached)
