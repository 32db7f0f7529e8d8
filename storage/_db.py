"""How every storage function reaches the store: `connect(db)`, where `db` is a path or a
session.

A DuckDB file has one writer process at a time, and each open reads the file's catalog anew
(bench/ui_latency.py part 2 measures what that costs a page). So a unit of work (one app
script rerun, one CLI command, one batch of judgments) holds one connection, a `Session`,
opened at its first use and closed when the unit ends; a reviewer can keep labelling while
the CLI judges, since neither holds the file for longer than a unit.

`connect(db)` lends the session's connection when `db` is a session, or when `db` is the path
of a file this context has a session open on (the ambient session, `bind`). Otherwise it opens
a connection for the one call. A session belongs to the thread
that opened it: a DuckDB connection is not safe to share between threads, so another thread
(a background run) never borrows it, even from a copied context.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path
from types import MappingProxyType
from typing import TypeAlias, cast

import duckdb

from ._connection import (
    LOCK_WAIT_S,
    in_transaction,
    is_file_error,
    open_connection,
    store_path,
    version_of,
)
from ._connection import transaction as transaction  # re-exported: callers take both here
from ._errors import StoreIOError

# The store the app and the CLI open when neither --db nor $WORKBENCH_DB names one.
DEFAULT_STORE = Path(__file__).resolve().parents[1] / "data" / "workbench.duckdb"


class Session:
    """One connection to the store at `path` for one unit of work in one thread: opened when
    first used, closed by `release` (the next use opens another) or `close`."""

    def __init__(
        self, db: str | Path, *, read_only: bool = False, wait_s: float = LOCK_WAIT_S
    ) -> None:
        self.path = store_path(db, read_only=read_only)
        self.read_only = read_only
        self._wait_s = wait_s
        self._owner = threading.get_ident()
        self._opened: ExitStack | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._con is not None else "idle"
        return f"<{type(self).__name__} {self.path} {state}>"

    def owned_here(self) -> bool:
        """Whether the calling thread is the one this session belongs to."""
        return threading.get_ident() == self._owner

    def connection(self) -> duckdb.DuckDBPyConnection:
        """The session's connection, opened now if it is not open. In a read-only session,
        DuckDB refuses any statement that writes."""
        if not self.owned_here():
            raise RuntimeError(f"{self!r} belongs to another thread: open a session in this one")
        if self._closed:
            raise RuntimeError(f"{self!r} has ended: open a new session")
        if self._con is None:
            opened = ExitStack()
            self._con = opened.enter_context(
                open_connection(self.path, self.read_only, self._wait_s)
            )
            self._opened = opened
        return self._con

    def release(self) -> None:
        """Close the connection now, so that work with no store call for a while (a model
        judging) leaves the file to other processes; the next use opens another."""
        if self._con is None or self._opened is None:
            return
        if not self.owned_here():
            raise RuntimeError(f"{self!r} belongs to another thread")
        if in_transaction(self._con):
            raise RuntimeError(f"{self!r} is inside a transaction: finish it first")
        opened, self._con, self._opened = self._opened, None, None
        opened.close()

    def close(self) -> None:
        """Release the connection and end the session."""
        self.release()
        self._closed = True


Db: TypeAlias = "str | Path | Session"
"""Where a storage function finds the store: its file's path, or a session on it."""

# The sessions this context has open, by the resolved path of their file.
_ambient: ContextVar[Mapping[Path, Session]] = ContextVar(
    "store_sessions", default=MappingProxyType({})
)


@contextmanager
def bind(path: Path, session: Session | None) -> Iterator[None]:
    """Inside this block, storage calls given `path` in this context use `session`, or, with
    None, open their own connection even if an outer block bound a session to `path`."""
    sessions = dict(_ambient.get())
    if session is None:
        sessions.pop(path, None)
    else:
        sessions[path] = session
    token = _ambient.set(sessions)
    try:
        yield
    finally:
        _ambient.reset(token)


def ambient(db: str | Path) -> Session | None:
    """The session this context and thread have open on the file at `db`, if any."""
    sessions = _ambient.get()
    if not sessions:
        return None
    session = sessions.get(Path(db).resolve())
    return session if session is not None and session.owned_here() else None


@contextmanager
def released(db: str | Path) -> Iterator[None]:
    """Inside this block this context holds no connection to the store at `db`: its session
    on it (if any) closes its connection, to open another at its next use after the block,
    and storage calls on `db` open their own. For long work with few store calls, such as a
    model judging pairs, so other processes can use the file meanwhile."""
    path = Path(db).resolve()
    session = ambient(path)
    if session is not None:
        session.release()
    with bind(path, None):
        yield


@contextmanager
def connect(
    db: Db, *, read_only: bool = False, wait_s: float = LOCK_WAIT_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The store at `db` for one operation: the session's connection when `db` is a session
    or the path of the ambient session, else a connection opened for this block alone, in
    turn with every other connection.

    A missing file is created at the current schema; an existing one must be a workbench
    store, of this schema or an older one (brought forward first). `read_only` opens an
    existing store as it is, migrating and writing nothing (a session's connection is lent
    as the session opened it). Raises `StoreOpenError` for a
    file that cannot be a store, `StoreLockedError` when the turn does not come within
    `wait_s`, and `StoreIOError` when DuckDB cannot read or write the open file.
    """
    session = db if isinstance(db, Session) else ambient(db)
    if session is None:
        path = store_path(cast("str | Path", db), read_only=read_only)
        with open_connection(path, read_only, wait_s) as con, _file_errors(path):
            yield con
        return
    con = session.connection()
    try:
        with _file_errors(session.path):
            yield con
    except BaseException:
        with suppress(duckdb.Error):  # a connection past saving: the error in flight says why
            con.abort()
        raise
    # The next borrower may `register` a frame, which DuckDB refuses while a result of this
    # one is unread (after a `fetchone`): run it to its end.
    con.complete()


@contextmanager
def _file_errors(path: Path) -> Iterator[None]:
    """DuckDB's errors about the file (not the statement) as `StoreIOError`."""
    try:
        yield
    except duckdb.Error as error:
        if is_file_error(error):
            raise StoreIOError(path, str(error)) from error
        raise


@contextmanager
def one_connection(db: Db) -> Iterator[Db]:
    """`db` as a store several storage calls share: `db` itself when it is a session or has
    one in this context, else a session for this block, so that a storage function made of
    others opens one connection."""
    if isinstance(db, Session) or ambient(db) is not None:
        yield db
        return
    session = Session(db)
    try:
        yield session
    finally:
        session.close()


def path_of(db: Db) -> Path:
    """The file of the store at `db`, as a path from the current directory or absolute."""
    return db.path if isinstance(db, Session) else Path(db)


def schema_version(db: Db) -> int:
    """The migration number the store at `db` is at."""
    with connect(db) as con:
        return version_of(con, path_of(db))
