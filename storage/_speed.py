"""How fast a model has judged in this store: the measured speed a price is made from.

A model is the same model when its file has the same sha256 (a local GGUF, wherever it
lies), else when backend and model name are the same (a remote endpoint). Graded runs count
pairs, pairwise runs orders; their prompts differ in length, so each kind is measured on its
own.

Judgments are written in batches that share one ``created_at``. A batch took the time since
the run's batch before it, but never more than its judgments' own latencies added up (what
one request at a time would take): that bound drops the pause of a run stopped and resumed
later, and a run's first batch, with no batch before it, counts its latencies.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._db import Db, connect
from ._vocab import RunKind

_TABLES = {
    RunKind.GRADED: ("judge_runs", "judgments"),
    RunKind.PAIRWISE: ("pairwise_runs", "pairwise_judgments"),
}

_SPEED = """
    WITH runs AS (
        SELECT run_id FROM {runs}
        WHERE CASE WHEN $sha IS NOT NULL THEN model_sha256 = $sha
                   ELSE model_sha256 IS NULL AND backend = $backend AND model = $model END
    ),
    batches AS (
        SELECT run_id, created_at, count(*) AS n, sum(latency_ms) / 1000.0 AS busy_s
        FROM {judgments} SEMI JOIN runs USING (run_id)
        WHERE latency_ms IS NOT NULL
        GROUP BY run_id, created_at
    ),
    timed AS (
        SELECT n, busy_s, epoch(created_at - lag(created_at)
                   OVER (PARTITION BY run_id ORDER BY created_at)) AS since_s
        FROM batches
    )
    SELECT coalesce(sum(n), 0) AS items,
           coalesce(sum(least(coalesce(since_s, busy_s), busy_s)), 0) AS seconds
    FROM timed
"""


@dataclass(frozen=True)
class Speed:
    """What the store measured of a model: `items` (pairs or orders) in `seconds`."""

    items: int
    seconds: float

    @property
    def per_second(self) -> float | None:
        """Items a second; None when nothing was measured."""
        return self.items / self.seconds if self.items and self.seconds > 0 else None


def measured_speed(
    db: Db, kind: RunKind, *, backend: str, model: str | None, model_sha256: str | None
) -> Speed:
    """How fast earlier runs of `kind` with this model judged (see the module docstring)."""
    runs, judgments = _TABLES[kind]
    with connect(db) as con:
        row = con.execute(
            _SPEED.format(runs=runs, judgments=judgments),
            {"sha": model_sha256, "backend": backend, "model": model},
        ).fetchone()
    assert row is not None  # an aggregate answers one row
    return Speed(int(row[0]), float(row[1]))
