"""The store's closed sets of words, as `StrEnum`s: a judge run's status and a pair's split.

Each member is the text stored in the file, so it compares equal to that text, in a frame
read from the store or in a URL, and the schema's CHECK constraints name the same words.
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    """Where a judge run stands. A run is `RUNNING` from its start, or from a resume, until
    it ends `DONE`, `CANCELLED` or `FAILED`; a run read from another tool's results is
    `IMPORTED` and is never judged here."""

    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"
    IMPORTED = "imported"


class RunKind(StrEnum):
    """What a run gives: a `GRADED` run a grade per pair (`judge_runs`), a `PAIRWISE` run the
    better of two products of a query, per order (`pairwise_runs`). Both kinds share run ids."""

    GRADED = "graded"
    PAIRWISE = "pairwise"


ENDINGS = frozenset({RunStatus.DONE, RunStatus.CANCELLED, RunStatus.FAILED})
"""The statuses a judging run ends with (`finish_run`)."""

RESUMABLE = frozenset({RunStatus.RUNNING, RunStatus.CANCELLED, RunStatus.FAILED})
"""The statuses of a run a resume may go on with: not done, nor imported from another tool."""


class Split(StrEnum):
    """The part of a dataset a pair belongs to, always assigned per query: `TRAIN` and
    `VALIDATION` to fine-tune a judge, `BENCHMARK` held out to measure it."""

    TRAIN = "train"
    VALIDATION = "validation"
    BENCHMARK = "benchmark"
