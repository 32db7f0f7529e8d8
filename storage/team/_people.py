"""The reviewers a dataset allows, its adjudicators and owner, and its guideline: markdown
saying what each grade means, versioned (every save is a new version; nothing is
overwritten), so each label event can name the version its reviewer had in front of them.
Who may change them is `_rules`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from .._db import Db, connect, transaction
from .._errors import NotFoundError, StoreError
from ._rules import ADJUDICATOR, check_actor, check_owner, listed, owner_of


def _dataset_exists(con: duckdb.DuckDBPyConnection, dataset: str) -> None:
    if con.execute("SELECT 1 FROM datasets WHERE dataset = ?", [dataset]).fetchone() is None:
        raise NotFoundError(f"dataset {dataset!r} does not exist")


def allowed_reviewers(db: Db, dataset: str) -> list[str]:
    """The names allowed to review `dataset`, sorted; empty when anyone may."""
    with connect(db) as con:
        return listed(con, dataset)


def adjudicators(db: Db, dataset: str) -> list[str]:
    """The names who adjudicate `dataset`'s disputes, sorted; empty: any allowed reviewer
    who is not a party to the dispute."""
    with connect(db) as con:
        return listed(con, dataset, ADJUDICATOR)


def dataset_owner(db: Db, dataset: str) -> str | None:
    """Who sets the reviewers and adjudicators of `dataset`: the first who set either list
    (None: nobody yet, and the first to set one becomes the owner)."""
    with connect(db) as con:
        return owner_of(con, dataset)


def _names(names: Sequence[str]) -> list[str]:
    return sorted({n.strip() for n in names if n and n.strip()})


def set_allowed_reviewers(
    db: Db, dataset: str, names: Sequence[str], *, actor: str | None
) -> list[str]:
    """Make `names` the reviewers allowed on `dataset` (an empty list: anyone), as `actor`,
    who must be the dataset's owner (`_rules.check_owner`). Returns the list as stored: names
    trimmed, blanks dropped, each once."""
    kept = _names(names)
    with connect(db) as con, transaction(con):
        _dataset_exists(con, dataset)
        check_owner(con, dataset, actor)
        con.execute("DELETE FROM reviewers WHERE dataset = ?", [dataset])
        if kept:  # DuckDB refuses an executemany of nothing
            con.executemany(
                "INSERT INTO reviewers (dataset, name) VALUES (?, ?)", [[dataset, n] for n in kept]
            )
    return kept


def set_adjudicators(db: Db, dataset: str, names: Sequence[str], *, actor: str | None) -> list[str]:
    """Make `names` the adjudicators of `dataset` (empty: any allowed reviewer), as its
    owner `actor`. Each must be an allowed reviewer. Returns the list as stored."""
    kept = _names(names)
    with connect(db) as con, transaction(con):
        _dataset_exists(con, dataset)
        check_owner(con, dataset, actor)
        for name in kept:
            check_actor(con, dataset, name)
        con.execute("DELETE FROM team_roles WHERE dataset = ? AND role = ?", [dataset, ADJUDICATOR])
        if kept:
            con.executemany(
                "INSERT INTO team_roles (dataset, name, role) VALUES (?, ?, ?)",
                [[dataset, n, ADJUDICATOR] for n in kept],
            )
    return kept


@dataclass(frozen=True)
class Guideline:
    """One saved version of a dataset's guideline."""

    dataset: str
    version: int
    text: str
    author: str | None
    created_at: datetime


def guideline(db: Db, dataset: str, version: int | None = None) -> Guideline | None:
    """Version `version` of the guideline of `dataset` (default: the newest), or None when
    the dataset has no guideline yet."""
    with connect(db) as con:
        row = con.execute(
            "SELECT dataset, version, text, author, created_at FROM guidelines "
            "WHERE dataset = $d AND version = coalesce($v, "
            "(SELECT max(version) FROM guidelines WHERE dataset = $d))",
            {"d": dataset, "v": version},
        ).fetchone()
    if row is None and version is not None:
        raise NotFoundError(f"dataset {dataset!r} has no guideline version {version}")
    return None if row is None else Guideline(*row)


def guideline_owner(db: Db, dataset: str) -> str | None:
    """Who owns the guideline of `dataset`: the first named author of a version (the one who
    wrote it down first); None while no version names its author."""
    with connect(db) as con:
        return _owner(con, dataset)


def _owner(con: duckdb.DuckDBPyConnection, dataset: str) -> str | None:
    row = con.execute(
        "SELECT author FROM guidelines WHERE dataset = ? AND author IS NOT NULL "
        "ORDER BY version LIMIT 1",
        [dataset],
    ).fetchone()
    return None if row is None else str(row[0])


def save_guideline(db: Db, dataset: str, text: str, *, author: str | None = None) -> int:
    """Save `text` as the next version of the guideline of `dataset`; returns the version.
    Saving the text the newest version already has makes no new version. Only the owner
    (`guideline_owner`) may save once there is one: the guideline is what every reviewer
    grades by, so it changes by one hand."""
    if not text.strip():
        raise StoreError("a guideline needs some text: say what each grade means")
    with connect(db) as con, transaction(con):
        _dataset_exists(con, dataset)
        check_actor(con, dataset, author)
        owner = _owner(con, dataset)
        if owner is not None and author != owner:
            raise StoreError(
                f"the guideline of {dataset!r} is {owner}'s: only they save new versions "
                f"(you are {author or 'unnamed'}); ask them for the change"
            )
        newest = con.execute(
            "SELECT version, text FROM guidelines WHERE dataset = ? ORDER BY version DESC LIMIT 1",
            [dataset],
        ).fetchone()
        if newest is not None and newest[1] == text:
            return int(newest[0])
        version = 1 if newest is None else int(newest[0]) + 1
        con.execute(
            "INSERT INTO guidelines (dataset, version, text, author) VALUES (?, ?, ?, ?)",
            [dataset, version, text, author],
        )
    return version
