"""The Runs page's progress: this session's background run live (with Cancel, and its
outcome when it ends), and the runs another process judges, read from the store."""

from __future__ import annotations

import streamlit as st

import jobs
import storage
from views import _common as common
from views import _runs_jobs as runs_jobs
from views import _selection as selection
from views._background import BackgroundRun
from views._runs_list import PAIRWISE_PAGE

OTHERS_EVERY_S = 2.0  # how often the progress of runs judged elsewhere is read from the store


def report_progress(job: BackgroundRun, top_grade: str) -> None:
    """This session's run: its progress bar and Cancel while it judges, then its outcome
    (`top_grade`: the name of the grade a reference product has)."""
    p = job.progress
    compared = job.kind is storage.RunKind.PAIRWISE
    unit = runs_jobs.unit(job.kind)
    if job.running:
        if p is None:
            st.progress(0.0, text=common.md(f"{job.label}: loading…"))
        else:
            eta = f", about {p.eta_s:.0f} s left" if p.eta_s is not None else ""
            st.progress(
                p.done / max(p.total, 1),
                text=common.md(
                    f"{job.label}: {p.done:,}/{p.total:,} {unit}, "
                    f"{p.pairs_per_s:.1f} {unit}/s{eta}, "
                    f"{p.failures} failures{jobs.endpoints_text(p.per_endpoint, unit)}"
                ),
            )
        st.button("Cancel", key="cancel-run", on_click=job.cancel.set)
    elif job.error:
        st.error(common.md(f"{job.label} failed: {job.error}"))
    else:
        s = job.outcome.summary
        verb = "cancelled" if s.cancelled else "finished"
        probed = job.outcome.endpoint  # a remote run's probed endpoint, and why
        endpoint = (
            "" if probed is None else f" Endpoint {probed.settings.endpoint}: {probed.reason}."
        )
        without = ""
        if compared and job.outcome.skipped_queries:
            skipped = common.plural(job.outcome.skipped_queries, "query")
            without = f" {skipped} had no Exact to compare with."
        elif not compared and job.outcome.without_reference:
            without = (
                f" {job.outcome.without_reference:,} pairs judged without a reference: no "
                f"other pair of their query is graded {top_grade}."
            )
        st.success(
            common.md(
                f"{job.label} {verb}: run #{job.outcome.run_id}, "
                f"{s.judged:,}{' orders' * compared} judged, {s.skipped:,} skipped, "
                f"{s.errors} errors, "
                f"{s.unparsed} unparsed, {s.pairs_per_s:.1f} {unit}/s.{endpoint}{without}"
            )
        )
        if compared:
            st.page_link(
                PAIRWISE_PAGE,
                label="Open the run on the Pairwise page",
                query_params={"pw_run": str(job.outcome.run_id)},
            )


@st.fragment(run_every=1.0)
def progress_panel(job: BackgroundRun, top_grade: str) -> None:
    report_progress(job, top_grade)
    if not job.running:
        job.reported = True
        # A finished graded run becomes the active one; a cancelled or failed part-run does
        # not. A pairwise run is the Pairwise page's: the success line links to it.
        finished = job.outcome is not None and not job.outcome.summary.cancelled
        if finished and isinstance(job.outcome, jobs.JudgeOutcome):
            selection.set_run(job.outcome.run_id)
        st.rerun()


def _duration(seconds: float) -> str:
    """'45 s', '12 min', '3.5 h': a span at the precision a reader wants."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _stored_progress_text(p: jobs.RunProgress) -> str:
    """A run judged elsewhere, in one line: counts, speed and time left, silence, failures."""
    unit = runs_jobs.unit(p.kind)
    parts = [f"{p.done:,}/{p.planned:,} {unit}"]
    if p.last_at is None:
        parts.append(f"no judgment yet, started {_duration(p.idle_s)} ago")
    else:
        if not p.stalled:  # a stopped run's old speed and time left would mislead
            parts.append(
                "measuring the speed"
                if p.pairs_per_s is None or p.eta_s is None  # None together: see RunProgress
                else f"{p.pairs_per_s:.1f} {unit}/s, about {_duration(p.eta_s)} left"
                + jobs.endpoints_text(p.per_endpoint, unit)
            )
        parts.append(f"last judgment {_duration(p.idle_s)} ago")
    failures = p.failed + p.unparsed
    if failures:
        parts.append(common.plural(failures, "failure"))
    return ", ".join(parts)


def _stalled_hint(label: str, p: jobs.RunProgress) -> str:
    """What a silent run's reader should know: it may be dead, and how to finish it."""
    silence = (
        f"no judgment since it started {_duration(p.idle_s)} ago"
        if p.last_at is None
        else f"no judgment for {_duration(p.idle_s)}"
    )
    return (
        f"{label}: {silence}. The process judging it may have stopped (a killed CLI or a "
        "crashed server leaves its run “running”). If so, resume it under Resume in the "
        f"“Start a run” tab: a resume skips the {runs_jobs.unit(p.kind)} already judged."
    )


@st.fragment(run_every=OTHERS_EVERY_S)
def others_progress(db: str, dataset: str, labels: dict[int, str], seen: tuple[int, ...]) -> None:
    """Progress of this dataset's running runs that another process judges (the CLI, another
    browser session), `labels` by run id. It reads the store on every tick, since a fragment
    reruns without the page; when one of them ends or another starts, the whole page reruns
    so that the table and the resume choices follow. With none running it reads nothing
    until the store is written after the page's render (`seen`: its write version), so a run
    started after the page opened shows without a reload, at the cost of a file's status."""
    if not labels and storage.write_version(db) == seen:
        return
    own = runs_jobs.own_run_id(dataset)
    progress = [p for p in jobs.running_progress(db, dataset) if p.run_id != own]
    if [p.run_id for p in progress] != list(labels):
        st.rerun()
    for p in progress:
        label = labels[p.run_id]
        st.progress(p.fraction, text=common.md(f"{label}: {_stored_progress_text(p)}"))
        if p.stalled:
            st.warning(common.md(_stalled_hint(label, p)))
