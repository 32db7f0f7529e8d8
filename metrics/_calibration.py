"""Are the judge's grade probabilities honest? Calibration error, Brier score, reliability.

Probabilities come as an (n_pairs, k) array, column g the probability of ``labels[g]``,
rows summing to 1, as the logprob scorer reads them from the next-token distribution.
Bins are equal-width on [0, 1] and closed on the right, ``(b/M, (b+1)/M]``, with 0 in the
first bin.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ._exceptions import MetricsInputError
from ._validate import check_labels, check_same_length, encode

_ROW_SUM_TOLERANCE = 1e-4  # float32 softmax over a few tokens sums to 1 within ~1e-6


def _check_probs(probs: ArrayLike, scale: NDArray[np.int64]) -> NDArray[np.float64]:
    matrix = np.asarray(probs, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != scale.size:
        raise MetricsInputError(
            f"probs must have one column per grade of {scale.tolist()}, shape "
            f"(n_pairs, {scale.size}); got shape {matrix.shape}. Stack a probs column with "
            "np.vstack(frame.probs) after dropping rows without probabilities"
        )
    off = np.abs(matrix.sum(axis=1) - 1.0) > _ROW_SUM_TOLERANCE
    if np.any(matrix < 0) or off.any() or not np.all(np.isfinite(matrix)):
        row = int(np.argmax(off)) if off.any() else None
        raise MetricsInputError(
            "probs rows must be non-negative and sum to 1"
            + (f"; row {row} sums to {matrix[row].sum():.6g}" if row is not None else "")
        )
    return matrix


def _prepare(
    probs: ArrayLike, y_true: ArrayLike, labels: Sequence[int]
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    scale = check_labels(labels)
    matrix = _check_probs(probs, scale)
    true = encode(y_true, scale, "y_true")
    check_same_length(matrix, true)
    if true.size == 0:
        raise MetricsInputError("calibration needs at least one pair with probabilities")
    return matrix, true


def _bin_of(p: NDArray[np.float64], n_bins: int) -> NDArray[np.intp]:
    if n_bins < 1:
        raise MetricsInputError(f"n_bins must be at least 1; got {n_bins}")
    # The epsilon keeps 0.7 * 10 = 7.000000000000001 in the bin (0.6, 0.7] it was meant for.
    return np.clip(np.ceil(p * n_bins - 1e-9).astype(np.intp) - 1, 0, n_bins - 1)


def expected_grade(probs: ArrayLike, labels: Sequence[int]) -> NDArray[np.float64]:
    """The mean grade under the judge's distribution, ``E = sum_g p_g * labels[g]``.

    Examples
    --------
    >>> expected_grade([[0.1, 0.3, 0.6]], [0, 1, 2]).tolist()
    [1.5]
    """
    scale = check_labels(labels)
    return _check_probs(probs, scale) @ scale.astype(np.float64)


def expected_calibration_error(
    probs: ArrayLike, y_true: ArrayLike, labels: Sequence[int], *, n_bins: int = 10
) -> float:
    """Top-label expected calibration error (ECE).

    The judge's grade is the argmax (ties go to the lower grade) and its confidence the top
    probability. Rows are put into `n_bins` equal-width confidence bins and
    ``ECE = sum_b (n_b / n) * |accuracy_b - mean confidence_b|``: 0 when, in every bin, the
    judge is right as often as it claims.

    References: C. Guo, G. Pleiss, Y. Sun, K. Weinberger (2017), On Calibration of Modern
    Neural Networks, ICML; 10 equal-width bins as there.

    Examples
    --------
    >>> # bin (0.8, 0.9]: right at 0.9; bin (0.7, 0.8]: wrong at 0.8
    >>> round(expected_calibration_error([[0.9, 0.1], [0.2, 0.8]], [0, 0], [0, 1]), 6)
    0.45
    """
    matrix, true = _prepare(probs, y_true, labels)
    confidence = matrix.max(axis=1)
    correct = (matrix.argmax(axis=1) == true).astype(np.float64)
    bins = _bin_of(confidence, n_bins)
    gap = np.bincount(bins, correct, n_bins) - np.bincount(bins, confidence, n_bins)
    return float(np.abs(gap).sum() / true.size)


def brier_score(probs: ArrayLike, y_true: ArrayLike, labels: Sequence[int]) -> float:
    """Multi-class Brier score: mean over pairs of ``sum_g (p_g - [y = g])**2``.

    0 is a certain and right judge; 2 a certain and wrong one. Brier's original definition,
    equal to ``sklearn.metrics.brier_score_loss(..., labels=labels, scale_by_half=False)``.

    References: G. W. Brier (1950), Verification of forecasts expressed in terms of
    probability, Monthly Weather Review 78(1).

    Examples
    --------
    >>> brier_score([[0.5, 0.5], [1.0, 0.0]], [0, 0], [0, 1])   # (0.25 + 0.25 + 0) / 2
    0.25
    """
    matrix, true = _prepare(probs, y_true, labels)
    outcome = np.eye(matrix.shape[1])[true]
    return float(((matrix - outcome) ** 2).sum(axis=1).mean())


def reliability_table(
    probs: ArrayLike, y_true: ArrayLike, labels: Sequence[int], *, n_bins: int = 10
) -> pd.DataFrame:
    """Per grade and probability bin: how often the grade is right when predicted that likely.

    For grade g, pairs are binned by ``p_g``; a calibrated judge has ``observed_frequency``
    (share of the bin's pairs the human graded g) close to ``mean_predicted``.

    Returns
    -------
    DataFrame with columns ``grade``, ``bin``, ``bin_low``, ``bin_high``, ``count``,
    ``mean_predicted``, ``observed_frequency``; one row per non-empty bin, for a reliability
    diagram.

    Examples
    --------
    >>> table = reliability_table([[0.9, 0.1], [0.7, 0.3]], [0, 1], [0, 1], n_bins=2)
    >>> table[["grade", "bin", "count"]].values.tolist()   # p_0 in (0.5, 1], p_1 in [0, 0.5]
    [[0, 1, 2], [1, 0, 2]]
    """
    matrix, true = _prepare(probs, y_true, labels)
    k = matrix.shape[1]
    # One bincount over (grade, bin) cells for all grades at once.
    cell = (np.arange(k) * n_bins + _bin_of(matrix, n_bins)).ravel()
    outcome = np.eye(k)[true].ravel()
    count = np.bincount(cell, minlength=k * n_bins)
    filled = count > 0
    cells = np.flatnonzero(filled)
    bins = cells % n_bins
    return pd.DataFrame(
        {
            "grade": np.asarray(labels)[cells // n_bins],
            "bin": bins,
            "bin_low": bins / n_bins,
            "bin_high": (bins + 1) / n_bins,
            "count": count[filled],
            "mean_predicted": np.bincount(cell, matrix.ravel(), k * n_bins)[filled] / count[filled],
            "observed_frequency": np.bincount(cell, outcome, k * n_bins)[filled] / count[filled],
        }
    )
