"""Fair waiting for the one DuckDB writer: real processes on one file take turns in arrival
order, say whom they wait for, and lose no acknowledged write."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import assert_label_cache_is_a_rebuild

import storage

WORKER = Path(__file__).resolve().parent / "store_worker.py"


def worker(db: Path, *args: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(db), *map(str, args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def next_line(process: subprocess.Popen) -> str:
    line = process.stdout.readline()
    assert line, process.stderr.read()
    return line.strip()


def review_notes(db: Path) -> list[str]:
    return [e["note"] for e in storage.label_history(db, 1) if e["source"] == "review"]


def test_waiting_writers_get_the_store_in_arrival_order(sample_db):
    holder = worker(sample_db, "hold")
    waiters = [worker(sample_db, "note", f"w{n}") for n in range(4)]
    try:
        assert next_line(holder) == "holding"
        assert [next_line(w) for w in waiters] == ["ready"] * 4
        told = []
        for waiter in waiters:  # each arrives only once the one before is waiting
            waiter.stdin.write("go\n")
            waiter.stdin.flush()
            told.append(next_line(waiter))
        # Each names the holder, though only the first in line hears of it from DuckDB.
        assert all(line.startswith(f"waiting for pid {holder.pid} ") for line in told), told
        holder.stdin.write("\n")
        holder.stdin.flush()
        for waiter in waiters:
            assert next_line(waiter).startswith("event ")
    finally:
        for process in (holder, *waiters):
            process.communicate()
    assert review_notes(sample_db) == ["w0", "w1", "w2", "w3"]


def test_five_processes_relabelling_at_once_lose_no_acknowledged_event(sample_db):
    writers = [worker(sample_db, "relabel", 12, f"r{n}") for n in range(5)]
    acknowledged = []
    for process in writers:
        out, err = process.communicate()
        assert process.returncode == 0, err
        acknowledged += [
            int(line.split()[1]) for line in out.splitlines() if line.startswith("event")
        ]
    assert len(acknowledged) == 60
    with storage.connect(sample_db) as con:
        stored = {
            row[0]
            for row in con.execute(
                "SELECT event_id FROM label_events WHERE source = 'review'"
            ).fetchall()
        }
    assert stored == set(acknowledged)
    assert_label_cache_is_a_rebuild(sample_db)


def test_a_store_one_process_uses_has_no_queue_beside_it(sample_db):
    heard = []
    with storage.on_store_wait(heard.append):
        storage.record_review(sample_db, 1, author="ana", grade=2)
    assert heard == []
    assert sorted(p.name for p in sample_db.parent.iterdir()) == [sample_db.name]
