"""What a comparison covers, and when it covers too little to be read: one rule for every
comparison of two sets of grades (two qrels' leaderboards, two judge runs).

A comparison states the pairs and queries on each side and in common. It is *comparable*
when the pairs and the queries in common are each at least `min_share` of the reference's
(with `both_sides`, of each side's: two judge runs, neither of which is the reference).
Below that, a figure such as Kendall's tau describes the few queries both sides happen to
grade, not the systems or the judges, so it is shown as "not comparable" with the reason
instead of a number.

>>> a = pd.DataFrame({"query_id": ["q1", "q1", "q2", "q3"], "doc_id": ["d1", "d2", "d1", "d4"]})
>>> b = a.iloc[:1]
>>> found = coverage(a, b)
>>> found.comparable, str(found.common)
(False, '1 pair over 1 query')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from words import plural


@dataclass(frozen=True)
class CoverageRule:
    """The share of the reference's pairs and queries that the pairs in common must reach;
    `both_sides`: of each side's, when neither side is the reference."""

    min_share: float = 0.5
    both_sides: bool = False


LEADERBOARDS = CoverageRule()
TWO_RUNS = CoverageRule(both_sides=True)


@dataclass(frozen=True)
class Side:
    """Distinct pairs and the queries they belong to."""

    pairs: int
    queries: int

    def __str__(self) -> str:
        return f"{plural(self.pairs, 'pair')} over {plural(self.queries, 'query')}"


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True)
class Coverage:
    """Pairs and queries of the reference `a`, the compared side `b` and both, read under
    `rule`."""

    a: Side
    b: Side
    common: Side
    rule: CoverageRule = LEADERBOARDS

    def _shortfalls(self) -> list[Side]:
        """The sides whose pairs or queries the common part covers too little of."""
        sides = [self.a, self.b] if self.rule.both_sides else [self.a]
        need = self.rule.min_share
        return [
            side
            for side in sides
            if not self.common.pairs
            or _share(self.common.pairs, side.pairs) < need
            or _share(self.common.queries, side.queries) < need
        ]

    @property
    def comparable(self) -> bool:
        return not self._shortfalls()

    @property
    def reason(self) -> str | None:
        """Why the comparison is not comparable, in one sentence; None when it is."""
        short = self._shortfalls()
        if not short:
            return None
        if not self.common.pairs:
            return "the two sides grade no pair in common"
        side = short[0]
        pairs = f"{_share(self.common.pairs, side.pairs):.0%}"
        queries = f"{_share(self.common.queries, side.queries):.0%}"
        need = f"at least {self.rule.min_share:.0%} of each is needed"
        if self.rule.both_sides:
            return (
                f"the two sides share {self.common}, {pairs} of the {side.pairs:,} pairs and "
                f"{queries} of the {side.queries:,} queries one side grades; {need}"
            )
        return (
            f"the compared side shares {self.common.pairs:,} of the reference's "
            f"{side.pairs:,} pairs ({pairs}) and {self.common.queries:,} of its "
            f"{side.queries:,} queries ({queries}); {need}"
        )

    def describe(self, a: str = "reference", b: str = "compared") -> str:
        """'reference: 196 pairs over 44 queries; compared: 8 pairs over 3 queries; in
        common: 8 pairs over 3 queries'."""
        return f"{a}: {self.a}; {b}: {self.b}; in common: {self.common}"

    def as_dict(self) -> dict[str, object]:
        """For JSON: each side's and the common pairs and queries, the rule, the verdict."""
        return {
            "a": asdict(self.a),
            "b": asdict(self.b),
            "common": asdict(self.common),
            "min_share": self.rule.min_share,
            "both_sides": self.rule.both_sides,
            "comparable": self.comparable,
            "reason": self.reason,
        }


def coverage(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    on: Sequence[str] = ("query_id", "doc_id"),
    rule: CoverageRule = LEADERBOARDS,
) -> Coverage:
    """The coverage of comparing `a` (the reference) with `b`: rows are pairs, keyed by the
    columns `on` (the first of which is the query)."""
    keys = list(on)
    pairs_a, pairs_b = a[keys].drop_duplicates(), b[keys].drop_duplicates()
    common = pairs_a.merge(pairs_b, on=keys)
    query = keys[0]
    return Coverage(
        Side(len(pairs_a), pairs_a[query].nunique()),
        Side(len(pairs_b), pairs_b[query].nunique()),
        Side(len(common), common[query].nunique()),
        rule,
    )
