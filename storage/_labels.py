"""Human labels as an append-only event log.

Imported gold labels are events with source `import`; a reviewer's correction, an "unsure"
mark or a note is a `review` event (naming its review task, if any, and the guideline
version in force); the final grade of a pair a task's reviewers disagreed on is an
`adjudication` event; undo appends a `revert` event naming the event it cancels.
Nothing is updated in place, so every label has its history. `current_labels` is a cache of
what the log says, rewritten for the touched pairs inside the same transaction as the event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from ._db import Db, connect, transaction
from ._errors import NotFoundError, StoreError
from .team import check_author, guideline_version


def current_labels_from(events: str) -> str:
    """A query giving the `current_labels` rows that the label events in `events` (a
    relation of `label_events` rows, all of each pair's events) say: the rule of what a
    pair's current label is, written once for the refresh and for the store check."""
    return f"""
WITH ev AS ({events}), live AS (
    SELECT * FROM ev
    WHERE source <> 'revert'
      AND event_id NOT IN (SELECT reverts FROM ev WHERE source = 'revert')
)
SELECT
    live.pair_id,
    arg_max(grade, event_id) FILTER (WHERE grade IS NOT NULL) AS grade,
    arg_max(grade, event_id) FILTER (WHERE grade IS NOT NULL AND source = 'import')
        AS original_grade,
    arg_max(source, event_id) FILTER (WHERE grade IS NOT NULL) AS source,
    max(event_id) FILTER (WHERE grade IS NOT NULL) AS event_id,
    coalesce(arg_max(unsure, event_id), false) AS unsure,
    arg_max(note, event_id) FILTER (WHERE note IS NOT NULL) AS note,
    any_value(changed.at) AS changed_at
FROM live
JOIN (
    SELECT pair_id, max(created_at) AS at FROM ev
    WHERE grade IS NOT NULL OR source = 'revert' GROUP BY pair_id
) AS changed USING (pair_id)
GROUP BY live.pair_id
"""


_REFRESH = "INSERT INTO current_labels " + current_labels_from(
    "SELECT * FROM label_events WHERE pair_id IN (SELECT pair_id FROM _touched)"
)


def refresh_current_labels(con: duckdb.DuckDBPyConnection, pair_ids: Iterable[int] | str) -> None:
    """Recompute `current_labels` for `pair_ids` (a list, or the name of a relation with
    `pair_id`): their rows are deleted and written again from the label events."""
    source = pair_ids if isinstance(pair_ids, str) else None
    con.execute("CREATE OR REPLACE TEMP TABLE _touched (pair_id BIGINT)")
    if source is None:
        con.executemany("INSERT INTO _touched VALUES (?)", [[int(p)] for p in pair_ids])
    else:
        con.execute(f"INSERT INTO _touched SELECT DISTINCT pair_id FROM {source}")
    con.execute("DELETE FROM current_labels WHERE pair_id IN (SELECT pair_id FROM _touched)")
    con.execute(_REFRESH)
    con.execute("DROP TABLE _touched")


def append_import_labels(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    """Append `import` events from `relation` (pair_id, grade, author) where they change
    something, and bring the current labels of those pairs up to date.

    A pair whose newest import event by the same author already has this grade gets no new
    event, so importing the same file twice is a no-op. Returns the number of new events.

    A pair with no event before and one graded event now (every pair of a first import)
    has that event as its current label, which is what `refresh_current_labels` computes
    from it; it is written directly, since the refresh's aggregation over a WANDS-sized
    import costs a large share of the import (`bench/import_scale.py --steps`). Every other
    touched pair goes through the refresh.
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _new_labels AS
        WITH history AS (
            SELECT pair_id, author, source, grade, event_id FROM label_events
            WHERE pair_id IN (SELECT pair_id FROM {relation})
        ), old AS (
            SELECT pair_id, author, arg_max(grade, event_id) AS grade FROM history
            WHERE source = 'import' GROUP BY pair_id, author
        ), seen AS (
            SELECT DISTINCT pair_id FROM history
        ), repeated AS (
            SELECT pair_id FROM {relation} GROUP BY pair_id HAVING count(*) > 1
        )
        SELECT nextval('event_id_seq') AS event_id, n.pair_id, n.grade, n.author,
               n.grade IS NOT NULL AND seen.pair_id IS NULL AND repeated.pair_id IS NULL
                   AS first_label,
               current_timestamp::TIMESTAMP AS created_at
        FROM {relation} AS n
        LEFT JOIN old ON old.pair_id = n.pair_id AND old.author IS NOT DISTINCT FROM n.author
        LEFT JOIN seen ON seen.pair_id = n.pair_id
        LEFT JOIN repeated ON repeated.pair_id = n.pair_id
        WHERE old.grade IS DISTINCT FROM n.grade
        """
    )
    count, others = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE NOT first_label) FROM _new_labels"
    ).fetchall()[0]
    if count:
        con.execute(
            "INSERT INTO label_events (event_id, pair_id, grade, source, author, created_at) "
            "SELECT event_id, pair_id, grade, 'import', author, created_at FROM _new_labels"
        )
        con.execute(
            """
            INSERT INTO current_labels
                (pair_id, grade, original_grade, source, event_id, unsure, note, changed_at)
            SELECT pair_id, grade, grade, 'import', event_id, false, NULL, created_at
            FROM _new_labels WHERE first_label
            """
        )
    if others:
        refresh_current_labels(con, "(SELECT pair_id FROM _new_labels WHERE NOT first_label)")
    con.execute("DROP TABLE _new_labels")
    return int(count)


