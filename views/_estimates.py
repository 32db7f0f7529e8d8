"""Estimates from an audit on the pages: the Rankers page's "Estimate from an audit" (per
ranking run three estimates side by side, their intervals as a figure, which runs are
distinguishable), the Team page's audit form and live interval, and the Overview's line on
the judge's estimated accuracy. The numbers come from `jobs.estimate_audit`; every figure
says what it covers (audited queries, all queries)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import jobs
import metrics
import storage
from views import _common as common
from views import _selection as selection

_REFUSED = (storage.StoreError, metrics.MetricsInputError)
_COLOURS = {"human only": "#4c78a8", "judge only": "#e45756", "prediction-powered": "#54a24b"}


@st.cache_data(show_spinner="Estimating from the audit…", max_entries=16)
def _estimates(db: str, task_id: int, version: tuple) -> jobs.AuditEstimates:
    return jobs.estimate_audit(db, task_id)


def _span(estimate: float, low: float, high: float) -> str:
    return f"{estimate:.3f} [{low:.3f}, {high:.3f}]"


def _pick_audit(db: str, dataset: str, key: str) -> int | None:
    audits = storage.team.audit_tasks(db, dataset)
    if audits.empty:
        st.info(
            "No audit task yet: draw one on the Team page (New audit), or with "
            "`cli.py task create --audit`."
        )
        return None
    titles = {
        int(r.task_id): f"#{r.task_id} {r.name} ({r.design}, {common.plural(r.size, 'query')})"
        for r in audits.itertuples()
    }
    picked = st.selectbox("Audit task", list(titles), format_func=lambda t: titles[t], key=key)
    return None if picked is None else int(picked)


def _three_wide(rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per `by`, one column per method (value and interval), and what the judge
    adds: the audited queries these are worth."""
    rows = rows.assign(value=[_span(r.estimate, r.low, r.high) for r in rows.itertuples()])
    wide = rows.pivot(index=by, columns="method", values="value")[list(jobs.METHODS)]
    ppi = rows[rows["method"] == jobs.METHODS[-1]].set_index(by)
    worth = [
        "-" if math.isnan(e) else f"{int(n)} + judge = {e:.0f}"
        for n, e in zip(ppi["n"], ppi["effective_n"])
    ]
    return wide.assign(**{"worth (audited queries)": worth})


def _figure(rows: pd.DataFrame, measure: str) -> go.Figure:
    fig = go.Figure()
    for method in jobs.METHODS:
        part = rows[rows["method"] == method]
        fig.add_trace(
            go.Scatter(
                x=part["estimate"],
                y=part["run"],
                mode="markers",
                name=method,
                marker={"color": _COLOURS[method], "size": 9},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": part["high"] - part["estimate"],
                    "arrayminus": part["estimate"] - part["low"],
                },
            )
        )
    fig.update_layout(
        xaxis_title=f"{measure} over all queries (95% interval)",
        yaxis_title="ranking run",
        height=120 + 60 * rows["run"].nunique(),
        margin={"t": 20, "b": 40},
        scattermode="group",
    )
    return fig


def rankers_section(db: str, dataset: str, version: tuple) -> None:
    """The Rankers page's "Estimate from an audit"."""
    st.subheader("Estimate from an audit")
    task_id = _pick_audit(db, dataset, "estimate-task")
    if task_id is None:
        return
    try:
        found = _estimates(db, task_id, version)
    except _REFUSED as error:
        st.error(common.md(f"{error}"))
        return
    st.caption(common.md(f"Covers {found.basis.covers}. {jobs.ASSUMES}"))
    st.metric("Audited queries", len(found.basis.audited))
    if found.rankings.empty:
        st.info("The dataset has no ranking run to estimate: import one above.")
    else:
        measures = list(dict.fromkeys(found.rankings["measure"]))
        measure = st.selectbox("Measure", measures, key="estimate-measure")
        rows = found.rankings[found.rankings["measure"] == measure]
        st.caption(
            "Per ranking run, the mean over all queries three ways: from the audited queries' "
            "human labels only, from the judge's grades on all queries only (its interval "
            "ignores the judge's bias), and prediction-powered (both: PPI++, weighted by the "
            "audit's design). The last column: how many audited queries the human-only "
            "estimate would need for the prediction-powered interval's width."
        )
        # A plain table: a few rows, and each cell's text stays selectable and readable.
        st.table(_three_wide(rows, ["run"]))
        st.plotly_chart(_figure(rows, measure), key="estimate-figure")
        pairs = found.differences[found.differences["measure"] == measure]
        if len(pairs):
            st.caption(
                "Every two runs: the prediction-powered difference of their means over all "
                "queries; distinguishable when its 95% interval excludes 0."
            )
            st.dataframe(
                pd.DataFrame(
                    {
                        "run": pairs["run_a"],
                        "other run": pairs["run_b"],
                        "difference": [
                            _span(r.estimate, r.low, r.high) for r in pairs.itertuples()
                        ],
                        "distinguishable": pairs["distinguishable"],
                    }
                ),
                hide_index=True,
                key="estimate-differences",
            )
    if len(found.labels):
        st.caption(
            "The judge against the humans over all queries, per query then averaged: "
            "accuracy (the judge gave the human's grade; the judge-only value is its own "
            "mean confidence) and each grade's share."
        )
        st.dataframe(_three_wide(found.labels, ["figure"]), hide_index=True, key="estimate-labels")


