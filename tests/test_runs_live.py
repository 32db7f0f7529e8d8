"""A stored run's progress read from the store alone, as the Runs page follows a run that the
CLI or another session judges: counts against the run's scope, speed, time left, silence."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from app_fixtures import stored_run
from pairwise_fixtures import planned_pairwise_run

import jobs
import judge
import storage

DATASET = "wands-sample"
T0 = datetime(2025, 3, 1, 12, 0, 0)


def _run(
    db: Path,
    *,
    split: str | None = None,
    pair_ids: Sequence[int] | None = None,
    status: str = "running",
) -> int:
    """A run recorded as judge_dataset records one: its scope in split and params."""
    return stored_run(
        db,
        model="m",
        split=split,
        status=status,
        params={"pair_ids": None if pair_ids is None else list(pair_ids)},
    )


def _batch(
    db: Path, run_id: int, pair_ids: Sequence[int], at: datetime, status: str = "logprobs"
) -> None:
    """Record judgments of `pair_ids` as one batch written at `at`: record_judgments stamps
    the store's clock, so the test sets created_at itself."""
    storage.record_judgments(
        db,
        run_id,
        [
            {"pair_id": p, "grade": 1 if status == "logprobs" else None, "parse_status": status}
            for p in pair_ids
        ],
    )
    with storage.connect(db) as con:
        con.execute(
            "UPDATE judgments SET created_at = ? WHERE run_id = ? AND list_contains(?, pair_id)",
            [at, run_id, list(pair_ids)],
        )


def _set_started(db: Path, run_id: int, at: datetime) -> None:
    with storage.connect(db) as con:
        con.execute("UPDATE judge_runs SET started_at = ? WHERE run_id = ?", [at, run_id])


def _split_of_first_queries(db: Path, n_queries: int) -> list[int]:
    """Put the first `n_queries` queries in the benchmark split; returns its pair ids."""
    with storage.connect(db) as con:
        con.execute(
            "UPDATE pairs SET split = 'benchmark' WHERE query_id IN (SELECT DISTINCT "
            "query_id FROM pairs ORDER BY query_id LIMIT ?)",
            [n_queries],
        )
        rows = con.execute(
            "SELECT pair_id FROM pairs WHERE split = 'benchmark' ORDER BY pair_id"
        ).fetchall()
    return [r[0] for r in rows]


def test_a_split_run_counts_its_split_and_measures_the_recent_batches(sample_db: Path) -> None:
    benchmark = _split_of_first_queries(sample_db, 6)
    assert 30 < len(benchmark) < 174
    run_id = _run(sample_db, split="benchmark")
    _set_started(sample_db, run_id, T0 - timedelta(minutes=5))
    _batch(sample_db, run_id, benchmark[:10], T0 - timedelta(seconds=100))  # before the window
    _batch(sample_db, run_id, benchmark[10:16], T0)
    _batch(sample_db, run_id, benchmark[16:24], T0 + timedelta(seconds=10))
    _batch(sample_db, run_id, benchmark[24:28], T0 + timedelta(seconds=20))
    _batch(sample_db, run_id, benchmark[28:30], T0 + timedelta(seconds=20), status="error")
    _batch(sample_db, run_id, benchmark[30:31], T0 + timedelta(seconds=20), status="unparsed")

    (tally,) = storage.run_tallies(sample_db, run_ids=[run_id], window_s=60)
    assert (tally.planned, tally.done, tally.judged, tally.failed, tally.unparsed) == (
        len(benchmark),
        31,
        28,
        2,
        1,
    )
    assert tally.first_at == T0 - timedelta(seconds=100)
    assert tally.last_at == T0 + timedelta(seconds=20)
    # The window reaches 60 s back from the newest batch: the batch at T0 opens it, and the
    # 8 + 7 judgments written after it took 20 s.
    assert (tally.recent_from, tally.recent_done) == (T0, 15)

    progress = jobs.run_progress(sample_db, run_id, now=T0 + timedelta(seconds=25))
    assert progress.pairs_per_s == pytest.approx(15 / 20)
    assert progress.eta_s == pytest.approx((len(benchmark) - 31) / (15 / 20))
    assert progress.idle_s == pytest.approx(5.0)
    assert progress.fraction == pytest.approx(31 / len(benchmark))
    assert not progress.stalled
    later = jobs.run_progress(sample_db, run_id, now=T0 + timedelta(seconds=20 + 120))
    assert later.stalled and later.idle_s == pytest.approx(120.0)


