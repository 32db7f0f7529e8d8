"""Metrics per group of pairs (per query, per query class), worst group first."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ._confusion import grouped_confusions
from ._scores import accuracy, cohen_kappa, mean_absolute_error, severe_error_rate
from ._validate import check_same_length, factorize


def breakdown(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    groups: ArrayLike,
    labels: Sequence[int],
    *,
    query_ids: ArrayLike | None = None,
) -> pd.DataFrame:
    """One row of metrics per group, worst first, to find the queries where the judge fails.

    Group by query id for the per-query view, by query class for the per-class view.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n_pairs,)
        Human and judge grades.
    groups : array-like, shape (n_pairs,)
        The group of each pair. A named pandas Series gives its name to the first column
        (``query_id``, ``query_class``); otherwise it is called ``group``.
    labels : sequence of int
        The grade scale.
    query_ids : array-like, shape (n_pairs,), optional
        When given, adds ``n_queries``, the number of distinct queries in each group.

    Returns
    -------
    DataFrame with columns: the group, ``n`` (pairs), [``n_queries``], ``accuracy``,
    ``kappa_quadratic`` (NaN where undefined, as in a query whose pairs all have one grade
    from both raters), ``mae`` and ``severe_error_rate``; sorted by accuracy, then kappa,
    ascending, so the worst groups come first.

    Examples
    --------
    >>> table = breakdown([2, 2, 0, 1], [2, 1, 0, 1], ["q1", "q1", "q2", "q2"], [0, 1, 2])
    >>> table[["group", "n", "accuracy"]].values.tolist()
    [['q1', 2, 0.5], ['q2', 2, 1.0]]
    """
    keys, per_group = grouped_confusions(y_true, y_pred, groups, labels, "groups")
    name = getattr(groups, "name", None) or "group"
    table = pd.DataFrame({name: keys, "n": per_group.sum(axis=(1, 2))})
    if query_ids is not None:
        group_codes, _ = factorize(groups, "groups")
        query_codes, _ = factorize(query_ids, "query_ids")
        check_same_length(group_codes, query_codes)
        # Distinct (group, query) combinations as one integer each: a 1-D unique is fast.
        stride = int(query_codes.max()) + 1 if query_codes.size else 1
        distinct = np.unique(group_codes * stride + query_codes)
        table["n_queries"] = np.bincount(distinct // stride, minlength=keys.size)
    table["accuracy"] = accuracy(per_group)
    table["kappa_quadratic"] = cohen_kappa(per_group, "quadratic")
    table["mae"] = mean_absolute_error(per_group, labels)
    table["severe_error_rate"] = severe_error_rate(per_group)
    return table.sort_values(
        ["accuracy", "kappa_quadratic"], na_position="last", kind="stable", ignore_index=True
    )
