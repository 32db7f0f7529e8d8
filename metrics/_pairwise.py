"""Pairwise judge measures: does the judge order two products as the humans' grades do, and
does its verdict survive swapping the products?

A comparison of products a and b (of one query) is judged in two orders: ``ab`` shows a
first (as A), ``ba`` shows b first. Per comparison, the input frame of `pairwise_figures`
has the columns

- ``query_id``, ``pair_a``, ``pair_b``;
- ``winner_ab``, ``winner_ba``: each order's verdict, ``"first"``, ``"second"``, ``"tie"``,
  or None (no answer: a failed or unparsed order);
- ``preference``: P(a is better than b) from both orders (``judge.debiased_preference``),
  NaN when an order has no answer;
- ``grade_a``, ``grade_b``: the human grades (NaN: unlabelled);
- optionally ``score_a``, ``score_b``: a pointwise run's scores of the same pairs (its
  expected grade), for the score-comparison consistency.

The judge's verdict on a comparison is a when ``preference`` > 0.5, b when < 0.5, a tie at
0.5 (within 1e-9, so that 0.9 and 1 - 0.9 from two orders cancel out as they should).
Definitions (JudgeLM, Zhu et al. 2023, for the swap measures; the Gemma 3 Prometheus-format
report for score-comparison consistency):

- accuracy: over comparisons the humans graded differently, the share where the verdict
  names the higher-graded product (a tied verdict counts one half);
- tie rate: the share of answered orders whose verdict is a tie;
- swap consistency: over comparisons answered in both orders, the share where both orders
  name the same product (or both a tie);
- bias toward first (second): the share of those where the product shown first (second)
  won in both orders, so the verdict followed the position; their difference, first minus
  second, is 0 for a judge without position bias;
- score-comparison: consistent when the pointwise scores order a and b as the verdict
  does, a tie when either says tie, inconsistent otherwise;
- transitivity violations: directed 3-cycles (a > b > c > a) in a query's graph of
  verdicts, trace(M^3) / 3 of its win matrix M;
- Bradley-Terry: per query, strengths fitted to the preferences (soft wins), compared with
  the human grades by Kendall's tau-b (NaN for a query whose products share one grade).

Intervals resample queries (`bootstrap_weights`): shares are ratios of per-query sums,
per-query values (cycles, tau) are means over queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import permutations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ._bootstrap import _interval, bootstrap_weights
from ._exceptions import MetricsInputError
from ._leaderboard import kendall_tau
from ._ranking import weighted_means

__all__ = [
    "FIGURE_MEANINGS",
    "FOLLOWS_POSITION_BELOW",
    "PAIRWISE_COLUMNS",
    "TIE_TOLERANCE",
    "bradley_terry",
    "follows_position",
    "order_agreement",
    "order_winner",
    "pairwise_figures",
    "preference_cycles",
]

PAIRWISE_COLUMNS = (
    "query_id",
    "pair_a",
    "pair_b",
    "winner_ab",
    "winner_ba",
    "preference",
    "grade_a",
    "grade_b",
)
TIE_TOLERANCE = 1e-9

FIGURE_MEANINGS = {
    "accuracy": "Of the comparisons whose two products the humans graded differently, the "
    "share where the judge's verdict (both orders together) names the higher-graded one; a "
    "tie counts one half. 0.5 is what a coin would score.",
    "tie_rate": "The share of answered orders whose verdict is a tie.",
    "swap_consistency": "Of the comparisons judged in both orders, the share where the judge "
    "picked the same product whichever was shown first. 1 is fully consistent.",
    "bias_first": "The share where the product shown first won in both orders: the judge "
    "followed the position, not the products.",
    "bias_second": "The share where the product shown second won in both orders.",
    "bias_difference": "Bias toward first minus bias toward second: 0 for a judge without "
    "position bias.",
    "score_consistent": "The share where this pairwise verdict orders the two products as "
    "the active graded run's expected grades do (a tie on either side counts apart).",
    "score_inconsistent": "The share where the pointwise scores order the two products "
    "against this verdict.",
    "score_tie": "The share where the verdict or the pointwise scores tie.",
    "cycles_per_query": "Preference loops per query (a > b > c > a among three products): "
    "verdicts no single ranking can satisfy. 0 is none.",
    "bt_tau": "Per query, the order of the products by their Bradley-Terry strengths against "
    "their human grades (Kendall's tau): 1 the same order, 0 unrelated.",
}
"""What each pairwise figure means, in plain words, wherever it is shown."""

FOLLOWS_POSITION_BELOW = 0.5
"""Swap consistency below which the judge follows the position more than the products: a
judge that ignored the position would keep its pick in both orders, and one that picks at
random keeps it half the time; below that, accuracy describes where products were shown."""


def follows_position(swap_consistency: float) -> bool:
    """Whether a judge's swap consistency says it follows the position (NaN: not known)."""
    return bool(swap_consistency < FOLLOWS_POSITION_BELOW)


