"""Listing runs of both kinds; renaming and deleting datasets and runs, each in one
transaction.

What a dataset owns is declared once, in `_owned.py` (its queries, documents and pairs, their
label events and judgments, its runs of every kind, its team's reviewers, tasks and
guideline, its rubric...); a rename rewrites every column there that names it, a delete
removes every row there that belongs to it, all or nothing. What a delete removes is counted
first (`dataset_footprint`, `run_footprint`) so a user can confirm it knowing what goes.

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
from collections.abc import Iterator, Mapping

import duckdb
import pandas as pd

from words import plural

from ._db import Db, connect, transaction
from ._errors import NotFoundError, StoreError
from ._owned import OWNED, OWNED_BY_TABLE, ROOT, renamed_columns, rows_under
from ._runs import RunTable, list_runs
from ._vocab import RunKind
from .pairwise import list_pairwise_runs
from .rankings import relabels_in_force

# What a dataset delete removes and what a run delete removes, children first, each
# condition over the parameter `$dataset` or `$run_id`: read from the declaration of what a
# dataset owns, so a table declared there is deleted, counted and renamed with the rest.
_DATASET_ROWS = rows_under(ROOT, "dataset")
_RUN_ROWS: dict[RunTable, dict[str, str]] = {
    table: rows_under(table, "run_id") for table in ("judge_runs", "pairwise_runs")
}


class Footprint(Mapping[str, int]):
    """How many rows of each owned table a delete removes (or removed): a count for every
    table of `OWNED`, zero when not given.

    >>> str(Footprint(queries=1, pairs=2, judge_runs=1))
    '1 query, 2 pairs, 1 judge run'
    """

    def __init__(self, counts: Mapping[str, int] | None = None, /, **more: int) -> None:
        given = {**(counts or {}), **more}
        unknown = sorted(set(given) - set(OWNED_BY_TABLE))
        if unknown:
            raise ValueError(f"not tables a dataset owns: {', '.join(unknown)}")
        self._counts = {o.table: int(given.get(o.table, 0)) for o in OWNED}

    def __getitem__(self, table: str) -> int:
        return self._counts[table]

    def __iter__(self) -> Iterator[str]:
        return iter(self._counts)

    def __len__(self) -> int:
        return len(self._counts)

    def __repr__(self) -> str:
        return f"Footprint({', '.join(f'{t}={n}' for t, n in self._counts.items() if n)})"

    def __str__(self) -> str:
        """The non-zero counts in words, e.g. "3 queries, 1 judge run, 20 judgments"; the
        tables the declaration gives no words (a cache, marks on pairs) are left out."""
        parts = [
            plural(self._counts[o.table], *o.noun)
            for o in OWNED
            if o.noun is not None and self._counts[o.table]
        ]
        return ", ".join(parts) or "nothing"


def _count(con: duckdb.DuckDBPyConnection, rows: dict[str, str], params: dict) -> Footprint:
    counts = {}
    for table, where in rows.items():
        found = con.execute(f"SELECT count(*) FROM {table} WHERE {where}", params)
        (counts[table],) = found.fetchall()[0]
    return Footprint(counts)


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
    """Give dataset `old` the name `new` in every column that names a dataset (everything it
    owns follows). Refuses an empty name or one another dataset has."""
    new = _new_name(new, "dataset")
    with connect(db) as con, transaction(con):
        _check_dataset(con, old)
        if con.execute("SELECT 1 FROM datasets WHERE dataset = ?", [new]).fetchall():
            raise StoreError(f"a dataset named {new!r} already exists: choose another name")
        for table, column in renamed_columns():
            con.execute(
                f"UPDATE {table} SET {column} = $new WHERE {column} = $old",
                {"old": old, "new": new},
            )


def dataset_footprint(db: Db, dataset: str) -> Footprint:
    """What `delete_dataset` would remove: every row the dataset owns, by table."""
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
