"""Opening a file that cannot be a store: one `StoreOpenError` that names the file and says
what to do, and not a byte written to the file (nor a file added beside it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import storage

REFUSED = "nothing was written to it; "


def duckdb_file(path: Path, *statements: str) -> None:
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)


def store_bytes(path: Path) -> bytes:
    """The bytes of a new, empty store written at `path`."""
    with storage.connect(path):
        pass
    return path.read_bytes()


def text_file(path: Path) -> None:
    path.write_text("query_id\tquery\n1\toak desk\n")


def empty_file(path: Path) -> None:
    path.write_bytes(b"")


def truncated_store(path: Path) -> None:
    path.write_bytes(store_bytes(path)[:300_000])


def damaged_header(path: Path) -> None:
    data = store_bytes(path)
    path.write_bytes(data[:100] + b"\xff" * 100 + data[200:])


def foreign(path: Path) -> None:
    duckdb_file(path, "CREATE TABLE orders (id INTEGER)")


def foreign_with_meta(path: Path) -> None:
    duckdb_file(path, "CREATE TABLE meta (a INTEGER)", "CREATE VIEW v AS SELECT 1")


def foreign_with_pending_log(path: Path) -> None:
    """Someone else's DuckDB file whose last write is still in its write-ahead log (the
    writer was killed): a read-write open would replay the log into the file."""
    code = (
        "import duckdb, os, sys; con = duckdb.connect(sys.argv[1]); "
        "con.execute('CREATE TABLE t AS SELECT 1 AS i'); con.execute('CHECKPOINT'); "
        "con.execute('INSERT INTO t VALUES (2)'); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True)
    assert path.with_name(path.name + ".wal").exists()


def newer_store(path: Path) -> None:
    store_bytes(path)
    duckdb_file(path, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")


NOT_DUCKDB = "not a DuckDB database (empty, damaged, or another kind of file); "
BAD_FILES = {
    text_file: NOT_DUCKDB,
    empty_file: NOT_DUCKDB,
    truncated_store: "cannot be opened as a store (Could not read enough bytes from file: ",
    damaged_header: "cannot be opened as a store (Corrupt database file: computed checksum",
    foreign: "a DuckDB file but not a workbench store (it holds orders and no schema version); ",
    foreign_with_meta: "a DuckDB file but not a workbench store (it holds meta, v and no schema "
    "version); ",
    foreign_with_pending_log: "a DuckDB file but not a workbench store (it holds t and no "
    "schema version); ",
    newer_store: "written by a newer workbench (schema version 99; this one reads up to 3); ",
}


def beside(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in path.parent.iterdir() if p.is_file()}


@pytest.mark.parametrize("make", BAD_FILES, ids=lambda make: make.__name__)
def test_a_file_that_cannot_be_a_store_is_refused_untouched(tmp_path, make):
    path = tmp_path / "store.duckdb"
    make(path)
    problem = BAD_FILES[make]
    before, mtime = beside(path), path.stat().st_mtime_ns
    for read_only in (False, True):
        with pytest.raises(storage.StoreOpenError) as refused:
            with storage.connect(path, read_only=read_only):
                pass
        assert str(refused.value).startswith(f"{path}: {problem}")
        assert REFUSED in str(refused.value) and "\n" not in str(refused.value)
    with pytest.raises(storage.StoreError):
        storage.list_datasets(path)
    assert beside(path) == before and path.stat().st_mtime_ns == mtime


def test_a_folder_or_a_missing_file_read_only(tmp_path):
    with pytest.raises(storage.StoreOpenError, match="a folder, not a store file; name a .duckdb"):
        storage.list_datasets(tmp_path)
    with pytest.raises(storage.StoreOpenError, match="no such file; check the path"):
        with storage.connect(tmp_path / "none.duckdb", read_only=True):
            pass
    assert list(tmp_path.iterdir()) == []


def test_an_empty_duckdb_file_becomes_a_store(tmp_path):
    path = tmp_path / "new.duckdb"
    duckdb_file(path)
    assert storage.list_datasets(path) == []
    assert storage.schema_version(path) == 3


def test_a_store_with_a_pending_log_of_its_own_is_opened_whole(tmp_path, sample_db):
    code = (
        "import os, sys; sys.path.insert(0, sys.argv[2]); import storage; "
        "storage.record_review(sys.argv[1], 1, author='ana', grade=0); os._exit(0)"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(sample_db), str(Path(__file__).parents[1])], check=True
    )
    assert storage.current_label(sample_db, 1)["grade"] == 0


def test_damage_met_after_opening_is_a_store_error(tmp_path, sample_db):
    with storage.connect(sample_db) as con:
        con.execute("CHECKPOINT")
    data = bytearray(sample_db.read_bytes())
    with pytest.raises(storage.StoreIOError, match=r"could not be read or written \(.*\); if it"):
        with storage.connect(sample_db) as con:
            raise duckdb.Error("Corrupt database file: computed checksum 1 does not match 2")
    assert sample_db.read_bytes() == data
