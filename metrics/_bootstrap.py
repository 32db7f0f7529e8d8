"""Confidence intervals by resampling queries, and the paired comparison of two runs.

Pairs of one query are not independent (one query's products are judged alike), so the
resampling unit is the query, not the pair. The fast path never touches pairs: B draws are a
(B, Q) matrix of how often each query was drawn, its product with the (Q, k, k) per-query
confusion matrices gives B confusion matrices, and every metric is vectorised over B.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ._exceptions import MetricsInputError
from ._scores import metric_arrays
from ._validate import as_confusion, check_labels


def bootstrap_weights(n_queries: int, n_boot: int, seed: int) -> NDArray[np.int64]:
    """(n_boot, n_queries) counts: row b says how often draw b picked each query.

    Each row is multinomial(n_queries, uniform), which is what drawing n_queries queries
    with replacement counts up to.
    """
    if n_queries < 1 or n_boot < 1:
        raise MetricsInputError(
            f"the bootstrap needs at least one query and one draw; got {n_queries} queries "
            f"and n_boot={n_boot}"
        )
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_queries, np.full(n_queries, 1.0 / n_queries), size=n_boot)


def resampled_metrics(
    per_query: NDArray[np.float64],
    labels: Sequence[int],
    weights: NDArray[np.int64],
    *,
    zero_division: float = 0.0,
) -> dict[str, NDArray[np.float64]]:
    """Every headline metric for each draw of `weights`, shape (n_boot,) per metric."""
    n_queries, k, _ = per_query.shape
    # A (B, Q) x (Q, k*k) matrix product: BLAS does the work of B x Q x k² additions.
    draws = (weights.astype(np.float64) @ per_query.reshape(n_queries, k * k)).reshape(-1, k, k)
    scores = metric_arrays(draws, labels, zero_division=zero_division)
    return {name: np.asarray(value) for name, value in scores.items()}


def _per_query(per_query_confusions: ArrayLike, labels: Sequence[int]) -> NDArray[np.float64]:
    scale = check_labels(labels)
    per_query = as_confusion(per_query_confusions, scale)
    if per_query.ndim != 3:
        raise MetricsInputError(
            "pass one confusion matrix per query, shape (n_queries, k, k), as "
            f"per_query_confusions returns; got shape {per_query.shape}"
        )
    return per_query


def _interval(
    draws: dict[str, NDArray[np.float64]], level: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Percentile interval per metric, over the draws where the metric is defined."""
    if not 0.0 < level < 1.0:
        raise MetricsInputError(f"level is a coverage in (0, 1), such as 0.95; got {level}")
    table = np.column_stack(list(draws.values()))
    tail = (1.0 - level) / 2.0
    bounds = np.full((2, table.shape[1]), np.nan)
    # A metric undefined in every draw (kappa of a one-grade run) keeps NaN bounds; nanquantile
    # would warn on it.
    defined = ~np.isnan(table).all(axis=0)
    bounds[:, defined] = np.nanquantile(table[:, defined], [tail, 1.0 - tail], axis=0)
    return bounds[0], bounds[1]


def bootstrap_intervals(
    per_query_confusions: ArrayLike,
    labels: Sequence[int],
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    *,
    zero_division: float = 0.0,
) -> pd.DataFrame:
    """Point estimate and query-level bootstrap interval of every headline metric.

    Parameters
    ----------
    per_query_confusions : array of shape (n_queries, k, k)
        From `per_query_confusions`.
    labels : sequence of int
        The grade scale.
    n_boot, seed : int
        Number of draws and the seed that makes them reproducible.
    level : float
        Coverage of the percentile interval (0.95: the 2.5% and 97.5% quantiles of the draws).
    zero_division : float
        Passed to the per-grade scores, as in `summarize`.

    Returns
    -------
    DataFrame indexed by metric name (the names of `summarize`), columns ``estimate`` (on
    all queries), ``low`` and ``high``. Draws where a metric is undefined (kappa of a draw
    whose raters used one grade) are left out of its quantiles.

    References: B. Efron and R. Tibshirani (1993), An Introduction to the Bootstrap, ch. 13.

    Examples
    --------
    >>> per_query = [[[2, 0], [1, 3]], [[1, 1], [0, 2]], [[3, 0], [0, 1]]]
    >>> table = bootstrap_intervals(per_query, [0, 1], n_boot=200)
    >>> float(table.loc["accuracy", "estimate"])
    0.8571428571428571
    """
    per_query = _per_query(per_query_confusions, labels)
    weights = bootstrap_weights(per_query.shape[0], n_boot, seed)
    estimate = metric_arrays(per_query.sum(0), labels, zero_division=zero_division)
    draws = resampled_metrics(per_query, labels, weights, zero_division=zero_division)
    low, high = _interval(draws, level)
    return pd.DataFrame(
        {"estimate": np.array(list(estimate.values())), "low": low, "high": high},
        index=pd.Index(list(estimate), name="metric"),
    )


def paired_bootstrap(
    per_query_confusions_a: ArrayLike,
    per_query_confusions_b: ArrayLike,
    labels: Sequence[int],
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    *,
    zero_division: float = 0.0,
) -> pd.DataFrame:
    """Difference b - a of every metric between two runs, with a paired bootstrap interval.

    Both runs are scored on the same resampled queries in each draw, so query difficulty,
    which moves both runs together, cancels out of the difference; the interval is much
    narrower than two separate intervals suggest.

    The two stacks must describe the same queries in the same order: build both with
    `per_query_confusions` from the same ``query_ids``, restricted to the pairs both runs
    judged.

    Returns
    -------
    DataFrame indexed by metric name, columns ``a`` and ``b`` (estimates on all queries),
    ``difference`` (b - a), ``low`` and ``high`` (its interval) and ``excludes_zero`` (True
    when the interval lies entirely above or below 0).

    Examples
    --------
    >>> a = [[[2, 0], [1, 3]], [[1, 1], [0, 2]], [[3, 0], [0, 1]]]
    >>> b = [[[2, 0], [0, 4]], [[2, 0], [0, 2]], [[3, 0], [0, 1]]]
    >>> float(paired_bootstrap(a, b, [0, 1], n_boot=200).loc["accuracy", "difference"])
    0.1428571428571429
    """
    per_query_a = _per_query(per_query_confusions_a, labels)
    per_query_b = _per_query(per_query_confusions_b, labels)
    if per_query_a.shape != per_query_b.shape:
        raise MetricsInputError(
            f"the two runs must cover the same queries; got shapes {per_query_a.shape} and "
            f"{per_query_b.shape}. Keep the pairs both runs judged, then build both with "
            "per_query_confusions"
        )
    weights = bootstrap_weights(per_query_a.shape[0], n_boot, seed)
    estimate_a = metric_arrays(per_query_a.sum(0), labels, zero_division=zero_division)
    estimate_b = metric_arrays(per_query_b.sum(0), labels, zero_division=zero_division)
    draws_a = resampled_metrics(per_query_a, labels, weights, zero_division=zero_division)
    draws_b = resampled_metrics(per_query_b, labels, weights, zero_division=zero_division)
    low, high = _interval({name: draws_b[name] - draws_a[name] for name in draws_a}, level)
    a = np.array(list(estimate_a.values()))
    b = np.array(list(estimate_b.values()))
    return pd.DataFrame(
        {
            "a": a,
            "b": b,
            "difference": b - a,
            "low": low,
            "high": high,
            "excludes_zero": (low > 0) | (high < 0),
        },
        index=pd.Index(list(estimate_a), name="metric"),
    )
