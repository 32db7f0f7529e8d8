"""What each pair's grade is under each source qrels can be made from, and the relabel
batches that write a judge run's grades as label events.

A relabel batch is the "apply it for real" of a what-if: one `judge` event per pair whose
grade it changes, naming the batch; undoing the batch appends one `revert` per event still
in force, in one transaction, so a review made after the batch stays in force. Who may apply
or undo one is `storage.team`'s rule (`check_actor`); a batch is undone only by its author.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from .._db import Db, connect, transaction
from .._errors import NotFoundError, StoreError
from .._labels import refresh_current_labels
from ..team import check_actor

# The judge events of relabel batches still in force: not reverted by their batch's undo.
_IN_FORCE = """
    SELECT e.event_id, e.pair_id, e.batch_id FROM label_events e
    WHERE e.source = 'judge' AND e.batch_id IS NOT NULL AND e.event_id NOT IN (
        SELECT reverts FROM label_events WHERE batch_id = e.batch_id AND source = 'revert')
"""


def relabels_in_force(con: duckdb.DuckDBPyConnection, run_id: int) -> list[tuple[int, int]]:
    """(batch_id, labels in force) of judge run `run_id`'s relabel batches that still write
    labels, oldest first: what must be undone before the run can go."""
    return [
        (int(batch), int(n))
        for batch, n in con.execute(
            f"""
            SELECT f.batch_id, count(*) FROM ({_IN_FORCE}) f
            JOIN relabel_batches b USING (batch_id) WHERE b.run_id = ?
            GROUP BY f.batch_id ORDER BY f.batch_id
            """,
            [run_id],
        ).fetchall()
    ]


def label_sources(db: Db, dataset: str, run_id: int | None = None) -> pd.DataFrame:
    """Every pair of `dataset` with the grades qrels are built from: pair_id, query_id,
    doc_id, `human` (the current label), `imported` (the newest imported grade, before any
    review), and with `run_id` the judge's `judge` grade, `expected_grade` and `confidence`
    (NA where the run has no parsed grade for the pair)."""
    judged = (
        "LEFT JOIN (SELECT pair_id, grade AS judge, expected_grade, confidence FROM judgments "
        "WHERE run_id = $run AND grade IS NOT NULL) j USING (pair_id)"
    )
    with connect(db) as con:
        return con.execute(
            f"""
            SELECT p.pair_id, p.query_id, p.doc_id, c.grade AS human, c.original_grade AS imported,
                   j.judge, j.expected_grade, j.confidence
            FROM pairs p LEFT JOIN current_labels c USING (pair_id) {judged}
            WHERE p.dataset = $dataset ORDER BY p.pair_id
            """,
            {"dataset": dataset, "run": run_id if run_id is not None else -1},
        ).df()


def apply_relabel(
    db: Db,
    dataset: str,
    run_id: int,
    grades: Sequence[tuple[int, int]],
    *,
    min_confidence: float,
    author: str | None = None,
) -> int:
    """Write `grades` ((pair_id, grade) from judge run `run_id`, adopted where its
    confidence was at least `min_confidence`) as `judge` label events of one new batch;
    returns the batch id. Every pair must be one of `dataset`'s, every grade on its scale."""
    if not grades:
        raise StoreError("nothing to relabel: no pair's grade would change at this confidence")
    frame = pd.DataFrame(list(grades), columns=["pair_id", "grade"])
    with connect(db) as con, transaction(con):
        check_actor(con, dataset, author)
        if not con.execute(
            "SELECT 1 FROM judge_runs WHERE run_id = ? AND dataset = ?", [run_id, dataset]
        ).fetchall():
            raise NotFoundError(f"dataset {dataset!r} has no judge run {run_id}")
        con.register("_relabel_in", frame)
        try:
            bad = con.execute(
                """
                SELECT r.pair_id, r.grade FROM _relabel_in r
                LEFT JOIN pairs p ON p.pair_id = r.pair_id AND p.dataset = $dataset
                LEFT JOIN datasets d ON d.dataset = $dataset
                WHERE p.pair_id IS NULL OR NOT list_contains(d.grades, r.grade) LIMIT 1
                """,
                {"dataset": dataset},
            ).fetchall()
            if bad:
                raise StoreError(
                    f"pair {bad[0][0]} with grade {bad[0][1]} is not a pair of {dataset!r} "
                    "graded on its scale"
                )
            batch_id = con.execute(
                "INSERT INTO relabel_batches (dataset, run_id, min_confidence, author) "
                "VALUES (?, ?, ?, ?) RETURNING batch_id",
                [dataset, run_id, min_confidence, author],
            ).fetchall()[0][0]
            con.execute(
                """
                INSERT INTO label_events (pair_id, grade, source, author, note, batch_id)
                SELECT pair_id, grade, 'judge', ?, ?, ? FROM _relabel_in ORDER BY pair_id
                """,
                [
                    author,
                    f"judge run {run_id}, confidence >= {min_confidence:g} (batch {batch_id})",
                    batch_id,
                ],
            )
        finally:
            con.unregister("_relabel_in")
        refresh_current_labels(
            con, f"(SELECT pair_id FROM label_events WHERE batch_id = {batch_id})"
        )
    return int(batch_id)


def undo_relabel(db: Db, dataset: str, batch_id: int, *, author: str | None = None) -> int:
    """Revert every event of relabel batch `batch_id` that is still in force, in one
    transaction, as its author (a batch with no author recorded: any allowed reviewer);
    returns how many were reverted (0 for a batch undone already)."""
    with connect(db) as con, transaction(con):
        check_actor(con, dataset, author)
        found = con.execute(
            "SELECT author FROM relabel_batches WHERE batch_id = ? AND dataset = ?",
            [batch_id, dataset],
        ).fetchall()
        if not found:
            raise NotFoundError(f"dataset {dataset!r} has no relabel batch {batch_id}")
        if found[0][0] is not None and found[0][0] != author:
            raise StoreError(
                f"relabel batch {batch_id} was applied by {found[0][0]}: only they undo it "
                f"(you are {author or 'unnamed'}; on the command line, --author NAME)"
            )
        reverted = con.execute(
            f"""
            INSERT INTO label_events (pair_id, source, author, reverts, batch_id)
            SELECT pair_id, 'revert', ?, event_id, batch_id FROM ({_IN_FORCE})
            WHERE batch_id = ? ORDER BY event_id
            RETURNING pair_id
            """,
            [author, batch_id],
        ).fetchall()
        if reverted:
            refresh_current_labels(con, [row[0] for row in reverted])
    return len(reverted)


def relabel_batches(db: Db, dataset: str) -> pd.DataFrame:
    """The relabel batches of `dataset`, newest first: batch_id, run_id, min_confidence,
    author, created_at, `pairs` relabelled and `undone` (every event reverted)."""
    with connect(db) as con:
        return con.execute(
            """
            SELECT b.batch_id, b.run_id, b.min_confidence, b.author, b.created_at,
                   count(e.event_id) FILTER (WHERE e.source = 'judge') AS pairs,
                   count(e.event_id) FILTER (WHERE e.source = 'revert') >=
                       count(e.event_id) FILTER (WHERE e.source = 'judge') AS undone
            FROM relabel_batches b LEFT JOIN label_events e USING (batch_id)
            WHERE b.dataset = ? GROUP BY ALL ORDER BY b.batch_id DESC
            """,
            [dataset],
        ).df()
