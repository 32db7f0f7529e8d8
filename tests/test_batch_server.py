"""Batch files played against llama-cpp-python's own server on the bundled model: through a
stand-in for `vllm run-batch`, and through a local OpenAI Batch API (files and batches
endpoints) whose poll survives a restart of the process that polls."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from batch_server import batch_server, run_batch

import cli
import jobs
import judge
import storage

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parents[1]
KEY_ENV, KEY = "BATCH_TEST_API_KEY", "sk-batch-test-0123456789abcdef"


def test_a_played_request_file_gives_what_the_remote_backend_gives(
    sample_db, llama_server_url, tmp_path
):
    # Both runs probe the same server on the same first pair, so they ask alike; one
    # request at a time, since llama-cpp-python's server cuts a stream when another waits.
    settings = judge.JudgeSettings(
        backend="openai", model="default", base_url=llama_server_url, concurrency=1, timeout_s=300
    )
    scope = {"dataset": "wands-sample", "settings": settings, "limit": 4}
    remote = jobs.judge_dataset(sample_db, **scope)
    assert (remote.summary.judged, remote.summary.errors) == (4, 0)
    run_id = jobs.open_batch_run(sample_db, **scope)
    requests, results = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    assert jobs.write_batch_requests(sample_db, run_id, requests).requests == 4
    assert run_batch(requests, results, llama_server_url) == 4
    imported = jobs.import_batch_results(sample_db, run_id, [results])
    assert (imported.scored, imported.failed, imported.missing) == (4, 0, 0)

    expected = storage.run_judgments(sample_db, remote.run_id)
    got = storage.run_judgments(sample_db, run_id)
    assert set(got) == set(expected)
    assert jobs.settings_of(storage.get_run(sample_db, run_id)) == jobs.settings_of(
        storage.get_run(sample_db, remote.run_id)
    )
    for pair_id, judgment in got.items():
        assert judgment["parse_status"] == expected[pair_id]["parse_status"] == "logprobs"
        assert judgment["grade"] == expected[pair_id]["grade"]
        # The same logprobs up to the server's arithmetic: its KV cache holds other
        # prefixes in each run, which changes float rounding, not the answer.
        assert judgment["probs"] == pytest.approx(expected[pair_id]["probs"], abs=1e-3)


def _fetch(db: Path) -> subprocess.Popen:
    """`cli.py batch fetch --wait` in a process of its own, as a user would run it."""
    command = [sys.executable, str(ROOT / "cli.py"), "--db", str(db), "batch", "fetch"]
    command += ["--run", "1", "--wait", "600", "--poll", "0.2"]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, KEY_ENV: KEY},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_batch_api_flow_runs_end_to_end_and_survives_a_restart_mid_poll(
    sample_db, llama_server_url, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv(KEY_ENV, KEY)
    with batch_server(llama_server_url, api_key=KEY) as server:
        server.hold.set()
        judging = ["judge", "--backend", "openai", "--model", "default", "--base-url", server.url]
        judging += ["--api-key-env", KEY_ENV, "--endpoint", "completions", "--limit", "3"]
        judging += ["--batch-file", str(tmp_path / "requests.jsonl"), "--submit"]
        assert cli.main(["--db", str(sample_db), *judging]) == 0
        batch = storage.latest_run_batch(sample_db, 1)
        assert batch.base_url == server.url
        assert server.batches[batch.remote_batch]["endpoint"] == "/v1/completions"

        first = _fetch(sample_db)
        assert first.stderr is not None
        polled = first.stderr.readline()  # blocks until the first poll is said
        assert polled == f"batch {batch.remote_batch}: in_progress\n"
        first.kill()  # the polling process dies mid-poll
        first.communicate()
        assert storage.latest_run_batch(sample_db, 1).status == "in_progress"

        server.release()
        second = _fetch(sample_db)
        out, err = second.communicate(timeout=900)
        assert second.returncode == 0, err
        assert out.splitlines()[0] == (
            "run 1: 3 answers imported, 0 failed (recorded with their error), 0 lines "
            "refused; 0 still to judge"
        )
    judgments = storage.run_judgments(sample_db, 1)
    assert {j["parse_status"] for j in judgments.values()} == {"logprobs"}
    assert len(judgments) == 3
    assert storage.latest_run_batch(sample_db, 1).status == jobs.IMPORTED
    assert storage.get_run(sample_db, 1).status is storage.RunStatus.DONE
    capsys.readouterr()
    assert cli.main(["--db", str(sample_db), "batch", "status", "--run", "1"]) == 0
    assert "is imported" in capsys.readouterr().out
    # The key was sent (the server refuses requests without it), never stored.
    with storage.connect(sample_db) as con:
        stored = con.execute(
            "SELECT string_agg(params::VARCHAR, '') FROM judge_runs UNION ALL "
            "SELECT string_agg(r::VARCHAR, '') FROM run_batches r"
        ).fetchall()
    assert all(KEY not in (text or "") for (text,) in stored)
    assert KEY.encode() not in sample_db.read_bytes()
