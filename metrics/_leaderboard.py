"""Do two sets of labels order the systems alike? Rank correlation between leaderboards.

A leaderboard is each system's mean of a measure over queries. Under two qrels (human
labels, a judge's), the question TREC asks of an automatic assessor is whether the two
leaderboards order the systems the same way (UMBRELA; TREC 2024 RAG): Kendall's tau between
the orderings, tau-AP which weighs swaps near the top more, the pairs of systems whose
order flips, and whether the winner changes. Intervals resample queries (the unit that is
sampled in an evaluation), with `bootstrap_weights`; each draw computes both leaderboards on
the same resampled queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ._bootstrap import bootstrap_weights
from ._exceptions import MetricsInputError
from ._ranking import weighted_means


@lru_cache(maxsize=4)
def _weights(n_queries: int, n_boot: int, seed: int) -> NDArray[np.int64]:
    """`bootstrap_weights`, drawn once for the several measures, qrels and tables of one
    comparison (a thousand multinomial draws cost more than the means they weigh); read-only,
    since every caller shares the array."""
    weights = bootstrap_weights(n_queries, n_boot, seed)
    weights.flags.writeable = False
    return weights


def _scores(x: ArrayLike) -> NDArray[np.float64]:
    values = np.asarray(x, dtype=np.float64)
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2 or values.shape[1] < 2:
        raise MetricsInputError(
            f"pass one score per system (at least 2 systems), got shape {values.shape}"
        )
    return values


def kendall_tau(x: ArrayLike, y: ArrayLike) -> NDArray[np.float64] | float:
    """Kendall's tau-b between two orderings of the same systems, as scipy's `kendalltau`.

    tau_b = (concordant - discordant) / sqrt((n0 - ties_x) (n0 - ties_y)) over the
    n0 = N (N - 1) / 2 pairs of systems; without ties it is (C - D) / n0. NaN when one
    ordering ties every system. `x` and `y` are (systems,) or (draws, systems); the result
    is a float or one value per draw.

    Reference: M. G. Kendall (1945), The treatment of ties in ranking problems, Biometrika 33.

    >>> kendall_tau([4, 3, 2, 1], [4, 3, 1, 2])  # one swap of 6 pairs: (5 - 1) / 6
    0.6666666666666666
    """
    a, b = _scores(x), _scores(y)
    if a.shape != b.shape:
        raise MetricsInputError(
            f"both orderings need the same systems; got {a.shape} and {b.shape}"
        )
    i, j = np.triu_indices(a.shape[1], k=1)
    s, t = np.sign(a[:, i] - a[:, j]), np.sign(b[:, i] - b[:, j])
    n0 = len(i)
    denominator = np.sqrt((n0 - (s == 0).sum(1)) * (n0 - (t == 0).sum(1)))
    tau = np.divide((s * t).sum(1), denominator, out=np.full(len(a), np.nan), where=denominator > 0)
    return float(tau[0]) if np.ndim(x) == 1 else tau


def tau_ap(reference: ArrayLike, other: ArrayLike) -> NDArray[np.float64] | float:
    """Yilmaz, Aslam and Robertson's AP rank correlation of `other` against `reference`.

    Systems are taken in the order of `reference` (best first); for each system i after the
    first, p(i) is the share of the systems above it in `reference` that `other` also scores
    higher than i. tau_AP = 2 / (N - 1) * sum of p(i) - 1. A swap near the top costs more
    than one near the bottom; the measure is not symmetric, the reference is the human
    leaderboard. Ties, which the paper leaves open, are decided so that two identical
    orderings score 1: a pair tied in both counts as agreeing, a pair tied in one only as
    half agreeing.

    Reference: E. Yilmaz, J. Aslam, S. Robertson (2008), A new rank correlation coefficient
    for information retrieval, SIGIR.

    >>> tau_ap([4, 3, 2, 1], [4, 3, 1, 2])  # last two swapped: 2/3 (1 + 1 + 2/3) - 1
    0.7777777777777777
    >>> tau_ap([4, 3, 2, 1], [3, 4, 2, 1])  # first two swapped: 2/3 (0 + 1 + 1) - 1
    0.33333333333333326
    """
    ref, oth = _scores(reference), _scores(other)
    if ref.shape != oth.shape:
        raise MetricsInputError(
            f"both orderings need the same systems; got {ref.shape} and {oth.shape}"
        )
    n = ref.shape[1]
    order = np.argsort(-ref, axis=1, kind="stable")
    ref_sorted = np.take_along_axis(ref, order, axis=1)
    ranked = np.take_along_axis(oth, order, axis=1)
    # [draw, j, i]: how far `other` agrees that j, earlier in the reference, is above i.
    other_tie = ranked[:, :, None] == ranked[:, None, :]
    reference_tie = ref_sorted[:, :, None] == ref_sorted[:, None, :]
    credit = np.where(
        other_tie,
        np.where(reference_tie, 1.0, 0.5),
        np.where(reference_tie, 0.5, (ranked[:, :, None] > ranked[:, None, :]).astype(float)),
    )
    earlier = np.triu(np.ones((n, n), dtype=bool), k=1)  # j earlier than i in the reference
    correct = (credit * earlier).sum(axis=1)[:, 1:]
    value = 2.0 / (n - 1) * (correct / np.arange(1, n)).sum(axis=1) - 1.0
    return float(value[0]) if np.ndim(reference) == 1 else value


@dataclass(frozen=True)
class LeaderboardAgreement:
    """How two qrels order the same systems on one measure.

    `scores` has a row per system: its mean under `a` and under `b`, and its rank under
    each (1 = best). `tau` and `tau_ap` are (estimate, low, high); `flips` lists the pairs
    of systems the two leaderboards order differently, with the share of bootstrap draws in
    which they flip. `best_a` and `best_b` are the systems with the top mean under each
    (several when they tie, see `_leaderboard_means`); `winner_a` and `winner_b` name them ("x", or
    "tie: x, y"); `winner_changes` says whether the best systems under `b` are others than
    under `a`, and `winner_change_share` in how many draws they are.
    """

    scores: pd.DataFrame
    tau: tuple[float, float, float]
    tau_ap: tuple[float, float, float]
    flips: pd.DataFrame
    best_a: tuple[str, ...]
    best_b: tuple[str, ...]
    winner_change_share: float
    queries: int
    n_boot: int

    @property
    def winner_a(self) -> str:
        return _winner(self.best_a)

    @property
    def winner_b(self) -> str:
        return _winner(self.best_b)

    @property
    def winner_changes(self) -> bool:
        return set(self.best_a) != set(self.best_b)


def _leaderboard_means(
    values: NDArray[np.float64], weights: NDArray[np.int64]
) -> NDArray[np.float64]:
    """`weighted_means` rounded to 12 decimals, so that equal means compare equal everywhere
    (ranks, winners, tau, flips): the same per-query values summed in another order differ
    in the last bits, and two systems with P@10 0.200 each tie rather than one winning."""
    return np.round(weighted_means(values, weights), 12)


def _best(means: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Which systems have the top mean, per row of (draws, systems) means; several on a tie.
    A draw whose means are all NaN (it drew none of the queries a qrels grades) has none,
    without the warning `nanmax` gives for it."""
    return means == np.fmax.reduce(means, axis=-1, keepdims=True)


