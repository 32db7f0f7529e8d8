"""Datasets: their grade scale, and the counts the Overview page shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from grade_scale import Scale

from ._db import Db, connect
from ._errors import NotFoundError, StoreError
from ._reviewed import review_condition


def ensure_dataset(
    con: duckdb.DuckDBPyConnection, dataset: str, scale: Scale, *, source: str | None = None
) -> None:
    """Create `dataset` with its scale, or check that an existing one has the same grades."""
    # fetchall, not fetchone: DuckDB 2 refuses `register` after a half-read result.
    rows = con.execute("SELECT grades FROM datasets WHERE dataset = ?", [dataset]).fetchall()
    row = rows[0] if rows else None
    if row is None:
        con.execute(
            "INSERT INTO datasets (dataset, grades, grade_names, source) VALUES (?, ?, ?, ?)",
            [dataset, list(scale.grades), list(scale.names), source],
        )
    elif list(row[0]) != list(scale.grades):
        raise StoreError(
            f"dataset {dataset!r} has grades {list(row[0])}, not {list(scale.grades)}; "
            "import into a new dataset name"
        )


def list_datasets(db: Db) -> list[dict[str, Any]]:
    """Every dataset with its scale and number of queries, documents and pairs."""
    with connect(db) as con:
        cursor = con.execute(
            """
            SELECT d.dataset, d.grades, d.grade_names, d.source, d.created_at,
                (SELECT count(*) FROM queries q WHERE q.dataset = d.dataset) AS queries,
                (SELECT count(*) FROM documents x WHERE x.dataset = d.dataset) AS documents,
                (SELECT count(*) FROM pairs p WHERE p.dataset = d.dataset) AS pairs
            FROM datasets d ORDER BY d.created_at, d.dataset
            """
        )
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def dataset_names(db: Db) -> list[str]:
    """The names of every dataset, in `list_datasets`'s order, without its counts: what the
    sidebar picks from on each rerun (the counts scan every pair and product)."""
    with connect(db) as con:
        rows = con.execute("SELECT dataset FROM datasets ORDER BY created_at, dataset").fetchall()
    return [r[0] for r in rows]


def dataset_scale(db: Db, dataset: str) -> Scale:
    """The scale `dataset` is labelled on."""
    with connect(db) as con:
        return scale_on(con, dataset)


def scale_on(con: duckdb.DuckDBPyConnection, dataset: str) -> Scale:
    """`dataset_scale` on a connection a caller already holds (inside its transaction)."""
    row = con.execute(
        "SELECT grades, grade_names FROM datasets WHERE dataset = ?", [dataset]
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no dataset named {dataset!r}")
    return Scale(row[0], row[1])


@dataclass(frozen=True)
class SplitCounts:
    """The queries and pairs of one split."""

    queries: int
    pairs: int


@dataclass(frozen=True)
class DatasetStats:
    """What a dataset holds, as the Overview and `cli.py stats` show it.

    `queries_with_pairs` differs from `queries` when a dataset lists queries nobody labelled
    (WANDS's query.csv has 480, its sample labels 36 of them). Reviewed, confirmed and
    corrected pairs are the words of `_reviewed`. `labels` maps each grade of the scale to
    the pairs with that current label; `splits` maps each split ('unassigned' for pairs in
    none) to its counts.
    """

    dataset: str
    scale: Scale
    queries: int
    queries_with_pairs: int
    documents: int
    pairs: int
    labelled_pairs: int
    reviewed_pairs: int
    confirmed_pairs: int
    corrected_pairs: int
    labels: Mapping[int, int]
    splits: Mapping[str, SplitCounts]


def dataset_stats(db: Db, dataset: str) -> DatasetStats:
    """The counts of `dataset` (see `DatasetStats`)."""
    with connect(db) as con:
        scale = scale_on(con, dataset)
        queries, documents, pairs, labelled, with_pairs = con.execute(
            """
            SELECT
                (SELECT count(*) FROM queries WHERE dataset = $d),
                (SELECT count(*) FROM documents WHERE dataset = $d),
                (SELECT count(*) FROM pairs WHERE dataset = $d),
                (SELECT count(*) FROM pairs p JOIN current_labels c USING (pair_id)
                 WHERE p.dataset = $d AND c.grade IS NOT NULL),
                (SELECT count(DISTINCT query_id) FROM pairs WHERE dataset = $d)
            """,
            {"d": dataset},
        ).fetchall()[0]
        reviewed, confirmed, corrected = con.execute(
            f"""
            SELECT count(*) FILTER (WHERE {review_condition("reviewed")}),
                   count(*) FILTER (WHERE {review_condition("confirmed")}),
                   count(*) FILTER (WHERE {review_condition("corrected")})
            FROM pairs p LEFT JOIN current_labels c USING (pair_id) WHERE p.dataset = ?
            """,
            [dataset],
        ).fetchall()[0]
        labels = dict(
            con.execute(
                "SELECT c.grade, count(*) FROM pairs p JOIN current_labels c USING (pair_id) "
                "WHERE p.dataset = ? AND c.grade IS NOT NULL GROUP BY c.grade",
                [dataset],
            ).fetchall()
        )
        splits = {
            split: SplitCounts(queries=q, pairs=n)
            for split, q, n in con.execute(
                "SELECT coalesce(split, 'unassigned'), count(DISTINCT query_id), count(*) "
                "FROM pairs WHERE dataset = ? GROUP BY ALL ORDER BY 1",
                [dataset],
            ).fetchall()
        }
    return DatasetStats(
        dataset=dataset,
        scale=scale,
        queries=queries,
        queries_with_pairs=with_pairs,
        documents=documents,
        pairs=pairs,
        labelled_pairs=labelled,
        reviewed_pairs=reviewed,
        confirmed_pairs=confirmed,
        corrected_pairs=corrected,
        labels={grade: int(labels.get(grade, 0)) for grade in scale.grades},
        splits=splits,
    )
