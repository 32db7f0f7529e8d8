"""Remote pairwise judging against llama-cpp-python's own server on the bundled model (the
session's shared server), compared with the in-process judge on the same comparisons; and
the endpoint probe's choices for comparisons."""

from __future__ import annotations

import dataclasses
import math

import pytest
from judge_fixtures import sample_pairs
from processes import MODEL_THREADS

import jobs
import judge
import storage

pytestmark = pytest.mark.model

TEMPLATE = judge.list_pairwise_templates()[0].text


@pytest.fixture(scope="module")
def comparisons():
    pairs = sample_pairs(limit=4)
    return [(pairs[0], pairs[1]), (pairs[2], pairs[3])]


def remote(url: str, **changes) -> judge.JudgeSettings:
    settings = judge.JudgeSettings(
        backend="openai", model="default", base_url=url, template=TEMPLATE, timeout_s=120
    )
    return dataclasses.replace(settings, **changes)


def compare(comparisons, settings, **kwargs):
    verdicts = []
    summary = judge.run_pairwise(comparisons, settings, on_result=verdicts.append, **kwargs)
    return summary, {(v.first_pair_id, v.second_pair_id): v for v in verdicts}


def test_remote_logprobs_match_the_in_process_judge(llama_server_url, comparisons):
    summary, served = compare(comparisons, remote(llama_server_url))
    assert (summary.total, summary.judged, summary.errors, summary.unparsed) == (4, 4, 0, 0)
    local = judge.JudgeSettings(n_threads=MODEL_THREADS, template=TEMPLATE)
    _, in_process = compare(comparisons, local)
    assert set(served) == set(in_process) == {(0, 1), (1, 0), (2, 3), (3, 2)}
    for key, verdict in served.items():
        assert verdict.parse_status == "logprobs"
        assert verdict.p_first + verdict.p_second + verdict.p_tie == pytest.approx(1.0)
        # Close, not equal: the server's kernels round differently and it reports only the
        # top alternatives (see tests/test_judge_server.py).
        near = in_process[key]
        assert verdict.p_first == pytest.approx(near.p_first, abs=0.08)
        assert verdict.p_second == pytest.approx(near.p_second, abs=0.08)


def test_remote_generation_keeps_the_text_of_every_order(llama_server_url, comparisons):
    settings = remote(
        llama_server_url, mode=judge.Mode.GENERATE, endpoint="completions", max_tokens=12
    )
    summary, served = compare(comparisons[:1], settings)
    assert (summary.judged, summary.errors) == (2, 0)
    for verdict in served.values():
        assert verdict.parse_status in ("strict", "fallback", "unparsed")
        assert verdict.raw_output  # the base model's text, kept whatever it says
        assert verdict.p_first is None
        assert (verdict.winner is None) == (verdict.parse_status == "unparsed")


def test_a_remote_pairwise_run_records_the_probed_endpoint(llama_server_url, sample_db):
    plan = judge.ComparisonPlan(per_product=0.5, seed=2)
    chosen = []
    control = jobs.RunControl(on_endpoint=chosen.append)
    outcome = jobs.judge_pairwise(
        sample_db,
        dataset="wands-sample",
        settings=remote(llama_server_url),
        plan=plan,
        max_queries=1,
        control=control,
    )
    assert outcome.summary.judged == 2 * outcome.comparisons
    assert outcome.endpoint is not None and chosen == [outcome.endpoint]
    assert outcome.endpoint.reason.startswith("completions: A, B, tie come back as logprobs")
    run = storage.pairwise.get_pairwise_run(sample_db, outcome.run_id)
    assert run.params["endpoint"] == "completions"
    assert 3 <= run.params["top_logprobs"] <= 20  # the fewest that hold A, B, tie, plus room
    stored = storage.pairwise.pairwise_comparisons(sample_db, outcome.run_id)
    sums = stored.p_first_ab + stored.p_second_ab + stored.p_tie_ab
    assert sums.tolist() == pytest.approx([1.0] * len(stored))


def test_chat_logprobs_are_refused_with_what_to_do(comparisons):
    settings = remote("http://127.0.0.1:9/v1", endpoint="chat")
    with pytest.raises(judge.SettingsError, match="use --endpoint completions"):
        judge.run_pairwise(comparisons, settings, on_result=print)


def test_choice_probabilities_match_tokens_without_their_space():
    alternatives = {" A": math.log(0.5), "B": math.log(0.25), " tie": math.log(0.25), " x": 0.0}
    probs = judge.choice_probabilities(alternatives, ["A", "B", "tie"])
    assert probs == {"A": 0.5, "B": 0.25, "tie": 0.25}
    assert judge.choice_probabilities({" C": 0.0}, ["A", "B"]) is None
    assert judge.choice_probabilities({" A": 0.0}, ["A", "B"]) == {"A": 1.0, "B": 0.0}
