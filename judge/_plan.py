"""What to compare: a seeded plan of product pairs per query, linear in the products.

Comparing every two products of a query costs n (n - 1) / 2 comparisons (two orders each);
a plan keeps at most ``per_product`` x n of them per query. It mixes pairs the humans graded
differently (does the judge order them as the humans do?) with pairs they graded the same
(does the judge see a tie?): ``same_grade_share`` of the budget goes to same-grade pairs, the
rest to different-grade pairs, and what one kind cannot fill goes to the other, then to
pairs with an unlabelled product. The draw is seeded per query (by the seed and the query
id), so adding a query leaves the other queries' plans as they were.

A targeted plan (``plan_references``) comes from the review loop instead: each product of a
confusion cell is compared with a reference product the humans graded at the top of the
scale (Exact) for the same query, drawn seeded per query and never the product itself.
Judged against a product known to match, the judge's verdict on the target is
reference-guided. A query with no other such product gives its targets no comparison; the
plan counts those queries.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from ._exceptions import SettingsError

__all__ = ["ComparisonPlan", "ReferencePlan", "plan_comparisons", "plan_references"]


@dataclass(frozen=True, kw_only=True)
class ComparisonPlan:
    """How many comparisons a query gets and of which kind (see the module docstring)."""

    per_product: float = 2.0
    same_grade_share: float = 0.25
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.per_product > 0:
            raise SettingsError(f"per_product must be above 0, got {self.per_product}")
        if not 0.0 <= self.same_grade_share <= 1.0:
            raise SettingsError(
                f"same_grade_share is a share in [0, 1], got {self.same_grade_share}"
            )

    def budget(self, n_products: int) -> int:
        """Comparisons for a query of ``n_products``: ceil(per_product x n), at most all pairs.

        >>> ComparisonPlan(per_product=1.5).budget(4), ComparisonPlan().budget(3)
        (6, 3)
        """
        return min(n_products * (n_products - 1) // 2, math.ceil(self.per_product * n_products))


def plan_comparisons(
    pairs: Iterable[Mapping[str, Any]], grades: Mapping[int, int | None], plan: ComparisonPlan
) -> list[tuple[int, int]]:
    """The (pair_id, pair_id) comparisons of the plan, the smaller id first, sorted.

    ``pairs`` need ``pair_id`` and ``query_id``; ``grades`` is each pair's human grade (None
    or missing: unlabelled).
    """
    by_query: dict[str, list[int]] = {}
    for pair in pairs:
        by_query.setdefault(str(pair["query_id"]), []).append(int(pair["pair_id"]))
    planned: list[tuple[int, int]] = []
    for query_id, ids in by_query.items():
        rng = np.random.default_rng([plan.seed, zlib.crc32(query_id.encode("utf-8"))])
        kinds: dict[str, list[tuple[int, int]]] = {"differ": [], "same": [], "unlabelled": []}
        for a, b in combinations(sorted(set(ids)), 2):
            ga, gb = grades.get(a), grades.get(b)
            kind = "unlabelled" if ga is None or gb is None else "same" if ga == gb else "differ"
            kinds[kind].append((a, b))
        for name, listed in kinds.items():
            kinds[name] = [listed[i] for i in rng.permutation(len(listed))]
        budget = plan.budget(len(set(ids)))
        n_same = min(len(kinds["same"]), round(budget * plan.same_grade_share))
        chosen = kinds["same"][:n_same] + kinds["differ"][: budget - n_same]
        rest = kinds["same"][n_same:] + kinds["unlabelled"]
        chosen += rest[: budget - len(chosen)]
        planned.extend(chosen)
    return sorted(planned)


@dataclass(frozen=True)
class ReferencePlan:
    """A targeted plan: each target compared with its reference (see the module docstring)."""

    comparisons: list[tuple[int, int]]
    """(target pair_id, reference pair_id), sorted."""
    skipped_queries: list[str]
    """Queries of targets with no other product graded at the reference grade, sorted."""
    skipped_targets: int

    @property
    def references(self) -> dict[int, int]:
        """Each compared target's reference pair_id."""
        return dict(self.comparisons)


def plan_references(
    targets: Iterable[int],
    pairs: Iterable[Mapping[str, Any]],
    grades: Mapping[int, int | None],
    *,
    reference_grade: int,
    seed: int = 0,
) -> ReferencePlan:
    """Compare each of ``targets`` (pair ids) with a pair of the same query the humans
    graded ``reference_grade``, never the target itself; one reference per target, drawn
    seeded per query (by the seed, the query id and the target).

    ``pairs`` need ``pair_id`` and ``query_id`` and hold every pair of the targets' queries;
    ``grades`` is each pair's current human grade.

    >>> rows = [{"pair_id": i, "query_id": "q"} for i in (1, 2, 3)]
    >>> plan_references([1, 2], rows, {1: 0, 2: 2, 3: 1}, reference_grade=2).comparisons
    [(1, 2)]
    """
    query_of = {int(p["pair_id"]): str(p["query_id"]) for p in pairs}
    exact: dict[str, list[int]] = {}
    for pair_id, query_id in sorted(query_of.items()):
        if grades.get(pair_id) == reference_grade:
            exact.setdefault(query_id, []).append(pair_id)
    planned: list[tuple[int, int]] = []
    skipped: set[str] = set()
    missed = 0
    for target in sorted(set(targets)):
        if target not in query_of:
            raise SettingsError(f"pair {target} is not among the pairs given for its query")
        query_id = query_of[target]
        others = [p for p in exact.get(query_id, []) if p != target]
        if not others:
            skipped.add(query_id)
            missed += 1
            continue
        rng = np.random.default_rng([seed, zlib.crc32(query_id.encode("utf-8")), target])
        planned.append((target, others[int(rng.integers(len(others)))]))
    return ReferencePlan(sorted(planned), sorted(skipped), missed)
