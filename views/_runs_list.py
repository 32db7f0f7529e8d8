"""The Runs page's list of runs: the table of both kinds (graded ones with their headline
metrics), resuming an unfinished run, renaming and deleting one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

import jobs
import storage
from views import _common as common
from views import _runs_jobs as runs_jobs
from views import _selection as selection

PAIRWISE_PAGE = str(Path(__file__).resolve().parent / "pairwise.py")
HEADER = 85  # px: the widest header of the numbers ("macro-F1", "unparsed") whole
HEADLINE = {
    "kappa_quadratic": "kappa",
    "accuracy": "accuracy",
    "macro_f1": "macro-F1",
    "severe_error_rate": "severe",
}


def resume_section(db: str, dataset: str, every: pd.DataFrame) -> None:
    """Resume an unfinished run of either kind: it judges only what it has no answer for."""
    unfinished = every[every["status"].isin(storage.RESUMABLE)]
    if every.empty:
        st.caption("This dataset has no run yet, so none to resume.")
        return
    if unfinished.empty:
        st.caption("Every run of this dataset is finished.")
        return
    records = {r["run_id"]: r for r in unfinished.to_dict("records")}
    labels = {
        run_id: f"{runs_jobs.kind_label(r)}: {r['status']}, {r['judged']:,}"
        + (" orders" * (r["kind"] == storage.RunKind.PAIRWISE))
        + " judged"
        for run_id, r in records.items()
    }
    run_id = st.selectbox(
        "Unfinished run", list(labels), format_func=labels.__getitem__, key="resume-run"
    )
    pairwise = records[run_id]["kind"] == storage.RunKind.PAIRWISE
    settings = (
        jobs.pairwise_settings(storage.pairwise.get_pairwise_run(db, run_id))
        if pairwise
        else jobs.settings_for_run(db, run_id)
    )
    api_key = None
    if settings.spec.remote:
        api_key = (
            st.text_input("API key (this session only)", type="password", key="resume-api-key")
            or None
        )
    if not st.button("Resume", key="resume", disabled=runs_jobs.busy(dataset) is not None):
        return
    resume = jobs.resume_pairwise if pairwise else jobs.resume_run
    runs_jobs.launch(
        dataset,
        f"pairwise run #{run_id} resuming" if pairwise else f"resuming run #{run_id}",
        storage.RunKind.PAIRWISE if pairwise else storage.RunKind.GRADED,
        lambda: settings,
        api_key,
        lambda _, control: resume(db, run_id, control=control),
    )


def runs_table(db: str, every: pd.DataFrame, version: tuple[Any, ...]) -> None:
    """Runs of both kinds; the graded ones with their headline metrics."""
    table = every[
        [
            "run_id",
            "name",
            "kind",
            "split",
            "backend",
            "model",
            "status",
            "prompt_sha",
            "judged",
            "failed",
            "unparsed",
            "started_at",
        ]
    ].copy()
    table["model"] = table["model"].map(lambda m: Path(str(m)).name)
    # A pairwise run has no grades to measure: its figures are on the Pairwise page.
    values = [
        common.run_report(db, int(r.run_id), version).metrics.set_index("metric")["value"]
        if r.kind == storage.RunKind.GRADED
        else {}
        for r in every.itertuples()
    ]
    for metric, column in HEADLINE.items():
        table[column] = [v.get(metric, float("nan")) for v in values]
    # The headline metrics beside the name, where 1280 px shows them; the counts after.
    first = ["run_id", "name", *HEADLINE.values(), "status", "kind", "judged", "failed", "unparsed"]
    st.dataframe(
        table,
        hide_index=True,
        column_order=[*first, *table.columns.drop(first)],
        column_config={
            "run_id": st.column_config.NumberColumn("run", format="%d", width=50),
            "name": st.column_config.TextColumn("name", width="medium"),
            "kind": st.column_config.TextColumn(
                "kind", width="small", help="graded: a grade per pair; pairwise: A or B"
            ),
            "status": st.column_config.TextColumn("status", width="small"),
            **{
                c: st.column_config.NumberColumn(c, format="%d", width=HEADER, help=h)
                for c, h in (
                    ("judged", "pairs graded; pairwise: orders answered, two per comparison"),
                    ("failed", "pairs (pairwise: orders) the judge failed on"),
                    ("unparsed", "answers that gave no grade (pairwise: no verdict)"),
                )
            },
            "prompt_sha": st.column_config.TextColumn("template sha256"),
            **{
                c: st.column_config.NumberColumn(format="%.3f", width=HEADER)
                for c in HEADLINE.values()
            },
        },
    )
    if (every["kind"] == storage.RunKind.PAIRWISE).any():
        st.page_link(PAIRWISE_PAGE, label="Pairwise runs' figures: the Pairwise page")


def manage_section(db: str, dataset: str, every: pd.DataFrame) -> None:
    """Rename or delete a run of this dataset, of either kind; a delete says what goes and
    asks first."""
    with st.expander("Rename or delete a run"):
        records = {r["run_id"]: r for r in every.to_dict("records")}
        labels = {run_id: runs_jobs.kind_label(r, status=True) for run_id, r in records.items()}
        run_id = st.selectbox("Run", list(labels), format_func=labels.__getitem__, key="manage-run")
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        name = c1.text_input("New name", key=f"rename-run-{run_id}")
        if c2.button("Rename", key="rename-run", disabled=not name.strip()):
            _act(
                lambda: storage.rename_run(db, run_id, name.strip()),
                f"Run #{run_id} renamed to “{name.strip()}”.",
            )
        goes = storage.run_footprint(db, run_id)
        results = (
            common.plural(goes["pairwise_judgments"], "pairwise verdict")
            + " (labels and reviewers' preferences are kept)"
            if records[run_id]["kind"] == storage.RunKind.PAIRWISE
            else f"{common.plural(goes['judgments'], 'judgment')} (labels are kept)"
        )
        refusal = storage.why_run_cannot_be_deleted(db, run_id)
        if refusal:
            st.warning(common.md(refusal))
        sure = st.checkbox(
            f"Delete run #{run_id} and its {results}",
            key=f"delete-run-sure-{run_id}",
            disabled=refusal is not None,
        )
        if st.button(
            "Delete run",
            key="delete-run",
            disabled=not sure or runs_jobs.own_run_id(dataset) == run_id,
        ):
            if selection.current().run_id == run_id:
                selection.set_run(None)
            _act(lambda: storage.delete_run(db, run_id), f"Run #{run_id} deleted.")


def _act(change: Callable[[], object], message: str) -> None:
    """Make a store change, then rerun with `message` shown, or show why it failed."""
    try:
        change()
    except storage.StoreError as error:
        st.error(common.md(error))
        return
    common.announce(message)