def _winner(best: Sequence[str]) -> str:
    return best[0] if len(best) == 1 else "tie: " + ", ".join(best)


def _interval(draws: NDArray[np.float64], level: float) -> tuple[float, float]:
    defined = draws[~np.isnan(draws)]
    if not len(defined):
        return float("nan"), float("nan")
    tail = (1 - level) / 2
    low, high = np.quantile(defined, [tail, 1 - tail])
    return float(low), float(high)


def leaderboard_agreement(
    per_query_a: ArrayLike,
    per_query_b: ArrayLike,
    systems: Sequence[str],
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> LeaderboardAgreement:
    """Compare the leaderboards two qrels give the same `systems` on one measure.

    `per_query_a` and `per_query_b` are (systems, queries) per-query values on one query
    axis (`per_query_measures` of the two qrels, with the same `query_ids`); NaN marks a
    query a qrels does not grade, left out of that qrels' means.

    >>> a = [[0.9, 0.8], [0.5, 0.6], [0.1, 0.2]]
    >>> b = [[0.4, 0.5], [0.6, 0.7], [0.1, 0.0]]
    >>> agreement = leaderboard_agreement(a, b, ["x", "y", "z"], n_boot=50)
    >>> agreement.tau[0], agreement.winner_a, agreement.winner_b
    (0.3333333333333333, 'x', 'y')
    >>> tied = leaderboard_agreement([[0.2], [0.2], [0.1]], [[0.3], [0.2], [0.1]], "xyz")
    >>> tied.winner_a, tied.winner_b, tied.winner_changes
    ('tie: x, y', 'x', True)
    """
    a = np.asarray(per_query_a, dtype=np.float64)
    b = np.asarray(per_query_b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2 or a.shape[0] != len(systems):
        raise MetricsInputError(
            f"pass (systems, queries) values for {len(systems)} systems under both qrels; got "
            f"shapes {a.shape} and {b.shape}"
        )
    if len(systems) < 2:
        raise MetricsInputError("a leaderboard needs at least 2 systems to order")
    n_queries = a.shape[1]
    ones = np.ones((1, n_queries), dtype=np.int64)
    mean_a, mean_b = _leaderboard_means(a, ones)[0], _leaderboard_means(b, ones)[0]
    if np.isnan(mean_a).any() or np.isnan(mean_b).any():
        raise MetricsInputError("each qrels must grade at least one of the queries")
    weights = _weights(n_queries, n_boot, seed)
    draws_a, draws_b = _leaderboard_means(a, weights), _leaderboard_means(b, weights)
    tau_draws, ap_draws = kendall_tau(draws_a, draws_b), tau_ap(draws_a, draws_b)
    assert isinstance(tau_draws, np.ndarray) and isinstance(ap_draws, np.ndarray)
    i, j = np.triu_indices(len(systems), k=1)
    flipped = np.sign(mean_a[i] - mean_a[j]) * np.sign(mean_b[i] - mean_b[j]) < 0
    draw_flips = (
        np.sign(draws_a[:, i] - draws_a[:, j]) * np.sign(draws_b[:, i] - draws_b[:, j]) < 0
    ).mean(axis=0)
    names = np.asarray(list(systems), dtype=object)
    flips = pd.DataFrame(
        {
            "system": names[i][flipped],
            "other": names[j][flipped],
            "a_difference": (mean_a[i] - mean_a[j])[flipped],
            "b_difference": (mean_b[i] - mean_b[j])[flipped],
            "flip_share": draw_flips[flipped],
        }
    )
    scores = pd.DataFrame(
        {
            "system": list(systems),
            "a": mean_a,
            "b": mean_b,
            "rank_a": pd.Series(mean_a).rank(ascending=False, method="min").astype(int),
            "rank_b": pd.Series(mean_b).rank(ascending=False, method="min").astype(int),
        }
    )
    winners = (_best(draws_a) != _best(draws_b)).any(axis=1)
    return LeaderboardAgreement(
        scores=scores,
        tau=(float(kendall_tau(mean_a, mean_b)), *_interval(tau_draws, level)),
        tau_ap=(float(tau_ap(mean_a, mean_b)), *_interval(ap_draws, level)),
        flips=flips,
        best_a=tuple(str(name) for name in names[_best(mean_a)]),
        best_b=tuple(str(name) for name in names[_best(mean_b)]),
        winner_change_share=float(winners.mean()),
        queries=n_queries,
        n_boot=n_boot,
    )


def bootstrap_means(
    per_query: ArrayLike, *, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> pd.DataFrame:
    """Each row's mean over queries with a query-bootstrap interval: per_query (rows,
    queries), NaN for queries left out; columns estimate, low, high.

    >>> float(bootstrap_means([[1.0, 0.0, 0.5]], n_boot=20).loc[0, "estimate"])
    0.5
    """
    values = np.asarray(per_query, dtype=np.float64)
    if values.ndim != 2:
        raise MetricsInputError(f"pass (rows, queries) values; got shape {values.shape}")
    ones = np.ones((1, values.shape[1]), dtype=np.int64)
    draws = weighted_means(values, _weights(values.shape[1], n_boot, seed))
    bounds = [_interval(draws[:, row], level) for row in range(values.shape[0])]
    return pd.DataFrame(
        {
            "estimate": weighted_means(values, ones)[0],
            "low": [b[0] for b in bounds],
            "high": [b[1] for b in bounds],
        }
    )


def paired_mean_differences(
    before: ArrayLike, after: ArrayLike, *, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> pd.DataFrame:
    """Each row's mean of `after` minus its mean of `before` (rows, queries), with a paired
    query-bootstrap interval (both on the same draws); columns before, after, difference,
    low, high.

    >>> table = paired_mean_differences([[0.5, 0.5]], [[0.6, 0.8]], n_boot=20)
    >>> round(float(table.loc[0, "difference"]), 6)
    0.2
    """
    a = np.asarray(before, dtype=np.float64)
    b = np.asarray(after, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise MetricsInputError(
            f"pass two (rows, queries) arrays of one shape; got {a.shape}, {b.shape}"
        )
    ones = np.ones((1, a.shape[1]), dtype=np.int64)
    weights = _weights(a.shape[1], n_boot, seed)
    diff = weighted_means(b, weights) - weighted_means(a, weights)
    bounds = [_interval(diff[:, row], level) for row in range(a.shape[0])]
    mean_a, mean_b = weighted_means(a, ones)[0], weighted_means(b, ones)[0]
    return pd.DataFrame(
        {
            "before": mean_a,
            "after": mean_b,
            "difference": mean_b - mean_a,
            "low": [x[0] for x in bounds],
            "high": [x[1] for x in bounds],
        }
    )
