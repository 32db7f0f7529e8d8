"""Short-lived DuckDB connections that check the file before writing and wait their turn.

A DuckDB file has one writer process at a time. The app and the CLI each open a connection
per operation and close it at once, so a reviewer can keep labelling while the CLI judges.

Opening refuses, before a byte is written, a file that cannot be a store: a damaged or
non-DuckDB file, a DuckDB file of someone else's tables, a store of a newer schema
(`StoreOpenError`). The first open of a file in a process looks at it read-only, because a
read-write open writes by itself: DuckDB replays and checkpoints a leftover write-ahead log.

Waiting is fair. Once two processes have met on a file, every connection takes a ticket in
a queue beside it (`<db>.queue/`: one lock file per ticket, each waiter watching the lock of
the ticket before its own, a CLH queue), so connections get the file in arrival order, not
whoever happens to retry at the right moment. The queue is made at the first lock conflict,
so a store only one process uses has no extra file. DuckDB's own lock stays the guard: a
process outside this code (the DuckDB shell) is waited out by retrying, and a broken line (a
waiter that gives up) costs order, never safety. While a connection waits, the listeners of
`on_store_wait` and the `storage` logger hear who holds the file.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import duckdb

try:
    import fcntl
except ImportError:  # Windows: no queue; DuckDB's lock and the retries alone
    fcntl = None  # type: ignore[assignment]

from ._errors import StoreIOError, StoreLockedError, StoreOpenError, shorten
from ._schema import MIGRATIONS, SCHEMA_VERSION

_LOCK_WAIT_S = 30.0
_POLL_S = 0.01
_RETRY_MAX_S = 0.2
_REMEDY = "nothing was written to it; choose another file, or restore this one from a backup"
_HOLDER_PID = re.compile(r"\(PID (\d+)\)")

_migrate_lock = threading.Lock()
_verify_lock = threading.Lock()
# (path, device, inode) of the files this process has seen to be stores.
_verified: set[tuple[str, int, int]] = set()
_thread = threading.local()
_log = logging.getLogger("storage")


@dataclass(frozen=True)
class StoreWait:
    """A connection waits for another one to finish with the store."""

    path: Path
    holder: str  # "pid 4242 (cli.py judge)", or "another process" when it cannot be told
    ahead: int  # connections in line before this one, the holder included; 0 when unknown

    def __str__(self) -> str:
        line = f" ({self.ahead} in line before this one)" if self.ahead > 1 else ""
        return f"waiting for {self.holder} to finish with {self.path.name}{line}…"


_listeners: ContextVar[tuple[Callable[[StoreWait], None], ...]] = ContextVar(
    "store_wait_listeners", default=()
)


@contextmanager
def on_store_wait(listener: Callable[[StoreWait], None]) -> Iterator[None]:
    """Call `listener` (once per connection) when a connection opened inside this block must
    wait for another process, so a page or a command can say why it is slow. The listeners
    are context-local: one app session never hears another session's waits."""
    token = _listeners.set((*_listeners.get(), listener))
    try:
        yield
    finally:
        _listeners.reset(token)


