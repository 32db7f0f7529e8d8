"""`storage.session`: one connection for a unit of work, the storage functions as methods,
the ambient store for calls given the path, and no acknowledged write lost."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest
from conftest import SAMPLE_FOLDER

import cli
import storage
import storage._db

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def opened(monkeypatch) -> list[Path]:
    """Every connection the store opens from now on, by file."""
    paths: list[Path] = []
    real = storage._db.open_connection

    def counting(path, read_only, wait_s):
        paths.append(path)
        return real(path, read_only, wait_s)

    monkeypatch.setattr(storage._db, "open_connection", counting)
    return paths


def test_a_session_opens_one_connection_for_every_call_in_it(sample_db, opened):
    with storage.session(sample_db) as store:
        assert opened == []  # opened at the first call, not before
        stats = storage.dataset_stats(store, "wands-sample")
        event = storage.record_review(store, 1, author="ana", grade=0)
        # A plain call given the path inside the block uses the session too.
        assert storage.current_label(sample_db, 1).event_id == event
        assert storage.current_label(str(sample_db), 1).event_id == event
        card = storage.review_card(store, 1)
    assert opened == [sample_db.resolve()]
    assert (stats.pairs, card.label.grade) == (174, 0)
    storage.current_label(sample_db, 1)
    storage.current_label(sample_db, 2)
    assert len(opened) == 3  # outside a session, a connection per call


def test_a_session_inside_a_session_joins_it(sample_db, opened):
    with storage.session(sample_db) as outer:
        with storage.session(str(sample_db)) as inner:
            assert inner is outer
            storage.current_label(inner, 1)
        storage.current_label(outer, 2)  # still open
    assert len(opened) == 1


def test_a_transaction_inside_a_session_is_still_all_or_nothing(sample_db):
    """`record_review` commits its own transaction; inside an outer one it joins it, so a
    failure later in the outer transaction undoes the review too."""
    with storage.session(sample_db) as store:
        with (
            pytest.raises(RuntimeError, match="after the review"),
            storage.connect(store) as con,
            storage.transaction(con),
        ):
            storage.record_review(store, 1, author="ana", grade=0)
            raise RuntimeError("after the review")
        assert storage.current_label(store, 1).source == "import"
        storage.record_review(store, 1, author="ana", grade=0)  # and the session goes on
    assert storage.current_label(sample_db, 1).source == "review"


def test_a_half_read_result_does_not_stop_the_next_call(sample_db):
    """DuckDB refuses `register` on a connection with an unread result: each borrowed use
    of the session's connection runs its result to the end."""
    with storage.session(sample_db) as store:
        with storage.connect(store) as con:
            con.execute("SELECT pair_id FROM pairs").fetchone()
        run_id = storage.create_run(
            store,
            name="r",
            dataset="wands-sample",
            backend="baseline",
            model="m",
            prompt_template="t",
            prompt_sha256="0",
            scale=[0, 1, 2],
        )
        assert (
            storage.record_judgments(store, run_id, [{"pair_id": 1, "parse_status": "strict"}]) == 1
        )


def test_a_read_only_session_refuses_a_write_and_changes_nothing(sample_db):
    before = sample_db.read_bytes()
    with storage.session(sample_db, read_only=True) as store:
        assert storage.dataset_stats(store, "wands-sample").pairs == 174
        with pytest.raises(duckdb.Error, match="read-only"):
            storage.record_review(store, 1, author="ana", grade=0)
    assert sample_db.read_bytes() == before


def test_a_session_belongs_to_its_thread(sample_db, opened):
    """Another thread never borrows the session: given the store it is refused, given the
    path (even from a copy of this context) it opens its own connection."""
    results: dict[str, object] = {}
    with storage.session(sample_db) as store:
        storage.current_label(store, 1)

        def other() -> None:
            try:
                storage.current_label(store, 1)
            except RuntimeError as error:
                results["store"] = str(error)
            results["path"] = storage.current_label(sample_db, 2).grade

        import contextvars

        thread = threading.Thread(target=contextvars.copy_context().run, args=(other,))
        thread.start()
        thread.join()
    assert "belongs to another thread" in results["store"]
    assert results["path"] is not None and len(opened) == 2


def test_released_lets_go_of_the_file_until_the_block_ends(sample_db, opened):
    """A judging job keeps no connection while the model works: another process can write
    meanwhile, and the session opens again at its next call."""
    with storage.session(sample_db) as store:
        storage.current_label(store, 1)
        with storage.released(sample_db):
            worker = subprocess.run(
                [
                    sys.executable,
                    str(REPO / "tests" / "store_worker.py"),
                    str(sample_db),
                    "relabel",
                    "1",
                    "cli",
                ],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
            assert worker.stdout.startswith("event ")
            storage.current_label(sample_db, 1)  # its own connection
        assert storage.current_label(store, 1).grade == 0
    assert len(opened) == 3


def test_a_write_acknowledged_in_a_session_survives_kill_9(sample_db):
    """The session is still open when the process dies; what it acknowledged is stored."""
    code = (
        "import os, signal, sys; sys.path.insert(0, sys.argv[2]); import storage\n"
        "with storage.session(sys.argv[1]) as store:\n"
        "    print(storage.record_review(store, 1, author='ana', grade=0), flush=True)\n"
        "    storage.current_label(store, 2)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    process = subprocess.run(
        [sys.executable, "-c", code, str(sample_db), str(REPO)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == -signal.SIGKILL
    event = int(process.stdout.split()[0])
    assert storage.current_label(sample_db, 1).event_id == event


def test_a_cli_command_opens_one_connection(sample_db, opened, capsys):
    assert cli.main(["--db", str(sample_db), "stats"]) == 0
    assert cli.main(["--db", str(sample_db), "check"]) == 0
    assert opened == [sample_db.resolve()] * 2
    assert "wands-sample: 480 queries" in capsys.readouterr().out


def test_the_sample_is_imported_in_one_connection(db, opened):
    assert storage.bootstrap_sample(db, SAMPLE_FOLDER)
    assert not storage.bootstrap_sample(db, SAMPLE_FOLDER)
    assert len(opened) == 2


def test_a_session_opened_while_another_thread_opens_and_closes_the_file_gets_its_read(
    sample_db,
):
    """DuckDB refuses an open with "unique file handle conflict" while another thread of the
    process is opening or closing the same file (a background run beside a page's rerun):
    a wait, as for a lock, never an error the user sees."""
    path = Path(sample_db)
    done = threading.Event()

    def churn() -> None:
        while not done.is_set():
            with contextlib.suppress(duckdb.ResourceInUseException):  # the race, its side
                duckdb.connect(str(path)).close()

    churners = [threading.Thread(target=churn) for _ in range(2)]
    for thread in churners:
        thread.start()
    try:
        counts = []
        for _ in range(150):
            with storage.session(sample_db) as store:
                counts.append(len(storage.list_datasets(store)))
    finally:
        done.set()
        for thread in churners:
            thread.join()
    assert counts == [1] * 150
