"""Calibration (ECE, Brier, reliability) and thresholds on the expected grade, held out by query."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

import metrics

LABELS = [0, 1, 2]


def random_probs(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return rng.dirichlet(np.full(k, 0.7), size=n)


def test_calibration_worked_example() -> None:
    # Four pairs. Top labels: 0 at 0.7 (right), 1 at 0.6 (wrong), 2 at 0.9 (right), 2 at 0.95
    # (wrong). Bins are closed on the right, so each row has its own bin: (0.6, 0.7] right at
    # 0.7, (0.5, 0.6] wrong at 0.6, (0.8, 0.9] right at 0.9, (0.9, 1.0] wrong at 0.95.
    # ECE = (|1 - 0.7| + |0 - 0.6| + |1 - 0.9| + |0 - 0.95|) / 4 = 1.95 / 4.
    probs = [[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.05, 0.05, 0.9], [0.0, 0.05, 0.95]]
    human = [0, 0, 2, 1]
    assert metrics.expected_calibration_error(probs, human, LABELS) == pytest.approx(1.95 / 4)
    # Brier: (0.09 + 0.04 + 0.01) + (0.49 + 0.36 + 0.01) + (0.0025 + 0.0025 + 0.01)
    #        + (0 + 0.9025 + 0.9025) = 0.14 + 0.86 + 0.015 + 1.805 = 2.82, mean 0.705.
    assert metrics.brier_score(probs, human, LABELS) == pytest.approx(0.705)
    assert metrics.expected_grade(probs, LABELS).tolist() == pytest.approx([0.4, 0.8, 1.85, 1.95])


@pytest.mark.parametrize("seed", range(20))
def test_ece_matches_a_loop_over_bins(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scale = [[0, 1, 2], [0, 1, 2, 3], [1, 2, 3, 4, 5]][seed % 3]
    probs = random_probs(rng, 200, len(scale))
    human = rng.choice(scale, 200)
    confidence, hit = probs.max(1), np.asarray(scale)[probs.argmax(1)] == human
    expected = 0.0
    for b in range(10):
        in_bin = (confidence > b / 10) & (confidence <= (b + 1) / 10)
        if in_bin.any():
            expected += in_bin.mean() * abs(hit[in_bin].mean() - confidence[in_bin].mean())
    assert metrics.expected_calibration_error(probs, human, scale) == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(20))
def test_brier_matches_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scale = [[0, 1, 2], [0, 1, 2, 3], [1, 2, 3, 4, 5]][seed % 3]
    probs = random_probs(rng, 100, len(scale))
    human = rng.choice(scale, 100)
    assert metrics.brier_score(probs, human, scale) == pytest.approx(
        sk.brier_score_loss(human, probs, labels=scale, scale_by_half=False)
    )


def test_reliability_of_a_calibrated_judge_is_on_the_diagonal() -> None:
    rng = np.random.default_rng(0)
    probs = random_probs(rng, 30_000, 3)
    human = np.array([rng.choice(3, p=row) for row in probs[:3000]])  # drawn from the judge
    table = metrics.reliability_table(probs[:3000], human, LABELS)
    assert table.groupby("grade")["count"].sum().tolist() == [3000, 3000, 3000]
    assert ((table.mean_predicted > table.bin_low) | (table.bin == 0)).all()
    assert (table.mean_predicted <= table.bin_high).all()
    big = table[table["count"] >= 200]
    assert np.abs(big.observed_frequency - big.mean_predicted).max() < 0.1


def test_probabilities_must_be_distributions_over_the_scale() -> None:
    with pytest.raises(metrics.MetricsInputError, match=r"row 1 sums to 0.9"):
        metrics.brier_score([[0.5, 0.5, 0.0], [0.3, 0.3, 0.3]], [0, 1], LABELS)
    with pytest.raises(metrics.MetricsInputError, match=r"one column per grade.*np.vstack"):
        metrics.expected_calibration_error([[0.5, 0.5]], [0], LABELS)


def test_apply_thresholds_gives_ties_the_higher_grade() -> None:
    assert metrics.apply_thresholds([0.49, 0.5, 1.5, 2.0], [0.5, 1.5], LABELS).tolist() == [
        0,
        1,
        2,
        2,
    ]
    with pytest.raises(metrics.MetricsInputError, match="2 increasing cut points"):
        metrics.apply_thresholds([1.0], [1.5, 0.5], LABELS)


def biased_judge(seed: int, n_queries: int = 60):
    """A judge whose expected grade runs 0.6 above the human grade, so rounding is off by one."""
    rng = np.random.default_rng(seed)
    query_ids = np.repeat(np.arange(n_queries), rng.integers(5, 20, n_queries))
    human = rng.choice(LABELS, query_ids.size, p=[0.3, 0.4, 0.3])
    expected = np.clip(human + 0.6 + rng.normal(0, 0.15, human.size), 0, 2)
    judge = np.clip(np.round(expected), 0, 2).astype(int)
    return query_ids, human, judge, expected


def kappa(human, judge) -> float:
    return float(metrics.cohen_kappa(metrics.confusion_matrix(human, judge, LABELS)))


def test_tuned_thresholds_fix_a_biased_judge() -> None:
    _, human, _, expected = biased_judge(seed=0)
    rounded = kappa(human, metrics.apply_thresholds(expected, [0.5, 1.5], LABELS))
    cuts = metrics.tune_thresholds(expected, human, LABELS)
    assert cuts.shape == (2,) and cuts[0] < cuts[1]
    assert kappa(human, metrics.apply_thresholds(expected, cuts, LABELS)) > max(0.9, rounded)


@pytest.mark.parametrize("seed", range(10))
def test_tuning_never_loses_to_rounding_and_reaches_the_best_pair_of_candidates(seed: int) -> None:
    rng = np.random.default_rng(seed)
    human = rng.choice(LABELS, 60)
    expected = np.clip(human + rng.normal(0.3, 0.6, 60), 0, 2)
    cuts = metrics.tune_thresholds(expected, human, LABELS, n_candidates=12)
    tuned = kappa(human, metrics.apply_thresholds(expected, cuts, LABELS))
    assert tuned >= kappa(human, metrics.apply_thresholds(expected, [0.5, 1.5], LABELS))
    candidates = np.unique(np.r_[np.quantile(expected, np.linspace(0, 1, 12)), 0.5, 1.5])
    best = max(
        kappa(human, metrics.apply_thresholds(expected, [low, high], LABELS))
        for i, low in enumerate(candidates)
        for high in candidates[i + 1 :]
    )
    assert tuned == pytest.approx(best, abs=0.02)


def test_cross_validation_holds_out_whole_queries() -> None:
    query_ids, human, judge, expected = biased_judge(seed=1)
    result = metrics.cross_validated_thresholds(
        expected, human, query_ids, LABELS, y_pred=judge, n_folds=5, seed=3
    )
    folds_per_query = {q: set(result.fold_of_pair[query_ids == q]) for q in np.unique(query_ids)}
    assert all(len(folds) == 1 for folds in folds_per_query.values())
    assert result.folds.n_queries.tolist() == [12] * 5
    assert result.folds.n_pairs.sum() == human.size
    assert result.kappa_argmax == pytest.approx(kappa(human, judge))
    # The pooled tuned kappa is the kappa of every pair graded by its own fold's thresholds.
    held_out_grades = np.empty_like(human)
    for fold, cuts in zip(result.folds.fold, result.folds.thresholds, strict=True):
        rows = result.fold_of_pair == fold
        held_out_grades[rows] = metrics.apply_thresholds(expected[rows], cuts, LABELS)
    assert result.kappa_tuned == pytest.approx(kappa(human, held_out_grades))
    assert result.kappa_tuned > result.kappa_argmax


def test_a_folds_thresholds_never_see_its_held_out_pairs() -> None:
    query_ids, human, judge, expected = biased_judge(seed=2)
    result = metrics.cross_validated_thresholds(
        expected, human, query_ids, LABELS, y_pred=judge, n_folds=4, seed=5
    )
    for fold, cuts in zip(result.folds.fold, result.folds.thresholds, strict=True):
        training = result.fold_of_pair != fold
        retuned = metrics.tune_thresholds(expected[training], human[training], LABELS)
        assert tuple(retuned.tolist()) == cuts

    # Scramble the human grades of fold 0's held-out pairs: fold 0's thresholds must not move,
    # while folds that train on those pairs do.
    scrambled = human.copy()
    held_out = result.fold_of_pair == 0
    scrambled[held_out] = np.random.default_rng(0).choice(LABELS, held_out.sum())
    again = metrics.cross_validated_thresholds(
        expected, scrambled, query_ids, LABELS, y_pred=judge, n_folds=4, seed=5
    )
    np.testing.assert_array_equal(again.fold_of_pair, result.fold_of_pair)
    assert again.folds.thresholds[0] == result.folds.thresholds[0]
    assert any(again.folds.thresholds[f] != result.folds.thresholds[f] for f in (1, 2, 3))


def test_cross_validation_needs_enough_queries() -> None:
    with pytest.raises(
        metrics.MetricsInputError, match=r"between 2 and the number of queries \(2\)"
    ):
        metrics.cross_validated_thresholds(
            [0.1, 1.9], [0, 2], ["a", "b"], LABELS, y_pred=[0, 2], n_folds=5
        )
