"""Team review in the store: the reviewers a dataset allows, its versioned guideline, review
tasks (pairs drawn by a strategy and assigned to reviewers, some to two for double
labelling), each reviewer's queue and progress, the adjudication queue, and the long table
of who graded what that agreement is computed from.

What a reviewer's independent label is (their first grade on an item of a task) is the
schema's view `independent_labels`; who may write an event or change the team's rules is
`_rules` (`check_actor`, `check_author`, `check_owner`), which every writer applies. An
audit task draws whole queries with stored inclusion probabilities (`_audit`).
"""

from ._audit import (
    AuditDraw,
    AuditSpec,
    Design,
    audit_queries,
    audit_tasks,
    get_audit,
    last_judged_at,
    pairs_of_queries,
    query_errors,
)
from ._draw import PairSet, PairSetKind, Strategy, draw_pairs
from ._people import (
    Guideline,
    adjudicators,
    allowed_reviewers,
    dataset_owner,
    guideline,
    guideline_owner,
    save_guideline,
    set_adjudicators,
    set_allowed_reviewers,
)
from ._rules import check_actor, check_author, guideline_version
from ._tasks import (
    ADJUDICATED_RATER,
    JUDGE_RATER,
    OWED_BLIND,
    Task,
    adjudication_queue,
    agreement_labels,
    create_task,
    get_task,
    has_labelled,
    list_tasks,
    my_queue,
    next_item,
    owed_blind_pairs,
    owed_blind_task,
    task_progress,
    task_reviewers,
)

__all__ = [
    "ADJUDICATED_RATER",
    "JUDGE_RATER",
    "OWED_BLIND",
    "AuditDraw",
    "AuditSpec",
    "Design",
    "Guideline",
    "PairSet",
    "PairSetKind",
    "Strategy",
    "Task",
    "adjudication_queue",
    "adjudicators",
    "agreement_labels",
    "allowed_reviewers",
    "audit_queries",
    "audit_tasks",
    "check_actor",
    "check_author",
    "create_task",
    "dataset_owner",
    "draw_pairs",
    "get_audit",
    "get_task",
    "guideline",
    "guideline_owner",
    "guideline_version",
    "has_labelled",
    "last_judged_at",
    "list_tasks",
    "my_queue",
    "next_item",
    "owed_blind_pairs",
    "owed_blind_task",
    "pairs_of_queries",
    "query_errors",
    "save_guideline",
    "set_adjudicators",
    "set_allowed_reviewers",
    "task_progress",
    "task_reviewers",
]
