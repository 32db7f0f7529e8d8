"""Overview: the active dataset's counts and labels, the active run's metrics with 95%
intervals, its calibration and rater agreement, and the seed blog's figures across the
dataset's runs."""

from __future__ import annotations

import math

import streamlit as st

import jobs
import metrics
import storage
from views import _common as common
from views import _figures as figures

MAX_RUNS = 6  # runs in the cross-run figures, newest first


def _score(value: float) -> str:
    """A kappa or error for st.metric; undefined values (NaN) say so instead of "nan"."""
    return "undefined" if math.isnan(value) else f"{value:.3f}"


def _gain(new: float, old: float) -> str | None:
    """st.metric's delta, or None (no arrow) when either side is undefined or the two agree
    to the three decimals shown: a green arrow on "+0.000" would claim a gain."""
    if math.isnan(new) or math.isnan(old) or round(new - old, 3) == 0:
        return None
    return f"{new - old:+.3f}"


def thresholds_section(calibration: jobs.Calibration) -> None:
    """Kappa of the judge's own grade against tuned thresholds on the expected grade, both
    on held-out queries: a threshold gain measured on the tuning pairs would be flattery."""
    st.markdown("**Tuned grade thresholds, measured on held-out queries**")
    result = calibration.thresholds
    if result is None:
        st.caption(f"Not tuned: cross-validation over queries needs at least "
                   f"{jobs.MIN_QUERIES_FOR_THRESHOLDS} queries with probabilities; this run "
                   f"has {calibration.n_queries}.")
        return
    folds = result.folds
    st.caption(f"The queries are split into {len(folds)} folds. For each fold, thresholds on "
               f"the expected grade are tuned on the other {len(folds) - 1} and applied to "
               "this fold's pairs, so every tuned grade below comes from thresholds that never "
               "saw its query. Both kappas are over the same held-out pairs.")
    left, right = st.columns(2)
    left.metric("Quadratic kappa, judge's grade (argmax)", _score(result.kappa_argmax))
    right.metric("Quadratic kappa, tuned thresholds (held out)", _score(result.kappa_tuned),
                 delta=_gain(result.kappa_tuned, result.kappa_argmax))
    cuts = [", ".join(f"{c:.2f}" for c in fold_cuts) for fold_cuts in folds["thresholds"]]
    st.dataframe(
        folds.assign(thresholds=cuts), hide_index=True,
        column_config={"n_queries": "held-out queries", "n_pairs": "held-out pairs",
                       "thresholds": "thresholds (tuned on the other folds)",
                       "kappa_argmax": st.column_config.NumberColumn("kappa, argmax",
                                                                     format="%.3f"),
                       "kappa_tuned": st.column_config.NumberColumn("kappa, tuned",
                                                                    format="%.3f")},
    )


def calibration_section(calibration: jobs.Calibration | None) -> None:
    """ECE, Brier score and the reliability diagram, then the held-out thresholds."""
    st.subheader("Calibration")
    if calibration is None:
        st.caption("No calibration: none of this run's grades comes with probabilities "
                   "(generation mode, or an endpoint that returns no logprobs).")
        return
    st.caption(f"On the {calibration.n_pairs:,} graded pairs with grade probabilities, from "
               f"{calibration.n_queries:,} queries.")
    left, right = st.columns([1, 2])
    left.metric("Expected calibration error (ECE)", _score(calibration.ece),
                help="Mean gap between the judge's confidence and how often it is right, "
                     "weighted by the pairs in each of 10 confidence bins; 0 is calibrated.")
    left.metric("Brier score", _score(calibration.brier),
                help="Mean squared error of the grade probabilities against the human grade: "
                     "0 is certain and right, 2 certain and wrong.")
    right.plotly_chart(figures.reliability_diagram(calibration.reliability), key="reliability")
    thresholds_section(calibration)


def agreement_section(agreement: metrics.RaterAgreement | None) -> None:
    """Judge-human kappa next to human-human kappa on the pairs several annotators graded:
    how close the judge comes to the agreement humans reach among themselves."""
    st.subheader("Rater agreement")
    if agreement is None:
        st.caption("No rater agreement: this dataset has fewer than two named annotators. "
                   "Import each annotator's labels under their name to see how the judge "
                   "compares with the humans' agreement among themselves.")
        return
    if agreement.n_pairs == 0:
        st.caption("No rater agreement: none of the pairs this run graded has grades from two "
                   "or more annotators.")
        return
    st.caption(f"Quadratic kappa on the {agreement.n_pairs:,} pairs graded by two or more "
               "annotators; the judge is scored on the same pairs. Each is the mean over "
               "pairs of raters (Light's kappa).")
    left, right = st.columns(2)
    left.metric("Human-human kappa", _score(agreement.human_human_kappa))
    right.metric("Judge-human kappa", _score(agreement.judge_human_kappa),
                 delta=_gain(agreement.judge_human_kappa, agreement.human_human_kappa),
                 help="The delta is judge-human minus human-human kappa.")
    st.dataframe(agreement.pairwise, hide_index=True, column_config={
        "rater_a": "rater", "rater_b": "with", "n_pairs": "pairs",
        "kappa_quadratic": st.column_config.NumberColumn("quadratic kappa", format="%.3f")})


db = common.database()
dataset = common.require_dataset()
stats = storage.dataset_stats(db, dataset)
names = dict(zip(stats["grades"], stats["grade_names"]))

st.title(f"Overview: {common.md(dataset)}")
common.dataset_summary(stats)
st.plotly_chart(figures.label_distribution(storage.label_distribution(db, dataset), names),
                key="label-distribution")

run_id = common.active_run()
if run_id is None:
    st.info(common.NO_RUN)
    st.stop()

version = storage.data_version(db)
runs = storage.list_runs(db, dataset)
report = common.run_report(db, run_id, version)
st.header(f"Run {common.run_title(storage.get_run(db, run_id))}")
st.caption(f"{report.n_pairs:,} judged pairs with a human label, {report.n_stale:,} of them "
           f"stale (relabelled or edited since); {report.n_unjudged:,} without a judge grade. "
           "Intervals: 95% bootstrap over queries.")
st.dataframe(
    report.metrics,
    hide_index=True,
    column_order=("label", "value", "low", "high"),
    column_config={"label": "metric", **{c: st.column_config.NumberColumn(format="%.3f")
                                         for c in ("value", "low", "high")}},
)
if report.n_pairs:
    calibration_section(report.calibration)
    agreement_section(report.agreement)

reports = {common.run_label(r, short=True):
           report if r["run_id"] == run_id else common.run_report(db, int(r["run_id"]), version)
           for r in runs.head(MAX_RUNS).to_dict("records")}
metrics_by_run = {name: rep.metrics for name, rep in reports.items() if rep.n_pairs}
if not metrics_by_run:
    st.stop()
st.header("Across runs")
st.caption(f"Runs with graded pairs among this dataset's newest {MAX_RUNS}: "
           f"{len(metrics_by_run)}.")
top_left, top_right = st.columns(2)
top_left.plotly_chart(figures.metric_bars(metrics_by_run), key="metric-bars")
top_right.plotly_chart(figures.severe_bars(metrics_by_run), key="severe-bars")
bottom_left, bottom_right = st.columns(2)
bottom_left.plotly_chart(figures.kappa_vs_severe(metrics_by_run), key="kappa-severe")
bottom_right.plotly_chart(figures.recall_bars(metrics_by_run, names), key="recall-bars")
st.plotly_chart(
    figures.confusion_grid({name: rep.confusion for name, rep in reports.items()
                            if name in metrics_by_run}, list(names.values())),
    key="confusion-grid",
)
