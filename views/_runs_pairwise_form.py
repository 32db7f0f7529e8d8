"""The Runs page's pairwise form: a pairwise template, a plan (sampled per query, or a
confusion cell of a graded run against an Exact of each query) and the backend."""

from __future__ import annotations

import streamlit as st

import jobs
import judge
import storage
from views import _common as common
from views import _runs_jobs as runs_jobs
from views._runs_backend import backend_settings, priced_model

SAMPLED, CELL = "Sampled per query", "Confusion cell vs an Exact"
CELL_REQUEST = "pairwise-cell"  # (run, human, judge) the Confusion page asks to compare


def _pairwise_plan(
    db: str, dataset: str, scale: storage.Scale
) -> tuple[judge.ComparisonPlan, jobs.CellTarget | None, int | None] | None:
    """The comparison plan the form says: its budget, or a confusion cell of a graded run;
    and how many queries a sampled plan covers. None when a cell plan has no run to use."""
    how = st.segmented_control(
        "Compare",
        [SAMPLED, CELL],
        default=None if "pw-plan" in st.session_state else SAMPLED,
        required=True,
        key="pw-plan",
    )
    c1, c2, c3 = st.columns(3)
    if how == SAMPLED:
        per_product = c1.number_input(
            "Comparisons per product", 0.5, 10.0, judge.ComparisonPlan().per_product, step=0.5,
            key="pw-per-product", help="a query of n products gets at most this many x n",
        )  # fmt: skip
        queries = c2.number_input(
            "Queries (first by id)", 1, 100_000, 3, key="pw-max-queries",
            help="each comparison is judged twice: start small on a CPU",
        )  # fmt: skip
        seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="pw-seed")
        plan = judge.ComparisonPlan(per_product=float(per_product), seed=int(seed))
        return plan, None, int(queries)
    graded = storage.list_runs(db, dataset)
    labels = {int(r["run_id"]): common.run_label(r) for r in graded.to_dict("records")}
    if not labels:
        st.info("A cell plan needs a graded run of this dataset: start one first.")
        return None
    run = c1.selectbox(
        "Graded run", list(labels), format_func=labels.__getitem__, key="pw-cell-run"
    )
    grades = list(scale.grades)
    names = dict(zip(grades, scale.names, strict=True))

    def grade_name(grade: int) -> str:
        return f"{grade} {names[grade]}"

    human = c2.selectbox("Humans graded", grades, format_func=grade_name, key="pw-cell-human")
    judged = c3.selectbox("The run graded", grades, format_func=grade_name, key="pw-cell-judge")
    seed = st.number_input("Seed (which Exact is the reference)", 0, 2**31 - 1, 0, key="pw-seed")
    st.caption(
        "Each pair of the cell is compared with another product of its query that the humans "
        "graded Exact (never itself), in both orders; queries without one are skipped and "
        "counted."
    )
    return judge.ComparisonPlan(seed=int(seed)), jobs.CellTarget(run, human, judged), None


@st.cache_data(show_spinner=False, max_entries=16)
def _price(
    db: str,
    dataset: str,
    plan: judge.ComparisonPlan,
    cell: jobs.CellTarget | None,
    max_queries: int | None,
    version: tuple[int, ...],
    *,
    backend: str,
    model: str | None,
) -> jobs.Price:
    """`jobs.pairwise_price`, kept while the store is unchanged (`version`): planning reads
    every pair of the dataset, too slow to repeat at each change of the form."""
    return jobs.pairwise_price(
        db,
        dataset=dataset,
        plan=plan,
        cell=cell,
        max_queries=max_queries,
        backend=backend,
        model=model,
    )


def pairwise_start_section(db: str, dataset: str, scale: storage.Scale) -> None:
    busy = runs_jobs.busy(dataset)
    templates = {t.name: t for t in judge.list_pairwise_templates()}
    left, right = st.columns(2)
    name = left.selectbox("Pairwise template", list(templates), key="pw-template")
    run_name = right.text_input(
        "Run name", key="pw-name", placeholder="empty: a name from the plan"
    )
    st.caption(templates[name].description)
    planned = _pairwise_plan(db, dataset, scale)
    if planned is None:
        return
    plan, cell, max_queries = planned
    fields, api_key = backend_settings(pairwise=True)
    try:
        price = _price(
            db, dataset, plan, cell, max_queries, storage.write_version(db), **priced_model(fields)
        )
    except (storage.StoreError, judge.JudgeError) as error:
        st.error(common.md(error))
        return
    st.container(key="pw-price").caption(common.md(price))
    if busy:
        st.caption(busy)
    if not st.button(
        "Start pairwise run", type="primary", key="pw-start", disabled=busy is not None
    ):
        return
    what = "a sampled plan" if cell is None else f"cell {cell.human},{cell.judge} of #{cell.run_id}"
    runs_jobs.launch(
        dataset,
        f"pairwise run on {dataset} ({what})",
        storage.RunKind.PAIRWISE,
        lambda: judge.JudgeSettings(template=templates[name].text, **fields),
        api_key,
        lambda settings, control: jobs.judge_pairwise(
            db,
            dataset=dataset,
            settings=settings,
            plan=plan,
            cell=cell,
            max_queries=max_queries,
            name=run_name or None,
            control=control,
        ),
    )
