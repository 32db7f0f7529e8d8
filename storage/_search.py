"""Finding pairs in a dataset, judged or not: a filtered search a page at a time, every
product of one query side by side, the queries to pick from, and the dataset of a pair id.

All in DuckDB; only the rows a page shows cross into Python.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from ._browse import _JOINS, NO_FILTERS, CellPage, PairFilters, contains_pattern
from ._db import Db, connect
from ._errors import NotFoundError, StoreError
from ._pairs import STALENESS

# Search results read like the dataset: by query text, then as imported.
_ORDER = "q.query, p.query_id, p.pair_id"


def _check_run(con: duckdb.DuckDBPyConnection, dataset: str, run_id: int | None) -> None:
    if run_id is None:
        return
    row = con.execute("SELECT dataset FROM judge_runs WHERE run_id = ?", [run_id]).fetchone()
    if row is None:
        raise NotFoundError(f"no judge run {run_id}")
    if row[0] != dataset:
        raise StoreError(f"run {run_id} judged dataset {row[0]!r}, not {dataset!r}")


def _dataset_pairs(
    dataset: str, run_id: int | None, filters: PairFilters
) -> tuple[str, dict[str, Any]]:
    """FROM + WHERE over every pair of `dataset` matching `filters`, with its query `q`, its
    current label `c` and its judgment `j` in `run_id` (NULL when unlabelled, unjudged or
    no run)."""
    if run_id is None and filters.needs_run():
        raise StoreError("the confidence and stale filters read a judge run: choose a run")
    where, params, needed = filters.sql(pair_id="p.pair_id")
    joins = "".join(f" {_JOINS[t]}" for t in ("q", "d") if t in needed | {"q"})
    return (
        "FROM pairs p LEFT JOIN current_labels c ON c.pair_id = p.pair_id "
        "LEFT JOIN judgments j ON j.run_id = $run_id AND j.pair_id = p.pair_id"
        f"{joins} WHERE p.dataset = $dataset{where}",
        {"dataset": dataset, "run_id": run_id, **params},
    )


def search_pairs(
    db: Db,
    dataset: str,
    *,
    run_id: int | None,
    filters: PairFilters = NO_FILTERS,
    offset: int = 0,
    limit: int = 50,
) -> CellPage:
    """One page of the pairs of `dataset` (labelled or not, judged or not) that match
    `filters`, and how many match in all. The judge columns read `run_id`; without a run
    they are null, and the confidence and stale filters are refused.

    Columns: pair_id, query_id, query, product_name, split, human (current grade), judge
    (grade in the run), confidence, stale. Ordered by query text, then pair id.
    """
    with connect(db) as con:
        _check_run(con, dataset, run_id)
        source, params = _dataset_pairs(dataset, run_id, filters)
        total = con.execute(f"SELECT count(*) {source}", params).fetchall()[0][0]
        rows = con.execute(
            f"""
            SELECT p.pair_id, p.query_id, q.query, d.title AS product_name, p.split,
                   c.grade AS human, j.grade AS judge, j.confidence, s.stale
            FROM ({_ids_query(source)} LIMIT $limit OFFSET $offset) page
            JOIN pairs p USING (pair_id)
            LEFT JOIN current_labels c USING (pair_id)
            LEFT JOIN judgments j ON j.run_id = $run_id AND j.pair_id = p.pair_id
            {_JOINS["q"]} {_JOINS["d"]} {STALENESS}
            ORDER BY {_ORDER}
            """,
            {**params, "limit": int(limit), "offset": int(offset)},
        ).df()
    return CellPage(rows=rows, total=int(total))


def _ids_query(source: str) -> str:
    return f"SELECT p.pair_id {source} ORDER BY {_ORDER}"


def search_pair_ids(
    db: Db, dataset: str, *, run_id: int | None, filters: PairFilters = NO_FILTERS
) -> list[int]:
    """Every pair id `search_pairs` would list, in its order: the queue of "review all
    results"."""
    with connect(db) as con:
        _check_run(con, dataset, run_id)
        source, params = _dataset_pairs(dataset, run_id, filters)
        rows = con.execute(_ids_query(source), params).fetchall()
    return [int(r[0]) for r in rows]


def query_pairs(db: Db, dataset: str, query_id: str, *, run_id: int | None) -> pd.DataFrame:
    """Every product of one query with the human and the judge grade side by side.

    Columns: pair_id, doc_id, product_name, product_class, human, judge, confidence, stale,
    unsure, note, split. Sorted by human grade (highest first, unlabelled last), then judge
    grade the same way, then pair id.
    """
    with connect(db) as con:
        _check_run(con, dataset, run_id)
        known = con.execute(
            "SELECT 1 FROM queries WHERE dataset = ? AND query_id = ?", [dataset, query_id]
        ).fetchall()
        if not known:
            raise NotFoundError(f"query {query_id!r} is not in dataset {dataset!r}")
        return con.execute(
            f"""
            SELECT p.pair_id, p.doc_id, d.title AS product_name, d.doc_class AS product_class,
                   c.grade AS human, j.grade AS judge, j.confidence, s.stale,
                   coalesce(c.unsure, false) AS unsure, c.note, p.split
            FROM pairs p
            {_JOINS["d"]}
            LEFT JOIN current_labels c ON c.pair_id = p.pair_id
            LEFT JOIN judgments j ON j.run_id = $run_id AND j.pair_id = p.pair_id
            {STALENESS}
            WHERE p.dataset = $dataset AND p.query_id = $query_id
            ORDER BY human DESC NULLS LAST, judge DESC NULLS LAST, p.pair_id
            """,
            {"dataset": dataset, "query_id": query_id, "run_id": run_id},
        ).df()


def query_choices(db: Db, dataset: str, text: str | None = None, limit: int = 200) -> pd.DataFrame:
    """The queries of `dataset` that have pairs, for a picker: query_id, query, pairs (how
    many), by query text; with `text`, only the queries containing it (case-insensitive,
    literally). At most `limit` rows."""
    text = (text or "").strip()
    with connect(db) as con:
        return con.execute(
            """
            SELECT q.query_id, q.query, count(*) AS pairs
            FROM queries q JOIN pairs p ON p.dataset = q.dataset AND p.query_id = q.query_id
            WHERE q.dataset = $dataset AND ($pattern IS NULL OR q.query ILIKE $pattern ESCAPE '\\')
            GROUP BY q.query_id, q.query
            ORDER BY q.query, q.query_id
            LIMIT $limit
            """,
            {
                "dataset": dataset,
                "pattern": contains_pattern(text) if text else None,
                "limit": int(limit),
            },
        ).df()


def pair_dataset(db: Db, pair_id: int) -> str:
    """The dataset pair `pair_id` belongs to, so a jump to a pair id can check it is in the
    dataset the user is looking at."""
    with connect(db) as con:
        row = con.execute("SELECT dataset FROM pairs WHERE pair_id = ?", [int(pair_id)]).fetchone()
    if row is None:
        raise NotFoundError(f"pair {pair_id} does not exist")
    return str(row[0])
