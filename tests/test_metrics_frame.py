"""The recipe in metrics/__init__.py, run on a frame shaped like the storage query's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import metrics

LABELS = [0, 1, 2]


def run_frame(seed: int = 0, n_queries: int = 12) -> pd.DataFrame:
    """pair_id, query_id, query_class, human, judge (NA when unparsed), probs, expected_grade."""
    rng = np.random.default_rng(seed)
    query_ids = np.repeat([f"q{q}" for q in range(n_queries)], 8)
    human = rng.choice(LABELS, query_ids.size)
    probs = rng.dirichlet([1, 1, 1], query_ids.size) * 0.4 + 0.6 * np.eye(3)[human]
    judge = pd.array(probs.argmax(axis=1), dtype="Int64")
    judge[::10] = pd.NA  # unparsed generations: no grade, no probabilities
    prob_lists = [None if pd.isna(j) else list(p) for j, p in zip(judge, probs, strict=True)]
    return pd.DataFrame(
        {
            "pair_id": np.arange(query_ids.size),
            "query_id": pd.array(query_ids, dtype="string"),
            "query_class": pd.array(np.where(np.arange(query_ids.size) % 3, "rug", "lamp")),
            "human": pd.array(human, dtype="Int64"),
            "judge": judge,
            "probs": prob_lists,
            "expected_grade": pd.array(
                [np.nan if p is None else float(np.dot(p, LABELS)) for p in prob_lists],
                dtype="Float64",
            ),
        }
    )


def test_documented_recipe_runs_on_the_storage_frame() -> None:
    frame = run_frame()
    judged = frame[frame.judge.notna()]
    human, judge = judged.human.to_numpy(int), judged.judge.to_numpy(int)

    C = metrics.confusion_matrix(human, judge, LABELS)
    assert C.sum() == len(judged)
    assert set(metrics.summarize(C, LABELS)) >= {"accuracy", "kappa_quadratic", "recall_2"}

    query_ids, per_query = metrics.per_query_confusions(human, judge, judged.query_id, LABELS)
    assert query_ids.tolist() == sorted(judged.query_id.unique())
    table = metrics.bootstrap_intervals(per_query, LABELS, n_boot=100)
    assert list(table.columns) == ["estimate", "low", "high"]
    per_query_table = metrics.breakdown(human, judge, judged.query_id, LABELS)
    assert per_query_table.columns[0] == "query_id" and len(per_query_table) == 12
    per_class = metrics.breakdown(
        human, judge, judged.query_class, LABELS, query_ids=judged.query_id
    )
    assert per_class.n_queries.tolist() == [12, 12]

    scored = judged[judged.probs.notna()]
    probs = np.vstack(scored.probs)
    assert 0 <= metrics.expected_calibration_error(probs, scored.human, LABELS) <= 1
    result = metrics.cross_validated_thresholds(
        scored.expected_grade, scored.human, scored.query_id, LABELS, y_pred=scored.judge
    )
    assert len(result.folds) == 5


def test_nullable_columns_work_without_converting() -> None:
    judged = run_frame().dropna(subset=["judge"])
    C = metrics.confusion_matrix(judged.human, judged.judge, LABELS)
    assert (
        C.tolist()
        == metrics.confusion_matrix(
            judged.human.to_numpy(int), judged.judge.to_numpy(int), LABELS
        ).tolist()
    )


def test_unjudged_pairs_are_refused_with_the_fix() -> None:
    frame = run_frame()
    with pytest.raises(metrics.MetricsInputError, match=r"y_pred has 10 missing grades"):
        metrics.confusion_matrix(frame.human, frame.judge, LABELS)
    with pytest.raises(metrics.MetricsInputError, match=r"expected_grade\.notna\(\)"):
        metrics.tune_thresholds(frame.expected_grade, frame.human, LABELS)
