"""Pooling: the documents ranking runs put in their top k that nobody labelled.

A measure at depth k reads the grades of every run's top k; an unlabelled document there
counts as not relevant, which favours the runs whose documents were labelled (judged@k says
how much of the top k that is). `pool_holes` turns each hole into a pair (flagged in
`pooled_pairs` with the run that retrieved it best and the depth), in the split its query's
pairs have, so a judge can grade it like any other pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .._db import Db, connect, transaction

# The (query, document) pairs in some run's top $depth, each with the run that ranks it
# highest and the pair (if any) and its current grade.
_TOP = """
WITH top AS (
    SELECT d.query_id, d.doc_id, arg_min(r.name, d.rank) AS ranking, min(d.rank) AS best_rank,
           count(*) AS runs
    FROM ranked_documents d JOIN rankings r USING (ranking_id)
    WHERE r.dataset = $dataset AND d.rank <= $depth
    GROUP BY d.query_id, d.doc_id
)
SELECT top.*, p.pair_id, c.grade
FROM top
LEFT JOIN pairs p ON p.dataset = $dataset AND p.query_id = top.query_id
    AND p.doc_id = top.doc_id
LEFT JOIN current_labels c USING (pair_id)
"""


@dataclass(frozen=True)
class Pooled:
    """What `pool_holes` did: pairs it created, and every hole's pair (old and new)."""

    new_pairs: int
    hole_pair_ids: tuple[int, ...]


def pooling_holes(db: Db, dataset: str, depth: int) -> pd.DataFrame:
    """The holes at `depth`: query_id, doc_id, the `ranking` that ranks it highest and its
    `best_rank`, how many `runs` retrieve it, and its `pair_id` (NA: no pair yet)."""
    with connect(db) as con:
        return con.execute(
            f"SELECT * EXCLUDE (grade) FROM ({_TOP}) WHERE grade IS NULL "
            "ORDER BY best_rank, query_id, doc_id",
            {"dataset": dataset, "depth": depth},
        ).df()


def pool_holes(db: Db, dataset: str, depth: int) -> Pooled:
    """Make every hole at `depth` a pair of `dataset`, in one transaction."""
    params = {"dataset": dataset, "depth": depth}
    with connect(db) as con, transaction(con):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _holes AS SELECT * FROM ({_TOP}) WHERE grade IS NULL",
            params,
        )
        con.execute(
            "INSERT INTO documents (dataset, doc_id) SELECT DISTINCT $dataset, doc_id FROM _holes "
            "ANTI JOIN (SELECT doc_id FROM documents WHERE dataset = $dataset) USING (doc_id)",
            {"dataset": dataset},
        )
        created = con.execute(
            """
            INSERT INTO pairs (dataset, query_id, doc_id, split)
            SELECT $dataset, h.query_id, h.doc_id, s.split FROM _holes h
            LEFT JOIN (SELECT query_id, any_value(split) AS split FROM pairs
                       WHERE dataset = $dataset AND split IS NOT NULL GROUP BY query_id) s
                USING (query_id)
            WHERE h.pair_id IS NULL ORDER BY h.query_id, h.best_rank
            RETURNING pair_id, query_id, doc_id
            """,
            {"dataset": dataset},
        ).df()
        if len(created):
            con.register("_created", created)
            con.execute(
                """
                INSERT INTO pooled_pairs (pair_id, dataset, ranking, depth)
                SELECT c.pair_id, $dataset, h.ranking, $depth
                FROM _created c JOIN _holes h USING (query_id, doc_id)
                """,
                params,
            )
            con.unregister("_created")
        holes = con.execute(
            """
            SELECT p.pair_id FROM _holes h JOIN pairs p
                ON p.dataset = $dataset AND p.query_id = h.query_id AND p.doc_id = h.doc_id
            ORDER BY p.pair_id
            """,
            {"dataset": dataset},
        ).fetchall()
        con.execute("DROP TABLE _holes")
    return Pooled(len(created), tuple(int(p) for (p,) in holes))


def pooled_pair_ids(db: Db, dataset: str) -> list[int]:
    """The pairs of `dataset` that pooling created."""
    with connect(db) as con:
        rows = con.execute(
            "SELECT pair_id FROM pooled_pairs WHERE dataset = ? ORDER BY pair_id", [dataset]
        ).fetchall()
    return [int(p) for (p,) in rows]