def order_winner(verdict: str | None, shown_first: str, shown_second: str) -> str:
    """Which product an order's verdict names: 'first' -> `shown_first`, 'second' ->
    `shown_second`, 'tie', or 'no answer'."""
    return {"first": shown_first, "second": shown_second, "tie": "tie"}.get(
        verdict or "", "no answer"
    )


_PRODUCT = {("ab", "first"): 1, ("ab", "second"): -1, ("ba", "first"): -1, ("ba", "second"): 1}


def _verdict(preference: NDArray[np.float64]) -> NDArray[np.float64]:
    """+1 for a, -1 for b, 0 for a tie, NaN without a preference."""
    return np.where(np.abs(preference - 0.5) <= TIE_TOLERANCE, 0.0, np.sign(preference - 0.5))


def order_agreement(
    winner_ab: Sequence[str | None], winner_ba: Sequence[str | None]
) -> pd.DataFrame:
    """Per comparison: ``answered`` (both orders have a verdict), ``consistent`` (both name
    the same product, or both a tie), ``first_both`` and ``second_both`` (the product shown
    first, or second, won in both orders).

    >>> order_agreement(["first", "first", "tie"], ["second", "first", "tie"]).sum().tolist()
    [3, 2, 1, 0]
    """
    ab, ba = pd.Series(list(winner_ab), dtype=object), pd.Series(list(winner_ba), dtype=object)
    answered = ab.notna() & ba.notna()
    # Which product each order names: +1 for a, -1 for b, 0 for a tie.
    said_ab = ab.map(lambda w: _PRODUCT.get(("ab", w), 0))
    said_ba = ba.map(lambda w: _PRODUCT.get(("ba", w), 0))
    return pd.DataFrame(
        {
            "answered": answered,
            "consistent": answered & (said_ab == said_ba),
            "first_both": (ab == "first") & (ba == "first"),
            "second_both": (ab == "second") & (ba == "second"),
        }
    )


def bradley_terry(
    n_items: int, a: ArrayLike, b: ArrayLike, wins_a: ArrayLike, *, iterations: int = 500
) -> NDArray[np.float64]:
    """Log-strengths of ``n_items`` fitted to comparisons (item a[i] vs b[i], ``wins_a`` the
    share a won: 1, 0, or a preference in between), by Hunter's MM algorithm.

    P(i beats j) = p_i / (p_i + p_j). Each item also gets one virtual comparison, drawn, with
    a reference of strength 1, so that an item that won (or lost) every comparison has a
    finite strength; the strengths are returned as logs, the reference at 0.

    Reference: D. R. Hunter (2004), MM algorithms for generalized Bradley-Terry models,
    Annals of Statistics 32.

    >>> strengths = bradley_terry(3, [0, 1, 0], [1, 2, 2], [1.0, 1.0, 1.0])
    >>> [int(i) for i in np.argsort(-strengths)]
    [0, 1, 2]
    """
    ia, ib = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    w = np.asarray(wins_a, dtype=np.float64)
    if not (len(ia) == len(ib) == len(w)):
        raise MetricsInputError("a, b and wins_a need one value per comparison each")
    wins = np.full(n_items, 0.5)  # the virtual draw
    np.add.at(wins, ia, w)
    np.add.at(wins, ib, 1.0 - w)
    p = np.ones(n_items)
    for _ in range(iterations):
        pair_terms = 1.0 / (p[ia] + p[ib])
        denominator = 1.0 / (p + 1.0)  # the virtual comparison with the reference
        np.add.at(denominator, ia, pair_terms)
        np.add.at(denominator, ib, pair_terms)
        updated = wins / denominator
        if np.allclose(updated, p, rtol=1e-10, atol=0.0):
            p = updated
            break
        p = updated
    return np.log(p)