def test_a_pair_ids_run_counts_the_named_pairs_whatever_their_split(sample_db: Path) -> None:
    benchmark = _split_of_first_queries(sample_db, 2)
    others = [
        p["pair_id"]
        for p in storage.pairs_for_judging(sample_db, DATASET)
        if p["split"] != "benchmark"
    ]
    named = [*benchmark[:3], *others[:9]]
    # The run's split is ignored when it names its pairs, as a resume ignores it.
    run_id = _run(sample_db, split="benchmark", pair_ids=named)
    _batch(sample_db, run_id, named[:4], T0)

    progress = jobs.run_progress(sample_db, run_id, now=T0 + timedelta(seconds=3))
    assert (progress.planned, progress.done, progress.judged) == (12, 4, 4)
    assert progress.pairs_per_s is None and progress.eta_s is None  # one batch: no speed yet
    assert progress.idle_s == pytest.approx(3.0)


def test_a_resumed_run_is_silent_only_since_its_resume(sample_db: Path) -> None:
    """A stalled run set back to running (as resume_run does) is alive again: judgments made
    before the resume say nothing about the process judging it now."""
    run_id = _run(sample_db)
    _set_started(sample_db, run_id, T0 - timedelta(hours=2))
    _batch(sample_db, run_id, [1, 2, 3], T0 - timedelta(hours=1))
    storage.finish_run(sample_db, run_id, "failed")
    storage.reopen_run(sample_db, run_id)
    with storage.connect(sample_db) as con:
        con.execute("UPDATE judge_runs SET resumed_at = ? WHERE run_id = ?", [T0, run_id])
    assert storage.get_run(sample_db, run_id).finished_at is None

    progress = jobs.run_progress(sample_db, run_id, now=T0 + timedelta(seconds=30))
    assert (progress.done, progress.idle_s, progress.stalled) == (3, 30.0, False)
    assert jobs.run_progress(sample_db, run_id, now=T0 + timedelta(minutes=2)).stalled


def test_a_run_goes_back_to_running_only_by_reopening_it(sample_db: Path) -> None:
    run_id = _run(sample_db, status="failed")
    with pytest.raises(ValueError, match="not 'running'; reopen_run resumes one"):
        storage.finish_run(sample_db, run_id, storage.RunStatus.RUNNING)
    assert storage.get_run(sample_db, run_id).status is storage.RunStatus.FAILED


def test_resume_records_when_it_set_the_run_running(sample_db: Path) -> None:
    run_id = _run(sample_db, status="failed")
    assert storage.get_run(sample_db, run_id).resumed_at is None
    storage.reopen_run(sample_db, run_id)
    resumed = storage.get_run(sample_db, run_id).resumed_at
    assert resumed is not None and resumed >= storage.get_run(sample_db, run_id).started_at
    storage.finish_run(sample_db, run_id, "done")
    assert storage.get_run(sample_db, run_id).resumed_at == resumed


def test_running_progress_lists_the_running_runs_of_a_dataset(sample_db: Path) -> None:
    whole = _run(sample_db)
    _set_started(sample_db, whole, T0)
    finished = _run(sample_db, status="done")
    newest = _run(sample_db)
    _set_started(sample_db, newest, T0 + timedelta(minutes=2))

    listed = jobs.running_progress(sample_db, DATASET, now=T0 + timedelta(minutes=3))
    assert [p.run_id for p in listed] == [newest, whole]
    assert finished not in {p.run_id for p in listed}
    # No judgment yet: silent since the start, stalled once that is long enough ago.
    assert [(p.planned, p.done, p.last_at, p.idle_s, p.stalled) for p in listed] == [
        (174, 0, None, 60.0, False),
        (174, 0, None, 180.0, True),
    ]
    assert jobs.running_progress(sample_db, "no-such-dataset") == []
    assert not jobs.run_progress(sample_db, finished, now=T0 + timedelta(days=1)).stalled
    with pytest.raises(storage.NotFoundError):
        jobs.run_progress(sample_db, 999)


