"""The price of a long action, said before it starts: how many pairs (graded runs, re-judges)
or orders (pairwise runs: two per comparison) it plans, and how long that takes at the speed
this model measured in this store (`storage.measured_speed`), or that the time is unknown
until the first batch. The Runs forms, the review page's re-judge buttons and the CLI print
the same line.

    >>> print(Price(planned=120, noun="pair", speed=storage.Speed(300, 150.0)))
    120 pairs planned; about 60 s at 2.00 pairs/s (this model's speed over 300 earlier pairs here)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import judge
import storage
from words import plural

from ._pairwise import CellTarget, planned_comparisons
from ._progress import RATE_WINDOW_S

UNKNOWN = "time unknown until the first batch"


def duration(seconds: float) -> str:
    """A rough length of time: '45 s', '12 min', '2.5 h'.

    >>> duration(44.6), duration(725), duration(9000)
    ('45 s', '12 min', '2.5 h')
    """
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@dataclass(frozen=True, kw_only=True)
class Price:
    """`planned` items (`noun`: pair or order), at the `speed` measured for the model."""

    planned: int
    noun: str
    speed: storage.Speed
    detail: str = ""
    """What the count is made of, e.g. '(50 comparisons, each in both orders)'."""

    @property
    def seconds(self) -> float | None:
        """The estimate; None when the model has no measured speed."""
        rate = self.speed.per_second
        return None if rate is None else self.planned / rate

    def __str__(self) -> str:
        planned = f"{plural(self.planned, self.noun)} planned" + (
            f" {self.detail}" if self.detail else ""
        )
        rate, seconds = self.speed.per_second, self.seconds
        if rate is None or seconds is None:
            return f"{planned}; {UNKNOWN} (no earlier {self.noun}s of this model in this store)"
        return (
            f"{planned}; about {duration(seconds)} at {rate:.2f} {self.noun}s/s (this model's "
            f"speed over {plural(self.speed.items, 'earlier ' + self.noun)} here)"
        )


def _speed(db: str | Path, kind: storage.RunKind, backend: str, model: str | None) -> storage.Speed:
    """The measured speed of the model a form or a command names: by its file's sha256 for
    a backend that loads a file (the bundled model when `model` is empty), else by name."""
    if not judge.backend_spec(judge.Backend(backend)).model_file:
        return storage.measured_speed(db, kind, backend=backend, model=model, model_sha256=None)
    path = Path(model) if model else judge.default_model_path()
    try:
        sha = judge.file_sha256(path)
    except judge.JudgeError:
        return storage.Speed(0, 0.0)  # no file to read: the run itself will say so
    return storage.measured_speed(db, kind, backend=backend, model=str(path), model_sha256=sha)


def graded_price(
    db: str | Path,
    *,
    dataset: str,
    backend: str,
    model: str | None,
    split: storage.Split | None = None,
    limit: int | None = None,
) -> Price:
    """The price of `jobs.judge_dataset` with these arguments: every pair of the dataset or
    of one split, at most `limit`."""
    stats = storage.dataset_stats(db, dataset)
    counts = stats.splits.get(str(split)) if split is not None else None
    pairs = stats.pairs if split is None else 0 if counts is None else counts.pairs
    if limit is not None:
        pairs = min(pairs, limit)
    return Price(
        planned=pairs,
        noun="pair",
        speed=_speed(db, storage.RunKind.GRADED, backend, model),
    )


def pairwise_price(
    db: str | Path,
    *,
    dataset: str,
    backend: str,
    model: str | None,
    plan: judge.ComparisonPlan,
    cell: CellTarget | None = None,
    split: storage.Split | None = None,
    max_queries: int | None = None,
) -> Price:
    """The price of `jobs.judge_pairwise` with these arguments: the comparisons it plans
    (the same plan), each judged in both orders."""
    comparisons, _ = planned_comparisons(
        db, dataset=dataset, plan=plan, cell=cell, split=split, max_queries=max_queries
    )
    return Price(
        planned=2 * len(comparisons),
        noun="order",
        speed=_speed(db, storage.RunKind.PAIRWISE, backend, model),
        detail=f"({plural(len(comparisons), 'comparison')}, each in both orders)",
    )


def _run_speed(db: str | Path, run_id: int, kind: storage.RunKind) -> storage.Speed:
    """The measured speed of the model run `run_id` (of `kind`) was made with."""
    run = (
        storage.get_run if kind is storage.RunKind.GRADED else storage.pairwise.get_pairwise_run
    )(db, run_id)
    return storage.measured_speed(
        db, kind, backend=run.backend, model=run.model, model_sha256=run.model_sha256
    )


def rejudge_price(db: str | Path, run_id: int, pair_ids: Sequence[int]) -> Price:
    """The price of `jobs.rejudge_pairs(db, run_id, pair_ids)`, at the speed of the run's
    own model."""
    speed = _run_speed(db, run_id, storage.RunKind.GRADED)
    return Price(planned=len(set(pair_ids)), noun="pair", speed=speed)


def resume_price(db: str | Path, run_id: int) -> Price:
    """The price of resuming run `run_id` (graded or pairwise): what it has no answer for
    yet, and its failures, at the speed of its own model."""
    pairwise = storage.pairwise.is_pairwise_run(db, run_id)
    kind = storage.RunKind.PAIRWISE if pairwise else storage.RunKind.GRADED
    speed = _run_speed(db, run_id, kind)  # an unknown run: the store's own error
    [tally] = storage.run_tallies(db, run_ids=[run_id], window_s=RATE_WINDOW_S)
    return Price(
        planned=tally.planned - tally.done + tally.failed,
        noun="order" if pairwise else "pair",
        speed=speed,
    )
