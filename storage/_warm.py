"""Keeping a store warm: DuckDB's copy of a store file stays open in this process between
units of work, while nobody else wants the file.

Each unit of work (`_db.Session`) opens a connection and closes it at its end, so other
processes can take turns with the file. But the last connection to close also drops DuckDB's
database instance: the next unit reads the catalog again and every block it touches from
disk, which cost an app's script run 20 ms for the open and 2-4x the time of each first query
(bench/ui_latency.py, bench/journey_latency.py). A process that asks for it with `keep_warm`
(the app: many short units, a user waiting on each) keeps one idle connection, the anchor,
after a unit ends, so the next unit's `duckdb.connect` is a cache hit on a warm instance.

The anchor never keeps the file from anyone for long. It closes when:
- another process lines up for the file (a locked ticket in the fair queue, `_queue.py`),
  within a poll of the watcher thread;
- no unit of this process has used the file for `idle_s` (a process outside the queue, such
  as the DuckDB shell, gets the file then);
- a unit asks for the file read-only (DuckDB keeps one configuration per instance), or the
  file is not the one the anchor opened: replaced, deleted, or changed by someone outside
  DuckDB's lock (its size or modification time moved while no unit of ours was open).
It holds no transaction, so a crash loses nothing a unit did not already commit.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from ._queue import POLL_S, foreign_waiter

KEEP_WARM_S = 10.0
_WATCH_S = max(POLL_S, 0.02)

_lock = threading.Lock()
_wanted: dict[Path, float] = {}  # files to keep warm -> idle seconds
_anchors: dict[Path, _Anchor] = {}
_units: dict[Path, int] = {}  # units of this process with the file open now
_last_used: dict[Path, float] = {}


def keep_warm(db: str | Path, idle_s: float | None = KEEP_WARM_S) -> None:
    """Keep the store at `db` open in this process between units of work, for at most
    `idle_s` after the last one, and never while another process waits for it; None stops
    keeping it warm (DuckDB closes it with the last unit's connection)."""
    path = Path(db).resolve()
    with _lock:
        if idle_s is None:
            _wanted.pop(path, None)
            _drop(path)
        else:
            _wanted[path] = idle_s


def file_version(path: Path) -> tuple[int, ...]:
    """A value that changes with every write to the store at `path`, from any process, read
    from the file system without opening it: the inode, size and modification time (in
    nanoseconds) of the file and of its write-ahead log. DuckDB appends each commit to the
    log (`<file>.wal`), and a checkpoint moves the log into the file and removes it."""
    version: list[int] = []
    for file in (path, path.with_name(path.name + ".wal")):
        try:
            status = file.stat()
        except FileNotFoundError:
            version += [0, 0, 0]
        else:
            version += [status.st_ino, status.st_size, status.st_mtime_ns]
    return tuple(version)


class _Anchor:
    """The idle connection that keeps one file's DuckDB instance open, and its watcher."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, idle_s: float) -> None:
        self.path = path
        self.idle_s = idle_s
        self.version = file_version(path)
        self._con: duckdb.DuckDBPyConnection | None = con
        self._closed = threading.Event()
        threading.Thread(target=self._watch, name=f"keep-warm {path.name}", daemon=True).start()

    def stale(self) -> bool:
        """Whether the file changed under the anchor while no unit of ours had it open."""
        return not _units.get(self.path) and file_version(self.path) != self.version

    def _watch(self) -> None:
        while not self._closed.wait(_WATCH_S):
            with _lock:
                if _anchors.get(self.path) is not self:
                    return  # dropped between the wait and the lock
                idle = not _units.get(self.path) and (
                    time.monotonic() - _last_used.get(self.path, 0.0) >= self.idle_s
                )
                if idle or foreign_waiter(self.path):
                    _drop(self.path)

    def close(self) -> None:
        """Close the idle connection; DuckDB closes the instance with the last connection."""
        self._closed.set()
        con, self._con = self._con, None
        if con is not None:
            # The instance checkpoints as it closes; a failure here is the next open's to tell.
            with suppress(duckdb.Error):
                con.close()


def _drop(path: Path) -> None:
    """Close the anchor of `path`, if any (`_lock` held)."""
    anchor = _anchors.pop(path, None)
    if anchor is not None:
        anchor.close()
    if path not in _units:
        _last_used.pop(path, None)


@contextmanager
def unit(path: Path, read_only: bool) -> Iterator[None]:
    """One unit of work on `path`: around the opening and use of its connection, so the
    anchor knows the file is in use and closes first when it would be in the way."""
    with _lock:
        anchor = _anchors.get(path)
        if anchor is not None and (read_only or anchor.stale()):
            _drop(path)
        _units[path] = _units.get(path, 0) + 1
    try:
        yield
    finally:
        with _lock:
            _units[path] -= 1
            _last_used[path] = time.monotonic()
            if not _units[path]:
                del _units[path]
                if (anchor := _anchors.get(path)) is not None:
                    anchor.version = file_version(path)


def anchor(path: Path, read_only: bool) -> None:
    """Called with a unit's connection to `path` open: keep the instance open after it, if
    the process asked to keep `path` warm."""
    if read_only:
        return
    with _lock:
        idle_s = _wanted.get(path)
        if idle_s is None or path in _anchors:
            return
        # A cache hit on the open instance (DuckDB keeps one per file and configuration).
        _anchors[path] = _Anchor(path, duckdb.connect(str(path)), idle_s)


def close_all() -> None:
    """Close every anchor (at exit, so the instances checkpoint their logs into the files)."""
    with _lock:
        for path in list(_anchors):
            _drop(path)


atexit.register(close_all)
