"""Listing runs of both kinds; renaming and deleting datasets and runs, each in one
transaction.

A dataset owns its queries, documents and pairs (rows that name it), and through its pairs
their label events, current labels and judgments; it also owns its judge runs, ranking runs
and relabel batches. A delete removes all of it or, on any failure, nothing. What a delete
removes is counted first (`dataset_footprint`, `run_footprint`) so a user can confirm it
knowing what goes.

A judge run whose relabel batches still write labels is not deleted: those labels are a
user's decision, and undoing the batch is how to take them back, so the delete says to undo
it first (`why_run_cannot_be_deleted`). Undone batches stay, with their events, as the
labels' history.

Graded and pairwise runs share their ids, so a run id is renamed or deleted in whichever
table holds it: a graded run goes with its judgments, a pairwise run with its verdicts (one
per order of a comparison). Reviewers' preferences stay, as labels stay: they are the
reviewers', not the run's.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, fields

import duckdb
import pandas as pd

from ._db import Db, connect, transaction
from ._errors import NotFoundError, StoreError
from ._runs import RunTable, list_runs
from ._vocab import RunKind
from .pairwise._runs import list_pairwise_runs
from .rankings._labels import relabels_in_force

# The tables that name a dataset: renaming one renames it in each.
_NAMED_BY_DATASET = (
    "datasets",
    "queries",
    "documents",
    "pairs",
    "judge_runs",
    "rankings",
    "pooled_pairs",
    "relabel_batches",
    "pairwise_runs",
    "rubrics",
)

# What a dataset delete removes, children first, each statement over the dataset `$dataset`.
# Judgments go by run and by pair, so none can be left pointing at a deleted pair or run.
_DATASET_PAIRS = "SELECT pair_id FROM pairs WHERE dataset = $dataset"
_DATASET_RUNS = "SELECT run_id FROM judge_runs WHERE dataset = $dataset"
_DATASET_ROWS = {
    "pairwise_judgments": "run_id IN (SELECT run_id FROM pairwise_runs WHERE dataset = $dataset)",
    "pairwise_runs": "dataset = $dataset",
    "preference_events": f"pair_a IN ({_DATASET_PAIRS})",
    "ranked_documents": "ranking_id IN (SELECT ranking_id FROM rankings WHERE dataset = $dataset)",
    "rankings": "dataset = $dataset",
    "pooled_pairs": "dataset = $dataset",
    "relabel_batches": "dataset = $dataset",
    "rubrics": "dataset = $dataset",
    "judgments": f"run_id IN ({_DATASET_RUNS}) OR pair_id IN ({_DATASET_PAIRS})",
    "judge_runs": "dataset = $dataset",
    "current_labels": f"pair_id IN ({_DATASET_PAIRS})",
    "label_events": f"pair_id IN ({_DATASET_PAIRS})",
    "pairs": "dataset = $dataset",
    "documents": "dataset = $dataset",
    "queries": "dataset = $dataset",
    "datasets": "dataset = $dataset",
}
# What a run delete removes, children first, by the table that holds the run.
_RUN_ROWS: dict[RunTable, dict[str, str]] = {
    "judge_runs": {"judgments": "run_id = $run_id", "judge_runs": "run_id = $run_id"},
    "pairwise_runs": {
        "pairwise_judgments": "run_id = $run_id",
        "pairwise_runs": "run_id = $run_id",
    },
}


@dataclass(frozen=True)
class Footprint:
    """How many rows of each kind a delete removes (or removed)."""

    queries: int = 0
    documents: int = 0
    pairs: int = 0
    label_events: int = 0
    runs: int = 0
    judgments: int = 0
    pairwise_runs: int = 0
    verdicts: int = 0
    preference_events: int = 0
    rankings: int = 0
    ranked_documents: int = 0
    relabel_batches: int = 0

    def __str__(self) -> str:
        """The non-zero counts in words, e.g. "3 queries, 1 judge run, 20 judgments"."""
        nouns = {
            "queries": ("query", "queries"),
            "label_events": ("label event", "label events"),
            "runs": ("judge run", "judge runs"),
            "pairwise_runs": ("pairwise run", "pairwise runs"),
            "verdicts": ("pairwise verdict", "pairwise verdicts"),
            "preference_events": ("preference event", "preference events"),
            "rankings": ("ranking run", "ranking runs"),
            "ranked_documents": ("ranked document", "ranked documents"),
            "relabel_batches": ("relabel batch", "relabel batches"),
        }
        parts = []
        for f in fields(self):
            n = getattr(self, f.name)
            one, many = nouns.get(f.name, (f.name[:-1], f.name))
            if n:
                parts.append(f"{n:,} {one if n == 1 else many}")
        return ", ".join(parts) or "nothing"


def _count(con: duckdb.DuckDBPyConnection, rows: dict[str, str], params: dict) -> Footprint:
    counts = {
        table: con.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchall()[0][0]
        for table, where in rows.items()
    }
    return Footprint(
        queries=counts.get("queries", 0),
        documents=counts.get("documents", 0),
        pairs=counts.get("pairs", 0),
        label_events=counts.get("label_events", 0),
        runs=counts.get("judge_runs", 0),
        judgments=counts.get("judgments", 0),
        pairwise_runs=counts.get("pairwise_runs", 0),
        verdicts=counts.get("pairwise_judgments", 0),
        preference_events=counts.get("preference_events", 0),
        rankings=counts.get("rankings", 0),
        ranked_documents=counts.get("ranked_documents", 0),
        relabel_batches=counts.get("relabel_batches", 0),
    )


def _delete(con: duckdb.DuckDBPyConnection, rows: dict[str, str], params: dict) -> None:
    for table, where in rows.items():
        con.execute(f"DELETE FROM {table} WHERE {where}", params)


def _check_dataset(con: duckdb.DuckDBPyConnection, dataset: str) -> None:
    if not con.execute("SELECT 1 FROM datasets WHERE dataset = ?", [dataset]).fetchall():
        raise NotFoundError(f"no dataset named {dataset!r}")


def _run_table(con: duckdb.DuckDBPyConnection, run_id: int) -> RunTable:
    """The table that holds run `run_id`, graded or pairwise."""
    for table in _RUN_ROWS:
        if con.execute(f"SELECT 1 FROM {table} WHERE run_id = ?", [run_id]).fetchall():
            return table
    raise NotFoundError(f"no judge run {run_id}")


def _new_name(name: str, what: str) -> str:
    if not name.strip():
        raise StoreError(f"a {what} needs a name: give a non-empty one")
    return name.strip()


def rename_dataset(db: Db, old: str, new: str) -> None:
    """Give dataset `old` the name `new` everywhere it is named (its queries, documents,
    pairs and runs follow). Refuses an empty name or one another dataset has."""
    new = _new_name(new, "dataset")
    with connect(db) as con, transaction(con):
        _check_dataset(con, old)
        if con.execute("SELECT 1 FROM datasets WHERE dataset = ?", [new]).fetchall():
            raise StoreError(f"a dataset named {new!r} already exists: choose another name")
        for table in _NAMED_BY_DATASET:
            con.execute(
                f"UPDATE {table} SET dataset = $new WHERE dataset = $old", {"old": old, "new": new}
            )


def dataset_footprint(db: Db, dataset: str) -> Footprint:
    """What `delete_dataset` would remove: the dataset's queries, documents, pairs, label
    events (with their current labels), judge runs and judgments, ranking runs with their
    ranked documents, and relabel batches."""
    with connect(db) as con:
        _check_dataset(con, dataset)
        return _count(con, _DATASET_ROWS, {"dataset": dataset})


def delete_dataset(db: Db, dataset: str) -> Footprint:
    """Remove `dataset` and everything of it, all or nothing; returns what was removed."""
    with connect(db) as con, transaction(con):
        _check_dataset(con, dataset)
        footprint = _count(con, _DATASET_ROWS, {"dataset": dataset})
        _delete(con, _DATASET_ROWS, {"dataset": dataset})
    return footprint


def list_all_runs(db: Db, dataset: str | None = None) -> pd.DataFrame:
    """Runs of both kinds, newest first: the columns of `list_runs` and a `kind` (RunKind).
    A pairwise run's `judged` counts its answered orders (two per comparison), its `failed`
    and `unparsed` its orders that failed or gave no verdict."""
    graded = list_runs(db, dataset)
    pairwise = list_pairwise_runs(db, dataset).rename(columns={"answered": "judged"})
    # Built from records, not by concatenating frames: a kind with no run, or a column that
    # one kind leaves empty, would otherwise decide the other kind's column types.
    records = [
        *(r | {"kind": RunKind.GRADED} for r in graded.to_dict("records")),
        *(r | {"kind": RunKind.PAIRWISE} for r in pairwise.to_dict("records")),
    ]
    frame = pd.DataFrame(records, columns=[*graded.columns, "kind"])
    return frame.sort_values("run_id", ascending=False, ignore_index=True)


def rename_run(db: Db, run_id: int, name: str) -> None:
    """Give run `run_id`, graded or pairwise, the name `name` (not empty; names need not be
    unique, the run id is what identifies a run)."""
    name = _new_name(name, "judge run")
    with connect(db) as con, transaction(con):
        table = _run_table(con, run_id)
        con.execute(f"UPDATE {table} SET name = ? WHERE run_id = ?", [name, run_id])


def _refusal(con: duckdb.DuckDBPyConnection, run_id: int) -> str | None:
    # Relabel batches name graded runs only; the shared ids keep a pairwise run out of them.
    live = relabels_in_force(con, run_id)
    if not live:
        return None
    (dataset,) = con.execute(
        "SELECT dataset FROM judge_runs WHERE run_id = ?", [run_id]
    ).fetchall()[0]
    batches = ", ".join(f"{batch} ({n:,} labels)" for batch, n in live)
    undo = " and ".join(
        f"`cli.py relabel --dataset {shlex.quote(dataset)} --undo {batch}`" for batch, _ in live
    )
    return (
        f"judge run {run_id} still writes labels through relabel batch {batches}: undo the "
        f"relabel batch first (on the Rankers page, or {undo}), then delete the run"
    )


def why_run_cannot_be_deleted(db: Db, run_id: int) -> str | None:
    """Why `delete_run` would refuse judge run `run_id` (its relabel batches still write
    labels), or None when it can go."""
    with connect(db) as con:
        _run_table(con, run_id)
        return _refusal(con, run_id)


def run_footprint(db: Db, run_id: int) -> Footprint:
    """What `delete_run` would remove: a graded run and its judgments, or a pairwise run and
    its verdicts (labels and preferences stay)."""
    with connect(db) as con:
        return _count(con, _RUN_ROWS[_run_table(con, run_id)], {"run_id": run_id})


def delete_run(db: Db, run_id: int) -> Footprint:
    """Remove run `run_id` (graded or pairwise) and its results, all or nothing; returns what
    was removed. Refuses (StoreError) while its relabel batches write labels."""
    with connect(db) as con, transaction(con):
        rows = _RUN_ROWS[_run_table(con, run_id)]
        refusal = _refusal(con, run_id)
        if refusal:
            raise StoreError(refusal)
        footprint = _count(con, rows, {"run_id": run_id})
        _delete(con, rows, {"run_id": run_id})
    return footprint