@contextmanager
def connect(
    db: str | Path, *, read_only: bool = False, wait_s: float = _LOCK_WAIT_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the store at `db` for one operation, in turn with every other connection.

    A missing file is created at the current schema; an existing one must be a workbench
    store, of this schema or an older one (brought forward first). `read_only` opens an
    existing store as it is, migrating and writing nothing. Raises `StoreOpenError` for a
    file that cannot be a store, `StoreLockedError` when the turn does not come within
    `wait_s`, and `StoreIOError` when DuckDB cannot read or write the open file.
    """
    path = _store_path(db, read_only=read_only)
    with _Turn(path, wait_s) as turn:
        con = _open_store(path, read_only, turn)
        turn.opened()
        try:
            yield con
        except duckdb.Error as error:
            if _is_file_error(error):
                raise StoreIOError(path, str(error)) from error
            raise
        finally:
            con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a failure inside rolls back every statement, so a bad file changes
    nothing."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass  # a fatal error already ended the transaction; the error in flight says why
        raise
    con.execute("COMMIT")


def schema_version(db: str | Path) -> int:
    """The migration number the file at `db` is at."""
    with connect(db) as con:
        return _version(con, Path(db))


def _store_path(db: str | Path, *, read_only: bool) -> Path:
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


def _open_store(path: Path, read_only: bool, turn: _Turn) -> duckdb.DuckDBPyConnection:
    """A connection to a checked store: looked at read-only first if this process has not
    seen the file yet, then opened as asked and, unless read-only, brought forward."""
    if not turn.nested and path.exists() and _identity(path) not in _verified:
        with _verify_lock, closing(_duckdb_connect(path, True, turn)) as con:
            _version(con, path)
            _verified.add(_identity(path))
    con = _duckdb_connect(path, read_only, turn)
    try:
        version = _version(con, path)
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


def _duckdb_connect(path: Path, read_only: bool, turn: _Turn) -> duckdb.DuckDBPyConnection:
    """DuckDB's connection, retried while another connection holds the file."""
    delay = _POLL_S
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
    if isinstance(error, duckdb.ConnectionException):
        # This process has the file open read-write while a read-only connection is asked
        # for, or the reverse: wait for the other connection to close, as for a lock.
        return "different configuration" in text
    return (
        isinstance(error, duckdb.IOException)
        and "lock" in text
        and ("conflicting" in text or "could not set" in text)
    )


def _is_file_error(error: duckdb.Error) -> bool:
    """Whether `error` is about the file rather than the statement (a damaged block, whose
    checksum error DuckDB raises as a bare `duckdb.Error`, a full disk)."""
    return type(error) is duckdb.Error or isinstance(
        error,
        (duckdb.IOException, duckdb.FatalException, duckdb.InternalException,
         duckdb.SerializationException),
    )


def _open_error(path: Path, error: duckdb.Error) -> StoreOpenError:
    text = str(error).replace(f' "{path}"', "").removeprefix("IO Error: ")
    if "not a valid DuckDB database file" in text:
        return StoreOpenError(path, "not a DuckDB database (empty, damaged, or another kind "
                              "of file)", _REMEDY)
    return StoreOpenError(path, f"cannot be opened as a store ({shorten(text, 120)})", _REMEDY)


def _version(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """The schema version of an open file: 0 for a file with no table yet. Refuses a file
    of other tables and a store of a newer schema."""
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except (duckdb.CatalogException, duckdb.BinderException):
        row = None  # no `meta` table, or one of another shape: someone else's
    except duckdb.Error as error:
        raise _open_error(path, error) from None
    if row is None:
        names = [name for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "UNION ALL SELECT view_name FROM duckdb_views() "
            "WHERE database_name = current_database() AND NOT internal ORDER BY 1"
        ).fetchall()]
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
    """Apply the migrations the file lacks, each in its own transaction; read the version
    again first, since another thread of this process may have just done it."""
    version = _version(con, path)
    for number, ddl in enumerate(MIGRATIONS[version:], start=version + 1):
        try:
            with transaction(con):
                con.execute(
                    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)"
                )
                con.execute(ddl)
                con.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(number)]
                )
        except duckdb.Error as error:
            raise StoreOpenError(
                path,
                f"could not be brought to schema version {number} ({shorten(str(error), 100)})",
                f"it stays at version {number - 1}; restore it from a backup",
            ) from None


def _held() -> set[Path]:
    """The stores this thread has a connection to (a nested connection takes no turn)."""
    if not hasattr(_thread, "paths"):
        _thread.paths = set()
    return _thread.paths


