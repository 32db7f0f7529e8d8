"""Which labelled pairs a training export starts from, as a value the manifest can record."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .._db import connect
from .._errors import NotFoundError, StoreError
from .._reviewed import review_condition
from ..team import OWED_BLIND
from ._splits import BENCHMARK_QUERIES, SPLITS


class SelectionKind(StrEnum):
    """Which labelled pairs an export starts from (see `Selection`)."""

    LABELLED = "labelled"
    REVIEWED = "reviewed"
    CORRECTED = "corrected"
    JUDGE_WRONG = "judge_wrong"


SELECTION_KINDS: tuple[SelectionKind, ...] = tuple(SelectionKind)


@dataclass(frozen=True, kw_only=True)
class Selection:
    """Pairs with a current human label, narrowed by kind and filters.

    kind: `labelled` (every labelled pair), `reviewed` or `corrected` (the words of
    `_reviewed`: a review in force; a review changed the imported grade), `judge_wrong`
    (run `run_id` gave a grade other than the current label; `cell` = (human grade, judge
    grade) keeps one confusion cell). `split` and `query_classes`
    narrow any kind. `dataset` None means the run's dataset, or the store's only dataset.
    `blind_to`: leave out the pairs this reviewer still owes their grade in a blind task, as
    every page that shows labels does (`owed_blind_pairs`), so an export made by them does
    not show a co-reviewer's labels either.
    """

    kind: SelectionKind = SelectionKind.LABELLED
    dataset: str | None = None
    run_id: int | None = None
    cell: tuple[int, int] | None = None
    split: str | None = None
    query_classes: tuple[str, ...] = ()
    blind_to: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in SELECTION_KINDS:
            raise StoreError(
                f"selection kind {self.kind!r}: choose one of {', '.join(SELECTION_KINDS)}"
            )
        object.__setattr__(self, "kind", SelectionKind(self.kind))
        if (self.kind == "judge_wrong") != (self.run_id is not None):
            raise StoreError("a run is needed for, and only for, the judge_wrong selection")
        if self.cell is not None and (self.kind != "judge_wrong" or self.cell[0] == self.cell[1]):
            raise StoreError(
                f"confusion cell {self.cell}: a cell narrows judge_wrong and needs "
                "two different grades (human, judge)"
            )
        if self.split is not None and self.split not in SPLITS:
            raise StoreError(f"split {self.split!r}: choose one of {SPLITS}")


def selection_count(db: str | Path, selection: Selection) -> int:
    """The pairs `selection` picks, benchmark queries' pairs included: what an export's
    manifest counts as selected, before its rules leave any out (`plan_export` counts
    those)."""
    with connect(db) as con:
        dataset, _, _ = resolve_dataset(con, selection)
        return len(selected_pairs(con, selection, dataset))


def selected_dataset(db: str | Path, selection: Selection) -> tuple[str, list[int], list[str]]:
    """The dataset `selection` reads, with its grades and their names: what an export's
    prompt template must grade on."""
    with connect(db) as con:
        return resolve_dataset(con, selection)


def resolve_dataset(
    con: duckdb.DuckDBPyConnection, selection: Selection
) -> tuple[str, list[int], list[str]]:
    """The dataset the selection reads (named, the run's, or the store's only one), with
    its grades and their names."""
    dataset = _dataset_name(con, selection)
    row = con.execute(
        "SELECT grades, grade_names FROM datasets WHERE dataset = ?", [dataset]
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no dataset named {dataset!r}")
    return dataset, list(row[0]), list(row[1])


def _dataset_name(con: duckdb.DuckDBPyConnection, selection: Selection) -> str:
    if selection.run_id is not None:
        row = con.execute(
            "SELECT dataset FROM judge_runs WHERE run_id = ?", [selection.run_id]
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no judge run {selection.run_id}")
        if selection.dataset not in (None, row[0]):
            raise StoreError(
                f"run {selection.run_id} judged dataset {row[0]!r}, not {selection.dataset!r}"
            )
        return str(row[0])
    names = [r[0] for r in con.execute("SELECT dataset FROM datasets ORDER BY 1").fetchall()]
    if selection.dataset is not None:
        if selection.dataset not in names:
            raise NotFoundError(f"no dataset named {selection.dataset!r}")
        return selection.dataset
    if len(names) != 1:
        raise StoreError(
            f"the store has {len(names)} datasets ({', '.join(names) or 'none'}): name one"
        )
    return str(names[0])


def selected_pairs(
    con: duckdb.DuckDBPyConnection, selection: Selection, dataset: str
) -> pd.DataFrame:
    """The selection's pairs ordered by query: pair_id, query_id, doc_id, query, split,
    benchmark_query (the query has a benchmark pair), grade (the current label),
    judge_grade (NA unless a run is selected), labelled_at, note (of the label in force)."""
    where = ["p.dataset = $dataset", "c.grade IS NOT NULL"]
    params: dict[str, Any] = {"dataset": dataset}
    judged = ""
    if selection.kind is SelectionKind.REVIEWED:
        where.append(review_condition("reviewed"))
    elif selection.kind is SelectionKind.CORRECTED:
        where.append(review_condition("corrected"))
    if selection.run_id is not None:
        judged = "JOIN judgments j ON j.pair_id = p.pair_id AND j.run_id = $run_id"
        where.append("j.grade IS NOT NULL AND j.grade <> c.grade")
        params["run_id"] = selection.run_id
    if selection.cell is not None:
        where.append("c.grade = $human AND j.grade = $judge")
        params["human"], params["judge"] = selection.cell
    if selection.split is not None:
        where.append("p.split = $split")
        params["split"] = selection.split
    if selection.query_classes:
        where.append("list_contains($classes, q.query_class)")
        params["classes"] = list(selection.query_classes)
    if selection.blind_to:
        where.append(f"p.pair_id NOT IN (SELECT pair_id FROM ({OWED_BLIND}))")
        params["blind_to"] = selection.blind_to
    return con.execute(
        f"""
        SELECT p.pair_id, p.query_id, p.doc_id, q.query, p.split,
               p.query_id IN (
                   SELECT query_id FROM ({BENCHMARK_QUERIES}) WHERE dataset = $dataset
               ) AS benchmark_query,
               c.grade,
               {"j.grade" if judged else "NULL::INTEGER"} AS judge_grade,
               c.changed_at AS labelled_at, c.note
        FROM pairs p
        JOIN queries q USING (dataset, query_id)
        JOIN current_labels c USING (pair_id)
        {judged}
        WHERE {" AND ".join(where)}
        ORDER BY p.query_id, p.pair_id
        """,
        params,
    ).df()


# Why a kind selects nothing in the whole dataset, in words a user can act on.
_NONE_OF_KIND = {
    "labelled": "dataset {dataset!r} has no labelled pair: import a file with labels, or grade "
    "pairs in review",
    "reviewed": "no pair is reviewed yet: a pair is reviewed when a reviewer graded it, marked "
    "it unsure or left a note (review some pairs, or select `labelled`)",
    "corrected": "no pair is corrected yet: a pair is corrected when a review changed its "
    "imported grade (review some pairs, or select `reviewed`)",
    "judge_wrong": "run {run_id} graded no labelled pair differently from the humans, so it "
    "has no wrong answer to export (select `labelled`, or another run)",
}
_KIND_PAIRS = {
    "labelled": "labelled pair{s}",
    "reviewed": "reviewed pair{s}",
    "corrected": "corrected pair{s}",
    "judge_wrong": "pair{s} run {run_id} got wrong",
}


def why_nothing_selected(
    con: duckdb.DuckDBPyConnection, selection: Selection, dataset: str, names: Mapping[int, str]
) -> str:
    """Why `selection` picks no pair of `dataset` (`names`: grade -> name): its kind picks
    none at all, or its narrowing (cell, split, query classes) leaves none of those."""
    facts = {"dataset": dataset, "run_id": selection.run_id}
    broad = dataclasses.replace(selection, cell=None, split=None, query_classes=())
    picked = len(selected_pairs(con, broad, dataset))
    if picked == 0:
        return _NONE_OF_KIND[selection.kind].format(**facts)
    narrowing = []
    if selection.cell is not None:
        human, judge = (names.get(g, str(g)) for g in selection.cell)
        narrowing.append(f"is in the cell human {human}, judge {judge}")
    if selection.split is not None:
        narrowing.append(f"is in the {selection.split} split")
    if selection.query_classes:
        narrowing.append("has the query class " + " or ".join(map(repr, selection.query_classes)))
    pairs = _KIND_PAIRS[selection.kind].format(s="" if picked == 1 else "s", **facts)
    return f"of the {picked} {pairs}, none {' and '.join(narrowing)}"
