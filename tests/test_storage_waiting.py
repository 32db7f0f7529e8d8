"""Fair waiting for the one DuckDB writer: real processes on one file take turns in arrival
order, say whom they wait for, and lose no acknowledged write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_label_cache_is_a_rebuild

import storage
from storage._queue import Turn

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


def go(process: subprocess.Popen, line: str = "go") -> None:
    process.stdin.write(line + "\n")
    process.stdin.flush()


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


@pytest.mark.parametrize("ahead", [0, 1], ids=["stopped first in line", "stopped behind one"])
def test_a_stopped_waiter_does_not_block_a_later_writer(sample_db, ahead):
    """Ctrl-Z on a process waiting for the store: those behind it go when the store is free,
    and are told the live holder's pid, not the stopped waiter's."""
    holder = worker(sample_db, "hold")
    ahead_of_it = [worker(sample_db, "note", f"ahead{n}") for n in range(ahead)]
    stopped = worker(sample_db, "note", "stopped")
    later = worker(sample_db, "note", "later")
    everyone = (holder, *ahead_of_it, stopped, later)
    try:
        assert next_line(holder) == "holding"
        for waiter in (*ahead_of_it, stopped, later):
            assert next_line(waiter) == "ready"
        for waiter in (*ahead_of_it, stopped):
            go(waiter)
            assert next_line(waiter).startswith(f"waiting for pid {holder.pid} ")
        os.kill(stopped.pid, signal.SIGSTOP)
        go(later)
        assert next_line(later).startswith(f"waiting for pid {holder.pid} ")
        go(holder, "")
        for waiter in (*ahead_of_it, later):
            assert next_line(waiter).startswith("event ")
        assert review_notes(sample_db) == [f"ahead{n}" for n in range(ahead)] + ["later"]
    finally:
        os.kill(stopped.pid, signal.SIGCONT)
        for process in everyone:
            process.communicate()
    assert stopped.returncode == 0  # it went on once resumed
    assert review_notes(sample_db)[-1] == "stopped"


def test_a_ticket_that_never_takes_its_turn_is_skipped_after_its_lease(sample_db):
    """A waiter first in line that neither opens the store nor stops (hung, or a debugger
    holding it) is skipped once its lease is over. Here this test process holds ticket 0 and
    never opens the store."""
    turn = Turn(sample_db.resolve(), wait_s=30)
    turn.queue.mkdir()
    turn._take_ticket()
    later = worker(sample_db, "note", "later")
    try:
        assert next_line(later) == "ready"
        go(later)
        assert next_line(later).startswith(f"waiting for pid {os.getpid()} ")
        assert next_line(later).startswith("event ")
    finally:
        turn.__exit__()
        later.communicate()
    assert review_notes(sample_db) == ["later"]
