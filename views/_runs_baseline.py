"""The Runs page's baseline section: the lexical baseline and a learned head over a run,
trained and recorded at once (seconds, no model)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

import jobs
import judge
import storage
from views import _common as common
from views import _selection as selection


def baseline_section(db: str, dataset: str, runs: pd.DataFrame) -> None:
    """The lexical baseline and a learned head over a run: seconds of work, no model."""
    st.subheader("Baseline and learned head")
    st.caption(
        "Not an LLM: lexical features and a logistic regression trained on this "
        "dataset's current labels, cross-fitted by query (no pair is graded by a model "
        "that saw its query; benchmark queries are never trained on). The yardstick an "
        "LLM judge has to beat; a learned head adds a run's grade probabilities to it."
    )
    left, right = st.columns(2)
    if left.button("Train the baseline on the current labels", key="baseline-run"):
        _train(lambda: jobs.baseline_run(db, dataset), "Baseline")
    stackable = {
        r["run_id"]: common.run_label(r)
        for r in runs.to_dict("records")
        if jobs.why_not_stackable(r) is None
    }
    if not stackable:
        right.caption("A learned head stacks on a finished LLM or imported run: none yet.")
        return
    base = right.selectbox(
        "Stack a learned head on",
        list(stackable),
        key="stack-on",
        format_func=stackable.__getitem__,
    )
    if right.button("Train the head", key="stack-run"):
        _train(lambda: jobs.stack_run(db, base), f"Head over run #{base}")


def _train(make: Callable[[], int], label: str) -> None:
    """Train and record a run at once (seconds), then make it the active run."""
    try:
        with st.spinner(f"{label}: training and grading…"):
            run_id = make()
    except (judge.JudgeError, storage.StoreError) as error:
        st.error(common.md(error))
        return
    selection.set_run(run_id)
    common.announce(f"{label}: run #{run_id} recorded, now the active run.")
