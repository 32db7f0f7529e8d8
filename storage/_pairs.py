"""Pairs joined with their query and document text, and runs joined with the human labels.

Documents keep WANDS's columns under generic names (title, doc_class, category,
description); the judge and the exporters read them under the names prompt templates use.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from ._db import Db, connect
from ._vocab import Split

# Template field name -> documents column.
DOCUMENT_FIELDS = {
    "product_name": "title",
    "product_class": "doc_class",
    "category_hierarchy": "category",
    "product_description": "description",
}

# Each judgment `j` with `s.stale`, from the schema's one rule (the `judgment_staleness` view);
# NULL when there is no judgment `j`.
STALENESS = "LEFT JOIN judgment_staleness s ON s.run_id = j.run_id AND s.pair_id = j.pair_id"

PAIR_TEXT = f"""
    SELECT p.pair_id, p.dataset, p.query_id, p.doc_id, p.split, q.query, q.query_class,
           {", ".join(f"coalesce(d.{col}, '') AS {name}" for name, col in DOCUMENT_FIELDS.items())},
           d.fields
    FROM pairs p
    JOIN queries q USING (dataset, query_id)
    JOIN documents d USING (dataset, doc_id)
"""


def with_extra_fields(
    row: dict[str, Any], parse: Callable[[str], dict[str, Any]] = json.loads
) -> dict[str, Any]:
    """The row with its document's extra `fields` (JSON text, read by `parse`) as text
    values beside the others; a field of the row's own keeps its value."""
    extra = row.pop("fields")
    if extra:  # a document without extra fields has nothing to parse
        for key, value in parse(extra).items():
            row.setdefault(key, "" if value is None else str(value))
    row["query_class"] = row["query_class"] or ""
    return row


def pairs_for_judging(
    db: Db,
    dataset: str,
    *,
    split: Split | None = None,
    pair_ids: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """The pairs of `dataset` (optionally one split, or just `pair_ids`) with every text field
    a prompt template can name, ordered by query so a judge can reuse the shared prefix."""
    where = ["p.dataset = $dataset"]
    params: dict[str, Any] = {"dataset": dataset}
    if split is not None:
        where.append("p.split = $split")
        params["split"] = split
    if pair_ids is not None:
        where.append("list_contains($pair_ids, p.pair_id)")
        params["pair_ids"] = [int(p) for p in pair_ids]
    with connect(db) as con:
        cursor = con.execute(
            f"{PAIR_TEXT} WHERE {' AND '.join(where)} ORDER BY p.query_id, p.pair_id", params
        )
        names = [c[0] for c in cursor.description]
        return [with_extra_fields(dict(zip(names, row))) for row in cursor.fetchall()]


def run_labels(db: Db, run_id: int) -> pd.DataFrame:
    """One row per pair judged in `run_id` that has a current human label.

    Columns: pair_id, query_id, query_class, split, human, judge (NA when the judge failed or
    gave no grade), probs, expected_grade, confidence, parse_status, stale (the label or the
    document changed after the judgment was made). This is the frame the metrics take.
    """
    with connect(db) as con:
        return con.execute(
            f"""
            SELECT j.pair_id, p.query_id, q.query_class, p.split,
                   c.grade AS human, j.grade AS judge, j.probs, j.expected_grade,
                   j.confidence, j.parse_status, s.stale
            FROM judgments j
            JOIN pairs p USING (pair_id)
            JOIN queries q USING (dataset, query_id)
            JOIN current_labels c USING (pair_id)
            {STALENESS}
            WHERE j.run_id = ? AND c.grade IS NOT NULL
            ORDER BY p.query_id, j.pair_id
            """,
            [run_id],
        ).df()
