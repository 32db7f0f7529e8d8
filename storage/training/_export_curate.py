"""The export's curation: the shared rules of `_curate` (cap per query, label rebalancing,
train / validation split by query), after the rules only an export needs: pairs of
benchmark queries, pairs without a note when the format writes the note, and duplicate
(query text, product) pairs are dropped.

The split is the dataset's own when it has one (made on the Data page or with `cli.py
split`): its validation queries are the validation file's, whatever the validation share.
Only a dataset without one is split by the export's validation share.

Every dropped pair is counted under the rule that dropped it, for the manifest, and each
rule has its words here (`LEFT_OUT`), which the page, the CLI and the errors read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from words import plural

from ._curate import Curation, curate

LEFT_OUT = {
    "benchmark": "in benchmark queries (held out to measure judges)",
    "ties": "ties (a preference row needs one product better)",
    "no_note": "without a reviewer's note (the format writes the note as feedback)",
    "duplicates": "repeating a (query, product) pair",
    "cap_per_query": "over the cap per query",
    "rebalance": "dropped to rebalance the labels",
}
"""Why a selected pair was not exported, by the manifest's key for the rule."""


def left_out_counts(dropped: Mapping[str, Any]) -> dict[str, int]:
    """The pairs each rule dropped (`dropped`, by the manifest's keys; rebalancing counted
    per grade), in the words of `LEFT_OUT`, for the rules that dropped any."""
    counts = {
        LEFT_OUT[rule]: sum(n.values()) if isinstance(n, Mapping) else n
        for rule, n in dropped.items()
    }
    return {reason: n for reason, n in counts.items() if n}


DATASET_SPLIT = "dataset"
EXPORT_SPLIT = "export"


@dataclass(frozen=True)
class CuratedExport:
    """The rows to write (with `part`: train or validation), what each rule dropped, and
    where the split came from (`split`: source, and what it means)."""

    rows: pd.DataFrame
    dropped: dict[str, Any]
    labels_before_rebalance: dict[int, int]
    labels_after_rebalance: dict[int, int]
    split: dict[str, Any]


def split_words(split: Mapping[str, Any]) -> str:
    """Where an export's train / validation split came from, in a sentence."""
    if split["source"] == DATASET_SPLIT:
        words = "the dataset's own train / validation split (queries as the Data page split them)"
        if split["unassigned_queries"]:
            outside = plural(split["unassigned_queries"], "query")
            words += f"; {outside} outside it went to train"
        if split["validation_share_unused"]:
            words += "; the validation share asked for was not used"
        return words
    share = split["validation_share"]
    if not share:
        return (
            "no validation file: the dataset has no train / validation split, and no "
            "validation share was asked"
        )
    return (
        f"drawn by the export, as the dataset has no train / validation split: "
        f"{share:.0%} of the queries (seed {split['seed']})"
    )


def curate_export(
    selected: pd.DataFrame,
    curation: Curation,
    scale: Sequence[int],
    *,
    dataset_split: Mapping[Any, str],
    needs_note: bool = False,
) -> CuratedExport:
    """Curate `selected` (pair_id, query_id, doc_id, query, benchmark_query, grade, note,
    ...). `dataset_split` maps each query of the dataset's own split to train or
    validation (empty when it has none); `needs_note` drops pairs without a note.

    Every pair of a benchmark query is dropped, not only the benchmark pairs themselves:
    the training split recipe draws only from queries with no benchmark pair, and a
    query the judge is measured on must not be trained on. Duplicates are the same query
    text and product under two query ids; the first in (query_id, pair_id) order stays.
    """
    benchmark = selected["benchmark_query"].astype(bool)
    rows = selected[~benchmark].drop(columns="benchmark_query")
    no_note = pd.Series(False, index=rows.index)
    if needs_note:
        no_note = rows["note"].fillna("").str.strip() == ""
        rows = rows[~no_note]
    duplicate = rows.duplicated(["query", "doc_id"])
    validation = None
    if dataset_split:
        validation = {q for q, part in dataset_split.items() if part == "validation"}
    curated = curate(rows[~duplicate], curation, scale, validation=validation)
    dropped = {
        "benchmark": int(benchmark.sum()),
        "no_note": int(no_note.sum()),
        "duplicates": int(duplicate.sum()),
        "cap_per_query": curated.over_cap,
        "rebalance": curated.dropped_by_rebalancing(),
    }
    if dataset_split:
        queries = curated.rows["query_id"].unique()
        split: dict[str, Any] = {
            "source": DATASET_SPLIT,
            "unassigned_queries": sum(q not in dataset_split for q in queries),
            "validation_share_unused": curation.validation_share > 0,
        }
    else:
        split = {
            "source": EXPORT_SPLIT,
            "validation_share": curation.validation_share,
            "seed": curation.seed,
        }
    return CuratedExport(
        curated.rows,
        dropped,
        curated.labels_before_rebalance,
        curated.labels_after_rebalance,
        split,
    )
