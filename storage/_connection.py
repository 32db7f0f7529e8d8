"""A DuckDB connection to a store file: the file checked before a byte is written, brought
forward to this schema, opened in turn with every other connection; and all-or-nothing
transactions on it.

Opening refuses, before a byte is written, a file that cannot be a store: a damaged or
non-DuckDB file, a DuckDB file of someone else's tables, a store of a newer schema
(`StoreOpenError`). The first open of a file in a process looks at it read-only, because a
read-write open writes by itself: DuckDB replays and checkpoints a leftover write-ahead log.
Connections take turns in the fair queue beside the file (`_queue.py`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path

import duckdb

from . import _warm
from ._errors import StoreOpenError, shorten
from ._queue import POLL_S, Turn
from ._schema import MIGRATIONS, SCHEMA_VERSION

LOCK_WAIT_S = 30.0
_RETRY_MAX_S = 0.2
_REMEDY = "nothing was written to it; choose another file, or restore this one from a backup"

_migrate_lock = threading.Lock()
_verify_lock = threading.Lock()
# (path, device, inode) of the files this process has seen to be stores.
_verified: set[tuple[str, int, int]] = set()
# Ids of the connections inside `transaction`: an inner transaction joins the outer one.
_in_transaction: set[int] = set()


@contextmanager
def open_connection(
    path: Path, read_only: bool, wait_s: float
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the checked store at `path` (from `store_path`), in turn with every
    other connection, closed when the block ends (DuckDB's instance may stay open after it,
    idle, in a process that keeps the store warm: `_warm.py`)."""
    with Turn(path, wait_s) as turn, _warm.unit(path, read_only):
        con = _open_store(path, read_only, turn)
        turn.opened()
        try:
            _warm.anchor(path, read_only)
            yield con
        finally:
            con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a failure inside rolls back every statement, so a bad file changes
    nothing. A transaction opened inside another on the same connection (one storage
    function calling another in a session) joins it: the outer one commits both or neither."""
    if id(con) in _in_transaction:
        yield con
        return
    con.execute("BEGIN TRANSACTION")
    _in_transaction.add(id(con))
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        # A fatal error or a failed COMMIT may have ended it already; the error in flight
        # says why.
        with suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    finally:
        _in_transaction.discard(id(con))


def in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether `con` is inside `transaction`."""
    return id(con) in _in_transaction


def store_path(db: str | Path, *, read_only: bool) -> Path:
    path = Path(db).resolve()
    if path.is_dir():
        raise StoreOpenError(path, "a folder, not a store file", "name a .duckdb file")
    if read_only:
        if not path.exists():
            raise StoreOpenError(path, "no such file", "check the path")
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreOpenError(
            path, f"cannot create its folder ({error.strerror})", "choose another place"
        ) from None
    return path


def _open_store(path: Path, read_only: bool, turn: Turn) -> duckdb.DuckDBPyConnection:
    """A connection to a checked store: looked at read-only first if this process has not
    seen the file yet, then opened as asked and, unless read-only, brought forward."""
    if not turn.nested and path.exists() and _identity(path) not in _verified:
        with _verify_lock, closing(_duckdb_connect(path, True, turn)) as con:
            version_of(con, path)
            _verified.add(_identity(path))
    con = _duckdb_connect(path, read_only, turn)
    try:
        version = version_of(con, path)
        if not read_only and version < SCHEMA_VERSION:
            with _migrate_lock:
                _migrate(con, path)
    except BaseException:
        con.close()
        raise
    if not read_only:
        _verified.add(_identity(path))
    return con


def _identity(path: Path) -> tuple[str, int, int]:
    status = path.stat()
    return str(path), status.st_dev, status.st_ino


def _duckdb_connect(path: Path, read_only: bool, turn: Turn) -> duckdb.DuckDBPyConnection:
    """DuckDB's connection, retried while another connection holds the file."""
    delay = POLL_S
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as error:
            if not _is_lock_conflict(error):
                raise _open_error(path, error) from None
            turn.conflict(error, delay)
            delay = min(delay * 2, _RETRY_MAX_S)


def _is_lock_conflict(error: duckdb.Error) -> bool:
    text = str(error).lower()
    if "unique file handle conflict" in text:
        # Another thread of this process is closing or opening the same file in DuckDB's
        # instance cache at this moment: a race that settles once it is done, as a lock does.
        return True
    if isinstance(error, duckdb.ConnectionException):
        # This process has the file open read-write while a read-only connection is asked
        # for, or the reverse: wait for the other connection to close, as for a lock.
        return "different configuration" in text
    return (
        isinstance(error, duckdb.IOException)
        and "lock" in text
        and ("conflicting" in text or "could not set" in text)
    )


def is_file_error(error: duckdb.Error) -> bool:
    """Whether `error` is about the file rather than the statement (a damaged block, whose
    checksum error DuckDB raises as a bare `duckdb.Error`, a full disk)."""
    return type(error) is duckdb.Error or isinstance(
        error,
        (
            duckdb.IOException,
            duckdb.FatalException,
            duckdb.InternalException,
            duckdb.SerializationException,
        ),
    )


def _open_error(path: Path, error: duckdb.Error) -> StoreOpenError:
    text = str(error).replace(f' "{path}"', "").removeprefix("IO Error: ")
    if "not a valid DuckDB database file" in text:
        return StoreOpenError(
            path, "not a DuckDB database (empty, damaged, or another kind of file)", _REMEDY
        )
    return StoreOpenError(path, f"cannot be opened as a store ({shorten(text, 120)})", _REMEDY)


def version_of(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """The schema version of an open file: 0 for a file with no table yet. Refuses a file
    of other tables and a store of a newer schema."""
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except (duckdb.CatalogException, duckdb.BinderException):
        row = None  # no `meta` table, or one of another shape: someone else's
    except duckdb.Error as error:
        raise _open_error(path, error) from None
    if row is None:
        names = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                "UNION ALL SELECT view_name FROM duckdb_views() "
                "WHERE database_name = current_database() AND NOT internal ORDER BY 1"
            ).fetchall()
        ]
        if names:
            raise StoreOpenError(
                path,
                f"a DuckDB file but not a workbench store (it holds {shorten(', '.join(names), 80)}"
                " and no schema version)",
                "nothing was written to it; choose another file, or a new file name to start "
                "a store",
            )
        return 0
    version = int(row[0]) if str(row[0]).isdigit() else -1
    if version < 0:
        raise StoreOpenError(path, f"schema version {row[0]!r} is not a number", _REMEDY)
    if version > SCHEMA_VERSION:
        raise StoreOpenError(
            path,
            f"written by a newer workbench (schema version {version}; this one reads up to "
            f"{SCHEMA_VERSION})",
            "nothing was written to it; upgrade the workbench to open it",
        )
    return version


def _migrate(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Apply the migrations the file lacks, all in one transaction, so the file is at its
    old version or the newest, never between (and a new file commits once, not once per
    migration); read the version again first, since another thread of this process may have
    just done it."""
    version = version_of(con, path)
    number = version
    try:
        with transaction(con):
            con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
            for ddl in MIGRATIONS[version:]:
                number += 1
                con.execute(ddl)
            con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(number)])
    except duckdb.Error as error:
        raise StoreOpenError(
            path,
            f"could not be brought to schema version {number} ({shorten(str(error), 100)})",
            f"it stays at version {version}, as it was; `python cli.py check` lists what "
            "breaks the store's rules",
        ) from None
