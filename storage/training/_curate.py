"""One set of rules that turns labelled pairs into training data, shared by the training
split recipe (`_splits`) and the JSONL export (`_export_curate`), so that the same request
gives the same pairs in the same parts wherever it is made. `Curation` is the one type that
holds those rules, for both.

In the seed's order: at most `cap_per_query` pairs per query (so a few large queries do not
dominate), optional rebalancing to target label shares (by dropping pairs of
over-represented grades), then a share of the queries, never of pairs, set aside as
validation (so no query is both trained on and measured on).

Pure and seeded: the same pairs, rules and seed always give the same rows, whatever order
the pairs arrive in; nothing here reads or writes a store.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._errors import StoreError

PARTS = ("train", "validation")

# Absorbs float error in share arithmetic (0.7 * 5 is 3.4999999999999996), far below any
# share a person would type.
_EPSILON = 1e-9


@dataclass(frozen=True, kw_only=True)
class Curation:
    """What to keep of the labelled pairs and how to split them; checked when built. The
    defaults keep every pair, as they come, with no validation part.

    cap_per_query: keep at most this many pairs of each query (a seeded random choice);
        None keeps all.
    label_shares: grade -> weight, normalised to sum to 1, so `3, 4, 3` and `0.3, 0.4, 0.3`
        ask for the same mix and shares typed as 0.33 each still work; a grade left out
        gets none. None keeps the labels as they come.
    validation_share: the share of queries set aside as validation.
    seed: one seed for every random choice, so a split can be made again exactly.
    """

    cap_per_query: int | None = None
    label_shares: Mapping[int, float] | None = None
    validation_share: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.cap_per_query is not None and self.cap_per_query < 1:
            raise StoreError(f"cap per query must be at least 1, got {self.cap_per_query}")
        if self.label_shares is not None:
            _check_weights(self.label_shares)
        if not 0 <= self.validation_share < 1:
            raise StoreError(
                f"validation share must be at least 0 and below 1, got {self.validation_share}"
            )


@dataclass(frozen=True)
class Curated:
    """The kept pairs ordered by (query_id, pair_id) with a `part` column (train or
    validation), how many the cap dropped, and the labels before and after rebalancing."""

    rows: pd.DataFrame
    over_cap: int
    labels_before_rebalance: dict[int, int]
    labels_after_rebalance: dict[int, int]

    def dropped_by_rebalancing(self) -> dict[int, int]:
        """Pairs rebalancing dropped, per grade."""
        before, after = self.labels_before_rebalance, self.labels_after_rebalance
        return {g: before[g] - after[g] for g in before}


def _check_weights(shares: Mapping[int, float]) -> None:
    bad = {g: s for g, s in shares.items() if not (math.isfinite(s) and s >= 0)}
    if bad:
        raise StoreError(
            f"label shares {bad} must be non-negative numbers: they are weights, "
            "e.g. 0=0.3,1=0.4,2=0.3 or 0=3,1=4,2=3"
        )
    if sum(shares.values()) <= 0:
        raise StoreError(
            f"label shares {dict(shares)} are all zero: give at least one grade a positive share"
        )


def label_counts(grades: pd.Series, scale: Sequence[int]) -> dict[int, int]:
    """Rows per grade, every grade of the scale present."""
    counts = grades.value_counts()
    return {int(g): int(counts.get(g, 0)) for g in scale}


def target_shares(weights: Mapping[int, float], scale: Sequence[int]) -> dict[int, float]:
    """`weights` as shares of every grade of `scale`, summing to 1. A grade that is not on
    the scale is an error rather than ignored: it is a typo or the wrong dataset."""
    _check_weights(weights)
    unknown = sorted(set(weights) - set(scale))
    if unknown:
        raise StoreError(
            f"label shares name grade {unknown[0]}, which is not on the dataset's scale "
            f"({', '.join(map(str, scale))})"
        )
    total = sum(weights.values())
    return {int(g): weights.get(g, 0.0) / total for g in scale}


def apportion(total: int, shares: Mapping[int, float]) -> dict[int, int]:
    """Split `total` rows by `shares` (summing to 1) with the largest-remainder method:
    each grade gets within one row of share * total and the parts add up to exactly
    `total`, which flooring every part would not. Ties go to the grade listed first."""
    exact = {g: s * total for g, s in shares.items()}
    parts = {g: math.floor(x + _EPSILON) for g, x in exact.items()}
    by_remainder = sorted(exact, key=lambda g: exact[g] - parts[g], reverse=True)
    for g in by_remainder[: total - sum(parts.values())]:
        parts[g] += 1
    return parts


def rebalance_quotas(counts: Mapping[int, int], shares: Mapping[int, float]) -> dict[int, int]:
    """Pairs to keep per grade: the largest total that every grade can fill at its share
    (rebalancing only drops pairs, so it keeps as many as the targets allow), apportioned
    by `apportion`. No quota exceeds its count: share * total <= count, and a count is a
    whole number, so rounding up stays within it."""
    missing = [g for g, s in shares.items() if s > 0 and counts.get(g, 0) == 0]
    if missing:
        raise StoreError(
            f"cannot rebalance: no pairs have grade {missing[0]}, which the target shares "
            f"give {shares[missing[0]]:.2f}: give it share 0 or choose pairs that have it"
        )
    total = min(math.floor(counts[g] / s + _EPSILON) for g, s in shares.items() if s > 0)
    return apportion(total, shares)


def validation_count(queries: int, share: float) -> int:
    """How many of `queries` go to validation: share * queries rounded half up (as a person
    rounds; Python's round would send 2.5 to 2), then at least one query in each part
    when the share is above 0, so asking for validation never yields an empty part.
    With fewer than 2 queries everything is training: one query cannot be split."""
    if share == 0 or queries < 2:
        return 0
    return min(max(math.floor(share * queries + 0.5 + _EPSILON), 1), queries - 1)


def validation_queries(query_ids: pd.Series, share: float, rng: np.random.Generator) -> set[Any]:
    """A seeded random `validation_count` of the distinct queries in `query_ids`."""
    # Sorted first, so the draw depends on which queries there are, not on row order.
    queries = np.asarray(sorted(query_ids.unique()), dtype=object)
    return set(rng.permutation(queries)[: validation_count(len(queries), share)])


def curate(
    pairs: pd.DataFrame,
    curation: Curation,
    scale: Sequence[int],
    *,
    validation: Collection[Any] | None = None,
) -> Curated:
    """Apply `curation` to labelled `pairs` (pair_id, query_id, grade, and any other columns,
    which are kept). Shares are checked against `scale` before any work is done.

    `validation` names the validation queries when they are decided already (a dataset's
    own split); then `curation.validation_share` draws none."""
    weights = curation.label_shares
    shares = None if weights is None else target_shares(weights, scale)
    rng = np.random.default_rng(curation.seed)
    # One random key per pair, drawn in a fixed order: the cap and the rebalancing both
    # keep the pairs with the smallest keys, so the sample is seeded and order-free.
    rows = pairs.sort_values(["query_id", "pair_id"], kind="stable")
    rows = rows.assign(_key=rng.random(len(rows)))
    capped = rows
    if curation.cap_per_query is not None:
        rank_in_query = rows.groupby("query_id")["_key"].rank(method="first")
        capped = rows[rank_in_query <= curation.cap_per_query]
    before = label_counts(capped["grade"], scale)
    kept = capped
    if shares is not None:
        quotas = rebalance_quotas(before, shares)
        rank_in_grade = capped.groupby("grade")["_key"].rank(method="first")
        kept = capped[rank_in_grade <= capped["grade"].map(quotas)]
    if validation is None:
        validation = validation_queries(kept["query_id"], curation.validation_share, rng)
    part = np.where(kept["query_id"].isin(list(validation)), "validation", "train")
    return Curated(
        kept.assign(part=part).drop(columns="_key").reset_index(drop=True),
        len(rows) - len(capped),
        before,
        label_counts(kept["grade"], scale),
    )
