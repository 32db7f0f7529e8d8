"""Judge runs and their judgments: provenance in, results recorded one batch at a time.

The judge room never sees the database; it hands each result to a callback, and the caller
passes those records here. A judgment is keyed by (run_id, pair_id), so resuming a run
replaces what failed and skips what it already has.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import duckdb
import pandas as pd

from grade_scale import Scale

from ._db import Db, connect, transaction
from ._errors import NotFoundError
from ._vocab import ENDINGS, RunKind, RunStatus, Split

JUDGMENT_COLUMNS = (
    "pair_id",
    "grade",
    "probs",
    "expected_grade",
    "confidence",
    "raw_output",
    "parse_status",
    "error",
    "latency_ms",
    "prompt_tokens",
    "completion_tokens",
    "feedback",
    "reference_pair_id",
    "endpoint",
)


@dataclass(frozen=True)
class RunRecord:
    """What every run records, graded or pairwise (`get_pairwise_run` reads a pairwise run
    as this): what made its judgments, and where it stands. `params` are the judge settings
    stored with it (decoded JSON; a pairwise run's hold its comparison plan too);
    `resumed_at` is the last time it was set back to running, if ever.
    """

    run_id: int
    name: str
    dataset: str
    split: Split | None
    backend: str
    model: str
    model_sha256: str | None
    prompt_template: str
    prompt_sha256: str
    params: Mapping[str, Any]
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    resumed_at: datetime | None


@dataclass(frozen=True)
class Run(RunRecord):
    """One graded judge run as `get_run` reads it. `scale` is the run's grades, named as its
    dataset names them."""

    scale: Scale


def decode_run(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row of `judge_runs` or `pairwise_runs` as a run's fields: the stored words as
    their enums and the params as decoded JSON."""
    return {
        **row,
        "split": None if row["split"] is None else Split(row["split"]),
        "params": json.loads(row["params"] or "{}"),
        "status": RunStatus(row["status"]),
    }


RunTable = Literal["judge_runs", "pairwise_runs"]
"""The tables runs live in: graded runs and pairwise runs share their ids and their life
(created running, ended done, cancelled or failed, reopened for a resume)."""


def insert_run(db: Db, table: RunTable, values: Mapping[str, Any]) -> int:
    """Record a new run in `table` with the given column values (params as a mapping),
    running; returns its run_id. The dataset must exist."""
    row = {**values, "params": json.dumps(dict(values.get("params") or {}))}
    row.setdefault("status", RunStatus.RUNNING)
    columns, marks = ", ".join(row), ", ".join("?" * len(row))
    with connect(db) as con:
        dataset = row["dataset"]
        if con.execute("SELECT 1 FROM datasets WHERE dataset = ?", [dataset]).fetchone() is None:
            raise NotFoundError(f"no dataset named {dataset!r}")
        inserted = con.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING run_id",
            list(row.values()),
        ).fetchall()[0]
    return int(inserted[0])


def end_run(db: Db, table: RunTable, run_id: int, status: RunStatus) -> None:
    """Mark run `run_id` of `table` as ended: done, cancelled or failed."""
    if status not in ENDINGS:
        raise ValueError(
            f"a run ends {', '.join(sorted(ENDINGS))}, not {str(status)!r}; reopen_run resumes one"
        )
    with connect(db) as con:
        con.execute(
            f"UPDATE {table} SET status = ?, finished_at = current_timestamp WHERE run_id = ?",
            [RunStatus(status), run_id],
        )


def set_running(db: Db, table: RunTable, run_id: int) -> None:
    """Set run `run_id` of `table` back to running for a resume, recording when, so the
    Runs page counts a resumed run's silence from then."""
    with connect(db) as con:
        con.execute(
            f"UPDATE {table} SET status = ?, finished_at = NULL, "
            "resumed_at = current_timestamp WHERE run_id = ?",
            [RunStatus.RUNNING, run_id],
        )


