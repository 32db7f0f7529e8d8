"""The export's curation: the shared rules of `_curate` (cap per query, label rebalancing,
train / validation split by query), after two rules only an export needs: pairs of
benchmark queries and duplicate (query text, product) pairs are dropped.

Every dropped pair is counted under the rule that dropped it, for the manifest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ._curate import CurationRules, curate


@dataclass(frozen=True, kw_only=True)
class Curation:
    """How to turn selected pairs into a training set: the options of `CurationRules` under
    the export's names (`rebalance` is `label_shares`: grade -> weight, normalised), with
    no cap and no validation by default, so a plain export writes every selected pair."""

    cap_per_query: int | None = None
    rebalance: Mapping[int, float] | None = None
    validation_share: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        # Building the rules checks the options, so a bad one fails where it is given.
        self.rules()

    def rules(self) -> CurationRules:
        """These options as the shared rules."""
        return CurationRules(
            cap_per_query=self.cap_per_query,
            label_shares=self.rebalance,
            validation_share=self.validation_share,
            seed=self.seed,
        )


@dataclass(frozen=True)
class CuratedExport:
    """The rows to write (with `part`: train or validation) and what each rule dropped."""

    rows: pd.DataFrame
    dropped: dict[str, Any]
    labels_before_rebalance: dict[int, int]
    labels_after_rebalance: dict[int, int]


def curate_export(
    selected: pd.DataFrame, curation: Curation, scale: Sequence[int]
) -> CuratedExport:
    """Curate `selected` (pair_id, query_id, doc_id, query, benchmark_query, grade, ...).

    Every pair of a benchmark query is dropped, not only the benchmark pairs themselves:
    the training split recipe draws only from queries with no benchmark pair, and a
    query the judge is measured on must not be trained on. Duplicates are the same query
    text and product under two query ids; the first in (query_id, pair_id) order stays.
    """
    benchmark = selected["benchmark_query"].astype(bool)
    rows = selected[~benchmark].drop(columns="benchmark_query")
    duplicate = rows.duplicated(["query", "doc_id"])
    curated = curate(rows[~duplicate], curation.rules(), scale)
    dropped = {
        "benchmark": int(benchmark.sum()),
        "duplicates": int(duplicate.sum()),
        "cap_per_query": curated.over_cap,
        "rebalance": curated.dropped_by_rebalancing(),
    }
    return CuratedExport(
        curated.rows, dropped, curated.labels_before_rebalance, curated.labels_after_rebalance
    )
