"""Reviewers' preferences between two products of a query, as an append-only event log.

A reviewer says which of two products better matches their query (or that neither does: a
tie); undo appends a `revert` event naming the reviewer's own newest event still in force,
as label events do. Who may write either is `storage.team`'s rule (`check_actor`). The
preference in force is the newest review event not reverted. Events are stored on the
ordered pair (`pair_a` < `pair_b`), whichever order the card showed; callers name the
preferred product by its pair id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from .._db import Db, connect, transaction
from .._errors import NotFoundError, StoreError
from ..team import check_actor

LIVE_PREFERENCES = """
    SELECT * FROM preference_events
    WHERE source = 'review'
      AND event_id NOT IN (SELECT reverts FROM preference_events WHERE source = 'revert')
"""
"""The reviewers' preference events in force: reviews that no undo (a `revert` event naming
the review) took back. The preference between two products is the newest of them
(`PREFERENCES_IN_FORCE`); every reader of a preference starts here."""

PREFERENCES_IN_FORCE = f"""
    SELECT pair_a, pair_b, arg_max(preference, event_id) AS preference,
           max(created_at) AS decided_at
    FROM ({LIVE_PREFERENCES}) GROUP BY pair_a, pair_b
"""
"""Per two products (pair_a < pair_b), the preference in force and when it was decided."""

# A reviewer's newest review in force on two products (any reviewer's with no author).
_LIVE = f"""
    SELECT max(event_id) FROM ({LIVE_PREFERENCES})
    WHERE pair_a = $a AND pair_b = $b AND author = coalesce($author::VARCHAR, author)
"""


def _dataset(con: duckdb.DuckDBPyConnection, a: int, b: int) -> str:
    """The one dataset and query of pairs `a` and `b`, refused when they are not both
    stored or not products of one query."""
    found = con.execute(
        "SELECT count(DISTINCT query_id), count(*), any_value(dataset) FROM pairs "
        "WHERE pair_id IN (?, ?)",
        [a, b],
    ).fetchall()[0]
    if found[1] != 2:
        raise NotFoundError(f"pairs {a} and {b} are not both in the store")
    if found[0] != 1:
        raise StoreError(
            f"pairs {a} and {b} belong to different queries: compare products of one query"
        )
    return str(found[2])


def _ordered(first: int, second: int) -> tuple[int, int]:
    if first == second:
        raise StoreError(f"a preference is between two different pairs, got {first} twice")
    return (int(first), int(second)) if first < second else (int(second), int(first))


def record_preference(
    db: Db, first: int, second: int, *, preferred: int | None, author: str, note: str | None = None
) -> int:
    """Append a reviewer's preference between pairs `first` and `second`: `preferred` is the
    pair id of the better product, or None for a tie. Returns the new event's id."""
    a, b = _ordered(first, second)
    if preferred not in (a, b, None):
        raise StoreError(
            f"pair {preferred} is not one of the two compared ({a}, {b}): name one of them, "
            "or None for a tie"
        )
    said = "tie" if preferred is None else "a" if preferred == a else "b"
    if not author or not author.strip():
        raise StoreError("a preference needs the reviewer's name: pick or add one first")
    with connect(db) as con, transaction(con):
        check_actor(con, _dataset(con, a, b), author)
        event_id = con.execute(
            "INSERT INTO preference_events (pair_a, pair_b, preference, source, author, note) "
            "VALUES (?, ?, ?, 'review', ?, ?) RETURNING event_id",
            [a, b, said, author, note],
        ).fetchall()[0][0]
    return int(event_id)


def undo_last_preference(db: Db, first: int, second: int, *, author: str) -> int | None:
    """Revert `author`'s newest preference between the two pairs that is still in force
    (a reviewer undoes only their own); returns the revert event's id, or None when there
    is none to undo."""
    a, b = _ordered(first, second)
    with connect(db) as con, transaction(con):
        check_actor(con, _dataset(con, a, b), author)
        live = con.execute(_LIVE, {"a": a, "b": b, "author": author}).fetchall()[0][0]
        if live is None:
            return None
        event_id = con.execute(
            "INSERT INTO preference_events (pair_a, pair_b, source, author, reverts) "
            "VALUES (?, ?, 'revert', ?, ?) RETURNING event_id",
            [a, b, author, live],
        ).fetchall()[0][0]
    return int(event_id)


def current_preference(db: Db, first: int, second: int) -> int | None | str:
    """The preference in force between the two pairs: the preferred pair id, "tie", or None
    when no reviewer has said (or every preference was undone)."""
    a, b = _ordered(first, second)
    with connect(db) as con:
        row = con.execute(
            f"SELECT preference FROM preference_events WHERE event_id = ({_LIVE})",
            {"a": a, "b": b, "author": None},
        ).fetchone()
    if row is None:
        return None
    return {"a": a, "b": b}.get(row[0], "tie")


def preference_history(db: Db, first: int, second: int) -> list[dict[str, Any]]:
    """Every preference event between the two pairs, oldest first, each with `preferred`
    (a pair id, "tie", or None for a revert) and `reverted` (True if undone)."""
    a, b = _ordered(first, second)
    with connect(db) as con:
        cursor = con.execute(
            """
            SELECT e.event_id, e.preference, e.source, e.author, e.note, e.created_at,
                   e.reverts, e.event_id IN (
                       SELECT reverts FROM preference_events
                       WHERE pair_a = $a AND pair_b = $b AND source = 'revert'
                   ) AS reverted
            FROM preference_events e WHERE e.pair_a = $a AND e.pair_b = $b ORDER BY e.event_id
            """,
            {"a": a, "b": b},
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    for row in rows:
        row["preferred"] = {"a": a, "b": b, "tie": "tie"}.get(row.pop("preference"))
    return rows


def current_grades(db: Db, pair_ids: Sequence[int]) -> dict[int, int]:
    """The current human grade of each of `pair_ids` that has one: what a comparison plan
    mixes pairs by."""
    with connect(db) as con:
        rows = con.execute(
            "SELECT pair_id, grade FROM current_labels "
            "WHERE list_contains($ids, pair_id) AND grade IS NOT NULL",
            {"ids": [int(p) for p in pair_ids]},
        ).fetchall()
    return {int(p): int(g) for p, g in rows}
