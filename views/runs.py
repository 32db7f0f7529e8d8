"""Runs: start a judge run (scope, template with a live preview, backend) in the background
with progress, cancel and resume, graded or pairwise (a sampled plan, or a confusion cell
against an Exact of each query); follow the runs another process judges; list the runs of
both kinds (graded ones with their headline metrics), resume, rename and delete them; compare
two graded runs. Only a graded run ever becomes the active run of the other pages.

Each job is a module of its own: `_runs_form` (and `_runs_pairwise_form`, `_runs_backend`)
the start form, `_runs_baseline` the baseline and learned head, `_runs_follow` the progress,
`_runs_list` the table, resume, rename and delete, `_runs_compare` the comparison,
`_runs_batch` a batch file instead of judging and a batch's results; the session's
background job is `_runs_jobs`."""

from __future__ import annotations

import streamlit as st

import storage
from views import _common as common
from views import _runs_batch as runs_batch
from views import _runs_follow as follow
from views import _runs_jobs as runs_jobs
from views._runs_baseline import baseline_section
from views._runs_compare import compare_section
from views._runs_form import start_section
from views._runs_list import manage_section, resume_section, runs_table

db = common.database()
dataset = common.require_dataset()
scale = storage.dataset_scale(db, dataset)
st.title("Runs")
common.show_announcement()

job = runs_jobs.session_jobs().get(dataset)
if job is not None and not job.reported:
    follow.progress_panel(job, scale.names[-1])
elif job is not None:
    follow.report_progress(job, scale.names[-1])

seen = storage.write_version(db)  # before the reads: a run started after them is news
runs = storage.list_runs(db, dataset)  # graded: comparisons, heads
every = storage.list_all_runs(db, dataset)  # both kinds: progress, table, resume, rename, delete
others = {
    r["run_id"]: runs_jobs.kind_label(r)
    for r in every.to_dict("records")
    if r["status"] == "running" and r["run_id"] != runs_jobs.own_run_id(dataset)
}
follow.others_progress(db, dataset, others, seen)
# The cache key of the reports in the table and of the comparison, read once per render.
version = None if every.empty else storage.data_version(db)
runs_tab, start_tab, compare_tab = st.tabs(
    ["Runs", "Start a run", "Compare two runs"], key="runs-tab", bind="query-params"
)
if start_tab.open:
    with start_tab:
        start_section(db, dataset, scale)
        baseline_section(db, dataset, runs)
        st.subheader("Resume")
        resume_section(db, dataset, every)
        runs_batch.import_section(db, every)
if runs_tab.open:
    with runs_tab:
        if version is None:
            st.info("No judge run yet: start one in the “Start a run” tab.")
        else:
            runs_table(db, every, version)
            manage_section(db, dataset, every)
if compare_tab.open:
    with compare_tab:
        compare_section(db, scale, runs, version)
