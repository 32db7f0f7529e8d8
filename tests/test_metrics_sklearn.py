"""Every confusion-matrix metric against scikit-learn on many random and edge-case label sets."""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pytest
from sklearn import metrics as sk
from sklearn.exceptions import UndefinedMetricWarning

import metrics

SCALES = ([0, 1, 2], [0, 1, 2, 3], [1, 2, 3, 4, 5])


def random_case(rng: np.random.Generator) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Grades on a random scale; some cases use a subset of grades or are all right / wrong."""
    scale = SCALES[rng.integers(len(SCALES))]
    n = int(rng.integers(1, 60))
    used_true = rng.choice(scale, size=rng.integers(1, len(scale) + 1), replace=False)
    used_pred = rng.choice(scale, size=rng.integers(1, len(scale) + 1), replace=False)
    y_true = rng.choice(used_true, n)
    y_pred = rng.choice(used_pred, n)
    shape = rng.integers(4)
    if shape == 0:  # all correct
        y_pred = y_true.copy()
    elif shape == 1:  # all wrong: the judge gives the next grade round the scale
        y_pred = np.asarray(scale)[(np.searchsorted(scale, y_true) + 1) % len(scale)]
    return scale, y_true, y_pred


# Rounding differs between the two formulas: kappa 0 can come out as 2e-16 in scikit-learn.
assert_close = partial(np.testing.assert_allclose, rtol=1e-10, atol=1e-12)

CASES = [random_case(np.random.default_rng(seed)) for seed in range(200)]
EDGE_CASES = [
    ([0, 1, 2], np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])),  # grade 2 absent
    ([0, 1, 2], np.array([2, 2, 2]), np.array([2, 2, 2])),  # one grade, all correct
    ([0, 1, 2], np.array([2, 2, 2]), np.array([0, 0, 0])),  # one grade each, all wrong
    ([0, 1, 2, 3], np.array([0, 1, 2, 3]), np.array([3, 2, 1, 0])),  # all wrong, reversed
    ([1, 2, 3, 4, 5], np.array([3]), np.array([4])),  # a single pair
    ([1, 2, 3, 4, 5], np.array([1, 5, 5, 1]), np.array([5, 1, 5, 1])),  # extremes only
]
ALL_CASES = CASES + EDGE_CASES


def sklearn_kappa(y_true: np.ndarray, y_pred: np.ndarray, scale: list[int], weights) -> float:
    with warnings.catch_warnings():
        # scikit-learn warns and returns NaN when kappa is undefined; we return NaN silently.
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        return sk.cohen_kappa_score(y_true, y_pred, labels=scale, weights=weights)


@pytest.mark.parametrize(("scale", "y_true", "y_pred"), ALL_CASES)
def test_matches_sklearn(scale: list[int], y_true: np.ndarray, y_pred: np.ndarray) -> None:
    C = metrics.confusion_matrix(y_true, y_pred, scale)
    np.testing.assert_array_equal(C, sk.confusion_matrix(y_true, y_pred, labels=scale))

    assert metrics.accuracy(C) == pytest.approx(sk.accuracy_score(y_true, y_pred))
    assert metrics.mean_absolute_error(C, scale) == pytest.approx(
        sk.mean_absolute_error(y_true, y_pred)
    )
    for weights in ("quadratic", "linear", None):
        assert_close(metrics.cohen_kappa(C, weights), sklearn_kappa(y_true, y_pred, scale, weights))
    # sklearn's macro average over labels= counts a grade nobody used as zero_division.
    for zero_division in (0.0, 1.0, np.nan):
        assert_close(
            metrics.macro_f1(C, zero_division=zero_division),
            sk.f1_score(y_true, y_pred, labels=scale, average="macro", zero_division=zero_division),
        )
        ours = metrics.precision_recall_f1(C, zero_division=zero_division)
        theirs = sk.precision_recall_fscore_support(
            y_true, y_pred, labels=scale, average=None, zero_division=zero_division
        )[:3]
        for mine, reference in zip(ours, theirs, strict=True):
            assert_close(mine, reference)


@pytest.mark.parametrize(("scale", "y_true", "y_pred"), ALL_CASES)
def test_severe_errors_and_row_shares_from_their_definitions(
    scale: list[int], y_true: np.ndarray, y_pred: np.ndarray
) -> None:
    C = metrics.confusion_matrix(y_true, y_pred, scale)
    low, high = scale[0], scale[-1]
    severe = ((y_true == low) & (y_pred == high)) | ((y_true == high) & (y_pred == low))
    assert metrics.severe_error_rate(C) == pytest.approx(severe.mean())

    shares = metrics.row_shares(C)
    graded = np.isin(scale, y_true)
    assert_close(
        shares[graded], sk.confusion_matrix(y_true, y_pred, labels=scale, normalize="true")[graded]
    )
    assert np.isnan(shares[~graded]).all()


def test_stacked_matrices_score_like_one_at_a_time() -> None:
    matrices = np.stack(
        [metrics.confusion_matrix(t, p, [0, 1, 2]) for s, t, p in ALL_CASES if s == [0, 1, 2]]
    )
    stacked = metrics._scores.metric_arrays(matrices, [0, 1, 2])
    for index, C in enumerate(matrices):
        for name, value in metrics.summarize(C, [0, 1, 2]).items():
            assert_close(stacked[name][index], value, err_msg=name)


def test_summarize_names_are_stable() -> None:
    scores = metrics.summarize(
        metrics.confusion_matrix([1, 5], [1, 4], [1, 2, 3, 4, 5]), [1, 2, 3, 4, 5]
    )
    assert list(scores)[:5] == [
        "accuracy",
        "macro_f1",
        "kappa_quadratic",
        "mae",
        "severe_error_rate",
    ]
    assert {f"recall_{g}" for g in range(1, 6)} <= set(scores)
    assert {f"precision_{g}" for g in range(1, 6)} <= set(scores)
    assert all(type(value) is float for value in scores.values())


def test_kappa_is_nan_when_both_raters_use_one_grade() -> None:
    # Chance agreement is already perfect, so agreement beyond chance is 0/0: NaN, no warning.
    assert np.isnan(metrics.cohen_kappa([[0, 0, 0], [0, 0, 0], [0, 0, 7]]))
    assert np.isnan(metrics.cohen_kappa(np.zeros((3, 3))))
    # One grade each but different grades is defined: no agreement at all, kappa 0.
    assert metrics.cohen_kappa([[0, 0, 5], [0, 0, 0], [0, 0, 0]]) == 0.0


def test_empty_matrix_gives_nan_without_warnings() -> None:
    scores = metrics.summarize(np.zeros((3, 3)), [0, 1, 2])
    for name in ("accuracy", "kappa_quadratic", "mae", "severe_error_rate"):
        assert np.isnan(scores[name])
    assert scores["macro_f1"] == 0.0  # every grade absent: F1 = zero_division for each
