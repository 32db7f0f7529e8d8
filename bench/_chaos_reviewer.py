"""A reviewer process for bench/chaos.py: relabels random pairs of a store, as a person
clicking through the review card would, until a stop file appears (or, given WRITES, after
that many writes: the lone writer whose longest write is the bench's baseline).

    _chaos_reviewer.py DB AUTHOR FIRST_PAIR LAST_PAIR SEED STOP_FILE [WRITES]

For every write the store acknowledged it prints `event EVENT_ID PAIR_ID GRADE SECONDS`
(SECONDS: the whole call, the wait for the store included), flushed at once, so what the
parent reads is exactly what was acknowledged even if this process dies next. A write that
gave up waiting prints `gave-up PAIR_ID GRADE SECONDS` and the reviewer goes on.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import storage  # noqa: E402

PAUSE_S = (0.2, 1.0)  # between two clicks


def relabel(db: str, author: str, pair_id: int, grade: int) -> None:
    started = time.monotonic()
    try:
        event = storage.record_review(db, pair_id, author=author, grade=grade)
    except storage.StoreLockedError:
        print("gave-up", pair_id, grade, f"{time.monotonic() - started:.3f}", flush=True)
        return
    print("event", event, pair_id, grade, f"{time.monotonic() - started:.3f}", flush=True)


def main(
    db: str, author: str, first: int, last: int, seed: int, stop: Path, writes: int | None
) -> None:
    rng = random.Random(seed)
    done = 0
    while not stop.exists() and done != writes:
        relabel(db, author, rng.randint(first, last), rng.randrange(3))
        done += 1
        time.sleep(rng.uniform(*PAUSE_S))


if __name__ == "__main__":
    db, author, first, last, seed, stop, *writes = sys.argv[1:]
    main(
        db, author, int(first), int(last), int(seed), Path(stop), int(writes[0]) if writes else None
    )
