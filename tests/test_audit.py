"""Audit tasks: whole queries drawn with stored inclusion probabilities, reviewed like any
task, and the estimates made from them (and refused when their assumptions fail)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from app_fixtures import DATASET, build_store, stored_run

import cli
import jobs
import metrics
import storage

RANKINGS = Path(__file__).resolve().parents[1] / "sample_data" / "rankings.trec"


@pytest.fixture(scope="module")
def audited_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    """The judged sample with its ranking runs and a uniform audit of 12 queries, every
    pair of it reviewed (with the pair's imported grade); (store, run id, task id)."""
    db = tmp_path_factory.mktemp("audit") / "audit.duckdb"
    run_id = build_store(db)
    storage.rankings.import_run_trec(db, RANKINGS, dataset=DATASET)
    made = jobs.create_audit(
        db, jobs.AuditPlan(dataset=DATASET, name="a1", size=12, reviewers=("ana",), seed=5)
    )
    _review_all(db, made.task_id)
    return db, run_id, made.task_id


@pytest.fixture
def audited(audited_once: tuple[Path, int, int], tmp_path: Path) -> tuple[Path, int, int]:
    """A fresh copy of the reviewed audit for each test."""
    db = tmp_path / "audit.duckdb"
    shutil.copy(audited_once[0], db)
    return db, *audited_once[1:]


def _review_all(db: Path, task_id: int, reviewer: str = "ana") -> None:
    humans = storage.rankings.label_sources(db, DATASET).set_index("pair_id")["human"]
    for pair_id in storage.team.my_queue(db, task_id, reviewer)["pair_id"]:
        grade = int(humans[pair_id])
        storage.record_review(db, int(pair_id), author=reviewer, grade=grade, task_id=task_id)


def _cli(db: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["--db", str(db), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_an_audit_draws_whole_queries_and_stores_its_design(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    run_id = build_store(db)
    made = jobs.create_audit(
        db,
        jobs.AuditPlan(
            dataset=DATASET,
            name="active",
            size=10,
            reviewers=("ana", "bo"),
            design=storage.team.Design.ACTIVE,
            seed=1,
        ),
    )
    draw = storage.team.get_audit(db, made.task_id)
    assert draw is not None
    assert (draw.design, draw.seed, draw.run_id, draw.size) == ("active", 1, run_id, 10)
    queries = storage.team.audit_queries(db, made.task_id)
    assert len(queries) == made.population == 36
    assert queries["inclusion_probability"].sum() == pytest.approx(10)
    drawn = set(queries.loc[queries["drawn"], "query_id"])
    assert len(drawn) == 10
    # Every pair of every drawn query is in the task, and no other pair.
    pairs = storage.rankings.label_sources(db, DATASET)
    expected = set(pairs.loc[pairs["query_id"].isin(drawn), "pair_id"])
    assigned = set(storage.team.my_queue(db, made.task_id, "ana")["pair_id"]) | set(
        storage.team.my_queue(db, made.task_id, "bo")["pair_id"]
    )
    assert assigned == expected
    task = storage.team.get_task(db, made.task_id)
    assert task.strategy == "audit active" and task.blind


def test_estimates_match_the_per_query_figures(
    audited: tuple[Path, int, int], capsys: pytest.CaptureFixture[str]
) -> None:
    db, run_id, task_id = audited
    code, out, _ = _cli(db, "estimate", "a1", "--dataset", DATASET, "--json", capsys=capsys)
    assert code == 0
    found = json.loads(out)
    assert (found["audited_queries"], found["population_queries"]) == (12, 36)
    # The human-only accuracy is the mean over audited queries of the share of their pairs
    # the judge graded as the human did; the PPI estimate is metrics.ppi_mean on the same.
    sources = storage.rankings.label_sources(db, DATASET, run_id)
    per_query = (sources["human"] == sources["judge"]).groupby(sources["query_id"]).mean()
    confidence = sources["confidence"].groupby(sources["query_id"]).mean()
    queries = storage.team.audit_queries(db, task_id)
    audited_ids = list(queries.loc[queries["audited"], "query_id"])
    accuracy = {r["method"]: r for r in found["labels"] if r["figure"] == "accuracy"}
    assert accuracy["human only"]["estimate"] == pytest.approx(per_query[audited_ids].mean())
    ppi = metrics.ppi_mean(
        per_query[audited_ids], confidence[audited_ids], confidence[list(queries["query_id"])]
    )
    assert accuracy["prediction-powered"]["estimate"] == pytest.approx(ppi.estimate)
    assert accuracy["prediction-powered"]["low"] == pytest.approx(ppi.low)
    assert accuracy["judge only"]["estimate"] == pytest.approx(confidence.mean())
    runs = {r["run"] for r in found["rankings"]}
    assert runs == set(storage.rankings.list_rankings(db, DATASET)["name"])
    assert {r["method"] for r in found["rankings"]} == set(jobs.METHODS)
    assert found["differences"] and all(
        r["distinguishable"] == (r["low"] > 0 or r["high"] < 0) for r in found["differences"]
    )


def test_a_judge_run_made_after_the_draw_is_refused(
    audited: tuple[Path, int, int], capsys: pytest.CaptureFixture[str]
) -> None:
    db, _, task_id = audited
    later = build_store(db, name="later run")
    code, _, err = _cli(db, "estimate", str(task_id), "--run", str(later), capsys=capsys)
    assert code == 2
    assert f"error: judge run #{later} was made or finished after audit task {task_id}" in err
    # The run the audit read is still accepted.
    assert jobs.estimate_audit(db, task_id).basis.run_id != later


def test_too_few_audited_queries_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.duckdb"
    build_store(db)
    code, out, _ = _cli(
        db, "task", "create", DATASET, "--name", "a", "--audit", "uniform", "--size", "10",
        "--reviewers", "ana", "--as", "ana", capsys=capsys,
    )  # fmt: skip
    assert code == 0 and "10 queries of 36 drawn uniformly" in out
    code, _, err = _cli(db, "estimate", "a", "--dataset", DATASET, capsys=capsys)
    assert code == 2
    assert "has 0 audited queries" in err and f"at least {jobs.MIN_AUDITED_QUERIES}" in err
    code, _, err = _cli(
        db, "task", "create", DATASET, "--name", "b", "--audit", "uniform", "--size", "3",
        "--reviewers", "ana", capsys=capsys,
    )  # fmt: skip
    assert code == 2 and "at least 10 queries" in err


def test_a_task_that_is_no_audit_is_refused(audited: tuple[Path, int, int]) -> None:
    db, run_id, _ = audited
    plan = jobs.TaskPlan(
        dataset=DATASET,
        name="plain",
        pair_set=storage.team.PairSet(),
        strategy=storage.team.Strategy.RANDOM,
        size=5,
        reviewers=("ana",),
        run_id=run_id,
    )
    task_id = jobs.create_task(db, plan).task_id
    with pytest.raises(jobs.AuditRefused, match="is not an audit"):
        jobs.estimate_audit(db, task_id)


def test_missing_inclusion_probabilities_are_refused(audited: tuple[Path, int, int]) -> None:
    db, _, task_id = audited
    with storage.connect(db) as con:
        con.execute(
            "UPDATE audit_queries SET inclusion_probability = NULL WHERE task_id = ? AND drawn",
            [task_id],
        )
    with pytest.raises(jobs.AuditRefused, match="no stored inclusion probability"):
        jobs.estimate_audit(db, task_id)


def test_the_live_interval_narrows_and_says_what_a_target_needs(
    audited: tuple[Path, int, int],
) -> None:
    db, _, task_id = audited
    progress = jobs.audit_progress(db, task_id, target_width=0.05)
    assert list(progress.curve["audited"]) == list(range(2, 13))
    assert list(progress.curve["trusted"]) == [k >= jobs.MIN_AUDITED_QUERIES for k in range(2, 13)]
    # Once every drawn query is audited, the curve ends on the estimate itself.
    found = jobs.estimate_audit(db, task_id).labels
    ppi = found[(found["figure"] == "accuracy") & (found["method"] == "prediction-powered")]
    last = progress.curve.iloc[-1]
    assert (last["low"], last["high"]) == pytest.approx((ppi["low"].iloc[0], ppi["high"].iloc[0]))
    assert np.all(progress.curve["low"] <= progress.curve["estimate"])
    assert progress.needed is None or progress.needed > 12


def test_an_active_audit_needs_the_judges_probabilities(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    storage.bootstrap_sample(db)
    pairs = storage.rankings.label_sources(db, DATASET)
    run_id = stored_run(
        db,
        [
            {"pair_id": int(p), "grade": 1, "raw_output": "SCORE: 1", "parse_status": "parsed",
             "latency_ms": 1.0}
            for p in pairs["pair_id"]
        ],
        name="no probabilities",
    )  # fmt: skip
    storage.finish_run(db, run_id, storage.RunStatus.DONE)
    plan = jobs.AuditPlan(
        dataset=DATASET, name="a", size=10, reviewers=("ana",), design=storage.team.Design.ACTIVE
    )
    with pytest.raises(storage.StoreError, match="gives no grade probabilities on every pair"):
        jobs.create_audit(db, plan)
    assert storage.team.audit_tasks(db, DATASET).empty
    # A uniform draw reads no probabilities.
    uniform = jobs.create_audit(db, replace(plan, design=storage.team.Design.UNIFORM))
    assert uniform.run_id == run_id and uniform.queries == 10
