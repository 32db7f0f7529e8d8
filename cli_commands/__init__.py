"""The subcommands of `cli.py`, one module per group; `COMMANDS` adds them to the parser in
the order of the loop: data in, judge, measure, training data out; then managing what the
store holds, and checking it."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from . import (
    batch,
    check,
    data,
    estimate,
    judging,
    manage,
    ranking,
    report,
    rubric,
    team,
    training,
)

COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    data.add_import,
    data.add_split,
    data.add_stats,
    rubric.add_rubric,
    judging.add_judge,
    judging.add_rejudge,
    batch.add_batch,
    report.add_metrics,
    ranking.add_rank_metrics,
    ranking.add_leaderboard,
    ranking.add_relabel,
    training.add_export,
    training.add_validate,
    team.add_task,
    team.add_agreement,
    team.add_guideline,
    team.add_reviewers,
    estimate.add_estimate,
    manage.add_datasets,
    manage.add_runs,
    ranking.add_rankings,
    check.add_check,
]
