"""Metrics of a confusion matrix, vectorised over any leading axes.

Every function takes ``C`` of shape (..., k, k), rows human and columns judge, so the same
code scores one matrix, one matrix per query, or B bootstrap draws at once. A single matrix
gives a numpy float; a stack gives an array of the leading shape. Undefined values (an empty
matrix, kappa when chance agreement is perfect) are NaN, decided here and never left to a
division warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._exceptions import MetricsInputError
from ._validate import Labels, as_confusion, check_labels

Score: TypeAlias = np.float64 | NDArray[np.float64]
Weights: TypeAlias = Literal["quadratic", "linear"] | None


def _divide(numerator: ArrayLike, denominator: ArrayLike, undefined: float) -> Score:
    """numerator / denominator, with `undefined` wherever the denominator is 0."""
    num, den = np.broadcast_arrays(np.asarray(numerator, float), np.asarray(denominator, float))
    out = np.full(num.shape, undefined, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out[()]


def _mean_over_grades(values: Score) -> Score:
    """Mean over the last axis skipping NaN (sklearn's rule for zero_division=np.nan)."""
    values = np.asarray(values)
    defined = ~np.isnan(values)
    return _divide(np.where(defined, values, 0.0).sum(-1), defined.sum(-1), np.nan)


def _total(C: NDArray[np.float64]) -> NDArray[np.float64]:
    return C.sum(axis=(-2, -1))


def _diagonal(C: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.diagonal(C, axis1=-2, axis2=-1)


def accuracy(confusion: ArrayLike) -> Score:
    """Share of pairs where the judge gave the human's grade: ``trace(C) / sum(C)``.

    NaN for an empty matrix.

    Examples
    --------
    >>> float(accuracy([[3, 1], [0, 4]]))
    0.875
    """
    C = as_confusion(confusion)
    return _divide(_diagonal(C).sum(-1), _total(C), np.nan)


def precision_recall_f1(
    confusion: ArrayLike, *, zero_division: float = 0.0
) -> tuple[Score, Score, Score]:
    """Per-grade precision, recall and F1, each of shape (..., k).

    ``precision_g = C[g, g] / sum_i C[i, g]`` (of the pairs the judge called g, the share the
    human called g), ``recall_g = C[g, g] / sum_j C[g, j]``, and
    ``F1_g = 2 C[g, g] / (sum_j C[g, j] + sum_i C[i, g])``, the harmonic mean of the two.

    A grade with a zero denominator gets `zero_division`, as in scikit-learn's
    `precision_recall_fscore_support(labels=..., zero_division=...)`: F1 is 0, not
    `zero_division`, when only one of precision and recall is undefined, because its
    denominator is then positive. The default 0.0 is scikit-learn's value, without its warning.

    Examples
    --------
    >>> p, r, f = precision_recall_f1([[3, 1], [0, 4]])
    >>> p.tolist(), r.tolist(), f.round(3).tolist()
    ([1.0, 0.8], [0.75, 1.0], [0.857, 0.889])
    """
    C = as_confusion(confusion)
    hits = _diagonal(C)
    judged, graded = C.sum(-2), C.sum(-1)
    return (
        _divide(hits, judged, zero_division),
        _divide(hits, graded, zero_division),
        _divide(2 * hits, graded + judged, zero_division),
    )


def macro_f1(confusion: ArrayLike, *, zero_division: float = 0.0) -> Score:
    """Unweighted mean of the per-grade F1 over every grade of the scale.

    Matches ``sklearn.metrics.f1_score(average="macro", labels=scale, zero_division=...)``:
    a grade neither rater used still counts, with F1 = `zero_division` (0.0 by default, which
    lowers the mean); with ``zero_division=np.nan`` such grades are left out of the mean.

    Examples
    --------
    >>> round(float(macro_f1([[3, 1], [0, 4]])), 4)   # (6/7 + 8/9) / 2
    0.873
    """
    return _mean_over_grades(precision_recall_f1(confusion, zero_division=zero_division)[2])


def _disagreement_weights(k: int, weights: Weights) -> NDArray[np.float64]:
    distance = np.abs(np.subtract.outer(np.arange(k), np.arange(k))).astype(np.float64)
    if weights == "quadratic":
        return distance**2
    if weights == "linear":
        return distance
    if weights is None:
        return (distance > 0).astype(np.float64)
    raise MetricsInputError(f'weights must be "quadratic", "linear" or None; got {weights!r}')


def cohen_kappa(confusion: ArrayLike, weights: Weights = "quadratic") -> Score:
    """Cohen's (weighted) kappa: agreement between judge and human beyond chance.

    ``kappa = 1 - sum(W * C) / sum(W * E)`` with ``E[i, j] = rows_i * cols_j / n`` the counts
    expected if the two raters graded independently with their own grade frequencies, and the
    disagreement weights ``W[i, j] = (i - j)**2`` (quadratic), ``|i - j|`` (linear) or
    ``i != j`` (None), i, j being positions on the scale, as in
    ``sklearn.metrics.cohen_kappa_score``. 1 is perfect agreement, 0 chance level.

    Undefined when ``sum(W * E) = 0``, that is when both raters gave every pair the same one
    grade (or there are no pairs): agreement beyond chance is 0/0 when chance already agrees
    perfectly. NaN is returned then, as scikit-learn's default ``replace_undefined_by=np.nan``
    does, so a per-query table shows "undefined" rather than a flattering 1.0.

    References: J. Cohen (1968), Weighted kappa, Psychological Bulletin 70(4).

    Examples
    --------
    >>> round(float(cohen_kappa([[2, 1, 0], [0, 2, 0], [0, 1, 2]])), 4)   # 1 - 2 * 8 / 80
    0.8
    """
    C = as_confusion(confusion)
    W = _disagreement_weights(C.shape[-1], weights)
    n = _total(C)
    observed = np.einsum("...ij,ij->...", C, W)
    # sum(W * E) * n, kept unnormalised so an empty matrix falls into the undefined case.
    chance = np.einsum("...i,ij,...j->...", C.sum(-1), W, C.sum(-2))
    return 1.0 - _divide(observed * n, chance, np.nan)


def mean_absolute_error(confusion: ArrayLike, labels: Labels) -> Score:
    """Mean ``|human grade - judge grade|`` in grade units of `labels`.

    ``sum_ij C[i, j] * |labels[i] - labels[j]| / n``; equal to
    ``sklearn.metrics.mean_absolute_error(y_true, y_pred)`` on the grades. NaN if empty.

    Examples
    --------
    >>> float(mean_absolute_error([[1, 0, 1], [0, 2, 0], [0, 0, 0]], [0, 1, 2]))
    0.5
    """
    scale = check_labels(labels)
    C = as_confusion(confusion, scale)
    distance = np.abs(np.subtract.outer(scale, scale)).astype(np.float64)
    return _divide(np.einsum("...ij,ij->...", C, distance), _total(C), np.nan)


def severe_error_rate(confusion: ArrayLike) -> Score:
    """Share of all pairs where the judge gave the opposite extreme of the scale.

    ``(C[0, k-1] + C[k-1, 0]) / n``: on 0-2, Exact judged Irrelevant or Irrelevant judged
    Exact; the errors that hurt a ranking most. NaN if empty.

    Examples
    --------
    >>> float(severe_error_rate([[1, 0, 1], [0, 2, 0], [0, 0, 0]]))
    0.25
    """
    C = as_confusion(confusion)
    return _divide(C[..., 0, -1] + C[..., -1, 0], _total(C), np.nan)


def row_shares(confusion: ArrayLike) -> Score:
    """Each row divided by its total: the share of each human grade given each judge grade.

    ``S[i, j] = C[i, j] / sum_j C[i, j]``, as in "57% of Exact judged Partial". The diagonal
    is the per-grade recall. A grade the human never gave has a NaN row.

    Examples
    --------
    >>> row_shares([[3, 1], [0, 0]]).tolist()
    [[0.75, 0.25], [nan, nan]]
    """
    C = as_confusion(confusion)
    return _divide(C, C.sum(-1, keepdims=True), np.nan)


def metric_arrays(
    confusion: ArrayLike, labels: Labels, *, zero_division: float = 0.0
) -> dict[str, Score]:
    """The headline metrics of `summarize`, each over the leading axes of `confusion`."""
    scale = check_labels(labels)
    C = as_confusion(confusion, scale)
    precision, recall, f1 = precision_recall_f1(C, zero_division=zero_division)
    scores: dict[str, Score] = {
        "accuracy": accuracy(C),
        "macro_f1": _mean_over_grades(f1),
        "kappa_quadratic": cohen_kappa(C, "quadratic"),
        "mae": mean_absolute_error(C, scale),
        "severe_error_rate": severe_error_rate(C),
    }
    for name, per_grade in (("precision", precision), ("recall", recall), ("f1", f1)):
        for position, grade in enumerate(scale.tolist()):
            scores[f"{name}_{grade}"] = np.asarray(per_grade)[..., position]
    return scores


def summarize(
    confusion: ArrayLike, labels: Sequence[int], *, zero_division: float = 0.0
) -> dict[str, float]:
    """The headline metrics of one confusion matrix, by stable name, for a table or JSON.

    Names: ``accuracy``, ``macro_f1``, ``kappa_quadratic``, ``mae``, ``severe_error_rate``,
    then ``precision_<grade>``, ``recall_<grade>`` and ``f1_<grade>`` for each grade of
    `labels` (``recall_2`` is the recall of grade 2, Exact on the WANDS scale).

    Examples
    --------
    >>> scores = summarize([[3, 1], [0, 4]], [0, 1])
    >>> scores["accuracy"], scores["recall_0"]
    (0.875, 0.75)
    """
    C = np.asarray(confusion)
    if C.ndim != 2:
        raise MetricsInputError(f"summarize takes one k x k matrix; got shape {C.shape}")
    return {
        name: float(value)
        for name, value in metric_arrays(C, labels, zero_division=zero_division).items()
    }
