"""The run loop's own duties: order, validation before any call, progress, failures."""

from __future__ import annotations

import pytest
from judge_fault_server import FaultServer
from judge_fixtures import make_pair

from judge import JudgeError, JudgeSettings, TemplateError, run_judge

TEMPLATE = "Answer with SCORE: N\n{query}\n{product_name}\n"


def pair(pair_id, query_id="q1", fault="ok1"):
    return make_pair(pair_id, query_id, product_name=f"pair={pair_id} fault={fault}")


@pytest.fixture
def server():
    with FaultServer() as running:
        yield running


def settings(server, **overrides):
    base = {
        "backend": "openai",
        "model": "m",
        "base_url": server.url,
        "template": TEMPLATE,
        "mode": "generate",
        "concurrency": 1,
    }
    return JudgeSettings(**(base | overrides))


def test_pairs_are_judged_grouped_by_query_in_stable_order(server):
    pairs = [pair(5, "b"), pair(1, "a"), pair(4, "b"), pair(2, "a"), pair(3, "c")]
    order = []
    run_judge(pairs, settings(server), on_result=lambda j: order.append(j.pair_id))
    assert order == [1, 2, 5, 4, 3]


def test_progress_reports_counts_rate_and_eta(server):
    pairs = [pair(1), pair(2, fault="chatty"), pair(3), pair(4)]
    reports = []
    summary = run_judge(
        pairs,
        settings(server),
        on_result=lambda j: None,
        on_progress=reports.append,
        skip_pair_ids={4},
    )
    assert [(p.done, p.total, p.failures) for p in reports] == [(1, 3, 0), (2, 3, 1), (3, 3, 1)]
    assert all(p.pairs_per_s > 0 for p in reports)
    assert reports[-1].eta_s == 0
    assert (summary.total, summary.skipped, summary.judged, summary.unparsed) == (4, 1, 3, 1)
    assert summary.pairs_per_s > 0 and not summary.cancelled


def test_template_is_checked_before_any_request(server):
    bad = settings(server, template="{query} {colour} SCORE: N")
    with pytest.raises(TemplateError, match=r"unknown placeholder \{colour\}"):
        run_judge([pair(1)], bad, on_result=lambda j: None)
    assert not server.requests


def test_a_field_missing_from_one_pair_is_caught_up_front(server):
    pairs = [pair(1), pair(2)]
    del pairs[1]["product_name"]
    with pytest.raises(TemplateError, match=r"unknown placeholder \{product_name\}"):
        run_judge(pairs, settings(server), on_result=lambda j: None)
    assert not server.requests


def test_duplicate_pair_ids_are_refused(server):
    with pytest.raises(JudgeError, match="pair_id 1 is given twice"):
        run_judge([pair(1), pair(1)], settings(server), on_result=lambda j: None)


def test_nothing_left_to_judge_needs_no_backend():
    unreachable = JudgeSettings(
        backend="openai", model="m", base_url="http://127.0.0.1:9/v1", template=TEMPLATE
    )
    summary = run_judge([pair(1)], unreachable, on_result=lambda j: None, skip_pair_ids=[1])
    assert (summary.total, summary.skipped, summary.judged) == (1, 1, 0)


def test_a_failing_callback_stops_the_run_and_is_raised(server):
    def explode(judgment):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        run_judge([pair(i) for i in range(5)], settings(server, concurrency=2), on_result=explode)
    assert sum(server.requests.values()) <= 3


def test_as_record_has_exactly_the_judgments_columns(server):
    records = []
    run_judge(
        [pair(1, fault="ok2")], settings(server), on_result=lambda j: records.append(j.as_record())
    )
    assert list(records[0]) == [
        "pair_id",
        "grade",
        "probs",
        "expected_grade",
        "confidence",
        "raw_output",
        "parse_status",
        "error",
        "latency_ms",
        "prompt_tokens",
        "completion_tokens",
        "feedback",
        "reference_pair_id",
        "endpoint",
    ]
    assert records[0]["grade"] == 2 and records[0]["parse_status"] == "strict"
    assert records[0]["endpoint"] == server.url
