"""Batch jobs handed to the OpenAI Batch API for a run: the remote batch id and its files,
kept with the run so that a later process (a restart mid-poll) picks the job up.

The API key is never stored here: only the API root and the ids the API gave. A run's
pairs in scope (`run_scope_pair_ids`) are what a results file may answer for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ._db import Db, connect
from ._errors import NotFoundError

__all__ = [
    "RunBatch",
    "latest_run_batch",
    "record_run_batch",
    "run_scope_pair_ids",
    "update_run_batch",
]


@dataclass(frozen=True)
class RunBatch:
    """One batch job of a run, as the API last described it."""

    run_id: int
    remote_batch: str
    """The id the Batch API gave the job (``batch_...``)."""
    base_url: str
    status: str
    """The API's word: validating, in_progress, finalizing, completed, failed, expired,
    cancelling, cancelled; ``imported`` once its files are in the run."""
    input_file_id: str
    output_file_id: str | None
    error_file_id: str | None
    created_at: datetime
    updated_at: datetime


_COLUMNS = (
    "run_id, remote_batch, base_url, status, input_file_id, output_file_id, error_file_id, "
    "created_at, updated_at"
)


def record_run_batch(
    db: Db, run_id: int, *, remote_batch: str, base_url: str, status: str, input_file_id: str
) -> None:
    """Keep a batch job just created for `run_id` (of a graded or a pairwise run)."""
    with connect(db) as con:
        con.execute(
            """
            INSERT INTO run_batches (dataset, run_id, remote_batch, base_url, status,
                                     input_file_id)
            SELECT dataset, $run, $batch, $url, $status, $file FROM (
                SELECT dataset FROM judge_runs WHERE run_id = $run
                UNION ALL SELECT dataset FROM pairwise_runs WHERE run_id = $run)
            """,
            {
                "run": run_id,
                "batch": remote_batch,
                "url": base_url,
                "status": status,
                "file": input_file_id,
            },
        )


def update_run_batch(
    db: Db,
    remote_batch: str,
    *,
    status: str,
    output_file_id: str | None = None,
    error_file_id: str | None = None,
) -> None:
    """What the API now says of a job: its status and the files it wrote."""
    with connect(db) as con:
        con.execute(
            "UPDATE run_batches SET status = $status, "
            "output_file_id = coalesce($output, output_file_id), "
            "error_file_id = coalesce($errors, error_file_id), updated_at = current_timestamp "
            "WHERE remote_batch = $batch",
            {
                "status": status,
                "output": output_file_id,
                "errors": error_file_id,
                "batch": remote_batch,
            },
        )


def latest_run_batch(db: Db, run_id: int) -> RunBatch:
    """The last batch job submitted for `run_id`; NotFoundError when there is none."""
    with connect(db) as con:
        row = con.execute(
            f"SELECT {_COLUMNS} FROM run_batches WHERE run_id = ? "
            "ORDER BY created_at DESC, remote_batch DESC LIMIT 1",
            [run_id],
        ).fetchone()
    if row is None:
        raise NotFoundError(
            f"run {run_id} has no batch job: submit one with "
            f"`cli.py judge --resume {run_id} --batch-file FILE --submit`"
        )
    return RunBatch(*row)


def run_scope_pair_ids(db: Db, run_id: int) -> set[int]:
    """The pairs graded run `run_id` judges: its dataset's (or split's) pairs, or the
    pairs it was started on (`params.pair_ids`)."""
    with connect(db) as con:
        rows = con.execute(
            """
            WITH r AS (
                SELECT dataset, split,
                       CAST(json_extract(params, '$.pair_ids') AS BIGINT[]) AS chosen
                FROM judge_runs WHERE run_id = ?)
            SELECT p.pair_id FROM pairs p, r
            WHERE p.dataset = r.dataset AND CASE WHEN r.chosen IS NULL
                THEN r.split IS NULL OR p.split = r.split
                ELSE list_contains(r.chosen, p.pair_id) END
            """,
            [run_id],
        ).fetchall()
    return {int(pair_id) for (pair_id,) in rows}
