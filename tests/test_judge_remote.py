"""The remote backend against a real misbehaving HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import dataclasses
import email.utils
import json
import os
import re
import subprocess
import sys
import threading
import time
import tracemalloc
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from judge_fault_server import FaultServer
from judge_fixtures import make_pair

from judge import EndpointDownError, JudgeBackendError, JudgeSettings, run_judge
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
        # Most faults answer: a slow machine must not turn them into timeouts. Tests of a
        # server that never answers in time set a short one, which only saves waiting.
        "timeout_s": 30.0,
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
    # One timeout for all: long enough for the faults that answer on a loaded machine, and
    # the hanging one waits it out three times.
    summary, results = judge_all(pairs, remote(server, timeout_s=5.0))

    assert (summary.judged, summary.errors, summary.unparsed, summary.cancelled) == (7, 2, 1, False)
    assert results[0].grade == 0 and results[1].grade == 2
    assert all(results[i].parse_status == "strict" for i in range(4))
    assert results[2].grade == 1 and server.requests[2] == 3  # 503, 503, answer
    assert results[3].grade == 1 and server.requests[3] == 2
    assert results[3].latency_ms >= 1000  # waited as Retry-After said
    assert results[0].prompt_tokens == 50 and results[0].completion_tokens == 4

    hang = results[4]
    assert (hang.parse_status, hang.grade, server.requests[4]) == ("error", None, 3)
    assert "no answer within timeout_s=5.0s" in hang.error
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
    chat = dataclasses.replace(settings, endpoint="chat")
    summary, results = judge_all([pair(1, "ok1"), pair(2, "ok1")], chat, backend=backend)
    assert summary.errors == 2
    assert "cannot reach" in results[1].error and "gave up after 2 attempts" in results[1].error
    # With endpoint auto the probe meets the dead server first: one error, no pair judged.
    with pytest.raises(JudgeBackendError, match=r"cannot reach .* \(gave up after 2 attempts\)"):
        judge_all([pair(1, "ok1")], settings, backend=backend)


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
from judge import EndpointDownError, JudgeBackendError, JudgeSettings, run_judge
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
        deadline = time.monotonic() + 120  # the child imports judge: slow on a loaded machine
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


def test_an_8_mib_answer_is_read_up_to_the_cap_and_marked(server):
    tracemalloc.start()
    try:
        summary, results = judge_all([pair(1, "huge"), pair(2, "ok2")], remote(server))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    cut = results[1]
    assert (cut.parse_status, cut.grade) == ("unparsed", None)  # final: asking again gets the same
    assert cut.error.startswith("the answer was cut at 262144 bytes (max_answer_bytes), the rest")
    assert len(cut.raw_output) == 262144 and cut.raw_output.startswith('{"choices": [{"message"')
    assert server.requests[1] == 1
    assert results[2].grade == 2
    assert peak < FaultServer.HUGE_BYTES / 8, "the body was held in memory"


def test_the_answer_cap_is_a_setting(server):
    _, results = judge_all(
        [pair(1, "ok1"), pair(2, "echo400")], remote(server, max_answer_bytes=40)
    )
    assert results[1].parse_status == "unparsed" and len(results[1].raw_output) == 40
    assert results[1].error.startswith("the answer was cut at 40 bytes")
    # An error body is cut the same way, and the error says so.
    assert results[2].parse_status == "error" and len(results[2].raw_output) == 40
    assert (
        results[2].error.startswith("HTTP 400 from ")
        and "The server said (cut at 40 bytes) '" in results[2].error
    )


def test_an_answer_trickling_in_fails_at_the_timeout(server):
    """Each byte comes well within timeout_s, so only a deadline on the whole attempt stops
    a server that would take seconds to finish its answer."""
    # The trickle takes seconds, so it never ends within this timeout, however loaded the machine.
    _, results = judge_all([pair(1, "trickle")], remote(server, max_retries=0, timeout_s=0.5))
    assert results[1].parse_status == "error"
    assert results[1].error.startswith("no answer within timeout_s=0.5s from ")


def test_a_run_stops_after_consecutive_pairs_get_no_answer(server):
    pairs = [pair(i, "hang") for i in range(10)]
    seen = []
    # The hanging server never answers, but the count of requests below needs each one to
    # reach it before the client gives up: a loaded machine did not within 0.2 s.
    settings = remote(
        server, timeout_s=3.0, max_retries=1, concurrency=1, max_consecutive_failures=3
    )
    with pytest.raises(EndpointDownError) as stopped:
        run_judge(pairs, settings, on_result=seen.append, backend=RemoteBackend(backoff_s=0.01))
    assert str(stopped.value) == (
        f"3 pairs in a row got no answer from {server.url}, so the run stopped (the last: no "
        f"answer within timeout_s=3.0s from {server.url}: raise timeout_s or lower "
        "concurrency (gave up after 2 attempts)); check that the server is up, then resume "
        "the run"
    )
    assert [(j.pair_id, j.parse_status) for j in seen] == [(0, "error"), (1, "error"), (2, "error")]
    assert dict(server.requests) == {0: 2, 1: 2, 2: 2}  # the other 7 pairs were never sent


def test_any_answer_resets_the_count_of_failures_in_a_row(server):
    # Dropped connections, not hangs: the 401 and the answer must come within the timeout,
    # which a hang's short timeout would not leave them on a loaded machine.
    faults = ["drop", "drop", "401", "drop", "drop", "ok1", "drop", "drop"]
    settings = remote(server, max_retries=0, concurrency=1, max_consecutive_failures=3)
    summary, results = judge_all([pair(i, f) for i, f in enumerate(faults)], settings)
    assert (summary.judged, summary.errors) == (8, 7)
    assert results[5].grade == 1


SECRET = "sk-echo/7f3a+9c"


def test_an_echoing_server_never_gets_the_key_into_what_the_judge_hands_back(server, monkeypatch):
    """The server repeats the request headers in an answer and in an error body, and the key
    is also in the URL (as a gateway may take it), so it is in every error message."""
    monkeypatch.setenv("JUDGE_FAULT_KEY", SECRET)
    settings = remote(
        server,
        base_url=f"{server.url}/{SECRET}/v1",
        api_key_env="JUDGE_FAULT_KEY",
        timeout_s=30.0,  # these faults answer: a slow machine must not turn them into timeouts
        max_retries=0,
        concurrency=1,
    )
    faults = ["echo", "echo400", "malformed", "echoheaders", "echoencoded", "redirect"]
    _, results = judge_all([pair(i, f) for i, f in enumerate(faults)], settings)
    # The hanging server never answers: a short timeout only saves waiting.
    hangs = dataclasses.replace(settings, timeout_s=0.2)
    _, hung = judge_all([pair(9, "hang")], hangs)
    assert set(server.auth_headers) == {f"Bearer {SECRET}"}  # it was sent
    assert '"Authorization": "Bearer ***"' in results[0].raw_output
    assert results[0].grade == 1 and results[3].grade == 1 and results[4].grade == 1
    assert '"Authorization": "Bearer ***"' in results[1].raw_output
    assert f"{server.url}/***/v1/chat/completions" in results[1].error
    # "Bearer " stays, encoded as the server wrote it; the key is masked in each encoding.
    echoed = r"You sent QmVhcmVyI\S*\*\*\*\S* or (\\u00..){7}\*\*\*. SCORE: 1"
    assert re.fullmatch(echoed, results[4].raw_output), results[4].raw_output
    assert "HTTP 307" in results[5].error
    assert f"{server.url}/***/v1" in hung[9].error
    handed_back = json.dumps([j.as_record() for j in [*results.values(), *hung.values()]])
    for form in secret_forms(f"Bearer {SECRET}"):
        assert form not in handed_back

    down = dataclasses.replace(hangs, max_consecutive_failures=1)
    with pytest.raises(EndpointDownError) as stopped:
        run_judge([pair(9, "hang")], down, on_result=lambda j: None)
    assert f"no answer from {server.url}/***/v1, so the run stopped" in str(stopped.value)
    assert "sk-echo" not in str(stopped.value)


def secret_forms(text: str) -> list[str]:
    """The key as a server may echo it: as sent, base64, percent-encoded, \\u-escaped; and
    the parts of it that would give it away."""
    return [
        SECRET,
        "sk-echo",
        base64.b64encode(text.encode()).decode(),
        base64.b64encode(SECRET.encode()).decode()[:12],
        urllib.parse.quote(SECRET, safe=""),
        "".join(f"\\u{ord(c):04x}" for c in SECRET),
    ]


def test_a_stream_the_server_cuts_after_the_grade_still_scores(server):
    """llama-cpp-python's server closes a stream when another request waits; over
    completions its first event holds the one token asked for, so the pair is scored."""
    pairs = [pair(i, f"cut{i % 3}") for i in range(6)]
    summary, results = judge_all(
        pairs, remote(server, mode="logprobs", endpoint="completions", timeout_s=5)
    )
    assert (summary.judged, summary.errors) == (6, 0)
    assert [results[i].grade for i in range(6)] == [0, 1, 2, 0, 1, 2]
    assert all(server.requests[i] == 1 for i in range(6))


def test_a_stream_cut_before_the_grade_is_an_error_that_says_what_to_do(server):
    summary, results = judge_all(
        [pair(1, "cutearly")], remote(server, mode="logprobs", endpoint="chat", timeout_s=5)
    )
    assert summary.errors == 1
    assert results[1].error == (
        "the server ended the streamed answer before the grade (llama-cpp-python's server "
        "does when another request waits, unless started with --interrupt_requests false): "
        "use --concurrency 1, then resume the run"
    )
    assert results[1].raw_output == "SCORE"