def create_run(
    db: Db,
    *,
    name: str,
    dataset: str,
    backend: str,
    model: str,
    prompt_template: str,
    prompt_sha256: str,
    scale: Sequence[int],
    model_sha256: str | None = None,
    split: Split | None = None,
    params: Mapping[str, Any] | None = None,
    status: RunStatus = RunStatus.RUNNING,
) -> int:
    """Record a new judge run with its provenance; returns its run_id."""
    return insert_run(
        db,
        "judge_runs",
        {
            "name": name,
            "dataset": dataset,
            "split": split,
            "backend": backend,
            "model": model,
            "model_sha256": model_sha256,
            "prompt_template": prompt_template,
            "prompt_sha256": prompt_sha256,
            "scale": list(scale),
            "params": params,
            "status": status,
        },
    )


def record_judgments(db: Db, run_id: int, records: Iterable[Mapping[str, Any]]) -> int:
    """Write judgment records (keys: JUDGMENT_COLUMNS) for `run_id`, replacing earlier ones."""
    frame = pd.DataFrame(
        [{k: r.get(k) for k in JUDGMENT_COLUMNS} for r in records], columns=list(JUDGMENT_COLUMNS)
    )
    if frame.empty:
        return 0
    frame = frame.drop_duplicates("pair_id", keep="last")
    frame["probs"] = frame["probs"].map(lambda p: None if p is None else [float(x) for x in p])
    with connect(db) as con, transaction(con):
        con.register("_records", frame)
        con.execute(
            f"""
            INSERT OR REPLACE INTO judgments (run_id, {", ".join(JUDGMENT_COLUMNS)}, created_at)
            SELECT ?, pair_id::BIGINT, grade::INTEGER, probs::FLOAT[], expected_grade::DOUBLE,
                   confidence::DOUBLE, raw_output::VARCHAR, parse_status::VARCHAR,
                   error::VARCHAR, latency_ms::DOUBLE, prompt_tokens::INTEGER,
                   completion_tokens::INTEGER, feedback::VARCHAR,
                   reference_pair_id::BIGINT, endpoint::VARCHAR, current_timestamp
            FROM _records
            """,
            [run_id],
        )
        con.unregister("_records")
    return len(frame)


def endpoint_counts(
    db: Db, run_id: int, kind: RunKind = RunKind.GRADED, *, since: datetime | None = None
) -> dict[str, int]:
    """How many results of `run_id` each remote endpoint answered (written after `since`,
    when given), by endpoint: a fleet's shares. Results with no endpoint (judged in process,
    or before endpoints were recorded) are left out."""
    table = "judgments" if kind is RunKind.GRADED else "pairwise_judgments"
    with connect(db) as con:
        rows = con.execute(
            f"SELECT endpoint, count(*) FROM {table} WHERE run_id = $run "
            "AND endpoint IS NOT NULL AND ($since IS NULL OR created_at > $since) "
            "GROUP BY endpoint ORDER BY endpoint",
            {"run": run_id, "since": since},
        ).fetchall()
    return {str(endpoint): int(count) for endpoint, count in rows}


def judged_pair_ids(db: Db, run_id: int) -> set[int]:
    """Pairs `run_id` has a result for; failed pairs (parse_status 'error') are left out so a
    resumed run tries them again."""
    with connect(db) as con:
        rows = con.execute(
            "SELECT pair_id FROM judgments WHERE run_id = ? AND parse_status <> 'error'", [run_id]
        ).fetchall()
    return {int(r[0]) for r in rows}


def run_judgments(
    db: Db, run_id: int, pair_ids: Sequence[int] | None = None
) -> dict[int, dict[str, Any]]:
    """The judgments of `run_id` (all, or for `pair_ids`) as records keyed by pair_id."""
    with connect(db) as con:
        cursor = con.execute(
            f"SELECT {', '.join(JUDGMENT_COLUMNS)}, created_at FROM judgments "
            "WHERE run_id = $run AND ($pairs IS NULL OR list_contains($pairs, pair_id))",
            {"run": run_id, "pairs": None if pair_ids is None else [int(p) for p in pair_ids]},
        )
        names = [c[0] for c in cursor.description]
        records = [dict(zip(names, row)) for row in cursor.fetchall()]
    return {int(r["pair_id"]): r for r in records}


def finish_run(db: Db, run_id: int, status: RunStatus) -> None:
    """Mark `run_id` as ended: done, cancelled or failed. A run goes back to running only
    through `reopen_run`, which says when."""
    end_run(db, "judge_runs", run_id, status)


