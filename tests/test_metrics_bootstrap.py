"""Query-level bootstrap: reproducible, equal to a naive loop, intervals around the estimate."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

import metrics
from metrics._bootstrap import bootstrap_weights, resampled_metrics

LABELS = [0, 1, 2]


def synthetic_run(seed: int, n_queries: int = 30, noise: float = 0.3):
    """Human grades and a judge that copies them except for a `noise` share of random grades."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 15, n_queries)
    query_ids = np.repeat([f"q{q:02d}" for q in range(n_queries)], sizes)
    human = rng.choice(LABELS, query_ids.size, p=[0.2, 0.5, 0.3])
    judge = np.where(rng.random(human.size) < noise, rng.choice(LABELS, human.size), human)
    return query_ids, human, judge


def test_vectorised_draws_equal_a_naive_loop_over_rows() -> None:
    query_ids, human, judge = synthetic_run(seed=1, n_queries=6)
    queries, per_query = metrics.per_query_confusions(human, judge, query_ids, LABELS)
    weights = bootstrap_weights(queries.size, n_boot=25, seed=7)
    draws = resampled_metrics(per_query.astype(float), LABELS, weights)
    for b, counts in enumerate(weights):
        # The draw as rows: each query's pairs repeated as often as the query was drawn.
        rows = np.concatenate(
            [
                np.tile(np.flatnonzero(query_ids == q), c)
                for q, c in zip(queries, counts, strict=True)
            ]
        )
        y_true, y_pred = human[rows], judge[rows]
        recall = sk.recall_score(y_true, y_pred, labels=LABELS, average=None, zero_division=0)
        assert draws["accuracy"][b] == pytest.approx(sk.accuracy_score(y_true, y_pred))
        assert draws["kappa_quadratic"][b] == pytest.approx(
            sk.cohen_kappa_score(y_true, y_pred, labels=LABELS, weights="quadratic")
        )
        assert draws["macro_f1"][b] == pytest.approx(
            sk.f1_score(y_true, y_pred, labels=LABELS, average="macro", zero_division=0)
        )
        assert draws["mae"][b] == pytest.approx(sk.mean_absolute_error(y_true, y_pred))
        assert [draws[f"recall_{g}"][b] for g in LABELS] == pytest.approx(recall)


def test_weights_resample_every_query_count() -> None:
    weights = bootstrap_weights(n_queries=40, n_boot=500, seed=3)
    assert weights.shape == (500, 40)
    assert (weights.sum(axis=1) == 40).all()
    # Each query is drawn about once per draw on average.
    assert weights.mean() == pytest.approx(1.0)


def test_seed_makes_intervals_reproducible() -> None:
    query_ids, human, judge = synthetic_run(seed=2)
    _, per_query = metrics.per_query_confusions(human, judge, query_ids, LABELS)
    first = metrics.bootstrap_intervals(per_query, LABELS, n_boot=300, seed=11)
    again = metrics.bootstrap_intervals(per_query, LABELS, n_boot=300, seed=11)
    other = metrics.bootstrap_intervals(per_query, LABELS, n_boot=300, seed=12)
    assert first.equals(again)
    assert not first.equals(other)
    assert (first.estimate == other.estimate).all()


@pytest.mark.parametrize("seed", range(5))
def test_intervals_cover_the_estimate_on_all_queries(seed: int) -> None:
    query_ids, human, judge = synthetic_run(seed=seed)
    _, per_query = metrics.per_query_confusions(human, judge, query_ids, LABELS)
    table = metrics.bootstrap_intervals(per_query, LABELS, n_boot=400, seed=seed)
    C = metrics.confusion_matrix(human, judge, LABELS)
    assert table.estimate.to_dict() == pytest.approx(metrics.summarize(C, LABELS))
    assert (table.low <= table.estimate).all() and (table.estimate <= table.high).all()
    assert (table.low < table.high).all()


def test_wider_level_gives_wider_intervals() -> None:
    query_ids, human, judge = synthetic_run(seed=4)
    _, per_query = metrics.per_query_confusions(human, judge, query_ids, LABELS)
    narrow = metrics.bootstrap_intervals(per_query, LABELS, n_boot=300, level=0.5)
    wide = metrics.bootstrap_intervals(per_query, LABELS, n_boot=300, level=0.99)
    assert (wide.low <= narrow.low).all() and (wide.high >= narrow.high).all()


def test_single_query_and_undefined_kappa() -> None:
    # One query: every draw is that query, so the interval collapses onto the estimate.
    _, per_query = metrics.per_query_confusions([2, 1, 0], [2, 0, 0], ["q"] * 3, LABELS)
    table = metrics.bootstrap_intervals(per_query, LABELS, n_boot=50)
    assert (table.low == table.estimate).all() and (table.high == table.estimate).all()
    # Both raters always say Exact: kappa is undefined in every draw, bounds stay NaN.
    _, per_query = metrics.per_query_confusions([2, 2, 2], [2, 2, 2], ["a", "b", "c"], LABELS)
    table = metrics.bootstrap_intervals(per_query, LABELS, n_boot=50)
    assert table.loc["kappa_quadratic"].isna().all()
    assert table.loc["accuracy"].tolist() == [1.0, 1.0, 1.0]


def test_paired_difference_uses_the_same_draws() -> None:
    query_ids, human, judge_a = synthetic_run(seed=5, noise=0.6)
    rng = np.random.default_rng(0)
    judge_b = np.where(rng.random(human.size) < 0.5, human, judge_a)  # b fixes half of a's errors
    _, per_query_a = metrics.per_query_confusions(human, judge_a, query_ids, LABELS)
    _, per_query_b = metrics.per_query_confusions(human, judge_b, query_ids, LABELS)
    table = metrics.paired_bootstrap(per_query_a, per_query_b, LABELS, n_boot=400, seed=9)

    weights = bootstrap_weights(per_query_a.shape[0], 400, seed=9)
    draws_a = resampled_metrics(per_query_a.astype(float), LABELS, weights)
    draws_b = resampled_metrics(per_query_b.astype(float), LABELS, weights)
    difference = draws_b["accuracy"] - draws_a["accuracy"]
    assert table.loc["accuracy", ["low", "high"]].tolist() == pytest.approx(
        np.quantile(difference, [0.025, 0.975]).tolist()
    )
    assert table.loc["accuracy", "difference"] == pytest.approx(
        table.loc["accuracy", "b"] - table.loc["accuracy", "a"]
    )
    assert table.loc["accuracy", "excludes_zero"]
    assert table.loc["kappa_quadratic", "excludes_zero"]
    assert table.loc["mae", "high"] < 0  # b's errors are smaller


def test_paired_run_against_itself_has_a_zero_interval() -> None:
    query_ids, human, judge = synthetic_run(seed=6)
    _, per_query = metrics.per_query_confusions(human, judge, query_ids, LABELS)
    table = metrics.paired_bootstrap(per_query, per_query, LABELS, n_boot=100)
    assert (table.difference == 0).all() and (table.low == 0).all() and (table.high == 0).all()
    assert not table.excludes_zero.any()


def test_paired_runs_must_cover_the_same_queries() -> None:
    per_query = np.ones((3, 3, 3))
    with pytest.raises(metrics.MetricsInputError, match="same queries"):
        metrics.paired_bootstrap(per_query, per_query[:2], LABELS)
