"""Who may write an event that carries an author, and who may change a dataset's team
rules: one rule, called inside the writer's own transaction by every writer (reviews,
notes, unsure marks and undos, adjudications, relabel batches and their undo, preference
events, guideline versions, task creation, the allowed-reviewer and adjudicator lists),
whichever page or command calls it.

- **Actor.** A dataset with reviewers listed (`reviewers`) takes events only from those
  names; with none listed, anyone. A review (label event) always names its reviewer.
- **Task.** An event made in a task (`task_id`) of the same dataset is a review by a
  reviewer the pair is assigned to in that task, or an adjudication.
- **Adjudication.** By a listed adjudicator (none listed: any allowed reviewer), and never
  by a party to the dispute (a reviewer the pair is assigned to in that task).
- **Undo.** A reviewer undoes only their own events (the writers select them by author).
- **Owner.** A dataset's owner is the first actor who set its allowed reviewers or its
  adjudicators, recorded then (`team_roles`); from then on only the owner changes either
  list. With a login the actor is the login's stable key, so only a logged-in owner can.
"""

from __future__ import annotations

import duckdb

from .._errors import StoreError

OWNER = "owner"
ADJUDICATOR = "adjudicator"


def listed(con: duckdb.DuckDBPyConnection, dataset: str, role: str | None = None) -> list[str]:
    """The allowed reviewers of `dataset` (`role` None), or the names holding `role`."""
    if role is None:
        sql, params = "SELECT name FROM reviewers WHERE dataset = ? ORDER BY name", [dataset]
    else:
        sql = "SELECT name FROM team_roles WHERE dataset = ? AND role = ? ORDER BY name"
        params = [dataset, role]
    return [name for (name,) in con.execute(sql, params).fetchall()]


def check_actor(con: duckdb.DuckDBPyConnection, dataset: str, author: str | None) -> None:
    """Refuse (StoreError) an event by `author` on `dataset` when the dataset lists its
    reviewers and `author` is not one of them."""
    allowed = listed(con, dataset)
    if allowed and author not in allowed:
        who = repr(author) if author else "an unnamed author"
        raise StoreError(
            f"{who} is not a reviewer of dataset {dataset!r}; allowed: {', '.join(allowed)} "
            "(pick one as the reviewer, or give --as/--author NAME)"
        )


def check_author(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    author: str,
    *,
    pair_id: int,
    task_id: int | None,
    adjudication: bool,
) -> None:
    """Refuse the label event (StoreError) when `author` may not write it, saying what to do."""
    if not author or not author.strip():
        raise StoreError("a review needs the reviewer's name: pick or add one first")
    check_actor(con, dataset, author)
    if task_id is None:
        return
    task = con.execute("SELECT dataset FROM review_tasks WHERE task_id = ?", [task_id]).fetchone()
    if task is None or task[0] != dataset:
        raise StoreError(f"task {task_id} is not a task of dataset {dataset!r}")
    parties = [
        name
        for (name,) in con.execute(
            "SELECT reviewer FROM task_items WHERE task_id = ? AND pair_id = ? ORDER BY reviewer",
            [task_id, pair_id],
        ).fetchall()
    ]
    if adjudication:
        _check_adjudicator(con, dataset, author, pair_id, parties)
    elif author not in parties:
        raise StoreError(
            f"pair {pair_id} is not in {author}'s queue of task {task_id}: open your own queue"
        )


def _check_adjudicator(
    con: duckdb.DuckDBPyConnection, dataset: str, author: str, pair_id: int, parties: list[str]
) -> None:
    if author in parties:
        raise StoreError(
            f"{author} graded pair {pair_id} in this task: a party to the dispute does not "
            f"adjudicate it; ask someone other than {' or '.join(parties)}"
        )
    adjudicators = listed(con, dataset, ADJUDICATOR)
    if adjudicators and author not in adjudicators:
        raise StoreError(
            f"{author} is not an adjudicator of dataset {dataset!r}; adjudicators: "
            f"{', '.join(adjudicators)}"
        )


def owner_of(con: duckdb.DuckDBPyConnection, dataset: str) -> str | None:
    """The owner of `dataset` (see the module docstring), None while nobody set a list."""
    names = listed(con, dataset, OWNER)
    return names[0] if names else None


def check_owner(con: duckdb.DuckDBPyConnection, dataset: str, actor: str | None) -> None:
    """Refuse (StoreError) a change of the dataset's team rules by anyone but its owner; the
    first actor to change them (an allowed reviewer, when some are listed) becomes the owner."""
    if not actor or not actor.strip():
        raise StoreError(
            f"changing who reviews {dataset!r} needs to know who you are: pick your reviewer "
            "name (log in, when the app has a login), or give --as NAME"
        )
    owner = owner_of(con, dataset)
    if owner is None:
        check_actor(con, dataset, actor)
        con.execute(
            "INSERT INTO team_roles (dataset, name, role) VALUES (?, ?, ?)",
            [dataset, actor, OWNER],
        )
    elif actor != owner:
        raise StoreError(
            f"the reviewers of {dataset!r} are set by its owner, {owner} (you are {actor}): "
            "ask them for the change"
        )


def guideline_version(con: duckdb.DuckDBPyConnection, dataset: str) -> int | None:
    """The newest guideline version of `dataset` (None: it has no guideline): the version an
    event made now was made under."""
    row = con.execute("SELECT max(version) FROM guidelines WHERE dataset = ?", [dataset]).fetchone()
    return None if row is None or row[0] is None else int(row[0])
