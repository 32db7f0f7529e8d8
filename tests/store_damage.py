"""Damage a store by hand, as a failing disk or a careless edit would, and files that cannot
be a store at all, for the tests of opening and checking a store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

import storage
from storage._schema import SCHEMA_VERSION

# DuckDB's file starts with three 4 KiB headers, then the blocks (its storage format).
_HEADERS = 3 * 4096


def damage_table(db: Path, table: str) -> None:
    """Flip bytes inside a data block of `table`, so reading it fails DuckDB's checksum."""
    with storage.connect(db) as con:
        con.execute("CHECKPOINT")
        block_size = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0]
        block = con.execute(
            f"SELECT min(block_id) FROM pragma_storage_info('{table}') WHERE block_id >= 0"
        ).fetchone()[0]
    offset = _HEADERS + block * block_size + 100
    with open(db, "r+b") as file:
        file.seek(offset)
        data = file.read(8)
        file.seek(offset)
        file.write(bytes(b ^ 0xFF for b in data))


def execute(db: Path, *statements: str) -> None:
    """Run SQL on the store with DuckDB alone, around every rule the workbench keeps."""
    with duckdb.connect(str(db)) as con:
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
    execute(path, "CREATE TABLE orders (id INTEGER)")


def foreign_with_meta(path: Path) -> None:
    execute(path, "CREATE TABLE meta (a INTEGER)", "CREATE VIEW v AS SELECT 1")


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
    execute(path, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")


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
    newer_store: "written by a newer workbench (schema version 99; this one reads up to "
    f"{SCHEMA_VERSION}); ",
}
