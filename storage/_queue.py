"""The fair queue beside a store file: connections get the file in arrival order.

A DuckDB file has one writer process at a time. Once two processes have met on a file, every
connection takes a ticket in a queue beside it (`<db>.queue/`: one lock file per ticket, each
waiter watching the lock of the ticket before its own, a CLH queue), so connections get the
file in arrival order, not whoever happens to retry at the right moment. The queue is made at
the first lock conflict, so a store only one process uses has no extra file. DuckDB's own lock
stays the guard: a process outside this code (the DuckDB shell) is waited out by retrying, and
a broken line (a waiter that gives up) costs order, never safety. While a connection waits,
the listeners of `on_store_wait` and the `storage` logger hear who holds the file.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import duckdb

try:
    import fcntl
except ImportError:  # Windows: no queue; DuckDB's lock and the retries alone
    fcntl = None  # type: ignore[assignment]

from ._errors import StoreLockedError, shorten

POLL_S = 0.01
# A wait shorter than this is not worth a message (a process that keeps the store warm lets
# go of it within a few polls of another lining up, `_warm.py`).
TELL_AFTER_S = 0.5
_HOLDER_PID = re.compile(r"\(PID (\d+)\)")
_thread = threading.local()
_log = logging.getLogger("storage")
_own_lock = threading.Lock()
_own_tickets: set[tuple[Path, int]] = set()  # (queue, number) of this process's tickets


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


def _held() -> set[Path]:
    """The stores this thread has a connection to (a nested connection takes no turn)."""
    if not hasattr(_thread, "paths"):
        _thread.paths = set()
    return _thread.paths


def _process_label() -> str:
    words = [Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python", *sys.argv[1:2]]
    return shorten(" ".join(words), 40)


class Turn:
    """One connection's place in line for the store at `path`, from arrival until it closes."""

    def __init__(self, path: Path, wait_s: float) -> None:
        self.path = path
        self.wait_s = wait_s
        self.arrived = time.monotonic()
        self.deadline = self.arrived + wait_s
        self.queue = path.with_name(path.name + ".queue")
        self.nested = path in _held()
        self._ticket: int | None = None  # descriptor of this connection's locked ticket file
        self._number = 0  # its number
        self._told = False

    def __enter__(self) -> Turn:
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
            with _own_lock:
                _own_tickets.discard((self.queue, self._number))
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

    def opened(self) -> None:
        """Tell those in line who holds the file now, for their waiting message."""
        if self._ticket is not None:
            self._write_holder(self._number, str(os.getpid()), _process_label())

    def _write_holder(self, number: int, pid: str, label: str) -> None:
        with suppress(OSError):  # only the waiting message reads it
            (self.queue / "holder").write_text(f"{number} {pid} {label}")

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
        self._ticket, self._number = ticket, number
        with _own_lock:
            _own_tickets.add((self.queue, number))
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
                    time.sleep(POLL_S)
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
        if self._told or time.monotonic() < self.arrived + TELL_AFTER_S:
            return
        self._told = True
        wait = StoreWait(self.path, holder, ahead)
        _log.info("%s", wait)
        for listener in _listeners.get():
            listener(wait)


def foreign_waiter(path: Path) -> bool:
    """Whether a connection of another process is in line for the store at `path`: a ticket
    of its queue is locked, and not by this process."""
    queue = path.with_name(path.name + ".queue")
    if fcntl is None:
        return False
    try:
        names = os.listdir(queue)
    except OSError:
        return False  # no queue: nobody has lined up yet
    with _own_lock:
        own = {number for line, number in _own_tickets if line == queue}
    for name in names:
        if not name.isdigit() or int(name) in own:
            continue
        try:
            fd = os.open(queue / name, os.O_RDONLY)
        except OSError:
            continue  # its successor took it away: it has had its turn
        try:
            # A shared lock does not stand in the way of the waiter behind it, which asks
            # for a shared one too; it is let go at once.
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
    return False
