"""The export's curation: the shared rules of `_curate` (cap per query, label rebalancing,
train / validation split by query), after two rules only an export needs: pairs of
benchmark queries and duplicate (query text, product) pairs are dropped.

Every dropped pair is counted under the rule that dropped it, for the manifest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ._curate import Curation, curate


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
    curated = curate(rows[~duplicate], curation, scale)
    dropped = {
        "benchmark": int(benchmark.sum()),
        "duplicates": int(duplicate.sum()),
        "cap_per_query": curated.over_cap,
        "rebalance": curated.dropped_by_rebalancing(),
    }
    return CuratedExport(
        curated.rows, dropped, curated.labels_before_rebalance, curated.labels_after_rebalance
    )