def overview_line(db: str, dataset: str, version: tuple) -> None:
    """The judge's estimated accuracy on all queries, from the newest audit, when one
    supports an estimate."""
    audits = storage.team.audit_tasks(db, dataset)
    if audits.empty:
        return
    task_id = int(audits["task_id"].iloc[0])
    try:
        found = _estimates(db, task_id, version)
    except _REFUSED as error:
        st.caption(common.md(f"Audit task #{task_id}: no estimate yet ({error})."))
        return
    accuracy = found.labels[
        (found.labels["figure"] == "accuracy") & (found.labels["method"] == jobs.METHODS[-1])
    ]
    if accuracy.empty:
        return
    row = accuracy.iloc[0]
    st.caption(
        common.md(
            f"Judge run #{found.basis.run_id}'s estimated accuracy on all "
            f"{common.plural(len(found.basis.population), 'query')} (unlabelled ones "
            f"included), from audit task #{task_id}: {_span(row.estimate, row.low, row.high)} "
            f"(prediction-powered, 95% interval, "
            f"{common.plural(len(found.basis.audited), 'audited query')})."
        )
    )


def audit_form(db: str, dataset: str, author: str | None, run_id: int | None) -> None:
    """The Team page's "New audit": whole queries drawn for review by a stored design."""
    with st.expander("New audit (queries drawn for an estimate)"):
        left, middle, right = st.columns(3)
        left.text_input("Name", key="audit-name", placeholder="audit 1")
        left.text_input("Reviewers (comma-separated)", key="audit-reviewers")
        middle.number_input(
            "Queries", min_value=jobs.MIN_AUDITED_QUERIES, value=20, key="audit-size"
        )
        middle.selectbox(
            "Design",
            [d.value for d in storage.team.Design],
            key="audit-design",
            help="uniform: every query equally likely; active: more likely where the judge "
            "run expects to err (from its grade probabilities), never impossible",
        )
        right.number_input("Seed", min_value=0, value=0, key="audit-seed")
        right.checkbox("Blind", True, key="audit-blind")
        st.caption(
            f"Reads judge run #{run_id}, which must be finished: an estimate refuses a run "
            "made after the draw."
            if run_id is not None
            else "Reads the dataset's newest finished judge run."
        )
        if st.button("Draw the audit", key="audit-create", type="primary"):
            state = st.session_state
            try:
                if not author:
                    raise storage.StoreError("say who you are first (sidebar)")
                made = jobs.create_audit(
                    db,
                    jobs.AuditPlan(
                        dataset=dataset,
                        name=state["audit-name"],
                        size=int(state["audit-size"]),
                        reviewers=tuple(
                            r for r in (state["audit-reviewers"] or "").split(",") if r.strip()
                        ),
                        design=storage.team.Design(state["audit-design"]),
                        seed=int(state["audit-seed"]),
                        run_id=run_id,
                        blind=bool(state["audit-blind"]),
                        author=author,
                    ),
                )
            except _REFUSED as error:
                st.error(common.md(f"{error}"))
            else:
                selection.update(task=made.task_id)
                common.announce(made.summary)


def live_interval(db: str, task_id: int, version: tuple) -> None:
    """The audit task's interval of the judge's accuracy as reviews came in, and how many
    audited queries would reach a target width."""
    if storage.team.get_audit(db, task_id) is None:
        return
    st.subheader("Audit estimate")
    target = st.number_input("Target interval width", 0.01, 1.0, 0.1, step=0.01, key="audit-target")
    try:
        progress = jobs.audit_progress(db, task_id, target_width=float(target))
    except _REFUSED as error:
        st.info(common.md(f"{error}"))
        return
    last = progress.curve.iloc[-1]
    now = _span(last.estimate, last.low, last.high)
    wanted = f"{progress.target_width:.2f}"
    reach = (
        f"A width of {wanted} is out of reach by auditing: the judge's own part is wider."
        if progress.needed is None
        else f"About {common.plural(progress.needed, 'audited query')} would make it {wanted} wide."
    )
    trust = (
        ""
        if last.trusted
        else f" Below {jobs.MIN_AUDITED_QUERIES} audited queries the interval is drawn but "
        "not to be trusted, and the estimate views refuse it."
    )
    st.caption(
        f"The judge's accuracy over all {common.plural(progress.population, 'query')}, "
        f"prediction-powered, after each audited query: now {now} from "
        f"{common.plural(int(last.audited), 'audited query')}. {reach}{trust}"
    )
    curve = progress.curve
    fig = go.Figure(
        [
            go.Scatter(x=curve["audited"], y=curve["high"], mode="lines", name="95% high"),
            go.Scatter(x=curve["audited"], y=curve["estimate"], mode="lines+markers",
                       name="prediction-powered"),
            go.Scatter(x=curve["audited"], y=curve["low"], mode="lines", name="95% low"),
        ]
    )  # fmt: skip
    fig.add_vline(x=jobs.MIN_AUDITED_QUERIES, line_dash="dot", line_color="grey")
    fig.update_layout(
        xaxis_title="audited queries (dotted: the minimum an estimate needs)",
        yaxis_title="judge accuracy (all queries)", height=300, margin={"t": 20},
    )  # fmt: skip
    st.plotly_chart(fig, key="audit-curve")
