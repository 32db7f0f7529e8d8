"""Grades from the expected grade by tuned cut points, validated on held-out queries.

A judge's argmax grade ignores how sure it was; the expected grade ``E = sum_g p_g * g``
does not. Cutting E at k-1 thresholds tuned to maximise quadratic kappa often agrees with
humans better than argmax, but only a held-out estimate says whether it really does: the
thresholds are tuned on some queries and scored on others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ._confusion import count_pairs
from ._exceptions import MetricsInputError
from ._scores import cohen_kappa
from ._validate import (
    Labels,
    check_labels,
    check_same_length,
    encode,
    encode_pairs,
    factorize,
)


def _expected(expected: ArrayLike) -> NDArray[np.float64]:
    values = np.asarray(expected, dtype=np.float64)
    if values.ndim != 1 or not np.all(np.isfinite(values)):
        raise MetricsInputError(
            "expected grades must be a one-dimensional array of finite numbers; drop pairs "
            "without probabilities first, for example frame[frame.expected_grade.notna()]"
        )
    return values


def apply_thresholds(
    expected: ArrayLike, thresholds: ArrayLike, labels: Labels
) -> NDArray[np.int64]:
    """Grade ``labels[g]`` where ``thresholds[g-1] <= E < thresholds[g]``.

    Examples
    --------
    >>> apply_thresholds([0.2, 0.5, 1.7], [0.5, 1.5], [0, 1, 2]).tolist()
    [0, 1, 2]
    """
    scale = check_labels(labels)
    cuts = np.asarray(thresholds, dtype=np.float64)
    if cuts.shape != (scale.size - 1,) or np.any(np.diff(cuts) <= 0):
        raise MetricsInputError(
            f"thresholds must be {scale.size - 1} increasing cut points for the scale "
            f"{scale.tolist()}; got {cuts.tolist()}"
        )
    return scale[_grade_positions(_expected(expected), cuts)]


def _grade_positions(values: NDArray[np.float64], cuts: NDArray[np.float64]) -> NDArray[np.intp]:
    # side="right": a pair exactly on a cut point gets the higher grade, as rounding does.
    return np.searchsorted(cuts, values, side="right")


def tune_thresholds(
    expected: ArrayLike,
    y_true: ArrayLike,
    labels: Labels,
    *,
    n_candidates: int = 100,
) -> NDArray[np.float64]:
    """k-1 increasing cut points on the expected grade that maximise quadratic kappa.

    Candidates are `n_candidates` quantiles of E plus the midpoints between grades. The
    search starts at the midpoints (plain rounding of E) and moves one cut point at a time to
    its best candidate between its neighbours, until a full round changes nothing: a
    coordinate ascent, which may stop at a local optimum but never does worse than rounding.

    Every candidate is scored from cumulative counts, without re-grading the pairs: the
    pairs below a cut point, by human grade, are a prefix sum over the sorted candidates.

    Examples
    --------
    >>> expected, human = [0.1, 0.4, 0.6, 0.8, 1.6], [0, 0, 0, 1, 2]
    >>> apply_thresholds(expected, [0.5, 1.5], [0, 1, 2]).tolist()   # rounding
    [0, 0, 1, 1, 2]
    >>> cuts = tune_thresholds(expected, human, [0, 1, 2])   # first cut moves into (0.6, 0.8]
    >>> apply_thresholds(expected, cuts, [0, 1, 2]).tolist()
    [0, 0, 0, 1, 2]
    """
    scale = check_labels(labels)
    values = _expected(expected)
    true = encode(y_true, scale, "y_true")
    check_same_length(values, true)
    if values.size == 0:
        raise MetricsInputError("tuning thresholds needs at least one pair")
    k = scale.size
    midpoints = (scale[:-1] + scale[1:]) / 2.0
    quantiles = np.quantile(values, np.linspace(0.0, 1.0, n_candidates))
    candidates = np.unique(np.concatenate([quantiles, midpoints]))
    m = candidates.size
    # below[p] = pairs with E < candidates[p - 1] by human grade; below[0] = none and
    # below[m + 1] = all, the cut points at -inf and +inf.
    slot = np.searchsorted(candidates, values, side="right")
    per_slot = np.bincount(slot * k + true, minlength=(m + 1) * k).reshape(m + 1, k)
    below = np.vstack([np.zeros((1, k)), np.cumsum(per_slot, axis=0)])

    def kappas(cuts: NDArray[np.intp]) -> NDArray[np.float64]:
        """Kappa for each row of cut positions, shape (n, k + 1) from 0 to m + 1."""
        judged_as = below[cuts[:, 1:]] - below[cuts[:, :-1]]  # (n, judge grade, human grade)
        scores = cohen_kappa(np.swapaxes(judged_as, 1, 2), "quadratic")
        return np.where(np.isnan(scores), -np.inf, scores)

    cuts = np.concatenate([[0], np.searchsorted(candidates, midpoints) + 1, [m + 1]])
    changed = True
    while changed:
        changed = False
        for j in range(1, k):
            trials = np.repeat(cuts[None, :], cuts[j + 1] - cuts[j - 1] - 1, axis=0)
            trials[:, j] = np.arange(cuts[j - 1] + 1, cuts[j + 1])
            scores = kappas(trials)
            best = int(np.argmax(scores))
            # Only a strict gain moves a cut point, so the search always ends.
            if scores[best] > scores[cuts[j] - cuts[j - 1] - 1]:
                cuts = trials[best]
                changed = True
    return candidates[cuts[1:-1] - 1]


def fold_of_query(n_queries: int, n_folds: int, seed: int) -> NDArray[np.intp]:
    """Fold of each query: queries shuffled with `seed`, then dealt round-robin."""
    if not 2 <= n_folds <= n_queries:
        raise MetricsInputError(
            f"n_folds must be between 2 and the number of queries ({n_queries}); got {n_folds}"
        )
    folds = np.empty(n_queries, dtype=np.intp)
    folds[np.random.default_rng(seed).permutation(n_queries)] = np.arange(n_queries) % n_folds
    return folds


@dataclass(frozen=True)
class ThresholdValidation:
    """Held-out comparison of argmax grades with tuned thresholds on the expected grade.

    Attributes
    ----------
    kappa_argmax, kappa_tuned : float
        Quadratic kappa over all pairs, each pair graded by the thresholds of the one fold
        that held its query out (tuned), or by the judge's own grade (argmax).
    folds : DataFrame
        One row per fold: ``fold``, ``n_queries``, ``n_pairs`` (held out), ``thresholds``
        (tuple, tuned on the other folds), ``kappa_argmax``, ``kappa_tuned`` (on the fold).
    fold_of_pair : ndarray of shape (n_pairs,)
        The fold that holds each pair out; pairs of one query share it.
    """

    kappa_argmax: float
    kappa_tuned: float
    folds: pd.DataFrame
    fold_of_pair: NDArray[np.intp]


def cross_validated_thresholds(
    expected: ArrayLike,
    y_true: ArrayLike,
    query_ids: ArrayLike,
    labels: Labels,
    *,
    y_pred: ArrayLike,
    n_folds: int = 5,
    seed: int = 0,
) -> ThresholdValidation:
    """Tune thresholds on k-1 folds of queries, score them on the held-out fold, for each fold.

    Folds are by query, so no query lends pairs to both the tuning and the scoring of a
    fold. `y_pred` is the judge's own (argmax) grade, the baseline the tuned thresholds must
    beat on the same held-out pairs.

    Examples
    --------
    >>> result = cross_validated_thresholds(
    ...     [0.2, 1.1, 1.8, 0.4, 1.4, 1.9], [0, 1, 2, 0, 1, 2], ["a", "a", "a", "b", "b", "b"],
    ...     [0, 1, 2], y_pred=[0, 1, 2, 0, 1, 2], n_folds=2)
    >>> result.kappa_argmax, result.kappa_tuned
    (1.0, 1.0)
    """
    scale = check_labels(labels)
    values = _expected(expected)
    true, argmax = encode_pairs(y_true, y_pred, scale)
    query_codes, queries = factorize(query_ids, "query_ids")
    check_same_length(values, true, query_codes)
    folds_of_queries = fold_of_query(queries.size, n_folds, seed)
    folds = folds_of_queries[query_codes]
    tuned = np.empty_like(true)
    rows = []
    for fold in range(n_folds):
        held_out = folds == fold
        cuts = tune_thresholds(values[~held_out], scale[true[~held_out]], scale)
        tuned[held_out] = _grade_positions(values[held_out], cuts)
        rows.append(
            {
                "fold": fold,
                "n_queries": int(np.sum(folds_of_queries == fold)),
                "n_pairs": int(held_out.sum()),
                "thresholds": tuple(cuts.tolist()),
                "kappa_argmax": _kappa(true[held_out], argmax[held_out], scale.size),
                "kappa_tuned": _kappa(true[held_out], tuned[held_out], scale.size),
            }
        )
    return ThresholdValidation(
        kappa_argmax=_kappa(true, argmax, scale.size),
        kappa_tuned=_kappa(true, tuned, scale.size),
        folds=pd.DataFrame(rows),
        fold_of_pair=folds,
    )


def _kappa(true: NDArray[np.intp], pred: NDArray[np.intp], k: int) -> float:
    return float(cohen_kappa(count_pairs(true, pred, np.zeros_like(true), 1, k)[0]))
