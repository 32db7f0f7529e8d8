"""What to compare: a seeded plan of product pairs per query, linear in the products.

Comparing every two products of a query costs n (n - 1) / 2 comparisons (two orders each);
a plan keeps at most ``per_product`` x n of them per query. It mixes pairs the humans graded
differently (does the judge order them as the humans do?) with pairs they graded the same
(does the judge see a tie?): ``same_grade_share`` of the budget goes to same-grade pairs, the
rest to different-grade pairs, and what one kind cannot fill goes to the other, then to
pairs with an unlabelled product. The draw is seeded per query (by the seed and the query
id), so adding a query leaves the other queries' plans as they were.
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

__all__ = ["ComparisonPlan", "plan_comparisons"]


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
