"""Ranking runs as the store holds them: listed, read, renamed and deleted.

A delete removes the run and its ranked documents in one transaction; the pairs its top k
added by pooling stay, with their labels and judgments (they are the dataset's now).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .._db import Db, connect, transaction
from .._errors import NotFoundError, StoreError


def list_rankings(db: Db, dataset: str) -> pd.DataFrame:
    """The ranking runs of `dataset`, by name: ranking_id, name, source, created_at,
    queries, documents (ranked rows) and depth (most documents for one query)."""
    with connect(db) as con:
        return con.execute(
            """
            SELECT r.ranking_id, r.name, r.source, r.created_at,
                   count(DISTINCT d.query_id) AS queries, count(d.doc_id) AS documents,
                   coalesce(max(d.rank), 0) AS depth
            FROM rankings r LEFT JOIN ranked_documents d USING (ranking_id)
            WHERE r.dataset = ?
            GROUP BY ALL ORDER BY r.name
            """,
            [dataset],
        ).df()


def ranking_version(db: Db) -> tuple[object, ...]:
    """A value that changes whenever a ranking run is imported, renamed or deleted: with
    `data_version`, the key of cached leaderboards."""
    with connect(db) as con:
        return tuple(
            con.execute(
                "SELECT (SELECT count(*) FROM ranked_documents), "
                "(SELECT max(created_at) FROM rankings), "
                "(SELECT sum(hash(ranking_id, name)) FROM rankings)"
            ).fetchall()[0]
        )


def ranked_documents(
    db: Db, dataset: str, ranking_ids: Sequence[int] | None = None, *, depth: int | None = None
) -> pd.DataFrame:
    """The ranked documents of `dataset`'s runs (all, or `ranking_ids`): ranking_id,
    query_id, doc_id, rank (from 1, in trec_eval's order), score; only ranks up to `depth`.

    Rows come in no particular order (sorting 2.4M rows costs more than every measure; the
    rank is the order). query_id and doc_id are categorical: DuckDB numbers the distinct ids
    and only those cross into Python as strings, since handing over and hashing millions of
    string cells costs several times what every ranking measure does."""
    where = "r.dataset = ?"
    params: list[object] = [dataset]
    if ranking_ids is not None:
        where += " AND d.ranking_id IN (SELECT unnest(?::BIGINT[]))"
        params.append(list(ranking_ids))
    if depth is not None:
        where += " AND d.rank <= ?"
        params.append(depth)
    ranked = f"SELECT d.* FROM ranked_documents d JOIN rankings r USING (ranking_id) WHERE {where}"
    # One snapshot, so the codes and the ids they number come from the same rows.
    with connect(db) as con, transaction(con):
        frame = con.execute(
            f"""
            WITH ranked AS ({ranked}),
            query_codes AS (
                SELECT query_id, (row_number() OVER (ORDER BY query_id) - 1)::INTEGER AS q
                FROM (SELECT DISTINCT query_id FROM ranked)),
            doc_codes AS (
                SELECT doc_id, (row_number() OVER (ORDER BY doc_id) - 1)::INTEGER AS d
                FROM (SELECT DISTINCT doc_id FROM ranked))
            SELECT ranking_id, q, d, rank, score
            FROM ranked JOIN query_codes USING (query_id) JOIN doc_codes USING (doc_id)
            """,
            params,
        ).df()
        ids = {
            column: con.execute(
                f"SELECT DISTINCT {column} FROM ({ranked}) ORDER BY {column}", params
            ).fetchnumpy()[column]
            for column in ("query_id", "doc_id")
        }
    return pd.DataFrame(
        {
            "ranking_id": frame["ranking_id"],
            "query_id": pd.Categorical.from_codes(frame["q"], categories=ids["query_id"]),
            "doc_id": pd.Categorical.from_codes(frame["d"], categories=ids["doc_id"]),
            "rank": frame["rank"],
            "score": frame["score"],
        }
    )


def _check(con, dataset: str, ranking_id: int) -> str:
    rows = con.execute(
        "SELECT name FROM rankings WHERE ranking_id = ? AND dataset = ?", [ranking_id, dataset]
    ).fetchall()
    if not rows:
        raise NotFoundError(f"dataset {dataset!r} has no ranking run {ranking_id}")
    return str(rows[0][0])


def rename_ranking(db: Db, dataset: str, ranking_id: int, name: str) -> None:
    """Give ranking run `ranking_id` of `dataset` the name `name`: not empty, and not the
    name of another of the dataset's runs (a re-import finds a run by its name)."""
    name = name.strip()
    if not name:
        raise StoreError("a ranking run needs a name: give a non-empty one")
    with connect(db) as con, transaction(con):
        _check(con, dataset, ranking_id)
        taken = con.execute(
            "SELECT 1 FROM rankings WHERE dataset = ? AND name = ? AND ranking_id <> ?",
            [dataset, name, ranking_id],
        ).fetchall()
        if taken:
            raise StoreError(f"dataset {dataset!r} has a ranking run named {name!r} already")
        con.execute("UPDATE rankings SET name = ? WHERE ranking_id = ?", [name, ranking_id])


def delete_ranking(db: Db, dataset: str, ranking_id: int) -> int:
    """Remove ranking run `ranking_id` of `dataset` and its ranked documents, all or
    nothing; returns the number of ranked documents removed."""
    with connect(db) as con, transaction(con):
        _check(con, dataset, ranking_id)
        removed = con.execute(
            "SELECT count(*) FROM ranked_documents WHERE ranking_id = ?", [ranking_id]
        ).fetchall()[0][0]
        con.execute("DELETE FROM ranked_documents WHERE ranking_id = ?", [ranking_id])
        con.execute("DELETE FROM rankings WHERE ranking_id = ?", [ranking_id])
    return int(removed)