def reopen_run(db: Db, run_id: int) -> None:
    """Set `run_id` back to running for a resume, recording when (`resumed_at`), so its
    silence is measured from the resume rather than from judgments made before it."""
    set_running(db, "judge_runs", run_id)


def get_run(db: Db, run_id: int) -> Run:
    """One run's provenance and status."""
    with connect(db) as con:
        return read_run(con, run_id)


def read_run(con: duckdb.DuckDBPyConnection, run_id: int) -> Run:
    """`get_run` on an open connection (inside a writer's transaction)."""
    cursor = con.execute(
        "SELECT r.*, d.grades AS dataset_grades, d.grade_names FROM judge_runs r "
        "LEFT JOIN datasets d USING (dataset) WHERE r.run_id = ?",
        [run_id],
    )
    row = cursor.fetchone()
    if row is None:
        raise NotFoundError(f"no judge run {run_id}")
    run = dict(zip([d[0] for d in cursor.description], row))
    names = dict(zip(run.pop("dataset_grades") or (), run.pop("grade_names") or ()))
    scale = Scale.of(run["scale"], [names.get(g, str(g)) for g in run["scale"]])
    return Run(**{**decode_run(run), "scale": scale})


def list_runs(db: Db, dataset: str | None = None) -> pd.DataFrame:
    """Runs, newest first, with their counts of judged, failed and unparsed pairs."""
    # The judgments are counted per run before the join: grouping the joined rows by every
    # column of the run instead took 0.1 s on a WANDS-sized run, on each rerun of the sidebar.
    with connect(db) as con:
        return con.execute(
            """
            WITH runs AS (
                SELECT * FROM judge_runs WHERE $dataset IS NULL OR dataset = $dataset
            ), counts AS (
                SELECT run_id,
                       count(*) FILTER (WHERE grade IS NOT NULL) AS judged,
                       count(*) FILTER (WHERE parse_status = 'error') AS failed,
                       count(*) FILTER (WHERE parse_status = 'unparsed') AS unparsed
                FROM judgments SEMI JOIN runs USING (run_id)
                GROUP BY run_id
            )
            SELECT r.run_id, r.name, r.dataset, r.split, r.backend, r.model, r.status,
                   left(r.prompt_sha256, 12) AS prompt_sha, left(r.model_sha256, 12) AS model_sha,
                   r.started_at, r.finished_at,
                   coalesce(c.judged, 0) AS judged, coalesce(c.failed, 0) AS failed,
                   coalesce(c.unparsed, 0) AS unparsed
            FROM runs r LEFT JOIN counts c USING (run_id)
            ORDER BY r.run_id DESC
            """,
            {"dataset": dataset},
        ).df()


@dataclass(frozen=True)
class RunTally:
    """What the store knows of a run's progress, read without the process that judges it.

    A graded run counts pairs: ``planned`` counts the pairs in the run's scope as a resume
    would judge them: the pairs named in ``params["pair_ids"]``, else every pair of its
    dataset (or of its split). A pairwise run counts orders, two per comparison in
    ``params["comparisons"]``. ``done`` counts those with a result; ``judged`` those with a
    grade (a verdict), ``failed`` the errors, ``unparsed`` the answers without one.
    ``resumed_at`` is the last time the run was set back to running, if ever. Times are the
    store's own clock (``read_at`` is its ``current_timestamp`` when this was read), so they
    compare with each other whatever clock or time zone the reader has. Judgments are written
    in batches that share one ``created_at``: ``recent_from`` is the oldest batch time within
    the rate window before ``last_at``, and ``recent_done`` counts the judgments written
    after it (those written at ``recent_from`` were made before it, so they are left out of a
    rate).
    """

    run_id: int
    kind: RunKind
    status: RunStatus
    started_at: datetime
    resumed_at: datetime | None
    read_at: datetime
    planned: int
    done: int
    judged: int
    failed: int
    unparsed: int
    first_at: datetime | None
    last_at: datetime | None
    recent_from: datetime | None
    recent_done: int