def _check_grade(con: duckdb.DuckDBPyConnection, pair_id: int, grade: int | None) -> str:
    """The dataset of `pair_id`, once its existence and `grade` (on the scale) are checked."""
    row = con.execute(
        "SELECT d.grades, d.dataset FROM pairs p JOIN datasets d USING (dataset) "
        "WHERE p.pair_id = ?",
        [pair_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"pair {pair_id} does not exist")
    if grade is not None and grade not in row[0]:
        raise StoreError(f"grade {grade} is not on this dataset's scale {row[0]}")
    return str(row[1])


def record_review(
    db: Db,
    pair_id: int,
    *,
    author: str,
    grade: int | None = None,
    unsure: bool = False,
    note: str | None = None,
    task_id: int | None = None,
    adjudication: bool = False,
) -> int:
    """Append a reviewer's event: a new grade, an "unsure" mark, a note, or several at once.

    A `grade` of None keeps the current grade (a note or an unsure mark alone). `task_id`
    names the review task the event was made in; `adjudication` records the final grade of
    a pair its reviewers disagreed on (source `adjudication`, a grade and a task needed).
    Who may write it is `storage.team`'s rule (`check_author`); the event carries the
    dataset's guideline version in force. A note is stored once: the note this author's
    newest event on the pair already holds (saved on its own, then sent again with the
    grade) is not repeated. Returns the new event's id (an event that would only repeat
    that note is not written: its id is returned).
    """
    if grade is None and not unsure and not note:
        raise StoreError("a review needs a grade, an unsure mark or a note")
    if adjudication and (grade is None or task_id is None):
        raise StoreError("an adjudication records a final grade in a task: give both")
    with connect(db) as con, transaction(con):
        dataset = _check_grade(con, pair_id, grade)
        check_author(
            con, dataset, author, pair_id=pair_id, task_id=task_id, adjudication=adjudication
        )
        said = None if note is None else _newest_note(con, pair_id, author)
        if said is not None and said[1] == note:
            note = None
            if grade is None and not unsure:
                return said[0]
        event_id = con.execute(
            "INSERT INTO label_events (pair_id, grade, source, author, note, unsure, task_id, "
            "guideline_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING event_id",
            [
                pair_id,
                grade,
                "adjudication" if adjudication else "review",
                author,
                note,
                unsure,
                task_id,
                guideline_version(con, dataset),
            ],
        ).fetchall()[0][0]
        refresh_current_labels(con, [pair_id])
    return int(event_id)


# The newest review event of `$author` on `$pair` still in force.
_OWN_LIVE = """
    SELECT max(event_id) FROM label_events
    WHERE pair_id = $pair AND source = 'review' AND author = $author
      AND event_id NOT IN (
          SELECT reverts FROM label_events WHERE pair_id = $pair AND source = 'revert')
"""


def _newest_note(
    con: duckdb.DuckDBPyConnection, pair_id: int, author: str
) -> tuple[int, str] | None:
    """(event id, note) of `author`'s newest event on `pair_id` if it is in force and has a
    note."""
    row = con.execute(
        f"SELECT event_id, note FROM label_events WHERE event_id = ({_OWN_LIVE})",
        {"pair": pair_id, "author": author},
    ).fetchone()
    return None if row is None or row[1] is None else (int(row[0]), str(row[1]))


def undo_last_review(db: Db, pair_id: int, *, author: str) -> int | None:
    """Revert `author`'s newest review event of `pair_id` that is still in force: a reviewer
    undoes only their own events, and only while allowed on the dataset (`check_actor`).

    Appends a `revert` event and returns its id, or None when there is no review to undo
    (imported labels are never reverted: they are the record of what the dataset said).
    """
    with connect(db) as con, transaction(con):
        dataset = _check_grade(con, pair_id, None)
        check_author(con, dataset, author, pair_id=pair_id, task_id=None, adjudication=False)
        row = con.execute(_OWN_LIVE, {"pair": pair_id, "author": author}).fetchall()[0]
        if row[0] is None:
            return None
        event_id = con.execute(
            "INSERT INTO label_events (pair_id, source, author, reverts) "
            "VALUES (?, 'revert', ?, ?) RETURNING event_id",
            [pair_id, author, row[0]],
        ).fetchall()[0][0]
        refresh_current_labels(con, [pair_id])
    return int(event_id)


def label_history(db: Db, pair_id: int) -> list[dict[str, Any]]:
    """Every label event of `pair_id`, oldest first, each with `reverted` (True if undone),
    the task it was made in and the guideline version in force. A revert's `grade` is the
    grade its undo restored (None: the pair was left with no grade)."""
    with connect(db) as con:
        cursor = con.execute(
            """
            SELECT e.event_id, e.grade, e.source, e.author, e.note, e.unsure, e.created_at,
                   e.reverts, e.task_id, e.guideline_version, e.event_id IN (
                       SELECT reverts FROM label_events WHERE pair_id = ? AND source = 'revert'
                   ) AS reverted
            FROM label_events AS e WHERE e.pair_id = ? ORDER BY e.event_id
            """,
            [pair_id, pair_id],
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    graded: dict[int, int] = {}  # the graded events in force so far, in event order
    for row in rows:
        if row["source"] == "revert":
            graded.pop(row["reverts"], None)
            row["grade"] = graded[max(graded)] if graded else None
        elif row["grade"] is not None:
            graded[row["event_id"]] = row["grade"]
    return rows


@dataclass(frozen=True)
class CurrentLabel:
    """The label in force for a pair, as its label events say (`current_labels_from`).

    `grade` is the newest grade not undone (None: graded by nobody), `original_grade` the
    newest imported one; `source` and `event_id` name the event `grade` comes from. `unsure`
    and `note` are the newest mark and note; `changed_at` is when the grade last changed.
    """

    pair_id: int
    grade: int | None
    original_grade: int | None
    source: str | None
    event_id: int | None
    unsure: bool
    note: str | None
    changed_at: datetime | None


def current_label(db: Db, pair_id: int) -> CurrentLabel | None:
    """The label in force for `pair_id`, or None when it has no label event."""
    with connect(db) as con:
        cursor = con.execute("SELECT * FROM current_labels WHERE pair_id = ?", [pair_id])
        row = cursor.fetchone()
        names = [d[0] for d in cursor.description]
    return None if row is None else CurrentLabel(**dict(zip(names, row)))


def rater_labels(db: Db, dataset: str) -> pd.DataFrame:
    """Each named annotator's imported grade per pair of `dataset` (pair_id, author, grade).

    Datasets labelled by several people carry one import event per annotator; these are the
    grades human-human agreement is computed from. Unnamed imports are left out.
    """
    with connect(db) as con:
        return con.execute(
            """
            SELECT e.pair_id, e.author, arg_max(e.grade, e.event_id) AS grade
            FROM label_events e JOIN pairs p USING (pair_id)
            WHERE p.dataset = ? AND e.source = 'import' AND e.author IS NOT NULL
            GROUP BY e.pair_id, e.author ORDER BY e.pair_id, e.author
            """,
            [dataset],
        ).df()
