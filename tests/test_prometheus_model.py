"""Prometheus absolute scoring on the real bundled model: P(1..5) summed onto the dataset's
grades, generation under the grammar, and runs that record their rubric version, score map
and each pair's reference."""

from __future__ import annotations

import dataclasses

import pytest
from app_fixtures import DATASET
from judge_fixtures import sample_pairs
from processes import MODEL_THREADS

import jobs
import judge
import storage
from grade_scale import ScoreMap

pytestmark = pytest.mark.model

TEMPLATE = judge.load_template("prometheus_1_5")
SCORES = (1, 2, 3, 4, 5)
ON_SCORES = judge.JudgeSettings(
    template=TEMPLATE, scale=SCORES, n_threads=MODEL_THREADS, n_ctx=2048
)
ON_GRADES = dataclasses.replace(
    ON_SCORES, scale=storage.WANDS_SCALE, score_map=ScoreMap.default(SCORES, (0, 1, 2))
)


@pytest.fixture(scope="module")
def backend():
    loaded = judge.load_backend(ON_SCORES)
    yield loaded
    loaded.close()


def judged(pairs, settings, backend):
    results: list[judge.Judgment] = []
    judge.run_judge(pairs, settings, on_result=results.append, backend=backend)
    return {j.pair_id: j for j in results}


def test_score_probabilities_sum_to_one_and_map_to_the_grades_as_stated(backend):
    pairs = sample_pairs(limit=2)
    on_scores = judged(pairs, ON_SCORES, backend)
    on_grades = judged(pairs, ON_GRADES, backend)
    assert set(on_scores) == set(on_grades) == {p["pair_id"] for p in pairs}
    for pair_id, scored in on_scores.items():
        assert scored.parse_status == "logprobs" and len(scored.probs) == 5
        assert sum(scored.probs) == pytest.approx(1.0, abs=1e-6)
        graded = on_grades[pair_id]
        # 1,2 -> Irrelevant; 3,4 -> Partial; 5 -> Exact, by summing.
        p = scored.probs
        assert graded.probs == pytest.approx([p[0] + p[1], p[2] + p[3], p[4]], abs=1e-6)
        assert sum(graded.probs) == pytest.approx(1.0, abs=1e-6)
        assert graded.grade == max(range(3), key=graded.probs.__getitem__)
        assert graded.expected_grade == pytest.approx(graded.probs[1] + 2 * graded.probs[2])


def test_generation_under_the_grammar_always_parses_with_its_feedback(backend):
    settings = dataclasses.replace(ON_GRADES, mode=judge.Mode.GENERATE, max_tokens=40)
    for judgment in judged(sample_pairs(limit=2), settings, backend).values():
        assert judgment.parse_status == "strict", judgment.raw_output
        assert judgment.grade in (0, 1, 2)
        score = int(judgment.raw_output.strip()[-1])
        assert judgment.raw_output.rstrip().endswith(f"[RESULT] {score}")
        assert judgment.grade == ON_GRADES.score_map.grade_of(score)
        before = judgment.raw_output[: judgment.raw_output.rindex("[RESULT]")].strip()
        assert (judgment.feedback or "") in before


def test_a_run_records_its_rubric_version_map_and_references(sample_db, backend):
    exact = storage.top_grade_pairs(sample_db, DATASET)
    query, exacts = next((q, p) for q, p in sorted(exact.items()) if len(p) >= 3)
    chosen = exacts[:2]
    control = jobs.RunControl(backend=backend)
    settings = dataclasses.replace(ON_GRADES, reference=True)
    first = jobs.judge_dataset(
        sample_db, dataset=DATASET, settings=settings, pair_ids=chosen, control=control
    )
    assert first.without_reference == 0
    run = storage.get_run(sample_db, first.run_id)
    assert run.params["rubric_version"] == 0 and run.params["reference"] is True
    assert run.params["score_map"] == "1=0,2=0,3=1,4=1,5=2"
    assert judge.DEFAULT_RUBRIC.text() in run.prompt_template
    judgments = storage.run_judgments(sample_db, first.run_id)
    for pair_id in chosen:
        reference = judgments[pair_id]["reference_pair_id"]
        assert reference != pair_id and reference in exacts
    resumed = jobs.settings_for_run(sample_db, first.run_id)
    assert (resumed.score_map, resumed.reference) == (settings.score_map, True)

    edited = judge.Rubric("Would a shopper buy it?", ("no", "unlikely", "maybe", "likely", "yes"))
    assert jobs.save_dataset_rubric(sample_db, DATASET, edited) == 1
    second = jobs.judge_dataset(
        sample_db, dataset=DATASET, settings=ON_GRADES, pair_ids=chosen[:1], control=control
    )
    run = storage.get_run(sample_db, second.run_id)
    assert run.params["rubric_version"] == 1
    assert "[Would a shopper buy it?]\nScore 1: no" in run.prompt_template
    assert judge.DEFAULT_RUBRIC.criterion not in run.prompt_template
    assert storage.run_judgments(sample_db, second.run_id)[chosen[0]]["reference_pair_id"] is None