_RUN_TALLIES = """
    WITH runs AS (
        SELECT run_id, 'graded' AS kind, status, started_at, resumed_at, dataset, split,
               params
        FROM judge_runs
        UNION ALL BY NAME
        SELECT run_id, 'pairwise' AS kind, status, started_at, resumed_at, dataset, split,
               params
        FROM pairwise_runs
    ),
    chosen AS (
        SELECT * EXCLUDE (params),
               CAST(json_extract(params, '$.pair_ids') AS BIGINT[]) AS pair_ids,
               json_array_length(params, '$.comparisons') AS comparisons
        FROM runs
        WHERE ($run_ids IS NULL OR list_contains($run_ids, run_id))
          AND ($dataset IS NULL OR dataset = $dataset)
          AND ($status IS NULL OR status = $status)
    ),
    planned AS (  -- the scope as jobs._run_pairs reads it: named pairs, else dataset or split
        SELECT r.run_id, count(p.pair_id) AS planned
        FROM chosen r LEFT JOIN pairs p ON p.dataset = r.dataset AND CASE
            WHEN r.pair_ids IS NOT NULL THEN list_contains(r.pair_ids, p.pair_id)
            ELSE r.split IS NULL OR p.split = r.split END
        WHERE r.kind = 'graded'
        GROUP BY r.run_id
        UNION ALL  -- a pairwise run judges each planned comparison in both orders
        SELECT run_id, 2 * coalesce(comparisons, 0) FROM chosen WHERE kind = 'pairwise'
    ),
    results AS (  -- a verdict stands for a grade: both say the answer gave one
        SELECT run_id, grade IS NOT NULL AS answered, parse_status, created_at
        FROM judgments SEMI JOIN chosen USING (run_id)
        UNION ALL
        SELECT run_id, winner IS NOT NULL, parse_status, created_at
        FROM pairwise_judgments SEMI JOIN chosen USING (run_id)
    ),
    run_judgments AS (
        SELECT *, max(created_at) OVER (PARTITION BY run_id) AS last_at FROM results
    ),
    recent AS (
        SELECT run_id, min(created_at) AS recent_from
        FROM run_judgments
        WHERE created_at >= last_at - to_microseconds($window_us)
        GROUP BY run_id
    ),
    counts AS (
        SELECT j.run_id, count(*) AS done,
               count(*) FILTER (WHERE j.answered) AS judged,
               count(*) FILTER (WHERE j.parse_status = 'error') AS failed,
               count(*) FILTER (WHERE j.parse_status = 'unparsed') AS unparsed,
               min(j.created_at) AS first_at, max(j.created_at) AS last_at,
               any_value(r.recent_from) AS recent_from,
               count(*) FILTER (WHERE j.created_at > r.recent_from) AS recent_done
        FROM run_judgments j JOIN recent r USING (run_id)
        GROUP BY j.run_id
    )
    SELECT r.run_id, r.kind, r.status, r.started_at, r.resumed_at,
           current_timestamp::TIMESTAMP AS read_at,
           p.planned, coalesce(c.done, 0) AS done, coalesce(c.judged, 0) AS judged,
           coalesce(c.failed, 0) AS failed, coalesce(c.unparsed, 0) AS unparsed,
           c.first_at, c.last_at, c.recent_from, coalesce(c.recent_done, 0) AS recent_done
    FROM chosen r JOIN planned p USING (run_id) LEFT JOIN counts c USING (run_id)
    ORDER BY r.run_id DESC
"""


def run_tallies(
    db: Db,
    *,
    run_ids: Sequence[int] | None = None,
    dataset: str | None = None,
    status: RunStatus | None = None,
    window_s: float,
) -> list[RunTally]:
    """The progress facts of the runs matching every filter given (run ids, dataset,
    status), newest first, in one store call, so a page polling its running runs stays cheap.

    `window_s` is how far back from a run's newest judgment its recent batches reach.
    """
    params = {
        "run_ids": None if run_ids is None else [int(r) for r in run_ids],
        "dataset": dataset,
        "status": status,
        "window_us": int(window_s * 1e6),
    }
    with connect(db) as con:
        cursor = con.execute(_RUN_TALLIES, params)
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    return [
        RunTally(**{**row, "kind": RunKind(row["kind"]), "status": RunStatus(row["status"])})
        for row in rows
    ]
