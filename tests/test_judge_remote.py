"""The remote backend against a real misbehaving HTTP server on 127.0.0.1."""

from __future__ import annotations

import email.utils
import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from judge_fault_server import FaultServer
from judge_fixtures import make_pair

from judge import JudgeSettings, run_judge
from judge._remote import RemoteBackend, _retry_after_s

TEMPLATE = "Grade the product. Answer with SCORE: N\nQuery: {query}\nProduct: {product_name}\n"


def pair(pair_id: int, fault: str, query_id: str = "q1") -> dict:
    return make_pair(pair_id, query_id, product_name=f"pair={pair_id} fault={fault}")


def remote(server: FaultServer, **overrides) -> JudgeSettings:
    base = {
        "backend": "openai",
        "model": "fault",
        "base_url": server.url,
        "template": TEMPLATE,
        "mode": "generate",
        "timeout_s": 0.5,
        "max_retries": 2,
        "concurrency": 4,
    }
    return JudgeSettings(**(base | overrides))


def judge_all(pairs, settings, **kwargs):
    results = {}
    summary = run_judge(
        pairs, settings, on_result=lambda j: results.setdefault(j.pair_id, j), **kwargs
    )
    return summary, results


@pytest.fixture
def server():
    with FaultServer() as running:
        yield running


def test_faults_are_retried_or_recorded_with_raw_text(server):
    faults = ["ok0", "ok2", "503x2", "429", "hang", "malformed", "chatty"]
    pairs = [pair(i, fault) for i, fault in enumerate(faults)]
    summary, results = judge_all(pairs, remote(server))

    assert (summary.judged, summary.errors, summary.unparsed, summary.cancelled) == (7, 2, 1, False)
    assert results[0].grade == 0 and results[1].grade == 2
    assert all(results[i].parse_status == "strict" for i in range(4))
    assert results[2].grade == 1 and server.requests[2] == 3  # 503, 503, answer
    assert results[3].grade == 1 and server.requests[3] == 2
    assert results[3].latency_ms >= 1000  # waited as Retry-After said
    assert results[0].prompt_tokens == 50 and results[0].completion_tokens == 4

    hang = results[4]
    assert (hang.parse_status, hang.grade, server.requests[4]) == ("error", None, 3)
    assert "no answer within timeout_s=0.5s" in hang.error
    assert "gave up after 3 attempts" in hang.error

    malformed = results[5]
    assert malformed.parse_status == "error" and server.requests[5] == 1  # not retried
    assert malformed.raw_output == '{"choices": [{"message": {"content": "SCORE: 1"'
    assert "not JSON" in malformed.error

    chatty = results[6]
    assert (chatty.parse_status, chatty.grade) == ("unparsed", None)
    assert chatty.raw_output == "I would rather not say."
    assert chatty.error == "no 'SCORE: N' answer found in the model output"


def test_client_errors_are_not_retried_and_say_what_to_check(server, monkeypatch):
    monkeypatch.setenv("JUDGE_FAULT_KEY", "sk-test-secret")
    settings = remote(server, api_key_env="JUDGE_FAULT_KEY")
    summary, results = judge_all([pair(1, "401")], settings)
    assert summary.errors == 1 and server.requests[1] == 1
    failed = results[1]
    assert failed.error.startswith("HTTP 401 from ")
    assert "check the API key (the environment variable named by api_key_env)" in failed.error
    assert failed.raw_output == '{"error": "invalid api key"}'
    assert server.auth_headers == ["Bearer sk-test-secret"]
    assert "sk-test-secret" not in json.dumps(failed.as_record())


def test_unreachable_server_is_an_error_per_pair():
    with FaultServer() as gone:
        url = gone.url
    settings = JudgeSettings(
        backend="openai", model="m", base_url=url, template=TEMPLATE, max_retries=1
    )
    backend = RemoteBackend(backoff_s=0.01)
    summary, results = judge_all([pair(1, "ok1"), pair(2, "ok1")], settings, backend=backend)
    assert summary.errors == 2
    assert "cannot reach" in results[1].error and "gave up after 2 attempts" in results[1].error


def test_chat_logprobs_give_a_distribution(server):
    summary, results = judge_all([pair(1, "ok2"), pair(2, "ok0")], remote(server, mode="logprobs"))
    assert summary.judged == 2
    judged = results[1]
    assert judged.parse_status == "logprobs"
    assert judged.probs == pytest.approx([1 / 9, 1 / 9, 7 / 9])  # 0.1, 0.1, 0.7 renormalised
    assert judged.grade == 2 and judged.confidence == pytest.approx(7 / 9)
    assert judged.expected_grade == pytest.approx(15 / 9)
    assert judged.raw_output == "SCORE: 2"
    assert results[2].grade == 0


