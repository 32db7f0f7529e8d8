"""The fair queue beside a store file: connections get the file in arrival order.

A DuckDB file has one writer process at a time. Once two processes have met on a file, every
connection takes a ticket in a queue beside it (`<db>.queue/`: one lock file per ticket, each
waiter watching the lock of the ticket before its own, a CLH queue), so connections get the
file in arrival order, not whoever happens to retry at the right moment. The queue is made at
the first lock conflict, so a store only one process uses has no extra file. DuckDB's own lock
stays the guard: a process outside this code (the DuckDB shell) is waited out by retrying, and
a broken line (a waiter that gives up) costs order, never safety.

A ticket names its owner's pid. A waiter skips the ticket before its own, and watches the one
before that instead, when that owner is stopped (Ctrl-Z, SIGSTOP: state T in /proc) or gone,
or has been first in line for `LEASE_S` without opening the store: one suspended process
must not hold up every writer behind it. Skipping costs order, never safety: DuckDB's lock
still lets one writer in at a time. While a connection waits, the listeners of
`on_store_wait` and the `storage` logger hear who holds the file, a live process.
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
LEASE_S = 3.0
"""How long a ticket may be first in line without opening the store before those behind it
stop waiting for it (a waiter normally opens within a few polls)."""
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


def process_label() -> str:
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
            self._write_holder(self._number, str(os.getpid()), process_label())

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
            os.ftruncate(ticket, 0)
            os.pwrite(ticket, f"{os.getpid()} {process_label()}".encode(), 0)
            os.pwrite(counter, b"%-20d" % (number + 1), 0)
        finally:
            os.close(counter)
        self._ticket, self._number = ticket, number
        with _own_lock:
            _own_tickets.add((self.queue, number))
        return number

    def _wait_for(self, before: int) -> None:
        """Wait until the connection holding ticket `before` has closed, given up or died;
        one stopped, gone or past its lease is skipped for the ticket before it."""
        watched = before
        while watched >= 0:
            try:
                fd = os.open(self.queue / str(watched), os.O_RDONLY)
            except FileNotFoundError:
                return  # first in line: every ticket before this one has had its turn
            try:
                if self._released(fd, watched):
                    break
            finally:
                os.close(fd)
            watched -= 1
        (self.queue / str(watched)).unlink(missing_ok=True)

    def _released(self, fd: int, watched: int) -> bool:
        """Wait until ticket `watched` is let go (True) or is to be skipped (False)."""
        first_since: float | None = None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                pass
            if not _live(_ticket_owner(self.queue, watched)[0]):
                return False
            if self._first_without_turn(watched):
                first_since = first_since or time.monotonic()
                if time.monotonic() >= first_since + LEASE_S:
                    _log.info(
                        "skipping ticket %d of %s: first for %.0f s without opening it",
                        watched,
                        self.path.name,
                        LEASE_S,
                    )
                    return False
            else:
                first_since = None
            self._tell(*self._holder(self._number))
            if time.monotonic() >= self.deadline:
                raise StoreLockedError(self.path, self.wait_s) from None
            time.sleep(POLL_S)

    def _first_without_turn(self, number: int) -> bool:
        """Whether ticket `number` is first in line (the one before it let go) while no live
        process holds the store, so nothing but its owner stands in the way."""
        if _ticket_locked(self.queue, number - 1):
            return False
        holder = _read_holder(self.queue)
        return holder is None or not _live(holder[1])

    def _holder(self, mine: int) -> tuple[str, int]:
        """Who holds the store, as the waiting message names it: the holder recorded beside
        the queue if it is live, else the first live ticket before `mine`."""
        holder = _read_holder(self.queue)
        if holder is not None and _live(holder[1]):
            number, pid, label = holder
            return _describe(pid, label), max(mine - number, 0)
        # Only the last few tickets can still be held: each is unlinked once its turn is over.
        for number in range(max(mine - 64, 0), mine):
            if _ticket_locked(self.queue, number):
                owner, label = _ticket_owner(self.queue, number)
                if owner is not None and _live(owner):
                    return _describe(owner, label), mine - number
        return "another process", 0

    def _tell(self, holder: str, ahead: int) -> None:
        if self._told or time.monotonic() < self.arrived + TELL_AFTER_S:
            return
        self._told = True
        wait = StoreWait(self.path, holder, ahead)
        _log.info("%s", wait)
        for listener in _listeners.get():
            listener(wait)


def _describe(pid: int, label: str) -> str:
    return f"pid {pid}" + (f" ({label})" if label else "")


def _read_holder(queue: Path) -> tuple[int, int, str] | None:
    """The holder recorded beside the queue: (its ticket number, pid, label)."""
    try:
        number, pid, label = (queue / "holder").read_text().split(" ", 2)
        return int(number), int(pid), label
    except (OSError, ValueError):
        return None


def _ticket_owner(queue: Path, number: int) -> tuple[int | None, str]:
    """The pid and label written in ticket `number`; (None, "") when it names none."""
    try:
        pid, _, label = (queue / str(number)).read_text().partition(" ")
        return int(pid), label
    except (OSError, ValueError):
        return None, ""


def _ticket_locked(queue: Path, number: int) -> bool:
    """Whether ticket `number` is still held by its owner."""
    try:
        fd = os.open(queue / str(number), os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _live(pid: int | None) -> bool:
    """Whether process `pid` exists and is not stopped; True when it cannot be told (no
    pid written yet, a system without /proc), so only a sure sign skips a ticket."""
    if pid is None:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        if not Path("/proc/self/stat").exists():
            return _exists(pid)
        return False
    except OSError:
        return True
    # The command name (in parentheses) may hold spaces: the state follows its last ")".
    state = stat.rpartition(")")[2].split()[:1]
    return state not in (["T"], ["t"], ["Z"], ["X"])


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


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
            # A stopped waiter would be skipped by those behind it: no reason to let go.
            if _live(_ticket_owner(queue, int(name))[0]):
                return True
        finally:
            os.close(fd)
    return False