def test_progress_is_read_while_a_run_judges(sample_db: Path) -> None:
    """A real judge loop with a stand-in backend: the run's progress is readable from the
    store between batches, by the run id the job reports before judging."""
    seen: dict[str, object] = {}

    class HalfwayLooker:
        def judge(self, items, settings, *, emit, cancel: threading.Event) -> None:
            for n, item in enumerate(items):
                if n == 40:  # after at least one flush (every 32 judgments or 2 s)
                    seen["halfway"] = jobs.run_progress(sample_db, seen["run_id"])
                    seen["stored"] = len(storage.run_judgments(sample_db, seen["run_id"]))
                emit(
                    judge.Judgment(
                        item.pair_id,
                        1,
                        [0.1, 0.8, 0.1],
                        1.0,
                        0.8,
                        "1",
                        "logprobs",
                        None,
                        1.0,
                        None,
                        None,
                    )
                )

    settings = judge.JudgeSettings(backend="ollama", model="m")
    outcome = jobs.judge_dataset(
        sample_db,
        dataset=DATASET,
        settings=settings,
        control=jobs.RunControl(
            backend=HalfwayLooker(), on_run=lambda run_id: seen.setdefault("run_id", run_id)
        ),
    )
    assert seen["run_id"] == outcome.run_id
    halfway = seen["halfway"]
    assert (halfway.status, halfway.planned, halfway.done) == ("running", 174, seen["stored"])
    assert 0 < halfway.done <= 40
    done = jobs.run_progress(sample_db, outcome.run_id)
    assert (done.status, done.done, done.judged, done.fraction) == ("done", 174, 174, 1.0)
    assert not done.stalled


def test_a_pairwise_run_counts_its_planned_orders(sample_db: Path) -> None:
    graded = _run(sample_db)
    pairwise = planned_pairwise_run(sample_db, [[3, 4], [4, 5], [3, 5]])
    storage.pairwise.record_pairwise_judgments(
        sample_db,
        pairwise,
        [
            {
                "first_pair_id": 3,
                "second_pair_id": 4,
                "winner": "first",
                "parse_status": "logprobs",
            },
            {"first_pair_id": 4, "second_pair_id": 3, "winner": None, "parse_status": "unparsed"},
            {"first_pair_id": 4, "second_pair_id": 5, "winner": None, "parse_status": "error"},
        ],
    )
    listed = jobs.running_progress(sample_db, DATASET)
    assert [(p.run_id, p.kind, p.planned, p.done) for p in listed] == [
        (pairwise, storage.RunKind.PAIRWISE, 6, 3),
        (graded, storage.RunKind.GRADED, 174, 0),
    ]
    assert (listed[0].judged, listed[0].failed, listed[0].unparsed) == (1, 1, 1)
    assert listed[0].fraction == 0.5
    storage.pairwise.finish_pairwise_run(sample_db, pairwise, storage.RunStatus.DONE)
    assert [p.run_id for p in jobs.running_progress(sample_db, DATASET)] == [graded]
    assert jobs.run_progress(sample_db, pairwise).status == "done"


def test_a_resumed_pairwise_run_is_silent_only_since_its_resume(sample_db: Path) -> None:
    """As a graded run: verdicts made before a resume say nothing about the process that
    judges the pairwise run now (its resume is recorded, migration 9)."""
    run_id = planned_pairwise_run(sample_db, [[3, 4], [4, 5]])
    storage.pairwise.record_pairwise_judgments(
        sample_db,
        run_id,
        [{"first_pair_id": 3, "second_pair_id": 4, "winner": "first", "parse_status": "logprobs"}],
    )
    with storage.connect(sample_db) as con:
        con.execute(
            "UPDATE pairwise_runs SET started_at = ? WHERE run_id = ?",
            [T0 - timedelta(hours=2), run_id],
        )
        con.execute(
            "UPDATE pairwise_judgments SET created_at = ? WHERE run_id = ?",
            [T0 - timedelta(hours=1), run_id],
        )
    storage.pairwise.finish_pairwise_run(sample_db, run_id, "failed")
    assert storage.pairwise.get_pairwise_run(sample_db, run_id).resumed_at is None
    storage.pairwise.reopen_pairwise_run(sample_db, run_id)
    assert storage.pairwise.get_pairwise_run(sample_db, run_id).resumed_at is not None
    with storage.connect(sample_db) as con:
        con.execute("UPDATE pairwise_runs SET resumed_at = ? WHERE run_id = ?", [T0, run_id])

    progress = jobs.run_progress(sample_db, run_id, now=T0 + timedelta(seconds=30))
    assert (progress.kind, progress.planned, progress.done) == (storage.RunKind.PAIRWISE, 4, 1)
    assert (progress.idle_s, progress.stalled) == (30.0, False)
    assert jobs.run_progress(sample_db, run_id, now=T0 + timedelta(minutes=2)).stalled