def preference_cycles(
    query_ids: Sequence[str], a: Sequence[int], b: Sequence[int], preference: ArrayLike
) -> pd.DataFrame:
    """Every directed 3-cycle of verdicts, per query: columns query_id, cycle (three pair
    ids x, y, z with x > y > z > x, the smallest id first) and margin (the weakest of its
    three preferences, |preference - 0.5|), the strongest cycles first. Comparisons without
    a preference or with a tied verdict are no edge.

    >>> preference_cycles(["q"] * 3, [1, 2, 1], [2, 3, 3], [0.9, 0.8, 0.2]).cycle.tolist()
    [(1, 2, 3)]
    """
    pref = np.asarray(preference, dtype=np.float64)
    beats: dict[str, dict[tuple[int, int], float]] = {}
    for q, x, y, p, said in zip(query_ids, a, b, pref, _verdict(pref), strict=True):
        if np.isnan(said) or said == 0:
            continue
        winner, loser = (int(x), int(y)) if said > 0 else (int(y), int(x))
        beats.setdefault(str(q), {})[(winner, loser)] = abs(p - 0.5)
    rows = []
    for q, edges in beats.items():
        items = sorted({i for edge in edges for i in edge})
        for x, y, z in permutations(items, 3):
            if x < y and x < z and (x, y) in edges and (y, z) in edges and (z, x) in edges:
                margin = min(edges[(x, y)], edges[(y, z)], edges[(z, x)])
                rows.append({"query_id": q, "cycle": (x, y, z), "margin": margin})
    frame = pd.DataFrame(rows, columns=["query_id", "cycle", "margin"])
    return frame.sort_values("margin", ascending=False, kind="stable").reset_index(drop=True)


