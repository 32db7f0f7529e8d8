"""What a split would do that a user would likely not want, said before it is done.

A benchmark that holds out more than half of the labelled queries leaves little to train on,
and one that takes them all leaves nothing; a training recipe can leave the train or the
validation split empty. The plan is computed exactly as the split computes it, and nothing
is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from words import plural

from ._curate import validation_count
from ._splits import (
    BenchmarkRecipe,
    TrainingRecipe,
    outside_benchmark,
    plan_split,
    read_split_input,
)


def split_warnings(
    db: str | Path, dataset: str, recipe: BenchmarkRecipe | TrainingRecipe
) -> list[str]:
    """Plain-language warnings about splitting `dataset` with `recipe`; empty when the split
    looks sound. Queries are counted among those with a labelled pair, since only those
    can be split."""
    pairs, grades = read_split_input(db, dataset)
    splits = plan_split(pairs, grades, recipe).report.splits
    if isinstance(recipe, BenchmarkRecipe):
        return _benchmark_warnings(_labelled_queries(pairs), splits)
    return _training_warnings(_labelled_queries(outside_benchmark(pairs)), recipe, splits)


def _labelled_queries(pairs: pd.DataFrame) -> int:
    return int(pairs.loc[pairs["grade"].notna(), "query_id"].nunique())


def _benchmark_warnings(labelled: int, splits: Mapping[str, Mapping[str, Any]]) -> list[str]:
    taken = splits.get("benchmark", {}).get("queries", 0)
    if taken == 0:
        return ["the benchmark would have no pairs: the dataset has no labelled pair"]
    if 2 * taken <= labelled:
        return []
    left = labelled - taken
    return [
        f"the benchmark would take {taken} of {labelled} labelled queries "
        f"({taken / labelled:.0%}), more than half, leaving "
        f"{plural(left, 'query') if left else 'none'} to train on"
    ]


def _training_warnings(
    labelled: int, recipe: TrainingRecipe, splits: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    if labelled == 0:
        return [
            "the training split would have no pairs: every labelled query is in the "
            "benchmark (make the benchmark smaller)"
        ]
    if recipe.validation_share > 0 and validation_count(labelled, recipe.validation_share) == 0:
        return [
            f"the validation split would have no pairs: {plural(labelled, 'query')} outside the "
            "benchmark cannot be split into train and validation"
        ]
    return [
        f"the {part} split would have no pairs"
        for part in ("train", "validation")
        if part not in splits and (part == "train" or recipe.validation_share > 0)
    ]
