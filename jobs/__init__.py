"""Operations that span rooms: judge stored pairs and record the results; train the baseline
judge or a stacking head on the labels and record its grades; report on runs and on the
progress of runs that another process is judging; pairwise runs (two products of a query
compared in both orders) and their report; score ranking runs under qrels from the
labels or a judge and compare the leaderboards (ranking impact); build review tasks and
measure the team's agreement; export training data in the judge's own prompt and answer
line, and check it.

The judge knows no database and the store calls no model; the app's pages and the CLI meet
them here, so neither holds logic the other would need.
"""

from ._baseline import (
    BASELINE_BACKEND,
    BASELINE_NAME,
    STACK_BACKEND,
    baseline_run,
    stack_run,
    why_not_stackable,
)
from ._export import (
    PROMETHEUS_TEMPLATE,
    export_training,
    import_instruction,
    validate_export,
    validate_training,
)
from ._first_start import first_start
from ._holes import JudgedHoles, judge_holes, why_holes_cannot_be_judged
from ._judging import (
    JudgeOutcome,
    Rejudged,
    RunControl,
    judge_dataset,
    rejudge_pairs,
    resume_run,
    settings_for_run,
    settings_of,
)
from ._leaderboards import Leaderboard, RankingAgreement, compare_leaderboards, leaderboard
from ._pairwise import (
    FIGURE_LABELS,
    CellTarget,
    PairwiseCard,
    PairwiseOutcome,
    PairwiseReport,
    judge_pairwise,
    pairwise_card,
    pairwise_report,
    pairwise_settings,
    planned_comparisons,
    resume_pairwise,
    with_preferences,
)
from ._price import UNKNOWN, Price, graded_price, pairwise_price, rejudge_price, resume_price
from ._progress import (
    RATE_WINDOW_S,
    STALLED_AFTER_S,
    RunProgress,
    progress_of,
    run_progress,
    running_progress,
)
from ._qrels import QrelsKind, QrelsSource, qrels_for
from ._rank_measures import DEFAULT_MEASURES, RankSettings
from ._relabel import IMPACT_MEASURES, WhatIf, apply_relabel, relabel_what_if
from ._reports import (
    MIN_QUERIES_FOR_THRESHOLDS,
    Calibration,
    RunComparison,
    RunReport,
    SharedReports,
    compare_runs,
    metric_label,
    run_report,
    shared_pair_reports,
)
from ._rubrics import (
    DEFAULT_RUBRIC_VERSION,
    dataset_rubric,
    fill_dataset_rubric,
    save_dataset_rubric,
    score_map_for,
    with_references,
)
from ._tasks import (
    CreatedTask,
    TaskPlan,
    assign,
    create_task,
    query_list,
    search_set,
    team_agreement,
)

__all__ = [
    "BASELINE_BACKEND",
    "BASELINE_NAME",
    "DEFAULT_MEASURES",
    "DEFAULT_RUBRIC_VERSION",
    "FIGURE_LABELS",
    "IMPACT_MEASURES",
    "MIN_QUERIES_FOR_THRESHOLDS",
    "PROMETHEUS_TEMPLATE",
    "RATE_WINDOW_S",
    "STACK_BACKEND",
    "STALLED_AFTER_S",
    "UNKNOWN",
    "Calibration",
    "CellTarget",
    "CreatedTask",
    "JudgeOutcome",
    "JudgedHoles",
    "Leaderboard",
    "PairwiseCard",
    "PairwiseOutcome",
    "PairwiseReport",
    "Price",
    "QrelsKind",
    "QrelsSource",
    "RankSettings",
    "RankingAgreement",
    "Rejudged",
    "RunComparison",
    "RunControl",
    "RunProgress",
    "RunReport",
    "SharedReports",
    "TaskPlan",
    "WhatIf",
    "apply_relabel",
    "assign",
    "baseline_run",
    "compare_leaderboards",
    "compare_runs",
    "create_task",
    "dataset_rubric",
    "export_training",
    "fill_dataset_rubric",
    "first_start",
    "graded_price",
    "import_instruction",
    "judge_dataset",
    "judge_holes",
    "judge_pairwise",
    "leaderboard",
    "metric_label",
    "pairwise_card",
    "pairwise_price",
    "pairwise_report",
    "pairwise_settings",
    "planned_comparisons",
    "progress_of",
    "qrels_for",
    "query_list",
    "rejudge_pairs",
    "rejudge_price",
    "relabel_what_if",
    "resume_pairwise",
    "resume_price",
    "resume_run",
    "run_progress",
    "run_report",
    "running_progress",
    "save_dataset_rubric",
    "score_map_for",
    "search_set",
    "settings_for_run",
    "settings_of",
    "shared_pair_reports",
    "stack_run",
    "team_agreement",
    "validate_export",
    "validate_training",
    "why_holes_cannot_be_judged",
    "why_not_stackable",
    "with_preferences",
    "with_references",
]
