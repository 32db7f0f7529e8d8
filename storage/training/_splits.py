"""Splits by query: the seed's benchmark and training recipes.

A query's pairs are in at most one split, so nothing the judge is trained on shares a query
with what it is measured on. Pairs a recipe does not pick keep split NULL ("unassigned"):
the unpicked pairs of a benchmark query are not training data either, because the training
recipe only draws from queries that have no benchmark pair.

The sampling is pure functions over a frame of (pair_id, query_id, grade); the training
recipe is the curation rules of `_curate`, which the export applies too, so a training split
and an export with the same options and seed pick the same pairs. `split_benchmark` and
`split_training` read the pairs and write `pairs.split` in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grade_scale import Scale
from words import plural

from .._datasets import scale_on
from .._db import connect, transaction
from .._errors import StoreError
from ._curate import Curation, curate

SPLITS = ("train", "validation", "benchmark")

BENCHMARK_QUERIES = "SELECT DISTINCT dataset, query_id FROM pairs WHERE split = 'benchmark'"
"""A benchmark query is a query with a pair in the benchmark split: the split is per query,
so none of its pairs, labelled or not, is training data. `outside_benchmark` is the same
rule over a frame of pairs."""


def outside_benchmark(pairs: pd.DataFrame) -> pd.DataFrame:
    """The rows of `pairs` (query_id, split) whose query is not a benchmark query."""
    held_out = pairs.loc[pairs["split"] == "benchmark", "query_id"].unique()
    return pairs[~pairs["query_id"].isin(held_out)]


@dataclass(frozen=True, kw_only=True)
class BenchmarkRecipe:
    """N held-out queries x M pairs each, with at least `min_per_label` of every grade a
    query has (the seed: 50 queries x 10 products, at least 2 Exact, 2 Partial, 2 Irrelevant).

    Queries that have `min_per_label` of every grade of the scale and at least `per_query`
    labelled pairs are picked first, so the benchmark can tell all grades apart; others
    fill in only when there are too few of those.
    """

    queries: int = 50
    per_query: int = 10
    min_per_label: int = 2
    seed: int = 0


@dataclass(frozen=True, kw_only=True)
class TrainingRecipe(Curation):
    """The seed's training recipe: the shared curation rules (`Curation`: a cap per
    query, optional rebalancing to `label_shares`, `validation_share` of the queries as
    validation) with the seed's defaults, 12 pairs per query and 10% validation. It draws
    only from the queries with no benchmark pair."""

    cap_per_query: int | None = 12
    validation_share: float = 0.1


@dataclass(frozen=True)
class SplitReport:
    """What a recipe produced: per split its queries, pairs and pairs per grade, and how
    many labelled pairs were left out for each reason; `scale` names the grades."""

    splits: Mapping[str, Mapping[str, Any]]
    dropped: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    scale: Scale | None = None

    def __str__(self) -> str:
        scale = self.scale or Scale.of(g for s in self.splits.values() for g in s["labels"])
        lines = [
            f"{name}: {plural(s['queries'], 'query')}, {plural(s['pairs'], 'pair')}, labels "
            + scale.counts(s["labels"])
            for name, s in self.splits.items()
        ]
        lines += [f"left out: {plural(n, 'pair')} ({reason})" for reason, n in self.dropped.items()]
        return "\n".join([*lines, *self.notes])


@dataclass(frozen=True)
class SplitPlan:
    """Pair -> split assignments (only the assigned pairs) and the report."""

    assignments: pd.DataFrame
    report: SplitReport


def plan_benchmark(
    pairs: pd.DataFrame, recipe: BenchmarkRecipe, grades: Sequence[int]
) -> SplitPlan:
    """Pick the benchmark from `pairs` (pair_id, query_id, grade; grade NA = unlabelled)."""
    if recipe.queries < 1 or recipe.per_query < 1 or recipe.min_per_label < 0:
        raise StoreError("a benchmark needs at least 1 query and 1 pair per query")
    rng = np.random.default_rng(recipe.seed)
    labelled = _labelled(pairs)
    counts = pd.crosstab(labelled["query_id"], labelled["grade"]).reindex(
        columns=list(grades), fill_value=0
    )
    complete = (counts >= recipe.min_per_label).all(axis=1) & (
        counts.sum(axis=1) >= recipe.per_query
    )
    full = counts.sum(axis=1) >= recipe.per_query
    tiers = [counts.index[complete], counts.index[~complete & full], counts.index[~full]]
    order = np.concatenate([rng.permutation(np.asarray(tier, dtype=object)) for tier in tiers])
    chosen = set(order[: recipe.queries])
    notes = []
    fit = int(complete.sum())
    if fit < recipe.queries:
        notes.append(
            f"only {plural(fit, 'query')} {'has' if fit == 1 else 'have'} "
            f"{plural(recipe.min_per_label, 'pair')} of every grade and "
            f"{plural(recipe.per_query, 'labelled pair')}; "
            f"{min(len(order), recipe.queries):,} picked"
        )

    picked = labelled[labelled["query_id"].isin(chosen)].copy()
    picked["key"] = rng.random(len(picked))
    picked = picked.sort_values(["query_id", "key"], kind="stable")
    # Round-robin over grades first (the label minimums), then the rest in random order.
    picked["rank"] = picked.groupby(["query_id", "grade"]).cumcount()
    picked["extra"] = picked["rank"] >= recipe.min_per_label
    picked = picked.sort_values(["query_id", "extra", "rank", "key"], kind="stable")
    picked = picked[picked.groupby("query_id").cumcount() < recipe.per_query]
    assignments = pd.DataFrame({"pair_id": picked["pair_id"].to_numpy(), "split": "benchmark"})
    left = len(labelled[labelled["query_id"].isin(chosen)]) - len(picked)
    return SplitPlan(
        assignments,
        _report(pairs, assignments, grades, {"not picked from benchmark queries": left}, notes),
    )


def plan_training(pairs: pd.DataFrame, recipe: TrainingRecipe, grades: Sequence[int]) -> SplitPlan:
    """Train and validation splits of the labelled pairs in `pairs` (already without
    benchmark queries), by the same rules and seed as an export with these options."""
    curated = curate(_labelled(pairs), recipe, grades)
    assignments = pd.DataFrame(
        {"pair_id": curated.rows["pair_id"].to_numpy(), "split": curated.rows["part"].to_numpy()}
    )
    dropped = {
        f"over the cap of {recipe.cap_per_query} per query": curated.over_cap,
        "rebalancing to the target label shares": sum(curated.dropped_by_rebalancing().values()),
    }
    return SplitPlan(assignments, _report(pairs, assignments, grades, dropped, ()))


def _labelled(pairs: pd.DataFrame) -> pd.DataFrame:
    frame = pairs[pairs["grade"].notna()][["pair_id", "query_id", "grade"]]
    return frame.astype({"grade": "int64"}).sort_values(["query_id", "pair_id"], kind="stable")


def _report(
    pairs: pd.DataFrame,
    assignments: pd.DataFrame,
    grades: Sequence[int],
    dropped: Mapping[str, int],
    notes: Sequence[str],
) -> SplitReport:
    joined = assignments.merge(pairs[["pair_id", "query_id", "grade"]], on="pair_id")
    splits = {}
    for name in SPLITS:
        part = joined[joined["split"] == name]
        if len(part):
            counts = part["grade"].value_counts()
            splits[name] = {
                "queries": int(part["query_id"].nunique()),
                "pairs": len(part),
                "labels": {int(g): int(counts.get(g, 0)) for g in grades},
            }
    scale = grades if isinstance(grades, Scale) else Scale.of(grades)
    return SplitReport(splits, {k: v for k, v in dropped.items() if v}, tuple(notes), scale)


def split_benchmark(
    db: str | Path, dataset: str, recipe: BenchmarkRecipe = BenchmarkRecipe()
) -> SplitReport:
    """Pick the benchmark of `dataset` anew. Every earlier split of the dataset is cleared,
    since the training split depends on which queries are held out."""
    with connect(db) as con, transaction(con):
        plan = plan_split(*_read(con, dataset), recipe)
        con.execute(
            "UPDATE pairs SET split = NULL WHERE dataset = ? AND split IS NOT NULL", [dataset]
        )
        _write(con, dataset, plan.assignments)
    return plan.report


def split_training(
    db: str | Path, dataset: str, recipe: TrainingRecipe = TrainingRecipe()
) -> SplitReport:
    """Make the train and validation splits of `dataset` anew from the queries that have
    no benchmark pair; the benchmark is left as it is."""
    with connect(db) as con, transaction(con):
        plan = plan_split(*_read(con, dataset), recipe)
        con.execute(
            "UPDATE pairs SET split = NULL WHERE dataset = ? AND split IN ('train', 'validation')",
            [dataset],
        )
        _write(con, dataset, plan.assignments)
    return plan.report


def plan_split(
    pairs: pd.DataFrame, grades: Sequence[int], recipe: BenchmarkRecipe | TrainingRecipe
) -> SplitPlan:
    """What `recipe` would assign over a dataset's `pairs` (pair_id, query_id, grade, split
    as stored): a benchmark from every query, or training splits from the queries that
    have no benchmark pair."""
    if isinstance(recipe, BenchmarkRecipe):
        return plan_benchmark(pairs, recipe, grades)
    return plan_training(outside_benchmark(pairs), recipe, grades)


def read_split_input(db: str | Path, dataset: str) -> tuple[pd.DataFrame, Scale]:
    """The pairs of `dataset` with their current grade and split, and its scale: what
    `plan_split` takes."""
    with connect(db) as con:
        return _read(con, dataset)


def _read(con: Any, dataset: str) -> tuple[pd.DataFrame, Scale]:
    scale = scale_on(con, dataset)
    pairs = con.execute(
        "SELECT p.pair_id, p.query_id, c.grade, p.split FROM pairs p "
        "LEFT JOIN current_labels c USING (pair_id) WHERE p.dataset = ? ORDER BY p.pair_id",
        [dataset],
    ).df()
    return pairs.astype({"grade": "Int64"}), scale


def _write(con: Any, dataset: str, assignments: pd.DataFrame) -> None:
    con.register("_split_assignments", assignments)
    con.execute(
        "UPDATE pairs SET split = a.split FROM _split_assignments a WHERE pairs.pair_id = a.pair_id"
    )
    con.unregister("_split_assignments")
    # The invariant every consumer relies on; a violation would be a bug here, so fail loudly.
    mixed = con.execute(
        "SELECT query_id FROM pairs WHERE dataset = ? AND split IS NOT NULL "
        "GROUP BY query_id HAVING count(DISTINCT split) > 1 LIMIT 1",
        [dataset],
    ).fetchall()
    if mixed:
        raise StoreError(f"query {mixed[0][0]!r} would be in two splits; nothing was changed")
