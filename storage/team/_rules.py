"""Who may write a label event, checked inside the event's own transaction.

- A dataset with reviewers listed (`reviewers` table) takes review and adjudication events
  only from those names; a dataset with none listed takes any name.
- An event made in a task (`task_id`) is a review by a reviewer the pair is assigned to in
  that task, or an adjudication (anyone may adjudicate: the page's owner, for now).
- Every review names its reviewer: there is no default name.
"""

from __future__ import annotations

import duckdb

from .._errors import StoreError


def check_author(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    author: str,
    *,
    pair_id: int,
    task_id: int | None,
    adjudication: bool,
) -> None:
    """Refuse the event (StoreError) when `author` may not write it, saying what to do."""
    if not author or not author.strip():
        raise StoreError("a review needs the reviewer's name: pick or add one first")
    listed = [
        name
        for (name,) in con.execute(
            "SELECT name FROM reviewers WHERE dataset = ? ORDER BY name", [dataset]
        ).fetchall()
    ]
    if listed and author not in listed:
        raise StoreError(
            f"{author!r} is not a reviewer of dataset {dataset!r}; allowed: {', '.join(listed)}"
        )
    if task_id is None:
        return
    task = con.execute("SELECT dataset FROM review_tasks WHERE task_id = ?", [task_id]).fetchone()
    if task is None or task[0] != dataset:
        raise StoreError(f"task {task_id} is not a task of dataset {dataset!r}")
    if adjudication:
        return
    assigned = con.execute(
        "SELECT 1 FROM task_items WHERE task_id = ? AND pair_id = ? AND reviewer = ?",
        [task_id, pair_id, author],
    ).fetchone()
    if assigned is None:
        raise StoreError(
            f"pair {pair_id} is not in {author}'s queue of task {task_id}: open your own queue"
        )


def guideline_version(con: duckdb.DuckDBPyConnection, dataset: str) -> int | None:
    """The newest guideline version of `dataset` (None: it has no guideline): the version an
    event made now was made under."""
    row = con.execute("SELECT max(version) FROM guidelines WHERE dataset = ?", [dataset]).fetchone()
    return None if row is None or row[0] is None else int(row[0])