def _process_label() -> str:
    words = [Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python", *sys.argv[1:2]]
    return shorten(" ".join(words), 40)


class _Turn:
    """One connection's place in line for the store at `path`, from arrival until it closes."""

    def __init__(self, path: Path, wait_s: float) -> None:
        self.path = path
        self.wait_s = wait_s
        self.deadline = time.monotonic() + wait_s
        self.queue = path.with_name(path.name + ".queue")
        self.nested = path in _held()
        self._ticket: int | None = None  # descriptor of this connection's locked ticket file
        self._number = 0  # its number
        self._told = False

    def __enter__(self) -> _Turn:
        if not self.nested:
            _held().add(self.path)
            try:
                if self.queue.is_dir():
                    self._line_up()
            except BaseException:
                self.__exit__()
                raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._ticket is not None:
            os.close(self._ticket)  # releases its lock: the next in line goes
            self._ticket = None
        if not self.nested:
            _held().discard(self.path)

    def conflict(self, error: duckdb.Error, delay: float) -> None:
        """DuckDB says another connection holds the file: line up if not yet in line (making
        the queue at the first conflict), else wait a moment before the next try."""
        if time.monotonic() >= self.deadline:
            raise StoreLockedError(self.path, self.wait_s) from error
        if self._ticket is None and not self.nested and self._make_queue():
            self._line_up()
            return
        pid = _HOLDER_PID.search(str(error))
        if pid is not None and self._ticket is not None:
            # The holder is not in line (it opened before the queue was made, or is not
            # this code): those behind this connection are told its pid too.
            self._write_holder(self._number - 1, pid.group(1), "")
        self._tell(f"pid {pid.group(1)}" if pid else "another connection", 0)
        time.sleep(delay)

    def _make_queue(self) -> bool:
        if fcntl is None:
            return False
        try:
            self.queue.mkdir(exist_ok=True)
        except OSError:
            return False  # a folder this process cannot write: DuckDB's retries alone
        return True

    def _line_up(self) -> None:
        if fcntl is None:
            return
        try:
            number = self._take_ticket()
        except OSError:
            return  # a queue that cannot be written: DuckDB's retries alone
        self._wait_for(number - 1)
        self._number = number

    def opened(self) -> None:
        """Tell those in line who holds the file now, for their waiting message."""
        if self._ticket is not None:
            self._write_holder(self._number, str(os.getpid()), _process_label())

    def _write_holder(self, number: int, pid: str, label: str) -> None:
        try:
            (self.queue / "holder").write_text(f"{number} {pid} {label}")
        except OSError:
            pass  # only the waiting message reads it

    def _take_ticket(self) -> int:
        counter = os.open(self.queue / "next", os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(counter, fcntl.LOCK_EX)  # held for a few system calls by each arrival
            text = os.pread(counter, 20, 0).strip()
            number = int(text) if text.isdigit() else 0
            ticket = os.open(self.queue / str(number), os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(ticket, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(ticket)
                raise
            os.pwrite(counter, b"%-20d" % (number + 1), 0)
        finally:
            os.close(counter)
        self._ticket = ticket
        return number

    def _wait_for(self, before: int) -> None:
        """Wait until the connection holding ticket `before` has closed, given up or died."""
        name = self.queue / str(before)
        try:
            fd = os.open(name, os.O_RDONLY)
        except FileNotFoundError:
            return  # first in line
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    self._tell(*self._holder(before + 1))
                    if time.monotonic() >= self.deadline:
                        raise StoreLockedError(self.path, self.wait_s) from None
                    time.sleep(_POLL_S)
        finally:
            os.close(fd)
        name.unlink(missing_ok=True)  # only this ticket's owner ever watched it

    def _holder(self, mine: int) -> tuple[str, int]:
        try:
            number, pid, label = (self.queue / "holder").read_text().split(" ", 2)
            return f"pid {pid}" + (f" ({label})" if label else ""), max(mine - int(number), 0)
        except (OSError, ValueError):
            return "another process", 0

    def _tell(self, holder: str, ahead: int) -> None:
        if self._told:
            return
        self._told = True
        wait = StoreWait(self.path, holder, ahead)
        _log.info("%s", wait)
        for listener in _listeners.get():
            listener(wait)
