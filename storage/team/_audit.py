"""Audit tasks in the store: a review task that draws whole queries for human review, with
the design that drew them (uniform or active), its seed, the judge run it read, when it was
drawn, and every query of the population with its inclusion probability.

An audited query is one whose every item in the task has its reviewer's independent label
(the schema's `independent_labels`): only then are its per-query figures from human labels
complete. The human grade of a pair is its current label, which the review wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import duckdb
import pandas as pd

from .._db import Db, connect


class Design(StrEnum):
    """How an audit chose its queries."""

    UNIFORM = "uniform"
    ACTIVE = "active"


@dataclass(frozen=True)
class AuditDraw:
    """An audit task's draw as stored: its design, seed, the judge run it read (None: a
    uniform draw made with no run), the queries asked for, and when it was drawn."""

    task_id: int
    design: Design
    seed: int
    run_id: int | None
    size: int
    drawn_at: datetime


@dataclass(frozen=True)
class AuditSpec:
    """What a new audit task stores beside its items: its design, seed, judge run, the
    queries asked for, and its `population` (query_id, inclusion_probability, drawn)."""

    design: Design
    seed: int
    run_id: int | None
    size: int
    population: pd.DataFrame


def record_audit(con: duckdb.DuckDBPyConnection, task_id: int, spec: AuditSpec) -> None:
    """Store the draw of task `task_id`, inside the transaction that creates the task."""
    con.execute(
        "INSERT INTO audit_draws (task_id, design, seed, run_id, size) VALUES (?, ?, ?, ?, ?)",
        [task_id, str(spec.design), spec.seed, spec.run_id, spec.size],
    )
    frame = spec.population[["query_id", "inclusion_probability", "drawn"]].copy()
    frame.insert(0, "task_id", task_id)
    con.register("_audit", frame)
    con.execute("INSERT INTO audit_queries SELECT * FROM _audit")
    con.unregister("_audit")


def query_errors(db: Db, dataset: str, run_id: int | None) -> pd.DataFrame:
    """Every query of `dataset` that has pairs: query_id, pairs, and with `run_id` the
    judge's expected error on it (the mean over its pairs of 1 - the largest grade
    probability; NaN when a pair has no probabilities)."""
    with connect(db) as con:
        return con.execute(
            """
            SELECT p.query_id, count(*) AS pairs,
                   CASE WHEN count(j.probs) = count(*)
                        THEN avg(1 - list_max(j.probs)) END AS expected_error
            FROM pairs p
            LEFT JOIN judgments j ON j.run_id = $run AND j.pair_id = p.pair_id
            WHERE p.dataset = $dataset
            GROUP BY p.query_id ORDER BY p.query_id
            """,
            {"dataset": dataset, "run": -1 if run_id is None else run_id},
        ).df()


def pairs_of_queries(db: Db, dataset: str, query_ids: list[str]) -> pd.DataFrame:
    """The pairs of the queries `query_ids` of `dataset`: pair_id, query_id, by pair id."""
    with connect(db) as con:
        return con.execute(
            "SELECT pair_id, query_id FROM pairs WHERE dataset = ? "
            "AND list_contains(?, query_id) ORDER BY pair_id",
            [dataset, query_ids],
        ).df()


def get_audit(db: Db, task_id: int) -> AuditDraw | None:
    """The draw of audit task `task_id`, or None for a task that is no audit."""
    with connect(db) as con:
        row = con.execute(
            "SELECT task_id, design, seed, run_id, size, drawn_at FROM audit_draws "
            "WHERE task_id = ?",
            [task_id],
        ).fetchone()
    if row is None:
        return None
    return AuditDraw(int(row[0]), Design(row[1]), int(row[2]), row[3], int(row[4]), row[5])


def audit_tasks(db: Db, dataset: str) -> pd.DataFrame:
    """The audit tasks of `dataset`, newest first: task_id, name, design, run_id, size,
    drawn_at."""
    with connect(db) as con:
        return con.execute(
            "SELECT t.task_id, t.name, a.design, a.run_id, a.size, a.drawn_at "
            "FROM audit_draws a JOIN review_tasks t USING (task_id) WHERE t.dataset = ? "
            "ORDER BY t.task_id DESC",
            [dataset],
        ).df()


def audit_queries(db: Db, task_id: int) -> pd.DataFrame:
    """Every query of the audit's population: query_id, inclusion_probability, drawn, and
    audited (drawn, and every item of it in the task has its independent label) and
    audited_at (when its last item was labelled)."""
    with connect(db) as con:
        return con.execute(
            """
            WITH items AS (
                SELECT p.query_id, bool_and(l.event_id IS NOT NULL) AS done,
                       max(l.created_at) AS done_at
                FROM task_items i JOIN pairs p USING (pair_id)
                LEFT JOIN independent_labels l USING (task_id, pair_id, reviewer)
                WHERE i.task_id = $task GROUP BY p.query_id
            )
            SELECT a.query_id, a.inclusion_probability, a.drawn,
                   a.drawn AND coalesce(i.done, false) AS audited,
                   CASE WHEN i.done THEN i.done_at END AS audited_at
            FROM audit_queries a LEFT JOIN items i USING (query_id)
            WHERE a.task_id = $task ORDER BY a.query_id
            """,
            {"task": task_id},
        ).df()


def last_judged_at(db: Db, run_id: int) -> datetime | None:
    """When judge run `run_id` recorded its newest judgment (None: it has none)."""
    with connect(db) as con:
        row = con.execute(
            "SELECT max(created_at) FROM judgments WHERE run_id = ?", [run_id]
        ).fetchone()
    return None if row is None else row[0]
