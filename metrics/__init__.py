"""Judge-versus-human metrics: pure functions over grade arrays and confusion matrices.

No I/O: storage builds the arrays, pages and the CLI show the results. Grades are integers
on a scale passed as ``labels`` (``[0, 1, 2]`` for WANDS Irrelevant/Partial/Exact, ``[0, 1,
2, 3]``, ``[1, 2, 3, 4, 5]``). A confusion matrix has rows for the human grade and columns
for the judge grade; every metric takes a stack of them, shape (..., k, k), so one matrix,
one per query and B bootstrap draws are scored by the same code.

From the frame of a run (columns ``pair_id, query_id, query_class, human, judge, probs,
expected_grade``; ``judge`` is NA for pairs not judged or not parsed)::

    import numpy as np
    import metrics

    labels = [0, 1, 2]
    judged = frame[frame.judge.notna()]
    human, judge = judged.human.to_numpy(int), judged.judge.to_numpy(int)

    C = metrics.confusion_matrix(human, judge, labels)
    metrics.summarize(C, labels)           # {"accuracy": ..., "kappa_quadratic": ..., ...}
    metrics.row_shares(C)                   # [2, 1]: share of Exact judged Partial

    query_ids, per_query = metrics.per_query_confusions(human, judge, judged.query_id, labels)
    metrics.bootstrap_intervals(per_query, labels)   # estimate, low, high per metric
    metrics.breakdown(human, judge, judged.query_id, labels)        # worst queries first
    metrics.breakdown(human, judge, judged.query_class, labels, query_ids=judged.query_id)

    scored = judged[judged.probs.notna()]
    probs = np.vstack(scored.probs)          # (n, k), column g = labels[g]
    metrics.expected_calibration_error(probs, scored.human, labels)
    metrics.cross_validated_thresholds(
        scored.expected_grade, scored.human, scored.query_id, labels, y_pred=scored.judge
    )

Ranking runs (search systems) under qrels: `ranked_lists` arranges the ranked documents
as runs x queries x ranks of relevance levels (`encode_runs` once, then `.lists(qrels)` for
each of several qrels), `per_query_measures` gives the measures of the registry `MEASURES`
(nDCG@k, RR, P@k, R@k, Judged@k, AP@k as trec_eval defines them; a new measure is one entry
there: `metrics/README.md`), `bootstrap_means` their query-bootstrap
intervals, and `leaderboard_agreement` Kendall's tau and tau-AP between the leaderboards of
two qrels, the pairs of systems that flip and whether the winner changes.

Pairwise runs (two products of a query, judged in both orders): `pairwise_figures` gives
accuracy against the human order, tie rate, swap consistency, bias toward the first and the
second position, score-comparison consistency with a pointwise run, 3-cycles per query and
Bradley-Terry's order against the grades (Kendall's tau), each with a query-bootstrap
interval; `preference_cycles` lists the cycles, strongest first.

Review teams (one row per pair, rater and grade; the judge and the adjudicated label as
raters of their own): `krippendorff_alpha` (ordinal or nominal, missing grades allowed) and
`team_agreement`, alpha across the humans with a bootstrap interval over pairs, Cohen's kappa
for every two raters and whether the judge's kappa reaches the humans' range.

Prediction-powered estimates (few human-labelled queries, a judge on all of them):
`ppi_mean` (PPI, and PPI++ with `tuned_lambda`; inverse-probability weighted for an active
audit), `human_mean`, `judge_mean`, each a `MeanEstimate` with its 95% interval and
effective sample size, and `queries_for_width`; an audit's design is
`inclusion_probabilities`, drawn by `systematic_draw`, weighted by `audit_weights`.

Every comparison of two sets of grades states its `coverage` (pairs and queries on each
side and in common) and is read as not comparable below the one `CoverageRule`.

Two runs on the same pairs: keep the pairs both judged, build ``per_query_confusions`` for
each from the same query ids and pass both to `paired_bootstrap`. Bad input raises
`MetricsInputError` (a `ValueError`) with a message that says how to fix it. Undefined values
(an empty group, kappa when both raters used one grade) are NaN, never a warning.
"""

