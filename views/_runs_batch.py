"""Runs page: a batch file instead of judging now, and a batch's results read into its run.

The form's settings go into a new run that nobody judges yet (`jobs.open_batch_run`); its
requests are written to a file on this machine for `vllm run-batch` or the OpenAI Batch API.
Their output file (and OpenAI's error file) is then imported by path, read line by line, so a
million-line file never passes through the browser."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

import jobs
import judge
import storage
from views import _common as common

_PROBLEMS = (judge.JudgeError, storage.StoreError, OSError)


def batch_instead() -> bool:
    """The form's choice: write a batch file rather than judge now."""
    return st.toggle(
        "Write a batch file instead of judging now",
        key="batch-instead",
        help="for vLLM (`vllm run-batch`) or the OpenAI Batch API: the run is recorded, its "
        "requests written to a file; import the results below once the engine is done",
    )


def write_section(
    db: str,
    dataset: str,
    settings: Callable[[], judge.JudgeSettings],
    split: storage.Split | None,
    name: str | None,
    *,
    usable: bool,
) -> None:
    """The path of the request file and the button that records the run and writes it."""
    path = st.text_input("Request file", value="requests.jsonl", key="batch-file")
    if not st.button("Write batch file", type="primary", key="batch-write", disabled=not usable):
        return
    try:
        with st.spinner("Recording the run and writing its requests…"):
            run_id = jobs.open_batch_run(
                db, dataset=dataset, settings=settings(), split=split, name=name
            )
            written = jobs.write_batch_requests(db, run_id, Path(path))
    except _PROBLEMS as error:
        st.error(common.md(error))
        return
    # Announced after a rerun, so the import below already lists the new run.
    common.announce(
        f"Run #{run_id}: {written.requests:,} requests to {written.url} written to "
        f"{written.path.resolve()}.",
        f"vllm run-batch -i {written.path.resolve()} -o results.jsonl --model MODEL\n"
        f"python cli.py import batch-results results.jsonl --run {run_id}",
    )


def import_section(db: str, every: pd.DataFrame) -> None:
    """A results file (and an error file) read into a run chosen from the dataset's runs."""
    st.subheader("Import batch results")
    if every.empty:
        st.caption("No run yet: write a batch file above first.")
        return
    runs = every.to_dict("records")
    chosen = st.selectbox(
        "Run", runs, key="batch-run", format_func=lambda r: f"#{r['run_id']} {r['name']}"
    )
    results = st.text_input("Results file", key="batch-results", placeholder="results.jsonl")
    errors = st.text_input("Error file (optional)", key="batch-errors")
    if not st.button("Import results", key="batch-import", disabled=not results.strip()):
        return
    files = [Path(results.strip())] + ([Path(errors.strip())] if errors.strip() else [])
    try:
        imported = jobs.import_batch_results(db, int(chosen["run_id"]), files)
    except _PROBLEMS as error:
        st.error(common.md(error))
        return
    common.announce(imported.summary())
