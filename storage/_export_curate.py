"""The seed's curation rules over selected pairs: no benchmark, no duplicates, a cap per
query, label rebalancing and a train / validation split by query.

Pure and seeded: the same pairs and options always give the same rows, and every row that
is dropped is counted under the rule that dropped it, for the manifest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._errors import StoreError

_SHARE_TOLERANCE = 1e-6


@dataclass(frozen=True, kw_only=True)
class Curation:
    """How to turn selected pairs into a training set.

    cap_per_query: keep at most this many pairs of each query (a random, seeded choice).
    rebalance: target share of each grade (summing to 1; a grade left out gets share 0).
    validation_share: the share of queries (not rows) that go to the validation file.
    """

    cap_per_query: int | None = None
    rebalance: Mapping[int, float] | None = None
    validation_share: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.cap_per_query is not None and self.cap_per_query < 1:
            raise StoreError(f"cap per query must be at least 1, got {self.cap_per_query}")
        if self.rebalance is not None:
            shares = dict(self.rebalance)
            total = sum(shares.values())
            if any(s < 0 for s in shares.values()) or abs(total - 1) > _SHARE_TOLERANCE:
                raise StoreError(f"rebalance shares {shares} must be non-negative and sum to 1")
        if not 0 <= self.validation_share < 1:
            raise StoreError(
                f"validation share must be at least 0 and below 1, got {self.validation_share}"
            )


@dataclass(frozen=True)
class Curated:
    """The kept rows (with `part`: train or validation) and what each rule dropped."""

    rows: pd.DataFrame
    dropped: dict[str, Any] = field(default_factory=dict)
    labels_before_rebalance: dict[int, int] = field(default_factory=dict)
    labels_after_rebalance: dict[int, int] = field(default_factory=dict)


def label_counts(grades: pd.Series, scale: Sequence[int]) -> dict[int, int]:
    """Rows per grade, every grade of the scale present."""
    counts = grades.value_counts()
    return {int(g): int(counts.get(g, 0)) for g in scale}


def apportion(total: int, shares: Mapping[int, float]) -> dict[int, int]:
    """Split `total` rows by `shares` with the largest-remainder method: each grade gets
    within one row of share * total, and the parts add up to `total`."""
    whole = sum(shares.values())
    exact = {g: s / whole * total for g, s in shares.items()}
    parts = {g: math.floor(x) for g, x in exact.items()}
    by_remainder = sorted(exact, key=lambda g: exact[g] - parts[g], reverse=True)
    for g in by_remainder[: total - sum(parts.values())]:
        parts[g] += 1
    return parts


def _rebalance(
    rows: pd.DataFrame, shares: Mapping[int, float], scale: Sequence[int]
) -> pd.DataFrame:
    targets = {g: float(shares.get(g, 0.0)) for g in scale}
    counts = label_counts(rows["grade"], scale)
    missing = [g for g, s in targets.items() if s > 0 and counts[g] == 0]
    if missing:
        raise StoreError(
            f"cannot rebalance: no selected pairs have grade {missing[0]}, "
            f"which the targets give share {targets[missing[0]]}"
        )
    # The largest total every grade can fill at its share; floor(share * total) <= count,
    # so rounding a part up never asks for more rows than the grade has.
    total = min(math.floor(counts[g] / s + _SHARE_TOLERANCE) for g, s in targets.items() if s > 0)
    parts = apportion(total, targets)
    # Each grade keeps the rows with its smallest random keys: a seeded sample.
    rank_in_grade = rows.groupby("grade")["_random"].rank(method="first")
    return rows[rank_in_grade <= rows["grade"].map(parts)]


def _validation_queries(queries: np.ndarray, share: float, rng: np.random.Generator) -> set[Any]:
    if share == 0:
        return set()
    count = max(1, round(share * len(queries)))
    if count >= len(queries):
        raise StoreError(
            f"validation share {share} of {len(queries)} queries leaves no training query"
        )
    return set(rng.permutation(queries)[:count])


def curate(selected: pd.DataFrame, curation: Curation, scale: Sequence[int]) -> Curated:
    """Apply the rules in the seed's order to `selected` (pair_id, query_id, doc_id, query,
    split, grade, ...), keeping its row order. Benchmark pairs are dropped, never exported
    as training; duplicates are the same query text and product under two query ids."""
    rng = np.random.default_rng(curation.seed)
    rows = selected.assign(_random=rng.random(len(selected)))
    dropped: dict[str, Any] = {}

    benchmark = rows["split"] == "benchmark"
    dropped["benchmark"] = int(benchmark.sum())
    rows = rows[~benchmark]

    duplicate = rows.duplicated(["query", "doc_id"])
    dropped["duplicates"] = int(duplicate.sum())
    rows = rows[~duplicate]

    if curation.cap_per_query is not None:
        rank = rows.groupby("query_id")["_random"].rank(method="first")
        over = rank > curation.cap_per_query
        dropped["cap_per_query"] = int(over.sum())
        rows = rows[~over]

    before = label_counts(rows["grade"], scale)
    if curation.rebalance is not None:
        rows = _rebalance(rows, curation.rebalance, scale)
    after = label_counts(rows["grade"], scale)
    dropped["rebalance"] = {g: before[g] - after[g] for g in scale}

    validation = _validation_queries(rows["query"].unique(), curation.validation_share, rng)
    part = np.where(rows["query"].isin(validation), "validation", "train")
    rows = rows.assign(part=part).drop(columns="_random")
    return Curated(rows.reset_index(drop=True), dropped, before, after)
