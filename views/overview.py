"""Overview: the active dataset's counts and labels, the active run's metrics with 95%
intervals, its calibration and rater agreement, the seed blog's figures across the
dataset's runs, and the consistency figures of its latest pairwise run."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

import jobs
import metrics
import storage
from views import _common as common
from views import _estimates as estimates
from views import _figures as figures

MAX_RUNS = 6  # runs the cross-run figures compare unless the user picks others
NUMBER = "%.3f"
INTERVAL_HELP = "95% interval: bootstrap over queries (queries resampled, not pairs)."
PAIRWISE_PAGE = str(Path(__file__).resolve().parent / "pairwise.py")
# The pairwise figures the Overview shows; what each means is `metrics.FIGURE_MEANINGS`.
PAIRWISE_SHOWN = (
    "swap_consistency",
    "bias_first",
    "bias_second",
    "score_consistent",
    "cycles_per_query",
)


def _score(value: float) -> str:
    """A kappa or error for st.metric; undefined values (NaN) say so instead of "nan"."""
    return "undefined" if math.isnan(value) else f"{value:.3f}"


def _gain(new: float, old: float) -> str | None:
    """st.metric's delta, or None (no arrow) when either side is undefined or the two agree
    to the three decimals shown: a green arrow on "+0.000" would claim a gain."""
    if math.isnan(new) or math.isnan(old) or round(new - old, 3) == 0:
        return None
    return f"{new - old:+.3f}"


def _cut_points(cuts: tuple[float, ...], names: list[str]) -> str:
    """Thresholds as the grades they separate: 'Irrelevant < 0.52 ≤ Partial < 1.48 ≤ Exact'."""
    parts = [names[0]]
    for cut, name in zip(cuts, names[1:]):
        parts.append(f"< {cut:.2f} ≤ {name}")
    return " ".join(parts)


def thresholds_section(calibration: jobs.Calibration, grade_names: list[str]) -> None:
    """Kappa of the judge's own grade against tuned thresholds on the expected grade, both
    on held-out queries: a threshold gain measured on the tuning pairs would be flattery."""
    st.markdown("**Tuned grade thresholds, measured on held-out queries**")
    result = calibration.thresholds
    if result is None:
        st.caption(
            f"Not tuned: cross-validation over queries needs at least "
            f"{common.plural(jobs.MIN_QUERIES_FOR_THRESHOLDS, 'query')} with probabilities; "
            f"this run has {calibration.n_queries:,}."
        )
        return
    folds = result.folds
    st.caption(
        "Instead of taking the judge's most probable grade, one can grade a pair by its "
        "expected grade (the grades weighted by the judge's probabilities) cut at "
        "thresholds, tuned to agree best with humans. Tuned on the same pairs they are "
        f"measured on, they would flatter, so the queries are split into {len(folds)} "
        f"folds: each fold's pairs are graded with thresholds tuned on the other "
        f"{len(folds) - 1}, so every tuned grade below comes from thresholds that never "
        "saw its query. Both kappas are over the same held-out pairs."
    )
    left, right = st.columns(2)
    left.metric(
        "Quadratic kappa, judge's grade (argmax)",
        _score(result.kappa_argmax),
        help="The judge's most probable grade, as the run recorded it.",
    )
    right.metric(
        "Quadratic kappa, tuned thresholds (held out)",
        _score(result.kappa_tuned),
        delta=_gain(result.kappa_tuned, result.kappa_argmax),
        help="The expected grade cut at thresholds tuned on the other folds; the "
        "delta is the gain over the judge's own grade.",
    )
    rules = [_cut_points(tuple(cuts), grade_names) for cuts in folds["thresholds"]]
    st.dataframe(
        folds.assign(thresholds=rules),
        hide_index=True,
        height="content",
        column_order=("fold", "n_queries", "n_pairs", "thresholds", "kappa_argmax", "kappa_tuned"),
        column_config={
            "fold": st.column_config.NumberColumn("fold", width="small"),
            "n_queries": "held-out queries",
            "n_pairs": "held-out pairs",
            "thresholds": st.column_config.TextColumn(
                "grade by expected grade",
                help="Cut points tuned on the other folds: a pair whose expected grade lies "
                "between two cut points gets the grade written between them.",
            ),
            "kappa_argmax": st.column_config.NumberColumn("kappa, judge's grade", format=NUMBER),
            "kappa_tuned": st.column_config.NumberColumn("kappa, tuned", format=NUMBER),
        },
    )


def calibration_section(calibration: jobs.Calibration | None, grade_names: list[str]) -> None:
    """ECE, Brier score and the reliability diagram, then the held-out thresholds."""
    st.subheader("Calibration")
    if calibration is None:
        st.caption(
            "No calibration: none of this run's grades comes with probabilities "
            "(generation mode, or an endpoint that returns no logprobs)."
        )
        return
    st.caption(
        f"On the {common.plural(calibration.n_pairs, 'graded pair')} with grade "
        f"probabilities, from {common.plural(calibration.n_queries, 'query')}. In the diagram a "
        "point's size grows with the pairs in its bin; hover over it for the count."
    )
    left, right = st.columns([1, 2])
    left.metric(
        "Expected calibration error (ECE)",
        _score(calibration.ece),
        help="Mean gap between the judge's confidence and how often it is right, "
        "weighted by the pairs in each of 10 confidence bins; 0 is calibrated.",
    )
    left.metric(
        "Brier score",
        _score(calibration.brier),
        help="Mean squared error of the grade probabilities against the human grade: "
        "0 is certain and right, 2 certain and wrong.",
    )
    right.plotly_chart(figures.reliability_diagram(calibration.reliability), key="reliability")
    thresholds_section(calibration, grade_names)


def agreement_section(agreement: metrics.RaterAgreement | None) -> None:
    """Judge-human kappa next to human-human kappa on the pairs several annotators graded:
    how close the judge comes to the agreement humans reach among themselves."""
    st.subheader("Rater agreement")
    if agreement is None:
        st.caption(
            "No rater agreement: this dataset has fewer than two named annotators. "
            "Import each annotator's labels under their name to see how the judge "
            "compares with the humans' agreement among themselves."
        )
        return
    if agreement.n_pairs == 0:
        st.caption(
            "No rater agreement: none of the pairs this run graded has grades from two "
            "or more annotators."
        )
        return
    st.caption(
        f"Quadratic kappa on the {common.plural(agreement.n_pairs, 'pair')} graded by two or "
        "more annotators; the judge is scored on the same pairs. Each is the mean over "
        "pairs of raters (Light's kappa)."
    )
    left, right = st.columns(2)
    left.metric("Human-human kappa", _score(agreement.human_human_kappa))
    right.metric(
        "Judge-human kappa",
        _score(agreement.judge_human_kappa),
        delta=_gain(agreement.judge_human_kappa, agreement.human_human_kappa),
        help="The delta is judge-human minus human-human kappa.",
    )
    st.dataframe(
        agreement.pairwise,
        hide_index=True,
        height="content",
        column_config={
            "rater_a": "rater",
            "rater_b": "with",
            "n_pairs": "pairs",
            "kappa_quadratic": st.column_config.NumberColumn("quadratic kappa", format="%.3f"),
        },
    )


def _interval(low: float, high: float) -> str:
    return "undefined" if math.isnan(low) else f"{low:.3f} – {high:.3f}"


def metrics_section(report: jobs.RunReport) -> None:
    """The whole-matrix metrics, then precision, recall and F1 per grade: two tables that
    show every row, each metric explained in words under it."""
    st.dataframe(
        report.headline,
        hide_index=True,
        height="content",
        column_order=("label", "value", "low", "high"),
        column_config={
            "label": st.column_config.TextColumn("metric", width="medium"),
            "value": st.column_config.NumberColumn("value", format=NUMBER),
            "low": st.column_config.NumberColumn("95% low", format=NUMBER, help=INTERVAL_HELP),
            "high": st.column_config.NumberColumn("95% high", format=NUMBER, help=INTERVAL_HELP),
        },
    )
    top, bottom = common.md(report.scale.names[-1]), common.md(report.scale.names[0])
    st.caption(
        "**Quadratic kappa**: agreement beyond chance; 1 is perfect, 0 is what chance "
        "gives. Near grades count as partly right, far ones as badly wrong. "
        f"**Severe error rate**: the share of pairs the judge said {top} where humans said "
        f"{bottom}, or the reverse. **MAE**: the mean distance between the judge's grade and "
        "the human grade. **Macro-F1**: F1 averaged over grades, so a rare grade counts as "
        "much as a common one."
    )
    per_grade = report.per_grade
    shown = pd.DataFrame({"name": per_grade["name"]})
    config: dict[str, Any] = {"name": st.column_config.TextColumn("grade", width="small")}
    for kind, label in (("precision", "Precision"), ("recall", "Recall"), ("f1", "F1")):
        shown[kind] = per_grade[kind]
        shown[f"{kind}_interval"] = [
            _interval(low, high)
            for low, high in zip(per_grade[f"{kind}_low"], per_grade[f"{kind}_high"])
        ]
        config[kind] = st.column_config.NumberColumn(label, format=NUMBER)
        config[f"{kind}_interval"] = st.column_config.TextColumn("95% interval", help=INTERVAL_HELP)
    st.dataframe(
        shown, hide_index=True, height="content", column_config=config, column_order=list(config)
    )
    st.caption(
        "**Precision** of a grade: of the pairs the judge gave it, the share humans "
        "gave it too. **Recall**: of the pairs humans gave it, the share the judge gave "
        "it too. **F1**: the two combined (their harmonic mean)."
    )


@st.cache_data(show_spinner="Comparing the runs on the pairs they share…", max_entries=16)
def shared_reports(
    db: str, run_ids: tuple[int, ...], data_version: tuple[Any, ...]
) -> jobs.SharedReports:
    return jobs.shared_pair_reports(db, run_ids)


def _runs_word(n: int) -> str:
    return {1: "the run", 2: "both runs"}.get(n, f"all {n} runs")


def _graded_by(shared: jobs.SharedReports, labels: dict[int, str], run_ids: list[int]) -> str:
    """'#3 my run graded 174, #2 other 120': the labelled pairs each run graded in all."""
    return ", ".join(f"{common.md(labels[r])} graded {shared.graded[r]:,}" for r in run_ids)


def shared_caption(shared: jobs.SharedReports, labels: dict[int, str]) -> str:
    """What the figures are computed on, and what each run graded on its own when that
    differs: a run that judged more pairs is not scored on them here."""
    common_ground = (
        f"Compared on the {common.plural(shared.n_pairs, 'labelled pair')} "
        f"({common.plural(shared.n_queries, 'query')}) that {_runs_word(len(shared.graded))} "
        "graded"
    )
    more = [r for r, n in shared.graded.items() if n != shared.n_pairs]
    if not more:
        return common_ground + "."
    return f"{common_ground}; on their own, {_graded_by(shared, labels, more)}."


def across_runs_section(
    db: str,
    dataset: str,
    runs: pd.DataFrame,
    active: int,
    names: dict[int, str],
    version: tuple[Any, ...],
) -> None:
    """The seed blog's figures for the runs the user picks, computed on the pairs all of
    them graded: over different pairs, a run would look better for judging easier pairs."""
    graded = [int(r) for r in runs.loc[runs["judged"] > 0, "run_id"]]
    if not graded:
        return
    st.header("Across runs")
    labels = {int(r["run_id"]): common.run_label(r, short=True) for r in runs.to_dict("records")}
    # The active run and the newest others: the user came here about the active run.
    others = [r for r in graded if r != active][: MAX_RUNS - (active in graded)]
    default = [r for r in graded if r == active or r in others]
    # A widget keeps its picks across reruns by key: naming the runs on offer and the active
    # run in the key starts over from the default when a run appears or the user turns to
    # another run, so a new run is compared without the user having to add it.
    key = f"overview-compare-{dataset}-{active}-{'.'.join(map(str, graded))}"
    picked = st.multiselect(
        "Runs to compare",
        graded,
        default=default,
        format_func=labels.__getitem__,
        max_selections=len(figures.RUN_COLOURS),
        key=key,
        help="The figures compare the runs on the labelled pairs all of them graded. Leave out "
        "a run that judged few pairs to compare the others on more.",
    )
    chosen = tuple(r for r in graded if r in picked)  # newest first, whatever the click order
    if not chosen:
        st.caption("Pick runs to compare.")
        return
    shared = shared_reports(db, chosen, version)
    if shared.n_pairs == 0:
        st.warning(
            f"These runs have no labelled pair that {_runs_word(len(chosen))} graded "
            f"({_graded_by(shared, labels, list(chosen))}), so there is nothing to "
            "compare them on. Leave out a run to compare the others."
        )
        return
    st.caption(shared_caption(shared, labels))
    reports = {labels[r]: report for r, report in shared.reports.items()}
    metrics_by_run = {label: report.metrics for label, report in reports.items()}
    top_left, top_right = st.columns(2)
    top_left.plotly_chart(figures.metric_bars(metrics_by_run), key="metric-bars")
    top_right.plotly_chart(figures.severe_bars(metrics_by_run), key="severe-bars")
    bottom_left, bottom_right = st.columns(2)
    bottom_left.plotly_chart(figures.kappa_vs_severe(metrics_by_run), key="kappa-severe")
    bottom_right.plotly_chart(figures.recall_bars(metrics_by_run, names), key="recall-bars")
    st.plotly_chart(
        figures.confusion_grid(
            {label: report.confusion for label, report in reports.items()}, list(names.values())
        ),
        key="confusion-grid",
    )


@st.cache_data(show_spinner="Measuring the pairwise run…", max_entries=8)
def _pairwise_report(
    db: str, run_id: int, vs: int | None, version: tuple[Any, ...]
) -> jobs.PairwiseReport:
    return jobs.pairwise_report(db, run_id, vs=vs)


def pairwise_section(graded_run: int | None) -> None:
    """The latest pairwise run's consistency figures, each explained and linked to the
    Pairwise page; score-comparison against `graded_run` (the active run) when there is one."""
    pairwise_runs = storage.pairwise.list_pairwise_runs(db, dataset)
    st.header("Pairwise consistency")
    if pairwise_runs.empty:
        st.caption("No pairwise run on this dataset yet: start one on the Runs page.")
        return
    latest = pairwise_runs.iloc[0]
    pw = int(latest.run_id)
    pw_report = _pairwise_report(db, pw, graded_run, storage.pairwise.pairwise_version(db, pw))
    vs = "" if graded_run is None else f", score-comparison against run #{graded_run}"
    st.caption(
        f"The latest pairwise run, #{pw} {common.md(latest['name'])} ({latest.status}): "
        f"{common.plural(len(pw_report.comparisons), 'comparison')}, each judged with "
        f"either product shown first{vs}. Intervals: 95% bootstrap over queries."
    )
    shown = pw_report.figures.set_index("metric")
    present = [m for m in PAIRWISE_SHOWN if m in shown.index]
    if not present:
        st.caption("The run has no verdict yet.")
    for column, metric in zip(st.columns(max(len(present), 1)), present):
        row = shown.loc[metric]
        with column:
            st.metric(
                jobs.FIGURE_LABELS[metric],
                _score(float(row.value)),
                help=INTERVAL_HELP + f" [{row.low:.3f}, {row.high:.3f}]",
            )
            st.caption(metrics.FIGURE_MEANINGS[metric])
            st.page_link(
                PAIRWISE_PAGE,
                label="Pairwise page",
                query_params={"pw_run": str(pw)},
            )


db = common.database()
dataset = common.require_dataset()
stats = common.dataset_stats(db, dataset)
names = dict(zip(stats.scale.grades, stats.scale.names))

st.title(f"Overview: {common.md(dataset)}")
common.dataset_summary(stats)
st.plotly_chart(
    figures.label_distribution(common.label_distribution(db, dataset), names),
    key="label-distribution",
)

run_id = common.active_run()
runs = common.list_runs(db, dataset)
records = {int(r["run_id"]): r for r in runs.to_dict("records")}
if run_id not in records:  # the selection keeps a run of this dataset; a deleted run is gone
    st.info(common.NO_RUN)
    pairwise_section(None)
    st.stop()

version = storage.data_version(db)
report = common.run_report(db, run_id, version)
st.header(f"Run {common.run_title(records[run_id])}")
st.caption(
    f"{common.plural(report.n_pairs, 'judged pair')} with a human label, "
    f"{report.n_stale:,} of them stale (relabelled or edited since); "
    f"{common.plural(report.n_unjudged, 'labelled pair')} without a judge grade. "
    "Intervals: 95% bootstrap over queries."
)
estimates.overview_line(db, dataset, version)
if report.n_pairs:
    metrics_section(report)
    calibration_section(report.calibration, list(report.scale.names))
    agreement_section(report.agreement)
across_runs_section(db, dataset, runs, run_id, names, version)
pairwise_section(run_id)
