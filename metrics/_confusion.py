"""Confusion matrices, the one structure every other metric is computed from.

Rows are the human (true) grade, columns the judge (predicted) grade, both in the order of
`labels`, as in `sklearn.metrics.confusion_matrix`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import check_labels, check_same_length, encode_pairs, factorize


def confusion_matrix(
    y_true: ArrayLike, y_pred: ArrayLike, labels: Sequence[int]
) -> NDArray[np.int64]:
    """Count pairs by (human grade, judge grade).

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n_pairs,)
        Human and judge grades, each a member of `labels`.
    labels : sequence of int
        The grade scale, increasing, for example ``[0, 1, 2]``.

    Returns
    -------
    ndarray of shape (k, k)
        ``C[i, j]`` is the number of pairs graded ``labels[i]`` by the human and
        ``labels[j]`` by the judge.

    Examples
    --------
    >>> confusion_matrix([0, 1, 2, 2], [0, 2, 2, 1], labels=[0, 1, 2]).tolist()
    [[1, 0, 0], [0, 0, 1], [0, 1, 1]]
    """
    scale = check_labels(labels)
    true, pred = encode_pairs(y_true, y_pred, scale)
    return count_pairs(true, pred, np.zeros_like(true), 1, scale.size)[0]


def per_query_confusions(
    y_true: ArrayLike, y_pred: ArrayLike, query_ids: ArrayLike, labels: Sequence[int]
) -> tuple[NDArray[np.generic], NDArray[np.int64]]:
    """One confusion matrix per query, the input of the query-level bootstrap.

    Returns
    -------
    query_ids : ndarray of shape (n_queries,)
        The distinct query ids, sorted, so two runs over the same queries line up.
    confusions : ndarray of shape (n_queries, k, k)
        ``confusions[q]`` is `confusion_matrix` of the pairs of ``query_ids[q]``; their sum
        over queries is the confusion matrix of all pairs.

    Examples
    --------
    >>> ids, per_query = per_query_confusions([0, 1, 1], [0, 1, 0], ["b", "a", "a"], [0, 1])
    >>> ids.tolist(), per_query.tolist()
    (['a', 'b'], [[[0, 0], [1, 1]], [[1, 0], [0, 0]]])
    """
    return grouped_confusions(y_true, y_pred, query_ids, labels, "query_ids")


def grouped_confusions(
    y_true: ArrayLike, y_pred: ArrayLike, groups: ArrayLike, labels: Sequence[int], name: str
) -> tuple[NDArray[np.generic], NDArray[np.int64]]:
    """Sorted distinct groups and the (n_groups, k, k) stack of their confusion matrices."""
    scale = check_labels(labels)
    true, pred = encode_pairs(y_true, y_pred, scale)
    codes, keys = factorize(groups, name)
    check_same_length(true, codes)
    return keys, count_pairs(true, pred, codes, keys.size, scale.size)


def count_pairs(
    true: NDArray[np.intp], pred: NDArray[np.intp], codes: NDArray[np.intp], n_groups: int, k: int
) -> NDArray[np.int64]:
    """(n_groups, k, k) counts from grade positions and group codes."""
    # One flat index per row and one bincount: no Python loop over pairs or groups.
    flat = (codes * k + true) * k + pred
    return np.bincount(flat, minlength=n_groups * k * k).reshape(n_groups, k, k)
