"""Operations that span rooms: judge stored pairs and record the results; report on runs.

The judge knows no database and the store calls no model; the app's pages and the CLI meet
them here, so neither holds logic the other would need.
"""

from ._judging import JudgeOutcome, Rejudged, judge_dataset, rejudge_pairs, resume_run, settings_for_run
from ._reports import (
    MIN_QUERIES_FOR_THRESHOLDS,
    Calibration,
    RunComparison,
    RunReport,
    compare_runs,
    metric_label,
    run_report,
)

__all__ = [
    "MIN_QUERIES_FOR_THRESHOLDS",
    "Calibration",
    "JudgeOutcome",
    "Rejudged",
    "RunComparison",
    "RunReport",
    "compare_runs",
    "judge_dataset",
    "metric_label",
    "rejudge_pairs",
    "resume_run",
    "run_report",
    "settings_for_run",
]
