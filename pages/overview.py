"""Overview: the active dataset's counts and labels, the active run's metrics with 95%
intervals, and the seed blog's figures across the dataset's runs."""

from __future__ import annotations

import streamlit as st

import storage
from pages import _common as common
from pages import _figures as figures

MAX_RUNS = 6  # runs in the cross-run figures, newest first

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

runs = storage.list_runs(db, dataset).head(MAX_RUNS)
reports = {common.run_label(r, short=True): common.run_report(db, int(r["run_id"]), version)
           for r in runs.to_dict("records")}
metrics_by_run = {name: rep.metrics for name, rep in reports.items() if rep.n_pairs}
if not metrics_by_run:
    st.stop()
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
