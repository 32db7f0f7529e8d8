"""A store kept warm (`storage.keep_warm`, as the app does) stays open in the process between
units of work, and still gives way: to another process in line, after its idle time, to a
read-only unit of its own process, and to a file replaced under it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

import storage

WORKER = Path(__file__).with_name("store_worker.py")
OUTSIDE = (  # a process outside the fair queue (the DuckDB shell): one try to open the file
    "import duckdb, sys\n"
    "try:\n"
    "    duckdb.connect(sys.argv[1], read_only=True).close()\n"
    "except duckdb.Error as error:\n"
    "    print(type(error).__name__, error)\n"
    "    sys.exit(1)\n"
)


@pytest.fixture
def warm(sample_db: Path):
    """`sample_db` kept warm for the test (a long idle time unless the test says otherwise),
    left cold again after it."""

    def keep(idle_s: float = 600.0) -> Path:
        storage.keep_warm(sample_db, idle_s)
        return sample_db

    yield keep
    storage.keep_warm(sample_db, None)


def _outside_opens(db: Path) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", OUTSIDE, str(db)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 or "lock" in done.stdout.lower(), done.stdout + done.stderr
    return done.returncode == 0


def test_between_units_the_file_stays_open_in_the_process_until_its_idle_time(warm):
    # Long enough for the outside process to start and try within it on a loaded machine.
    db = warm(idle_s=10.0)
    assert storage.dataset_names(db) == ["wands-sample"]
    assert not _outside_opens(db)  # held between units: that is the warmth
    deadline = time.monotonic() + 60
    while not _outside_opens(db):
        assert time.monotonic() < deadline, "the idle store was never let go"
        time.sleep(0.2)
    assert storage.dataset_names(db) == ["wands-sample"]  # and opened again when needed


def test_another_process_in_line_gets_the_file_long_before_the_idle_time(warm):
    """The worker waits at most 30 s for its turn (`LOCK_WAIT_S`); the idle time is 600 s:
    it writes only because the anchor saw it in line and let go."""
    db = warm()
    before = storage.label_history(db, 1)
    assert not _outside_opens(db)
    worker = subprocess.run(
        [sys.executable, str(WORKER), str(db), "relabel", "3", "worker"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr
    events = [
        int(line.split()[1]) for line in worker.stdout.splitlines() if line.startswith("event")
    ]
    assert len(events) == 3
    history = storage.label_history(db, 1)
    assert len(history) == len(before) + 1
    assert history[-1]["author"] == "worker"
    assert history[-1]["event_id"] == events[0]


def test_a_read_only_unit_of_the_same_process_is_not_kept_waiting(warm):
    db = warm()
    storage.record_review(db, 1, author="ann", note="kept")
    with storage.connect(db, read_only=True, wait_s=5) as con:
        assert con.execute("SELECT count(*) FROM label_events WHERE note = 'kept'").fetchone() == (
            1,
        )
    assert storage.current_label(db, 1).note == "kept"


def test_a_file_replaced_under_a_warm_store_is_read_anew(warm, tmp_path):
    db = warm()
    assert storage.dataset_names(db) == ["wands-sample"]
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)):
        pass
    storage.dataset_names(other)  # a store of the same schema, with no dataset
    os.replace(other, db)
    assert storage.dataset_names(db) == []


def test_keeping_warm_stops_when_asked(warm):
    db = warm()
    storage.dataset_names(db)
    assert not _outside_opens(db)
    storage.keep_warm(db, None)
    assert _outside_opens(db)
    storage.dataset_names(db)  # a unit now closes the file with its connection
    assert _outside_opens(db)


KILLED = (  # keeps the store warm, acknowledges one review, then waits to be killed
    "import sys, time\n"
    "sys.path.insert(0, sys.argv[2])\n"
    "import storage\n"
    "storage.keep_warm(sys.argv[1])\n"
    "print(storage.record_review(sys.argv[1], 1, author='kept', note='warm'), flush=True)\n"
    "time.sleep(600)\n"
)


def test_a_review_acknowledged_by_a_warm_process_survives_its_kill(sample_db):
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(sample_db), str(Path(__file__).parents[1])],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        event_id = int(process.stdout.readline())
        assert not _outside_opens(sample_db)  # killed while it holds the file, warm
    finally:
        process.kill()
        process.communicate()
    history = storage.label_history(sample_db, 1)
    assert (history[-1]["event_id"], history[-1]["note"]) == (event_id, "warm")
    assert storage.check_store(sample_db).ok
