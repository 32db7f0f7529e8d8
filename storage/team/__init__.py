"""Team review in the store: the reviewers a dataset allows, its versioned guideline, review
tasks (pairs drawn by a strategy and assigned to reviewers, some to two for double
labelling), each reviewer's queue and progress, the adjudication queue, and the long table
of who graded what that agreement is computed from.

What a reviewer's independent label is (their first grade on an item of a task) is the
schema's view `independent_labels`; who may write an event is `check_author`, which the one
label-event path (`storage.record_review`) applies.
"""

from ._draw import PairSet, PairSetKind, Strategy, draw_pairs
from ._people import (
    Guideline,
    allowed_reviewers,
    guideline,
    guideline_owner,
    save_guideline,
    set_allowed_reviewers,
)
from ._rules import check_author
from ._tasks import (
    ADJUDICATED_RATER,
    JUDGE_RATER,
    Task,
    adjudication_queue,
    agreement_labels,
    create_task,
    get_task,
    has_labelled,
    list_tasks,
    my_queue,
    next_item,
    owed_blind_task,
    task_progress,
    task_reviewers,
)

__all__ = [
    "ADJUDICATED_RATER",
    "JUDGE_RATER",
    "Guideline",
    "PairSet",
    "PairSetKind",
    "Strategy",
    "Task",
    "adjudication_queue",
    "agreement_labels",
    "allowed_reviewers",
    "check_author",
    "create_task",
    "draw_pairs",
    "get_task",
    "guideline",
    "guideline_owner",
    "has_labelled",
    "owed_blind_task",
    "list_tasks",
    "my_queue",
    "next_item",
    "save_guideline",
    "set_allowed_reviewers",
    "task_progress",
    "task_reviewers",
]
