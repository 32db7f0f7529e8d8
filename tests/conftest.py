"""Shared fixtures: real DuckDB files in tmp_path, the bundled WANDS sample, store snapshots,
and the judged store the app's tests open."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import browser
import pytest
from app_fixtures import build_store

import storage

REPO = Path(__file__).resolve().parents[1]
SAMPLE_FOLDER = REPO / "sample_data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in a module that drives chromium (imports from tests/browser.py) is marked
    `browser`, so `-m "not browser"` leaves out every browser test, including the next one
    whose module forgets the mark."""
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and any(
            getattr(value, "__module__", None) == browser.__name__
            for value in vars(module).values()
        ):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A path for a fresh store (created on first use)."""
    return tmp_path / "store.duckdb"


@pytest.fixture
def sample_db(db: Path) -> Path:
    """A fresh store with the WANDS sample imported as dataset "wands-sample"."""
    storage.importers.import_wands(db, SAMPLE_FOLDER, dataset="wands-sample")
    return db


@pytest.fixture
def wands_copy(tmp_path: Path) -> Path:
    """A writable copy of the sample folder, for tests that break or change a file."""
    folder = tmp_path / "wands"
    shutil.copytree(SAMPLE_FOLDER, folder)
    return folder


def store_snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table in the store's catalog, sorted: equal snapshots mean the
    content did not change."""
    with storage.connect(db) as con:
        tables = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "ORDER BY table_name"
        ).fetchall()
        return {
            table: sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for (table,) in tables
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


@pytest.fixture(scope="session")
def llama_server_url() -> Iterator[str]:
    """llama-cpp-python's own server on the bundled model, one per test session (tests of
    the remote backend share it); its API root, ``http://127.0.0.1:PORT/v1``."""
    from judge_fixtures import llama_server

    import judge

    with llama_server(judge.default_model_path()) as url:
        yield url


@pytest.fixture(scope="module")
def judged_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The sample with one judged run (app_fixtures.build_store), made once per test module."""
    db = tmp_path_factory.mktemp("store") / "judged.duckdb"
    run_id = build_store(db)
    # A small benchmark split (the two queries with fewest pairs), so a real run stays short.
    with storage.connect(db) as con:
        con.execute(
            "UPDATE pairs SET split = 'benchmark' WHERE query_id IN (SELECT query_id FROM pairs "
            "GROUP BY query_id ORDER BY count(*), query_id LIMIT 2)"
        )
    return db, run_id


@pytest.fixture
def store(judged_store, tmp_path, monkeypatch) -> tuple[Path, int]:
    """A fresh copy of the judged store for each test, named by WORKBENCH_DB."""
    db = tmp_path / "app.duckdb"
    shutil.copy(judged_store[0], db)
    monkeypatch.setenv("WORKBENCH_DB", str(db))
    return db, judged_store[1]