def _check_frame(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MetricsInputError(
            f"the comparisons frame lacks the columns {', '.join(missing)}: build it with "
            "one row per comparison as metrics._pairwise's docstring lists"
        )


def _query_tau(group: pd.DataFrame) -> float:
    answered = group[group.preference.notna()]
    graded = answered[answered.grade_a.notna() & answered.grade_b.notna()]
    items = sorted(set(graded.pair_a) | set(graded.pair_b))
    if len(items) < 2:
        return float("nan")
    index = {pair_id: i for i, pair_id in enumerate(items)}
    strengths = bradley_terry(
        len(items),
        graded.pair_a.map(index),
        graded.pair_b.map(index),
        graded.preference,
    )
    grade_of = dict(zip(graded.pair_a, graded.grade_a)) | dict(zip(graded.pair_b, graded.grade_b))
    return float(kendall_tau(strengths, [grade_of[i] for i in items]))


def pairwise_figures(
    frame: pd.DataFrame, *, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> pd.DataFrame:
    """Every pairwise measure with its query-bootstrap interval: a frame indexed by metric
    name, columns estimate, low, high and n (comparisons, orders or queries it is over).

    See the module docstring for the columns of ``frame`` and the definitions.

    >>> frame = pd.DataFrame({
    ...     "query_id": ["q", "q"], "pair_a": [1, 1], "pair_b": [2, 3],
    ...     "winner_ab": ["first", "first"], "winner_ba": ["second", "first"],
    ...     "preference": [0.9, 0.5], "grade_a": [2, 2], "grade_b": [0, 1]})
    >>> pairwise_figures(frame, n_boot=10).loc[["accuracy", "bias_first"], "estimate"].tolist()
    [0.75, 0.5]
    """
    _check_frame(frame, PAIRWISE_COLUMNS)
    if frame.empty:
        raise MetricsInputError("no comparisons to measure: judge some pairs first")
    data = frame.reset_index(drop=True)
    queries, q_index = np.unique(data.query_id.astype(str), return_inverse=True)
    agreement = order_agreement(data.winner_ab, data.winner_ba)
    pref = data.preference.to_numpy(np.float64)
    grade_a, grade_b = data.grade_a.to_numpy(np.float64), data.grade_b.to_numpy(np.float64)
    differ = ~np.isnan(pref) & ~np.isnan(grade_a) & ~np.isnan(grade_b) & (grade_a != grade_b)
    verdict = _verdict(pref)
    right = np.where(verdict == 0, 0.5, (verdict == np.sign(grade_a - grade_b)).astype(float))
    orders = pd.concat([data.winner_ab, data.winner_ba], ignore_index=True)
    order_q = np.concatenate([q_index, q_index])

    # Shares as (numerator, denominator) rows, each a per-query sum.
    shares: dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]] = {
        "accuracy": (np.where(differ, right, 0.0), differ.astype(float)),
        "tie_rate": ((orders == "tie").to_numpy(float), orders.notna().to_numpy(float)),
        "swap_consistency": (
            agreement.consistent.to_numpy(float),
            agreement.answered.to_numpy(float),
        ),
        "bias_first": (agreement.first_both.to_numpy(float), agreement.answered.to_numpy(float)),
        "bias_second": (
            agreement.second_both.to_numpy(float),
            agreement.answered.to_numpy(float),
        ),
    }
    if {"score_a", "score_b"} <= set(data.columns):
        scores = np.sign(data.score_a.to_numpy(np.float64) - data.score_b.to_numpy(np.float64))
        both = ~np.isnan(scores) & ~np.isnan(pref)
        tie = both & ((scores == 0) | (verdict == 0))
        shares["score_consistent"] = ((both & ~tie & (scores == verdict)).astype(float), both)
        shares["score_inconsistent"] = ((both & ~tie & (scores != verdict)).astype(float), both)
        shares["score_tie"] = (tie.astype(float), both.astype(float))

    n_q = len(queries)
    weights = bootstrap_weights(n_q, n_boot, seed)
    estimates, draws, counts = {}, {}, {}
    for name, (numerator, denominator) in shares.items():
        where = order_q if name == "tie_rate" else q_index
        num = np.bincount(where, weights=numerator, minlength=n_q)
        den = np.bincount(where, weights=np.asarray(denominator, float), minlength=n_q)
        total = den.sum()
        estimates[name] = num.sum() / total if total else np.nan
        drawn_den = weights @ den
        draws[name] = np.divide(
            weights @ num, drawn_den, out=np.full(n_boot, np.nan), where=drawn_den > 0
        )
        counts[name] = int(total)
    estimates["bias_difference"] = estimates["bias_first"] - estimates["bias_second"]
    draws["bias_difference"] = draws["bias_first"] - draws["bias_second"]
    counts["bias_difference"] = counts["bias_first"]

    cycles = preference_cycles(data.query_id.astype(str), data.pair_a, data.pair_b, pref)
    per_query = np.vstack(
        [
            cycles.query_id.value_counts().reindex(queries, fill_value=0).to_numpy(float),
            data.groupby(data.query_id.astype(str)).apply(_query_tau).reindex(queries).to_numpy(),
        ]
    )
    ones = np.ones((1, n_q), dtype=np.int64)
    drawn = weighted_means(per_query, weights)
    for row, name in enumerate(("cycles_per_query", "bt_tau")):
        estimates[name] = float(weighted_means(per_query[row : row + 1], ones)[0, 0])
        draws[name] = drawn[:, row]
        counts[name] = int((~np.isnan(per_query[row])).sum())
    low, high = _interval(draws, level)
    names = list(draws)
    return pd.DataFrame(
        {
            "estimate": [estimates[n] for n in names],
            "low": low,
            "high": high,
            "n": [counts[n] for n in names],
        },
        index=pd.Index(names, name="metric"),
    )
