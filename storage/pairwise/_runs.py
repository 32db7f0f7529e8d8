"""Pairwise runs and their verdicts, one row per order of each comparison.

A run's provenance is a graded run's (model, its sha256, template, its sha256, parameters),
without a scale. A verdict is keyed by (run_id, first_pair_id, second_pair_id): the two
orders of one comparison are two rows, so a resumed run skips the orders it has.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .._db import Db, connect, transaction
from .._errors import NotFoundError
from .._runs import RunRecord, decode_run, end_run, insert_run, set_running
from .._vocab import RunStatus, Split
from ._preferences import PREFERENCES_IN_FORCE

PAIRWISE_JUDGMENT_COLUMNS = (
    "first_pair_id",
    "second_pair_id",
    "winner",
    "p_first",
    "p_second",
    "p_tie",
    "raw_output",
    "parse_status",
    "error",
    "latency_ms",
    "prompt_tokens",
    "completion_tokens",
    "endpoint",
)


def create_pairwise_run(
    db: Db,
    *,
    name: str,
    dataset: str,
    backend: str,
    model: str,
    prompt_template: str,
    prompt_sha256: str,
    model_sha256: str | None = None,
    split: Split | None = None,
    params: Mapping[str, Any] | None = None,
) -> int:
    """Record a new pairwise run with its provenance, running; returns its run_id."""
    return insert_run(
        db,
        "pairwise_runs",
        {
            "name": name,
            "dataset": dataset,
            "split": split,
            "backend": backend,
            "model": model,
            "model_sha256": model_sha256,
            "prompt_template": prompt_template,
            "prompt_sha256": prompt_sha256,
            "params": params,
        },
    )


def record_pairwise_judgments(db: Db, run_id: int, records: Iterable[Mapping[str, Any]]) -> int:
    """Write verdicts (keys: PAIRWISE_JUDGMENT_COLUMNS) for `run_id`, replacing earlier ones
    of the same order."""
    frame = pd.DataFrame(
        [{k: r.get(k) for k in PAIRWISE_JUDGMENT_COLUMNS} for r in records],
        columns=list(PAIRWISE_JUDGMENT_COLUMNS),
    )
    if frame.empty:
        return 0
    frame = frame.drop_duplicates(["first_pair_id", "second_pair_id"], keep="last")
    with connect(db) as con, transaction(con):
        con.register("_verdicts", frame)
        con.execute(
            f"""
            INSERT OR REPLACE INTO pairwise_judgments
                (run_id, {", ".join(PAIRWISE_JUDGMENT_COLUMNS)}, created_at)
            SELECT ?, first_pair_id::BIGINT, second_pair_id::BIGINT, winner::VARCHAR,
                   p_first::DOUBLE, p_second::DOUBLE, p_tie::DOUBLE, raw_output::VARCHAR,
                   parse_status::VARCHAR, error::VARCHAR, latency_ms::DOUBLE,
                   prompt_tokens::INTEGER, completion_tokens::INTEGER, endpoint::VARCHAR,
                   current_timestamp
            FROM _verdicts
            """,
            [run_id],
        )
        con.unregister("_verdicts")
    return len(frame)


def judged_orders(db: Db, run_id: int) -> set[tuple[int, int]]:
    """The (first_pair_id, second_pair_id) orders `run_id` has an answer for; failed orders
    are left out so a resumed run tries them again."""
    with connect(db) as con:
        rows = con.execute(
            "SELECT first_pair_id, second_pair_id FROM pairwise_judgments "
            "WHERE run_id = ? AND parse_status <> 'error'",
            [run_id],
        ).fetchall()
    return {(int(a), int(b)) for a, b in rows}


def finish_pairwise_run(db: Db, run_id: int, status: RunStatus) -> None:
    """Mark `run_id` as ended: done, cancelled or failed."""
    end_run(db, "pairwise_runs", run_id, status)


def reopen_pairwise_run(db: Db, run_id: int) -> None:
    """Set `run_id` back to running for a resume."""
    set_running(db, "pairwise_runs", run_id)


def is_pairwise_run(db: Db, run_id: int) -> bool:
    """Whether `run_id` names a pairwise run (run ids are shared with graded runs)."""
    with connect(db) as con:
        found = con.execute("SELECT 1 FROM pairwise_runs WHERE run_id = ?", [run_id]).fetchone()
    return found is not None


def get_pairwise_run(db: Db, run_id: int) -> RunRecord:
    """One pairwise run's provenance and status."""
    with connect(db) as con:
        cursor = con.execute("SELECT * FROM pairwise_runs WHERE run_id = ?", [run_id])
        row = cursor.fetchone()
        if row is None:
            raise NotFoundError(f"no pairwise run {run_id}: see the Pairwise page for the runs")
        run = dict(zip([d[0] for d in cursor.description], row))
    return RunRecord(**decode_run(run))


