"""A separate process that uses a store, for the tests and the bench of fair waiting.

    store_worker.py DB relabel N AUTHOR   relabel N times (pairs 1, 2, ...), printing each
                                          acknowledged event id, then the longest relabel
    store_worker.py DB read N             read a current label N times, then the longest read
    store_worker.py DB hold               hold a connection until a line on stdin
    store_worker.py DB note AUTHOR        say "ready", wait for a line on stdin, then add a
                                          note to pair 1, saying whom it waits for if it must

Every line is flushed at once, so the parent can follow along.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import storage  # noqa: E402


def say(*words: object) -> None:
    print(*words, flush=True)


def timed(count: int, step: Callable[[int], object]) -> None:
    """Run `step(0..count-1)`, print what each returns, then the longest step in seconds."""
    worst = 0.0
    for number in range(count):
        started = time.monotonic()
        result = step(number)
        worst = max(worst, time.monotonic() - started)
        say("event", result)
    say("worst", f"{worst:.3f}")


def note(db: str, author: str) -> None:
    say("ready")
    sys.stdin.readline()
    with storage.on_store_wait(say):
        say("event", storage.record_review(db, 1, author=author, note=author))


def hold(db: str) -> None:
    with storage.connect(db):
        say("holding")
        sys.stdin.readline()


if __name__ == "__main__":
    db, mode, *rest = sys.argv[1:]
    if mode == "relabel":
        timed(
            int(rest[0]),
            lambda n: storage.record_review(db, n % 174 + 1, author=rest[1], grade=n % 3),
        )
    elif mode == "read":
        timed(int(rest[0]), lambda n: storage.current_label(db, n % 174 + 1).grade)
    elif mode == "hold":
        hold(db)
    else:
        note(db, rest[0])
