"""Datasets: their grade scale, and the counts the Overview page shows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from ._db import connect
from ._errors import NotFoundError, StoreError
from ._reviewed import review_condition

WANDS_GRADES = (0, 1, 2)
WANDS_GRADE_NAMES = ("Irrelevant", "Partial", "Exact")


def ensure_dataset(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    *,
    grades: Sequence[int] = WANDS_GRADES,
    grade_names: Sequence[str] = WANDS_GRADE_NAMES,
    source: str | None = None,
) -> None:
    """Create `dataset` with its scale, or check that an existing one has the same scale."""
    if len(grades) != len(grade_names):
        raise StoreError("every grade needs a name")
    # fetchall, not fetchone: DuckDB 2 refuses `register` after a half-read result.
    rows = con.execute("SELECT grades FROM datasets WHERE dataset = ?", [dataset]).fetchall()
    row = rows[0] if rows else None
    if row is None:
        con.execute(
            "INSERT INTO datasets (dataset, grades, grade_names, source) VALUES (?, ?, ?, ?)",
            [dataset, list(grades), list(grade_names), source],
        )
    elif list(row[0]) != list(grades):
        raise StoreError(
            f"dataset {dataset!r} has grades {list(row[0])}, not {list(grades)}; "
            "import into a new dataset name"
        )


def list_datasets(db: str | Path) -> list[dict[str, Any]]:
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


def dataset_scale(db: str | Path, dataset: str) -> tuple[list[int], list[str]]:
    """The grades of `dataset` and their names, in scale order."""
    with connect(db) as con:
        return _scale(con, dataset)


def _scale(con: duckdb.DuckDBPyConnection, dataset: str) -> tuple[list[int], list[str]]:
    row = con.execute(
        "SELECT grades, grade_names FROM datasets WHERE dataset = ?", [dataset]
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no dataset named {dataset!r}")
    return list(row[0]), list(row[1])


def dataset_stats(db: str | Path, dataset: str) -> dict[str, Any]:
    """Counts for `dataset`: queries (and `queries_with_pairs`, since a dataset may list
    queries nobody labelled: WANDS's query.csv has 480, its sample labels 36 of them),
    documents, pairs, labelled pairs, the reviewed, confirmed and corrected pairs (the words
    of `_reviewed`), and `labels` (grade -> pairs with that current label) and `splits`
    (split -> queries, pairs)."""
    with connect(db) as con:
        grades, names = _scale(con, dataset)
        counts = con.execute(
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
        ).fetchone()
        reviewed, confirmed, corrected = con.execute(
            f"""
            SELECT count(*) FILTER (WHERE {review_condition("reviewed")}),
                   count(*) FILTER (WHERE {review_condition("confirmed")}),
                   count(*) FILTER (WHERE {review_condition("corrected")})
            FROM pairs p LEFT JOIN current_labels c USING (pair_id) WHERE p.dataset = ?
            """,
            [dataset],
        ).fetchone()
        labels = dict(
            con.execute(
                "SELECT c.grade, count(*) FROM pairs p JOIN current_labels c USING (pair_id) "
                "WHERE p.dataset = ? AND c.grade IS NOT NULL GROUP BY c.grade",
                [dataset],
            ).fetchall()
        )
        splits = {
            split: {"queries": q, "pairs": n}
            for split, q, n in con.execute(
                "SELECT coalesce(split, 'unassigned'), count(DISTINCT query_id), count(*) "
                "FROM pairs WHERE dataset = ? GROUP BY ALL ORDER BY 1",
                [dataset],
            ).fetchall()
        }
    return {
        "dataset": dataset,
        "grades": grades,
        "grade_names": names,
        "queries": counts[0],
        "queries_with_pairs": counts[4],
        "documents": counts[1],
        "pairs": counts[2],
        "labelled_pairs": counts[3],
        "reviewed_pairs": reviewed,
        "confirmed_pairs": confirmed,
        "corrected_pairs": corrected,
        "labels": {grade: int(labels.get(grade, 0)) for grade in grades},
        "splits": splits,
    }