def test_ollama_chat_over_http(server):
    settings = remote(server, backend="ollama")
    _, results = judge_all([pair(1, "ok2")], settings)
    assert (results[1].grade, results[1].parse_status, results[1].prompt_tokens) == (
        2,
        "strict",
        50,
    )


def test_concurrency_limit_is_respected(server):
    pairs = [pair(i, "slow") for i in range(12)]
    summary, _ = judge_all(pairs, remote(server, concurrency=3))
    assert summary.judged == 12
    assert server.max_in_flight == 3


def test_cancelled_run_resumes_without_judging_a_pair_twice(server):
    pairs = [pair(i, "ok1", query_id=f"q{i % 3}") for i in range(8)]
    cancel = threading.Event()
    first: list = []

    def record(judgment):
        first.append(judgment)
        if len(first) == 3:
            cancel.set()

    summary = run_judge(pairs, remote(server, concurrency=1), on_result=record, cancel=cancel)
    assert summary.cancelled and summary.judged == 3
    # Grouped by query: q0's pairs (0, 3, 6) come first.
    assert [j.pair_id for j in first] == [0, 3, 6]

    summary, rest = judge_all(pairs, remote(server), skip_pair_ids={j.pair_id for j in first})
    assert (summary.skipped, summary.judged, summary.cancelled) == (3, 5, False)
    assert sorted([j.pair_id for j in first] + list(rest)) == list(range(8))
    assert all(server.requests[i] == 1 for i in range(8))


_RUNNER = """
import json, sys
from judge import JudgeSettings, run_judge
settings = JudgeSettings(**json.loads(sys.argv[1]))
pairs = json.loads(sys.argv[2])
with open(sys.argv[3], "a") as out:
    def record(judgment):
        out.write(json.dumps(judgment.as_record()) + "\\n")
        out.flush()
    run_judge(pairs, settings, on_result=record)
"""


def test_killed_run_resumes_without_judging_a_pair_twice(tmp_path: Path):
    with FaultServer(slow_s=0.3) as server:
        pairs = [pair(i, "slow", query_id=f"q{i % 4}") for i in range(10)]
        settings = {
            "backend": "openai",
            "model": "m",
            "base_url": server.url,
            "template": TEMPLATE,
            "mode": "generate",
            "concurrency": 2,
        }
        results = tmp_path / "judgments.jsonl"
        repo = Path(__file__).resolve().parent.parent
        child = subprocess.Popen(
            [sys.executable, "-c", _RUNNER, json.dumps(settings), json.dumps(pairs), str(results)],
            cwd=repo,
            env={**os.environ, "PYTHONPATH": str(repo)},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
            not results.exists() or len(results.read_text().splitlines()) < 4
        ):
            time.sleep(0.02)
        child.kill()
        child.wait()
        recorded = [json.loads(line)["pair_id"] for line in results.read_text().splitlines()]
        assert 4 <= len(recorded) < 10, "the run was killed part way"

        server.reset_counts()
        summary, rest = judge_all(pairs, JudgeSettings(**settings), skip_pair_ids=recorded)
        assert summary.judged == 10 - len(recorded)
        assert sorted(recorded + list(rest)) == list(range(10))  # every pair once, none twice
        assert not set(server.requests) & set(recorded)  # the resumed run asked nothing twice


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("3", 3.0),
        ("0.5", 0.5),
        ("-2", 0.0),
        ("86400", 300.0),  # capped: a day's wait is not honoured in full
        ("soon", None),
    ],
)
def test_retry_after_header(header, seconds):
    assert _retry_after_s(header) == seconds


def test_retry_after_as_an_http_date():
    later = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 28 <= _retry_after_s(later) <= 30


def test_backoff_grows_with_jitter():
    backend = RemoteBackend(backoff_s=1.0)
    for attempt, (low, high) in enumerate([(0.5, 1.0), (1.0, 2.0), (2.0, 4.0)]):
        delays = {backend._backoff(attempt) for _ in range(50)}
        assert all(low <= d <= high for d in delays)
        assert len(delays) > 1  # jittered
    assert backend._backoff(20) <= 30.0
