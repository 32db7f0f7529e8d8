"""Pairwise judging in the store: runs that compare two products of a query, their verdicts
per order, and reviewers' preferences (A, B or tie) with history and undo.

Pairwise runs have their own table (`pairwise_runs`) but take their ids from the graded
runs' sequence, so a run id names one run of either kind (`is_pairwise_run`).
"""

from ._preferences import (
    PREFERENCES_IN_FORCE,
    current_grades,
    current_preference,
    preference_history,
    record_preference,
    undo_last_preference,
)
from ._runs import (
    PAIRWISE_JUDGMENT_COLUMNS,
    create_pairwise_run,
    finish_pairwise_run,
    get_pairwise_run,
    is_pairwise_run,
    judged_orders,
    list_pairwise_runs,
    pairwise_comparisons,
    pairwise_version,
    record_pairwise_judgments,
    reopen_pairwise_run,
)

__all__ = [
    "PAIRWISE_JUDGMENT_COLUMNS",
    "PREFERENCES_IN_FORCE",
    "create_pairwise_run",
    "current_grades",
    "current_preference",
    "finish_pairwise_run",
    "get_pairwise_run",
    "is_pairwise_run",
    "judged_orders",
    "list_pairwise_runs",
    "pairwise_comparisons",
    "pairwise_version",
    "preference_history",
    "record_pairwise_judgments",
    "record_preference",
    "reopen_pairwise_run",
    "undo_last_preference",
]
