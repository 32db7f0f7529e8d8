"""Review tasks: a set of pairs, the reviewers each pair is assigned to (two of them for the
overlap share), and what the reviewers did with them, read from the label events made in
the task.

A reviewer's item is *done* once they have given it their independent label (the schema's
`independent_labels` view: their first grade on the item in the task). An overlap pair is
*disputed* when its two reviewers' independent labels differ; it goes to adjudication until
an `adjudication` event in the task records its final grade.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from .._db import Db, connect, transaction
from .._errors import NotFoundError, StoreError
from ._audit import AuditSpec, record_audit
from ._draw import PairSet, Strategy
from ._rules import check_actor, listed


@dataclass(frozen=True)
class Task:
    """A review task as stored: what it was drawn from and how, and its settings."""

    task_id: int
    dataset: str
    name: str
    pair_set: str
    strategy: str
    run_id: int | None
    overlap: float
    blind: bool
    seed: int
    created_at: datetime
    created_by: str | None = None


_TASK_COLUMNS = (
    "task_id, dataset, name, pair_set, strategy, run_id, overlap, blind, seed, created_at, "
    "created_by"
)


def create_task(
    db: Db,
    dataset: str,
    name: str,
    *,
    pair_set: PairSet,
    strategy: Strategy,
    items: Sequence[tuple[int, str, int]],
    overlap: float,
    blind: bool,
    seed: int,
    run_id: int | None = None,
    author: str | None = None,
    audit: AuditSpec | None = None,
) -> int:
    """Store a task and its `items` (pair id, reviewer, position in that reviewer's queue),
    created by `author`; returns the task id. A name is unique within its dataset; the
    creator and every reviewer given items must be allowed on the dataset (`_rules`).
    An audit task also stores its draw and its population's queries (`_audit`), in the same
    transaction, and records its strategy as the draw's design."""
    name = name.strip()
    if not name:
        raise StoreError("a task needs a name")
    if not items:
        raise StoreError(f"task {name!r} would have no pairs: choose another pair set or strategy")
    with connect(db) as con, transaction(con):
        check_actor(con, dataset, author)
        allowed = listed(con, dataset)
        if allowed and (strangers := sorted({r for _, r, _ in items} - set(allowed))):
            raise StoreError(
                f"not reviewers of {dataset!r}: {', '.join(strangers)}; "
                f"allowed: {', '.join(allowed)}"
            )
        if con.execute(
            "SELECT 1 FROM review_tasks WHERE dataset = ? AND name = ?", [dataset, name]
        ).fetchone():
            raise StoreError(f"dataset {dataset!r} has a task named {name!r}: choose another name")
        task_id = con.execute(
            "INSERT INTO review_tasks (dataset, name, pair_set, strategy, run_id, overlap, "
            "blind, seed, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING task_id",
            [
                dataset,
                name,
                pair_set.spec,
                str(strategy) if audit is None else f"audit {audit.design}",
                run_id,
                overlap,
                blind,
                seed,
                author,
            ],
        ).fetchall()[0][0]
        frame = pd.DataFrame(items, columns=["pair_id", "reviewer", "position"])
        frame.insert(0, "task_id", int(task_id))
        con.register("_items", frame)
        con.execute("INSERT INTO task_items SELECT * FROM _items")
        con.unregister("_items")
        if audit is not None:
            record_audit(con, int(task_id), audit)
    return int(task_id)


def get_task(db: Db, task: int | str, dataset: str | None = None) -> Task:
    """The task with id `task`, or named `task`; with `dataset`, only a task of that dataset
    (a link naming another dataset's task finds nothing)."""
    by_id = isinstance(task, int) or str(task).isdigit()
    with connect(db) as con:
        row = con.execute(
            f"SELECT {_TASK_COLUMNS} FROM review_tasks "
            f"WHERE {'task_id = ?' if by_id else 'name = ?'} AND dataset = coalesce(?, dataset)",
            [int(task) if by_id else task, dataset],
        ).fetchone()
    if row is None:
        where = "" if dataset is None else f" in dataset {dataset!r}"
        raise NotFoundError(f"there is no task {task!r}{where}: `cli.py task status` lists them")
    return Task(*row)


# Each item with whether its reviewer has given it their independent label, and the seconds
# between a reviewer's consecutive independent labels in a task (what "per pair" measures).
_TIMES = """
    items AS (
        SELECT i.*, l.event_id IS NOT NULL AS done, l.created_at AS done_at
        FROM task_items i LEFT JOIN independent_labels l USING (task_id, pair_id, reviewer)
        WHERE i.task_id IN (SELECT task_id FROM review_tasks WHERE {where})
    ), gaps AS (
        SELECT task_id, reviewer,
               epoch(done_at - lag(done_at) OVER (PARTITION BY task_id, reviewer
                                                 ORDER BY done_at)) AS seconds
        FROM items WHERE done
    )
"""
_PROGRESS = (
    "WITH "
    + _TIMES
    + """
    SELECT i.task_id, i.reviewer, count(*) AS items, count(*) FILTER (WHERE done) AS done,
           count(*) FILTER (WHERE NOT done) AS "left",
           (SELECT median(seconds) FROM gaps g
            WHERE g.task_id = i.task_id AND g.reviewer = i.reviewer) AS median_seconds
    FROM items i GROUP BY i.task_id, i.reviewer ORDER BY i.task_id, i.reviewer
"""
)


def task_progress(db: Db, task_id: int) -> pd.DataFrame:
    """Per reviewer of the task: items assigned, done, left, and the median seconds between
    two of their independent labels (NaN until they have two)."""
    with connect(db) as con:
        return con.execute(_PROGRESS.format(where="task_id = $task"), {"task": task_id}).df()


def list_tasks(db: Db, dataset: str) -> pd.DataFrame:
    """The tasks of `dataset`, newest first, with their progress: pairs, items, items done,
    the median seconds per pair of its reviewers, pairs awaiting adjudication and pairs
    adjudicated."""
    with connect(db) as con:
        return con.execute(
            f"""
            WITH {_TIMES.format(where="dataset = $dataset")},
            adjudication AS ({_DISPUTES.format(where="dataset = $dataset")})
            SELECT t.task_id, t.name, t.pair_set, t.strategy, t.run_id, t.overlap, t.blind,
                   t.created_at,
                   (SELECT count(DISTINCT pair_id) FROM task_items i
                    WHERE i.task_id = t.task_id) AS pairs,
                   (SELECT count(*) FROM items i WHERE i.task_id = t.task_id) AS items,
                   (SELECT count(*) FROM items i WHERE i.task_id = t.task_id AND i.done)
                       AS done,
                   (SELECT median(seconds) FROM gaps g WHERE g.task_id = t.task_id)
                       AS median_seconds,
                   (SELECT count(*) FROM adjudication a
                    WHERE a.task_id = t.task_id AND a.final_grade IS NULL) AS to_adjudicate,
                   (SELECT count(*) FROM adjudication a
                    WHERE a.task_id = t.task_id AND a.final_grade IS NOT NULL) AS adjudicated
            FROM review_tasks t WHERE t.dataset = $dataset ORDER BY t.task_id DESC
            """,
            {"dataset": dataset},
        ).df()


def task_reviewers(db: Db, dataset: str) -> list[str]:
    """Everyone assigned an item in a task of `dataset`, sorted."""
    with connect(db) as con:
        rows = con.execute(
            "SELECT DISTINCT reviewer FROM task_items JOIN review_tasks USING (task_id) "
            "WHERE dataset = ? ORDER BY 1",
            [dataset],
        ).fetchall()
    return [name for (name,) in rows]


def my_queue(db: Db, task_id: int, reviewer: str) -> pd.DataFrame:
    """The items of `reviewer` in the task, in queue order: pair_id, position, done, grade
    (their independent label)."""
    with connect(db) as con:
        return con.execute(
            """
            SELECT i.pair_id, i.position, l.event_id IS NOT NULL AS done, l.grade
            FROM task_items i LEFT JOIN independent_labels l USING (task_id, pair_id, reviewer)
            WHERE i.task_id = ? AND i.reviewer = ? ORDER BY i.position
            """,
            [task_id, reviewer],
        ).df()


def next_item(db: Db, task_id: int, reviewer: str) -> int | None:
    """The first pair of `reviewer`'s queue in the task they have not labelled yet (None:
    their queue is done)."""
    with connect(db) as con:
        row = con.execute(
            """
            SELECT pair_id FROM task_items i
            WHERE task_id = $task AND reviewer = $who AND pair_id NOT IN (
                SELECT pair_id FROM independent_labels
                WHERE task_id = $task AND reviewer = $who)
            ORDER BY position LIMIT 1
            """,
            {"task": task_id, "who": reviewer},
        ).fetchone()
    return None if row is None else int(row[0])


def has_labelled(db: Db, task_id: int, pair_id: int, reviewer: str) -> bool:
    """Whether `reviewer` has given `pair_id` their independent label in the task: in a
    blind task, what the card may show them depends on it."""
    with connect(db) as con:
        row = con.execute(
            "SELECT 1 FROM independent_labels WHERE task_id = ? AND pair_id = ? AND reviewer = ?",
            [task_id, pair_id, reviewer],
        ).fetchone()
    return row is not None


# The pairs `$blind_to` still owes their independent label in a blind task, with the task:
# until they have graded, no label of the pair is theirs to see. One rule for the card
# (`owed_blind_task`) and for every list that shows labels (`PairFilters.blind_to`).
OWED_BLIND = """
    SELECT i.pair_id, i.task_id FROM task_items i JOIN review_tasks t USING (task_id)
    WHERE t.blind AND i.reviewer = $blind_to
      AND NOT EXISTS (SELECT 1 FROM independent_labels l WHERE l.task_id = i.task_id
                      AND l.pair_id = i.pair_id AND l.reviewer = i.reviewer)
"""


def owed_blind_task(db: Db, pair_id: int, reviewer: str) -> int | None:
    """The blind task (the oldest, if several) in which `pair_id` is assigned to `reviewer`
    and still waits for their independent label: wherever the card of that pair is shown to
    them, it is blind, and their grade counts for that task."""
    with connect(db) as con:
        row = con.execute(
            f"SELECT min(task_id) FROM ({OWED_BLIND}) WHERE pair_id = $pair_id",
            {"pair_id": pair_id, "blind_to": reviewer},
        ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def owed_blind_pairs(db: Db, dataset: str, reviewer: str | None) -> set[int]:
    """The pairs of `dataset` whose labels `reviewer` may not see yet: those they still owe
    their independent label in a blind task (`owed_blind_task`'s rule). Every page that
    shows pairs with their labels leaves these out. None (no reviewer picked): none."""
    if not reviewer:
        return set()
    with connect(db) as con:
        rows = con.execute(
            f"SELECT DISTINCT o.pair_id FROM ({OWED_BLIND}) o JOIN pairs p USING (pair_id) "
            "WHERE p.dataset = $dataset",
            {"blind_to": reviewer, "dataset": dataset},
        ).fetchall()
    return {int(p) for (p,) in rows}


_DISPUTES = """
    WITH labels AS (
        SELECT l.*, (SELECT string_agg(e.note, ' / ' ORDER BY e.event_id) FROM label_events e
                     WHERE e.task_id = l.task_id AND e.pair_id = l.pair_id
                       AND e.author = l.reviewer AND e.source = 'review') AS note
        FROM independent_labels l
        WHERE l.task_id IN (SELECT task_id FROM review_tasks WHERE {where})
          AND (l.task_id, l.pair_id) IN (
              SELECT task_id, pair_id FROM task_items GROUP BY ALL HAVING count(*) > 1)
    ), both_ AS (
        SELECT task_id, pair_id,
               list(reviewer ORDER BY event_id) AS reviewers,
               list(grade ORDER BY event_id) AS grades,
               list(coalesce(note, '') ORDER BY event_id) AS notes
        FROM labels GROUP BY task_id, pair_id HAVING count(*) = 2
    )
    SELECT b.task_id, b.pair_id,
           b.reviewers[1] AS reviewer_a, b.grades[1] AS grade_a, b.notes[1] AS note_a,
           b.reviewers[2] AS reviewer_b, b.grades[2] AS grade_b, b.notes[2] AS note_b,
           (SELECT arg_max(e.grade, e.event_id) FROM label_events e
            WHERE e.task_id = b.task_id AND e.pair_id = b.pair_id
              AND e.source = 'adjudication') AS final_grade
    FROM both_ b WHERE b.grades[1] <> b.grades[2]
"""


def adjudication_queue(db: Db, task_id: int, *, pending_only: bool = False) -> pd.DataFrame:
    """The overlap pairs of the task whose two reviewers' independent labels differ: pair_id,
    query, product, reviewer_a, grade_a, note_a, reviewer_b, grade_b, note_b and final_grade
    (None until adjudicated), in pair order. `pending_only` keeps the ones not adjudicated."""
    with connect(db) as con:
        return con.execute(
            f"""
            SELECT d.pair_id, q.query, o.title AS product, d.* EXCLUDE (task_id, pair_id)
            FROM ({_DISPUTES.format(where="task_id = $task")}) d
            JOIN pairs p USING (pair_id)
            LEFT JOIN queries q ON q.dataset = p.dataset AND q.query_id = p.query_id
            LEFT JOIN documents o ON o.dataset = p.dataset AND o.doc_id = p.doc_id
            WHERE NOT $pending OR d.final_grade IS NULL
            ORDER BY d.pair_id
            """,
            {"task": task_id, "pending": pending_only},
        ).df()


JUDGE_RATER = "judge"
ADJUDICATED_RATER = "adjudicated"


def agreement_labels(
    db: Db, dataset: str, *, task_id: int | None = None, run_id: int | None = None
) -> pd.DataFrame:
    """The long table agreement is computed from: one row per (unit = pair_id, rater, grade).

    Humans are the reviewers' independent labels in the task (or in every task of the
    dataset, a reviewer's first label on a pair counting), plus, without a task, the named
    annotators' imported grades. `JUDGE_RATER` rows are the grades of `run_id` on those
    pairs, `ADJUDICATED_RATER` rows the adjudicated final grades.
    """
    with connect(db) as con:
        return con.execute(
            """
            WITH humans AS (
                SELECT l.pair_id AS unit, l.reviewer AS rater,
                       arg_min(l.grade, l.event_id) AS grade
                FROM independent_labels l JOIN review_tasks t USING (task_id)
                WHERE t.dataset = $dataset AND l.task_id = coalesce($task, l.task_id)
                GROUP BY ALL
                UNION ALL
                SELECT e.pair_id, e.author, arg_max(e.grade, e.event_id)
                FROM label_events e JOIN pairs p USING (pair_id)
                WHERE $task IS NULL AND p.dataset = $dataset AND e.source = 'import'
                  AND e.author IS NOT NULL AND e.grade IS NOT NULL
                GROUP BY ALL
            ), final AS (
                SELECT e.pair_id AS unit, $adjudicated AS rater,
                       arg_max(e.grade, e.event_id) AS grade
                FROM label_events e JOIN review_tasks t USING (task_id)
                WHERE e.source = 'adjudication' AND t.dataset = $dataset
                  AND e.task_id = coalesce($task, e.task_id)
                GROUP BY ALL
            ), judged AS (
                SELECT j.pair_id AS unit, $judge AS rater, j.grade
                FROM judgments j
                WHERE j.run_id = $run AND j.grade IS NOT NULL
                  AND j.pair_id IN (SELECT unit FROM humans)
            )
            SELECT * FROM humans UNION ALL SELECT * FROM final UNION ALL SELECT * FROM judged
            ORDER BY unit, rater
            """,
            {
                "dataset": dataset,
                "task": task_id,
                "run": run_id,
                "judge": JUDGE_RATER,
                "adjudicated": ADJUDICATED_RATER,
            },
        ).df()