from ._agreement import RaterAgreement, rater_agreement
from ._audit_design import audit_weights, inclusion_probabilities, systematic_draw
from ._bootstrap import bootstrap_intervals, paired_bootstrap
from ._breakdown import breakdown
from ._calibration import (
    brier_score,
    expected_calibration_error,
    expected_grade,
    reliability_table,
)
from ._confusion import confusion_matrix, per_query_confusions
from ._coverage import LEADERBOARDS, TWO_RUNS, Coverage, CoverageRule, Side, coverage
from ._exceptions import MetricsInputError
from ._krippendorff import krippendorff_alpha
from ._leaderboard import (
    LeaderboardAgreement,
    bootstrap_means,
    kendall_tau,
    leaderboard_agreement,
    paired_mean_differences,
    tau_ap,
)
from ._measures import (
    MEASURES,
    NO_DOCUMENT,
    UNJUDGED,
    Cutoff,
    Measure,
    MeasureDefinition,
    default_measures,
    measure_choices,
    measure_forms,
    measures_of,
)
from ._pairwise import (
    FIGURE_MEANINGS,
    FOLLOWS_POSITION_BELOW,
    PAIRWISE_COLUMNS,
    TIE_TOLERANCE,
    bradley_terry,
    follows_position,
    order_agreement,
    order_winner,
    pairwise_figures,
    preference_cycles,
)
from ._ppi import (
    MeanEstimate,
    human_mean,
    judge_mean,
    ppi_mean,
    queries_for_width,
    tuned_lambda,
)
from ._ranking import (
    RankedLists,
    RankedRuns,
    encode_runs,
    per_query_measures,
    ranked_lists,
    relevance_levels,
    weighted_means,
)
from ._scores import (
    accuracy,
    cohen_kappa,
    macro_f1,
    mean_absolute_error,
    precision_recall_f1,
    row_shares,
    severe_error_rate,
    summarize,
)
from ._team_agreement import TeamAgreement, team_agreement
from ._thresholds import (
    ThresholdValidation,
    apply_thresholds,
    cross_validated_thresholds,
    tune_thresholds,
)
from ._transitions import transition_table

__all__ = [
    "FIGURE_MEANINGS",
    "FOLLOWS_POSITION_BELOW",
    "LEADERBOARDS",
    "MEASURES",
    "NO_DOCUMENT",
    "PAIRWISE_COLUMNS",
    "TIE_TOLERANCE",
    "TWO_RUNS",
    "UNJUDGED",
    "Coverage",
    "CoverageRule",
    "Cutoff",
    "LeaderboardAgreement",
    "MeanEstimate",
    "Measure",
    "MeasureDefinition",
    "MetricsInputError",
    "RankedLists",
    "RankedRuns",
    "RaterAgreement",
    "Side",
    "TeamAgreement",
    "ThresholdValidation",
    "accuracy",
    "apply_thresholds",
    "audit_weights",
    "bootstrap_intervals",
    "bootstrap_means",
    "bradley_terry",
    "breakdown",
    "brier_score",
    "cohen_kappa",
    "confusion_matrix",
    "coverage",
    "cross_validated_thresholds",
    "default_measures",
    "encode_runs",
    "expected_calibration_error",
    "expected_grade",
    "follows_position",
    "human_mean",
    "inclusion_probabilities",
    "judge_mean",
    "kendall_tau",
    "krippendorff_alpha",
    "leaderboard_agreement",
    "macro_f1",
    "mean_absolute_error",
    "measure_choices",
    "measure_forms",
    "measures_of",
    "order_agreement",
    "order_winner",
    "paired_bootstrap",
    "paired_mean_differences",
    "pairwise_figures",
    "per_query_confusions",
    "per_query_measures",
    "ppi_mean",
    "precision_recall_f1",
    "preference_cycles",
    "queries_for_width",
    "ranked_lists",
    "rater_agreement",
    "relevance_levels",
    "reliability_table",
    "row_shares",
    "severe_error_rate",
    "summarize",
    "systematic_draw",
    "tau_ap",
    "team_agreement",
    "transition_table",
    "tune_thresholds",
    "tuned_lambda",
    "weighted_means",
]
