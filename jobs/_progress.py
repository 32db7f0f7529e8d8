"""A stored run's progress, read from the store alone: for runs judged by another process.

A run started from the CLI or from another browser session has no progress callback here;
what it has written is enough: how many of its planned pairs have a result, when the newest
batch landed, and how fast the recent batches came. A run whose process died keeps status
"running" forever, so a long silence is reported as a run that may have stopped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import storage

RATE_WINDOW_S = 60.0  # the speed is measured over the batches of the newest minute
STALLED_AFTER_S = 120.0  # a batch is written at least every few seconds while pairs are judged


@dataclass(frozen=True)
class RunProgress:
    """Where a stored run stands, as far as its judgments tell.

    A graded run counts pairs, a pairwise run orders (``kind``; two a comparison): read
    "orders" for "pairs" below. ``done`` counts the planned pairs with a result (``failed``
    and ``unparsed`` among them). ``pairs_per_s`` and ``eta_s`` are None until two batches
    within ``RATE_WINDOW_S`` give a speed. ``idle_s`` is the time since the newest judgment
    or resume, or since the start when there is neither; ``stalled`` says a running run has
    been silent for ``STALLED_AFTER_S`` or more.
    """

    run_id: int
    kind: storage.RunKind
    status: storage.RunStatus
    planned: int
    done: int
    judged: int
    failed: int
    unparsed: int
    started_at: datetime
    first_at: datetime | None
    last_at: datetime | None
    pairs_per_s: float | None
    eta_s: float | None
    idle_s: float
    stalled: bool
    per_endpoint: Mapping[str, float] = field(default_factory=dict)
    """Results per second each remote endpoint answered over the recent batches, by
    endpoint (a fleet's throughput); empty in process or before a speed is known."""

    @property
    def fraction(self) -> float:
        """Share of the planned pairs done, in [0, 1] (a progress bar's value)."""
        return min(self.done / self.planned, 1.0) if self.planned else 0.0


def progress_of(
    tally: storage.RunTally,
    now: datetime | None = None,
    recent_by_endpoint: Mapping[str, int] | None = None,
) -> RunProgress:
    """Turn a run's stored tally into speed, time left and silence, as seen at `now` (by
    default the store's clock when the tally was read, the clock its times were written by);
    `recent_by_endpoint` splits the tally's recent results by the endpoint that answered."""
    now = now or tally.read_at
    rate = None
    per_endpoint: dict[str, float] = {}
    if tally.recent_done and tally.last_at is not None and tally.recent_from is not None:
        span_s = (tally.last_at - tally.recent_from).total_seconds()
        rate = tally.recent_done / span_s
        per_endpoint = {e: n / span_s for e, n in (recent_by_endpoint or {}).items()}
    remaining = max(tally.planned - tally.done, 0)
    # Silence counts from the newest sign of life: a judgment, or a resume (the judgments
    # before a resume say nothing about the process now judging).
    alive_at = max(
        (t for t in (tally.last_at, tally.resumed_at) if t is not None), default=tally.started_at
    )
    idle_s = max((now - alive_at).total_seconds(), 0.0)
    return RunProgress(
        run_id=tally.run_id,
        kind=tally.kind,
        status=tally.status,
        planned=tally.planned,
        done=tally.done,
        judged=tally.judged,
        failed=tally.failed,
        unparsed=tally.unparsed,
        started_at=tally.started_at,
        first_at=tally.first_at,
        last_at=tally.last_at,
        pairs_per_s=rate,
        eta_s=None if rate is None else remaining / rate,
        idle_s=idle_s,
        stalled=tally.status is storage.RunStatus.RUNNING and idle_s >= STALLED_AFTER_S,
        per_endpoint=per_endpoint,
    )


def endpoints_text(per_endpoint: Mapping[str, float], unit: str = "pairs") -> str:
    """A fleet's throughput for a progress line, "; per endpoint: URL 3.1 pairs/s, ...";
    empty for a run with one endpoint or none, whose line already says its speed."""
    if len(per_endpoint) < 2:
        return ""
    rates = ", ".join(f"{e} {r:.1f} {unit}/s" for e, r in per_endpoint.items())
    return f"; per endpoint: {rates}"


def _with_endpoints(db: str | Path, tally: storage.RunTally, now: datetime | None) -> RunProgress:
    recent = None
    if tally.recent_from is not None:
        recent = storage.endpoint_counts(db, tally.run_id, tally.kind, since=tally.recent_from)
    return progress_of(tally, now, recent)


def run_progress(db: str | Path, run_id: int, *, now: datetime | None = None) -> RunProgress:
    """One stored run's progress, whatever process judges it (or judged it)."""
    tallies = storage.run_tallies(db, run_ids=[run_id], window_s=RATE_WINDOW_S)
    if not tallies:
        raise storage.NotFoundError(f"no judge run {run_id}")
    return _with_endpoints(db, tallies[0], now)


def running_progress(
    db: str | Path, dataset: str, *, now: datetime | None = None
) -> list[RunProgress]:
    """The progress of every run of `dataset` whose status is "running", newest first, in
    one store call: what the Runs page polls every few seconds."""
    tallies = storage.run_tallies(
        db, dataset=dataset, status=storage.RunStatus.RUNNING, window_s=RATE_WINDOW_S
    )
    return [_with_endpoints(db, t, now) for t in tallies]
