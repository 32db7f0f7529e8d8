"""jobs: judging stored pairs into runs, resuming, re-judging, and reports over the store."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
from app_fixtures import stored_run
from judge_fault_server import FaultServer
from processes import MODEL_THREADS

import cli
import jobs
import judge
import storage

DATASET = "wands-sample"


def _fake_run(db: Path, grade_of, *, name: str = "fake") -> int:
    """A run whose judgments are `grade_of(pair)`, with peaked probabilities."""
    run_id = stored_run(db, name=name, backend="llama_cpp")
    records = []
    for pair in storage.pairs_for_judging(db, DATASET):
        grade = grade_of(pair)
        probs = [0.1, 0.1, 0.1]
        probs[grade] = 0.8
        records.append(
            {
                "pair_id": pair["pair_id"],
                "grade": grade,
                "probs": probs,
                "expected_grade": float(np.dot(probs, [0, 1, 2])),
                "confidence": 0.8,
                "parse_status": "logprobs",
                "raw_output": str(grade),
            }
        )
    storage.record_judgments(db, run_id, records)
    storage.finish_run(db, run_id, "done")
    return run_id


def _always(grade: int):
    return lambda pair: grade


def test_run_report_matches_metrics_on_the_stored_labels(sample_db: Path) -> None:
    run_id = _fake_run(sample_db, _always(1))
    report = jobs.run_report(sample_db, run_id, n_boot=200)
    # The sample has 67 Irrelevant, 81 Partial, 26 Exact: a judge that always says Partial
    # gets 81 right, and its only severe errors are none (it never says 0 or 2).
    assert report.n_pairs == 174 and report.n_unjudged == 0 and report.n_stale == 0
    assert report.confusion.tolist() == [[0, 67, 0], [0, 81, 0], [0, 26, 0]]
    values = report.metrics.set_index("metric")["value"]
    assert values["accuracy"] == pytest.approx(81 / 174)
    assert values["severe_error_rate"] == 0.0
    assert values["recall_1"] == 1.0
    assert (report.metrics["low"] <= report.metrics["value"] + 1e-12).all()
    assert (report.metrics["value"] <= report.metrics["high"] + 1e-12).all()
    assert report.row_shares[2].tolist() == [0.0, 1.0, 0.0]
    assert report.calibration is not None and report.calibration.thresholds is not None


def test_a_review_makes_the_judgment_stale_and_changes_the_metrics(sample_db: Path) -> None:
    run_id = _fake_run(sample_db, _always(1))
    exact = next(
        p
        for p in storage.pairs_for_judging(sample_db, DATASET)
        if storage.current_label(sample_db, p["pair_id"]).grade == 2
    )
    storage.record_review(sample_db, exact["pair_id"], author="ana", grade=1)
    report = jobs.run_report(sample_db, run_id, n_boot=50)
    assert report.n_stale == 1
    assert report.confusion[1, 1] == 82 and report.confusion[2, 1] == 25


def test_compare_runs_gives_paired_differences(sample_db: Path) -> None:
    partial = _fake_run(sample_db, _always(1), name="partial")
    truth = {
        p["pair_id"]: storage.current_label(sample_db, p["pair_id"]).grade
        for p in storage.pairs_for_judging(sample_db, DATASET)
    }
    perfect = _fake_run(sample_db, lambda pair: truth[pair["pair_id"]], name="perfect")
    comparison = jobs.compare_runs(sample_db, partial, perfect, n_boot=200)
    row = comparison.differences.set_index("metric").loc["accuracy"]
    assert row["difference"] == pytest.approx(1 - 81 / 174)
    assert bool(row["excludes_zero"])
    assert len(comparison.disagreements) == 67 + 26


def test_cli_metrics_prints_intervals_and_json(sample_db: Path, capsys) -> None:
    run_id = _fake_run(sample_db, _always(1))
    assert cli.main(["--db", str(sample_db), "metrics", str(run_id), "--n-boot", "50"]) == 0
    out = capsys.readouterr().out
    assert "Accuracy" in out and "0.466" in out and "Recall Exact" in out
    assert (
        cli.main(["--db", str(sample_db), "metrics", str(run_id), "--json", "--n-boot", "50"]) == 0
    )
    assert '"confusion": [' in capsys.readouterr().out
    assert cli.main(["--db", str(sample_db), "metrics", "999"]) == 2
    assert capsys.readouterr().err == "error: no judge run 999\n"


def test_cli_metrics_json_is_strict_with_undefined_metrics(sample_db: Path, capsys) -> None:
    """A run of one pair, judged Partial as its human did, has no defined kappa (no chance
    disagreement to compare with): --json says null, not a bare NaN."""
    run_id = stored_run(
        sample_db,
        [{"pair_id": 1, "grade": 1, "probs": [0.1, 0.8, 0.1], "parse_status": "logprobs"}],
        name="one pair",
        backend="llama_cpp",
    )
    assert (
        cli.main(["--db", str(sample_db), "metrics", str(run_id), "--json", "--n-boot", "20"]) == 0
    )

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    report = json.loads(capsys.readouterr().out, parse_constant=refuse)
    metric = {row["metric"]: row for row in report["metrics"]}
    assert metric["kappa_quadratic"]["value"] is None
    assert metric["accuracy"]["value"] == 1.0
    assert report["confusion"] == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]


def test_an_imported_run_cannot_be_judged_again(sample_db: Path) -> None:
    run_id = stored_run(
        sample_db,
        name="ext",
        backend="judgement-ai",
        model="gpt",
        prompt_template="",
        prompt_sha256="",
        status="imported",
    )
    with pytest.raises(judge.SettingsError, match="imported from judgement-ai"):
        jobs.settings_for_run(sample_db, run_id)


def test_a_model_that_cannot_load_leaves_no_run(sample_db: Path, tmp_path: Path) -> None:
    """The app's path: judge_dataset raises the judge's one error and records nothing."""
    for name, content in (("text.gguf", b"not a model"), ("cut.gguf", b"GGUF" + bytes(60))):
        model = tmp_path / name
        model.write_bytes(content)
        with pytest.raises(judge.ModelFileError, match=str(model)):
            jobs.judge_dataset(
                sample_db, dataset=DATASET, settings=judge.JudgeSettings(model=str(model))
            )
    assert storage.list_runs(sample_db).empty


def test_a_failed_resume_setup_leaves_the_run_as_it_was(sample_db: Path) -> None:
    """Resuming with a key that is not set fails before any pair: the run stays cancelled,
    not marked running or failed."""
    with FaultServer(default_fault="ok1") as server:
        settings = judge.JudgeSettings(
            backend="openai", model="m", base_url=server.url, api_key_env="JUDGE_UNSET_KEY_FOR_TEST"
        )
        with pytest.raises(judge.SettingsError, match="JUDGE_UNSET_KEY_FOR_TEST is not set"):
            jobs.judge_dataset(sample_db, dataset=DATASET, settings=settings, limit=2)
        assert storage.list_runs(sample_db).empty
        run_id = storage.create_run(
            sample_db,
            name="stopped",
            dataset=DATASET,
            split=None,
            status="cancelled",
            **settings.provenance(),
        )
        with pytest.raises(judge.SettingsError, match="JUDGE_UNSET_KEY_FOR_TEST is not set"):
            jobs.resume_run(sample_db, run_id)
        assert storage.get_run(sample_db, run_id).status == "cancelled"
        assert not server.requests


KEY = "sk-store/9d2e+41"


def _assert_no_table_holds_the_key(db: Path) -> None:
    with storage.connect(db) as con:
        tables = [
            t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        ]
        assert {"judge_runs", "judgments"} <= set(tables)
        for table in tables:
            text = con.execute(f'SELECT CAST(COLUMNS(*) AS VARCHAR) FROM "{table}"').fetchall()
            assert "sk-store" not in repr(text), table


def test_the_api_key_never_reaches_the_store(sample_db: Path, monkeypatch) -> None:
    """A server that echoes the request headers in its answers and in its error bodies, with
    the key also in base_url (hence in params and error messages): after judging into a real
    DuckDB file, no table holds the key in any column."""
    monkeypatch.setenv("JUDGE_STORE_KEY", KEY)
    with FaultServer() as server:
        settings = judge.JudgeSettings(
            backend="openai",
            model="m",
            base_url=f"{server.url}/{KEY}/v1",
            mode="generate",
            api_key_env="JUDGE_STORE_KEY",
            timeout_s=30.0,  # these faults answer: a slow machine must not turn them into timeouts
            max_retries=0,
            concurrency=2,
        )
        outcomes = []
        for fault in ("echo", "echo400", "malformed"):
            server.default_fault = fault
            outcomes.append(
                jobs.judge_dataset(sample_db, dataset=DATASET, settings=settings, limit=3)
            )
        assert set(server.auth_headers) == {f"Bearer {KEY}"}
        echoed = storage.run_judgments(sample_db, outcomes[0].run_id)
        assert all('"Authorization": "Bearer ***"' in j["raw_output"] for j in echoed.values())
        params = storage.get_run(sample_db, outcomes[0].run_id).params
        assert params["base_url"] == f"{server.url}/***/v1"
        _assert_no_table_holds_the_key(sample_db)

        server.default_fault = "hang"  # and a run the breaker stops: this server never answers
        stopped = dataclasses.replace(settings, timeout_s=0.2, max_consecutive_failures=2)
        with pytest.raises(judge.EndpointDownError) as down:
            jobs.judge_dataset(sample_db, dataset=DATASET, settings=stopped, limit=3)
    assert KEY not in str(down.value)
    _assert_no_table_holds_the_key(sample_db)


@pytest.fixture(scope="module")
def llama_backend():
    settings = judge.JudgeSettings(n_threads=MODEL_THREADS)
    backend = judge.load_backend(settings)
    yield backend
    backend.close()


@pytest.mark.model
def test_judge_resume_and_rejudge_with_the_real_model(sample_db: Path, llama_backend) -> None:
    settings = judge.JudgeSettings(n_threads=MODEL_THREADS)
    pair_ids = [p["pair_id"] for p in storage.pairs_for_judging(sample_db, DATASET)][:6]
    outcome = jobs.judge_dataset(
        sample_db,
        dataset=DATASET,
        settings=settings,
        pair_ids=pair_ids,
        control=jobs.RunControl(backend=llama_backend),
    )
    run = storage.get_run(sample_db, outcome.run_id)
    assert run.status == "done"
    assert run.model_sha256 == hashlib.sha256(Path(run.model).read_bytes()).hexdigest()
    assert run.prompt_sha256 == hashlib.sha256(settings.template.encode()).hexdigest()
    judged = storage.run_judgments(sample_db, outcome.run_id)
    assert sorted(judged) == sorted(pair_ids)
    for record in judged.values():
        assert math.isclose(sum(record["probs"]), 1.0, rel_tol=1e-5)
        assert record["grade"] == int(np.argmax(record["probs"]))

    # Two pairs failed (as a crashed backend would leave them): resume judges those only.
    failed = pair_ids[:2]
    storage.record_judgments(
        sample_db,
        outcome.run_id,
        [
            {
                "pair_id": p,
                "grade": None,
                "parse_status": "error",
                "error": "boom",
                "raw_output": "",
            }
            for p in failed
        ],
    )
    resumed = jobs.resume_run(
        sample_db, outcome.run_id, control=jobs.RunControl(backend=llama_backend)
    )
    assert (resumed.summary.judged, resumed.summary.skipped) == (2, 4)
    after = storage.run_judgments(sample_db, outcome.run_id)
    assert {p: after[p]["grade"] for p in pair_ids} == {p: judged[p]["grade"] for p in pair_ids}

    rejudged = jobs.rejudge_pairs(
        sample_db, outcome.run_id, pair_ids[2:4], control=jobs.RunControl(backend=llama_backend)
    )
    assert [r.pair_id for r in rejudged] == pair_ids[2:4]
    for r in rejudged:  # logprob scoring is deterministic: the same grade again
        assert r.old_grade == r.new_grade == judged[r.pair_id]["grade"]
        np.testing.assert_allclose(r.old_probs, r.new_probs, rtol=1e-4)
    assert storage.get_run(sample_db, outcome.run_id).status == "done"


@pytest.mark.model
def test_cli_judge_limit_then_resume(sample_db: Path, capsys) -> None:
    base = ["--db", str(sample_db), "judge"]
    assert cli.main([*base, "--limit", "4", "--threads", "2", "--name", "smoke"]) == 0
    captured = capsys.readouterr()
    assert "run 1 finished: 4 judged, 0 already done, 0 errors, 0 unparsed" in captured.out
    assert "4/4" in captured.err  # the progress bar reached the end
    first_four = [p["pair_id"] for p in storage.pairs_for_judging(sample_db, DATASET)][:4]
    assert sorted(storage.run_judgments(sample_db, 1)) == sorted(first_four)
    assert storage.get_run(sample_db, 1).name == "smoke"
    assert cli.main([*base, "--resume", "1"]) == 0
    assert "run 1 finished: 0 judged, 4 already done" in capsys.readouterr().out
    assert cli.main([*base, "--template", "nope"]) == 2
    assert "no template named 'nope'" in capsys.readouterr().err


@pytest.mark.model
def test_a_setup_error_after_the_model_loaded_leaves_no_run(sample_db: Path, llama_backend) -> None:
    """The backend refuses settings before its first judgment (no room for the answer line
    here): the run is never recorded."""
    settings = judge.JudgeSettings(n_threads=MODEL_THREADS, mode="generate", max_tokens=7)
    with pytest.raises(judge.JudgeBackendError, match="max_tokens=7 may not leave room"):
        jobs.judge_dataset(
            sample_db,
            dataset=DATASET,
            settings=settings,
            limit=2,
            control=jobs.RunControl(backend=llama_backend),
        )
    assert storage.list_runs(sample_db).empty
