"""Operations that span rooms: judge stored pairs and record the results; train the baseline
judge or a stacking head on the labels and record its grades; report on runs and on the
progress of runs that another process is judging; pairwise runs (two products of a query
compared in both orders) and their report; score ranking runs under qrels from the
labels or a judge and compare the leaderboards (ranking impact); build review tasks and
measure the team's agreement; draw audits of whole queries and estimate from them
(human-only, judge-only, prediction-powered); export training data in the judge's own
prompt and answer line, and check it; hand a run to `vllm run-batch` or the OpenAI Batch
API as a request file and import their results.

The judge knows no database and the store calls no model; the app's pages and the CLI meet
them here, so neither holds logic the other would need.
"""

from ._audit import MIN_AUDITED_QUERIES, AuditPlan, CreatedAudit, create_audit
from ._baseline import (
    BASELINE_BACKEND,
    BASELINE_NAME,
    STACK_BACKEND,
    baseline_run,
    stack_run,
    why_not_stackable,
)
from ._batch import (
    REFUSALS,
    BatchImport,
    BatchRequests,
    batch_control,
    import_batch_results,
    open_batch_run,
    write_batch_requests,
)
from ._batch_api import IMPORTED, WORKING, batch_status, fetch_batch, submit_batch
from ._estimate import (
    ASSUMES,
    METHODS,
    AuditBasis,
    AuditEstimates,
    AuditProgress,
    AuditRefused,
    audit_basis,
    audit_progress,
    estimate_audit,
    query_figures,
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
    endpoints_text,
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
    "ASSUMES",
    "BASELINE_BACKEND",
    "BASELINE_NAME",
    "DEFAULT_MEASURES",
    "DEFAULT_RUBRIC_VERSION",
    "FIGURE_LABELS",
    "IMPACT_MEASURES",
    "IMPORTED",
    "METHODS",
    "MIN_AUDITED_QUERIES",
    "MIN_QUERIES_FOR_THRESHOLDS",
    "PROMETHEUS_TEMPLATE",
    "RATE_WINDOW_S",
    "REFUSALS",
    "STACK_BACKEND",
    "STALLED_AFTER_S",
    "UNKNOWN",
    "WORKING",
    "AuditBasis",
    "AuditEstimates",
    "AuditPlan",
    "AuditProgress",
    "AuditRefused",
    "BatchImport",
    "BatchRequests",
    "Calibration",
    "CellTarget",
    "CreatedAudit",
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
    "audit_basis",
    "audit_progress",
    "baseline_run",
    "batch_control",
    "batch_status",
    "compare_leaderboards",
    "compare_runs",
    "create_audit",
    "create_task",
    "dataset_rubric",
    "endpoints_text",
    "estimate_audit",
    "export_training",
    "fetch_batch",
    "fill_dataset_rubric",
    "first_start",
    "graded_price",
    "import_batch_results",
    "import_instruction",
    "judge_dataset",
    "judge_holes",
    "judge_pairwise",
    "leaderboard",
    "metric_label",
    "open_batch_run",
    "pairwise_card",
    "pairwise_price",
    "pairwise_report",
    "pairwise_settings",
    "planned_comparisons",
    "progress_of",
    "qrels_for",
    "query_figures",
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
    "submit_batch",
    "team_agreement",
    "validate_export",
    "validate_training",
    "why_holes_cannot_be_judged",
    "why_not_stackable",
    "with_preferences",
    "with_references",
    "write_batch_requests",
]
