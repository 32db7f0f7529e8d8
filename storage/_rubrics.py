"""Score rubrics per dataset, versioned, and the reference products of reference grading.

A rubric is a criterion and one description per score. Every save is a new version
(1, 2, ...) of the dataset's rubric; nothing is changed in place, so a run that records the
version it used can always be read back against the rubric it saw. A dataset with no saved
rubric uses the judge's default (version 0, not stored here: the judge owns its text).

Reference candidates are the pairs of a query whose current human label is the dataset's
highest grade (Exact on WANDS): what a judge may be shown as a known good match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ._db import Db, connect, transaction
from ._errors import NotFoundError, StoreError
from .team import check_actor

__all__ = ["StoredRubric", "current_rubric", "rubric_history", "save_rubric", "top_grade_pairs"]


@dataclass(frozen=True)
class StoredRubric:
    """One version of a dataset's rubric."""

    dataset: str
    version: int
    criterion: str
    descriptions: tuple[str, ...]
    author: str | None
    created_at: datetime


_COLUMNS = "dataset, version, criterion, descriptions, author, created_at"


def _rubric(row: tuple) -> StoredRubric:
    dataset, version, criterion, descriptions, author, created_at = row
    return StoredRubric(dataset, int(version), criterion, tuple(descriptions), author, created_at)


def rubric_history(db: Db, dataset: str) -> list[StoredRubric]:
    """Every saved version of `dataset`'s rubric, newest first (empty: it uses the default)."""
    with connect(db) as con:
        rows = con.execute(
            f"SELECT {_COLUMNS} FROM rubrics WHERE dataset = ? ORDER BY version DESC", [dataset]
        ).fetchall()
    return [_rubric(row) for row in rows]


def current_rubric(db: Db, dataset: str) -> StoredRubric | None:
    """The newest version of `dataset`'s rubric; None when it has none of its own."""
    with connect(db) as con:
        row = con.execute(
            f"SELECT {_COLUMNS} FROM rubrics WHERE dataset = ? ORDER BY version DESC LIMIT 1",
            [dataset],
        ).fetchone()
    return None if row is None else _rubric(row)


def save_rubric(
    db: Db,
    dataset: str,
    *,
    criterion: str,
    descriptions: Sequence[str],
    author: str | None = None,
) -> int:
    """Save a new version of `dataset`'s rubric, by `author` (allowed on the dataset:
    `storage.team`'s rule), and return its number; the text of the current version again
    saves nothing and returns that version."""
    texts = tuple(str(d).strip() for d in descriptions)
    if not criterion.strip() or not texts or not all(texts):
        raise StoreError("a rubric needs a criterion and a description for every score")
    with connect(db) as con, transaction(con):
        if con.execute("SELECT 1 FROM datasets WHERE dataset = ?", [dataset]).fetchone() is None:
            raise NotFoundError(f"no dataset named {dataset!r}")
        check_actor(con, dataset, author)
        row = con.execute(
            "SELECT version, criterion, descriptions FROM rubrics WHERE dataset = ? "
            "ORDER BY version DESC LIMIT 1",
            [dataset],
        ).fetchone()
        if row is not None and (row[1], tuple(row[2])) == (criterion.strip(), texts):
            return int(row[0])
        version = 1 if row is None else int(row[0]) + 1
        con.execute(
            "INSERT INTO rubrics (dataset, version, criterion, descriptions, author) "
            "VALUES (?, ?, ?, ?, ?)",
            [dataset, version, criterion.strip(), list(texts), author],
        )
    return version


def top_grade_pairs(db: Db, dataset: str) -> dict[str, list[int]]:
    """Per query id, the pairs (ascending ids) whose current human label is the dataset's
    highest grade."""
    with connect(db) as con:
        rows = con.execute(
            """
            SELECT p.query_id, list(p.pair_id ORDER BY p.pair_id)
            FROM pairs p
            JOIN current_labels c USING (pair_id)
            JOIN datasets d USING (dataset)
            WHERE p.dataset = ? AND c.grade = list_max(d.grades)
            GROUP BY p.query_id
            """,
            [dataset],
        ).fetchall()
    return {str(query_id): [int(p) for p in pair_ids] for query_id, pair_ids in rows}
