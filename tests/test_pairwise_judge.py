"""Pairwise judging on the real bundled model (loaded once for the module): probabilities
that sum to one per order, the same result twice, prefix reuse equal to cold evaluation,
grammar-bound generation that always answers, and a pairwise run in a real store."""

from __future__ import annotations

import dataclasses

import pytest
from judge_fixtures import sample_pairs
from processes import MODEL_THREADS

import jobs
import judge
import storage

pytestmark = pytest.mark.model

SETTINGS = judge.JudgeSettings(
    n_threads=MODEL_THREADS, n_ctx=2048, template=judge.list_pairwise_templates()[0].text
)


@pytest.fixture(scope="module")
def backend():
    loaded = judge.load_backend(SETTINGS)
    yield loaded
    loaded.close()


@pytest.fixture(scope="module")
def comparisons():
    # Two queries of the sample: (0, 1) of query 3 and (2, 3) of query 9.
    pairs = sample_pairs(limit=4)
    return [(pairs[0], pairs[1]), (pairs[2], pairs[3])]


def compare(comparisons, settings, backend, **kwargs):
    verdicts = []
    summary = judge.run_pairwise(
        comparisons, settings, on_result=verdicts.append, backend=backend, **kwargs
    )
    return summary, {(v.first_pair_id, v.second_pair_id): v for v in verdicts}


def without_latency(verdicts):
    return {k: dataclasses.replace(v, latency_ms=0.0) for k, v in verdicts.items()}


def test_both_orders_sum_to_one_repeat_exactly_and_equal_cold_scores(backend, comparisons):
    summary, first = compare(comparisons, SETTINGS, backend)
    assert (summary.total, summary.judged, summary.errors) == (4, 4, 0)
    assert set(first) == {(0, 1), (1, 0), (2, 3), (3, 2)}  # each order stored apart
    for verdict in first.values():
        assert verdict.parse_status == "logprobs"
        assert verdict.p_first + verdict.p_second + verdict.p_tie == pytest.approx(1.0, abs=1e-9)
        assert verdict.winner in ("first", "second", "tie")
    # The swapped order is a different prompt: its probabilities are its own.
    assert first[(0, 1)].p_first != first[(1, 0)].p_first
    _, again = compare(comparisons, SETTINGS, backend)
    assert without_latency(again) == without_latency(first)
    # Each order scored from an empty KV cache equals the same order after a shared prefix.
    cold = {}
    for a, b in comparisons:
        for shown_first, shown_second in ((a, b), (b, a)):
            backend.llm.n_tokens = 0
            # Skipping the other order leaves this one alone, judged from an empty cache.
            other = {(shown_second["pair_id"], shown_first["pair_id"])}
            _, one = compare([(shown_first, shown_second)], SETTINGS, backend, skip=other)
            cold.update(one)
    assert without_latency(cold) == without_latency(first)


def test_prefix_reuse_evaluates_fewer_tokens(backend, comparisons):
    backend.llm.n_tokens = 0
    before = backend.evaluated_tokens
    _, verdicts = compare(comparisons, SETTINGS, backend)
    evaluated = backend.evaluated_tokens - before
    assert evaluated < sum(v.prompt_tokens for v in verdicts.values()) * 0.8


def test_generation_with_the_grammar_always_answers(backend, comparisons):
    for template in judge.list_pairwise_templates():
        settings = dataclasses.replace(
            SETTINGS, template=template.text, mode=judge.Mode.GENERATE, max_tokens=16
        )
        summary, verdicts = compare(comparisons[:1], settings, backend)
        assert summary.unparsed == summary.errors == 0
        allowed = judge.pairwise_answers(template.text)
        for verdict in verdicts.values():
            assert verdict.parse_status == "strict"
            assert verdict.raw_output.rstrip().rsplit("[RESULT] ", 1)[1] in allowed
            assert verdict.p_first is None


def test_a_pairwise_run_in_the_store(sample_db, backend):
    plan = judge.ComparisonPlan(per_product=0.5, seed=1)
    control = jobs.RunControl(backend=backend)
    outcome = jobs.judge_pairwise(
        sample_db,
        dataset="wands-sample",
        settings=SETTINGS,
        plan=plan,
        max_queries=1,
        control=control,
    )
    assert outcome.summary.judged == 2 * outcome.comparisons
    stored = storage.pairwise.pairwise_comparisons(sample_db, outcome.run_id)
    assert len(stored) == outcome.comparisons
    assert stored.status_ab.eq("logprobs").all() and stored.status_ba.eq("logprobs").all()
    run = storage.pairwise.get_pairwise_run(sample_db, outcome.run_id)
    assert run.status == storage.RunStatus.DONE
    assert run.params["plan"] == {"per_product": 0.5, "same_grade_share": 0.25, "seed": 1}
    resumed = jobs.resume_pairwise(sample_db, outcome.run_id, control=control)
    assert (resumed.summary.judged, resumed.summary.skipped) == (0, 2 * outcome.comparisons)
    report = jobs.pairwise_report(sample_db, outcome.run_id, n_boot=50)
    assert "swap_consistency" in set(report.figures.metric)
    assert report.comparisons.preference.between(0, 1).all()


def test_ctrl_c_mid_run_stores_cancelled_and_the_resume_finishes(sample_db, backend):
    """One rule for every kind of run (jobs.record_run): Ctrl-C is a stop, not a failure."""
    plan = judge.ComparisonPlan(per_product=0.5, seed=1)
    seen = []

    def interrupt_after_three(progress: judge.Progress) -> None:
        seen.append(progress.done)
        if progress.done == 3:
            raise KeyboardInterrupt

    control = jobs.RunControl(
        backend=backend, on_progress=interrupt_after_three, on_run=seen.append
    )
    with pytest.raises(KeyboardInterrupt):
        jobs.judge_pairwise(
            sample_db,
            dataset="wands-sample",
            settings=SETTINGS,
            plan=plan,
            max_queries=2,
            control=control,
        )
    run_id = seen[0]
    run = storage.pairwise.get_pairwise_run(sample_db, run_id)
    assert run.status == storage.RunStatus.CANCELLED
    assert len(storage.pairwise.judged_orders(sample_db, run_id)) == 3
    planned = len(run.params["comparisons"])
    resumed = jobs.resume_pairwise(sample_db, run_id, control=jobs.RunControl(backend=backend))
    assert (resumed.summary.skipped, resumed.summary.judged) == (3, 2 * planned - 3)
    assert storage.pairwise.get_pairwise_run(sample_db, run_id).status == storage.RunStatus.DONE
    assert len(storage.pairwise.judged_orders(sample_db, run_id)) == 2 * planned
