"""A review task for team-rule tests: every drawn pair given to both of two reviewers."""

from __future__ import annotations

from pathlib import Path

from app_fixtures import DATASET

import jobs
from storage.team import PairSet, Strategy


def two_reviewer_task(
    db: Path,
    run_id: int | None,
    reviewers: tuple[str, str],
    *,
    author: str,
    name: str = "duo",
    dataset: str = DATASET,
    size: int = 6,
) -> int:
    """A blind task of `size` random pairs, each assigned to both `reviewers`, created by
    `author`; returns its id."""
    plan = jobs.TaskPlan(
        dataset=dataset,
        name=name,
        pair_set=PairSet(),
        strategy=Strategy.RANDOM,
        size=size,
        reviewers=reviewers,
        overlap=1.0,
        blind=True,
        run_id=run_id,
        author=author,
    )
    return jobs.create_task(db, plan).task_id
