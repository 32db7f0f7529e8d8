"""Short-lived DuckDB connections that wait out another process's lock.

A DuckDB file has one writer process at a time. The app and the CLI each open a connection
per operation and close it at once, so a reviewer can keep labelling while the CLI judges;
when the other process holds the file, `connect` retries with backoff instead of failing.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ._errors import StoreLockedError
from ._schema import MIGRATIONS, SCHEMA_VERSION

_LOCK_WAIT_S = 30.0
_migrate_lock = threading.Lock()


def _is_lock_error(error: duckdb.Error) -> bool:
    text = str(error).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def _open(path: Path, wait_s: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as error:
            if not _is_lock_error(error):
                raise
            if time.monotonic() >= deadline:
                raise StoreLockedError(path, wait_s) from error
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"database schema version {version} is newer than this workbench "
            f"({SCHEMA_VERSION}); upgrade the workbench"
        )
    for number, ddl in enumerate(MIGRATIONS[version:], start=version + 1):
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(ddl)
            con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(number)]
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise


@contextmanager
def connect(db: str | Path, *, wait_s: float = _LOCK_WAIT_S) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the store at `db` (created and migrated on first use) for one operation."""
    path = Path(db).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(path, wait_s)
    try:
        with _migrate_lock:
            _migrate(con)
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a failure inside rolls back every statement, so a bad file changes nothing."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def schema_version(db: str | Path) -> int:
    """The migration number the file at `db` is at."""
    with connect(db) as con:
        return int(con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
