"""The Runs page's background job: one judge run at a time per session, kept by dataset so
its banner shows on its dataset only; starting one, and what it judges."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

import jobs
import judge
import storage
from views import _common as common
from views._background import BackgroundRun

JOBS = "judge-jobs"  # dataset -> its BackgroundRun: a job's banner shows on its dataset only
RUNS_TITLE = "Runs"  # the page whose visit a finished run's banner belongs to


def session_jobs() -> dict[str, BackgroundRun]:
    return st.session_state.setdefault(JOBS, {})


def busy(dataset: str) -> str | None:
    """Why no run can start now: one in-process model judges one run at a time per session."""
    running = [name for name, job in session_jobs().items() if job.running]
    if not running:
        return None
    if running[0] == dataset:
        return "a run of this dataset is judging: wait for it or cancel it"
    return "another dataset's run is judging in this session: wait for it or cancel it there"


def launch(
    dataset: str,
    label: str,
    kind: storage.RunKind,
    settings: Callable[[], judge.JudgeSettings],
    api_key: str | None,
    run: Callable[[judge.JudgeSettings, jobs.RunControl], Any],
) -> None:
    """Start a run, or resume one, in the background and rerun to show its progress: `run`
    is given the `settings` the form makes and the job's controls, with the session's model,
    or no model for a remote endpoint, whose client jobs builds with the key. Settings the
    judge refuses, or a model that cannot be loaded, are one error and start nothing."""
    try:
        chosen = settings()
        shared = common.backend_for(chosen)
    except judge.JudgeError as error:
        st.error(common.md(error))
        return

    def work(**control: Any) -> Any:
        return run(chosen, jobs.RunControl(backend=shared, api_key=api_key, **control))

    session_jobs()[dataset] = BackgroundRun(label, kind).start(work)
    st.rerun()


def leave_finished(page_title: str) -> None:
    """A run's outcome banner belongs to the visit that saw it end: once shown, it goes when
    the user opens another page (on the Runs page, the next run started replaces it). A run
    still judging, or one that ended unseen, keeps its panel for the next visit."""
    if page_title == RUNS_TITLE:
        return
    held = session_jobs()
    for dataset in [d for d, job in held.items() if job.reported and not job.running]:
        del held[dataset]


def own_run_id(dataset: str) -> int | None:
    """The run this session's background job is judging, if any: its own panel shows it."""
    job = session_jobs().get(dataset)
    return job.run_id if job is not None and job.running else None


def unit(kind: storage.RunKind) -> str:
    """What a run of `kind` counts: pairs, or orders (a pairwise run judges each comparison
    twice)."""
    return "orders" if kind is storage.RunKind.PAIRWISE else "pairs"


def kind_label(run: dict[str, Any], *, status: bool = False) -> str:
    """A run's label in a choice (with its state, as `common.run_label`), and its kind when
    it is pairwise."""
    pairwise = " · pairwise" * (run["kind"] == storage.RunKind.PAIRWISE)
    return f"{common.run_label(run, status=status)}{pairwise}"
