"""Every ranking run of a dataset measured under qrels, query by query.

The store hands the ranked documents over with their ids already numbered (categorical
columns); `metrics.encode_runs` lays them out once, and each qrels is put under them with
`RankedRuns.lists`, so comparing two qrels reads and encodes the runs once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

import metrics
import storage

DEFAULT_MEASURES = metrics.default_measures()


@dataclass(frozen=True, kw_only=True)
class RankSettings:
    """What the ranking measures are and how their intervals are drawn: `threshold` is the
    lowest relevance level RR, P and R count (1: WANDS Partial and Exact)."""

    measures: tuple[str, ...] = DEFAULT_MEASURES
    threshold: int = 1
    n_boot: int = 1000
    seed: int = 0


def ranked_runs(db: str | Path, dataset: str, query_ids: Sequence[str]) -> metrics.RankedRuns:
    """The dataset's ranking runs (by name) encoded on the axis `query_ids`."""
    runs = storage.rankings.list_rankings(db, dataset)
    if runs.empty:
        raise storage.StoreError(
            f"dataset {dataset!r} has no ranking run: import one (`cli.py import run`, or the "
            "Rankers page)"
        )
    ranked = storage.rankings.ranked_documents(db, dataset)
    names = dict(zip(runs["ranking_id"], runs["name"]))
    # Categorical, so the run names are not hashed again for each of millions of rows.
    ranked["run"] = pd.Categorical(ranked["ranking_id"], categories=list(names)).rename_categories(
        names
    )
    return metrics.encode_runs(ranked, runs=list(runs["name"]), query_ids=query_ids)


def per_query(
    runs: metrics.RankedRuns,
    qrels: pd.DataFrame,
    settings: RankSettings,
    measures: Sequence[str] | None = None,
) -> NDArray[np.float64]:
    """(measures, runs, queries) values of `runs` under `qrels`."""
    return metrics.per_query_measures(
        runs.lists(qrels), measures or settings.measures, threshold=settings.threshold
    )


def queries_of(*qrels: pd.DataFrame) -> list[str]:
    """Every query some of `qrels` grades, sorted: the query axis they are compared on."""
    return sorted(set().union(*(set(q["query_id"]) for q in qrels)))