def list_pairwise_runs(db: Db, dataset: str | None = None) -> pd.DataFrame:
    """Pairwise runs, newest first, with their counts of answered, failed and unparsed
    orders."""
    with connect(db) as con:
        return con.execute(
            """
            SELECT r.run_id, r.name, r.dataset, r.split, r.model, r.status,
                   left(r.prompt_sha256, 12) AS prompt_sha, r.started_at, r.finished_at,
                   count(j.run_id) FILTER (WHERE j.winner IS NOT NULL) AS answered,
                   count(j.run_id) FILTER (WHERE j.parse_status = 'error') AS failed,
                   count(j.run_id) FILTER (WHERE j.parse_status = 'unparsed') AS unparsed
            FROM pairwise_runs r LEFT JOIN pairwise_judgments j USING (run_id)
            WHERE $dataset IS NULL OR r.dataset = $dataset
            GROUP BY ALL ORDER BY r.run_id DESC
            """,
            {"dataset": dataset},
        ).df()


_COMPARISONS = f"""
WITH orders AS (
    SELECT least(first_pair_id, second_pair_id) AS pair_a,
           greatest(first_pair_id, second_pair_id) AS pair_b,
           first_pair_id < second_pair_id AS a_first, *
    FROM pairwise_judgments WHERE run_id = $run
), preferred AS (
    SELECT pair_a, pair_b, preference AS human_preference FROM ({PREFERENCES_IN_FORCE})
)
SELECT p.query_id, q.query, o.pair_a, o.pair_b,
       any_value(o.winner) FILTER (WHERE o.a_first) AS winner_ab,
       any_value(o.winner) FILTER (WHERE NOT o.a_first) AS winner_ba,
       any_value(o.p_first) FILTER (WHERE o.a_first) AS p_first_ab,
       any_value(o.p_second) FILTER (WHERE o.a_first) AS p_second_ab,
       any_value(o.p_tie) FILTER (WHERE o.a_first) AS p_tie_ab,
       any_value(o.p_first) FILTER (WHERE NOT o.a_first) AS p_first_ba,
       any_value(o.p_second) FILTER (WHERE NOT o.a_first) AS p_second_ba,
       any_value(o.p_tie) FILTER (WHERE NOT o.a_first) AS p_tie_ba,
       any_value(o.raw_output) FILTER (WHERE o.a_first) AS raw_ab,
       any_value(o.raw_output) FILTER (WHERE NOT o.a_first) AS raw_ba,
       any_value(o.parse_status) FILTER (WHERE o.a_first) AS status_ab,
       any_value(o.parse_status) FILTER (WHERE NOT o.a_first) AS status_ba,
       any_value(ca.grade) AS grade_a, any_value(cb.grade) AS grade_b,
       any_value(pr.human_preference) AS human_preference
FROM orders o
JOIN pairs p ON p.pair_id = o.pair_a
JOIN queries q USING (dataset, query_id)
LEFT JOIN current_labels ca ON ca.pair_id = o.pair_a
LEFT JOIN current_labels cb ON cb.pair_id = o.pair_b
LEFT JOIN preferred pr ON pr.pair_a = o.pair_a AND pr.pair_b = o.pair_b
GROUP BY p.query_id, q.query, o.pair_a, o.pair_b
ORDER BY p.query_id, o.pair_a, o.pair_b
"""


def pairwise_comparisons(db: Db, run_id: int) -> pd.DataFrame:
    """One row per comparison of `run_id` (pair_a the smaller pair id; order ``ab`` showed
    pair_a first): query_id, query, pair_a, pair_b, each order's winner, probabilities, raw
    output and parse status (suffix _ab, _ba; NULL for an order not judged yet), both pairs'
    current human grades, and the reviewers' current preference ('a', 'b', 'tie' or NULL)."""
    with connect(db) as con:
        return con.execute(_COMPARISONS, {"run": run_id}).df()


def pairwise_version(db: Db, run_id: int) -> tuple[Any, ...]:
    """A value that changes whenever `run_id`'s verdicts, any preference or any label
    changes: the key that keeps a cached pairwise report fresh."""
    with connect(db) as con:
        return tuple(
            con.execute(
                """
                SELECT (SELECT count(*) FROM pairwise_judgments WHERE run_id = $run),
                       (SELECT max(created_at) FROM pairwise_judgments WHERE run_id = $run),
                       (SELECT max(event_id) FROM preference_events),
                       (SELECT max(event_id) FROM label_events),
                       (SELECT status FROM pairwise_runs WHERE run_id = $run)
                """,
                {"run": run_id},
            ).fetchall()[0]
        )
