"""Team review: review tasks (pairs drawn by a strategy, each reviewer's own queue, an overlap
graded blind by two reviewers), the adjudication of the pairs those two disagreed on, how far
the team agrees (and the judge with it), and the dataset's guideline and allowed reviewers.

The task shown is kept in the URL (`task`). Grading happens on the Review queue page, in the
task's queue ("Review my queue"), so the card is the same everywhere; in a blind task it hides
the judge's grade and the other labels until this reviewer has graded the pair.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd
import streamlit as st

import jobs
import metrics
import storage
from views import _common as common
from views import _estimates as estimates
from views import _queue as queue
from views import _reviewer as reviewing
from views import _selection as selection
from views._selection import Queue, QueueKind
from words import span

db = common.database()
dataset = common.require_dataset()
names = common.grade_names(db, dataset)
chosen = selection.current()
run_id = chosen.run_id

st.title("Team review")
st.caption(
    "Give pairs to reviewers as tasks, let two of them grade an overlap blind, settle their "
    "disagreements, and see how far the team agrees and where the judge stands among them."
)
common.show_announcement()
name = reviewing.reviewer(db, dataset)


def _grade_name(grade: float | None) -> str:
    return "" if grade is None or pd.isna(grade) else names.get(int(grade), str(grade))


# Tasks ------------------------------------------------------------------------------------
tasks = storage.team.list_tasks(db, dataset)
offered, fresh = reviewing.offered_pairs()  # pairs another page made a task of
if fresh and offered is not None:
    st.session_state["task-from"] = "pairs"
    st.session_state["task-size"] = len(offered.ids)
elif offered is None and st.session_state.get("task-from") == "pairs":  # another dataset's
    st.session_state["task-from"] = "all"
st.session_state.setdefault("task-size", 50)


def _new_task() -> None:
    state = st.session_state
    if not name:
        state["task-error"] = reviewing.NO_NAME
        return
    kind = state["task-from"]
    value = (state.get("task-from-value") or "").strip()
    try:
        if kind == "queries":
            listed = [q.strip() for q in value.split(",") if q.strip()]
            pair_set = storage.team.PairSet(storage.team.PairSetKind.QUERIES, ids=tuple(listed))
        elif kind == "pairs":
            still_offered, _ = reviewing.offered_pairs()
            if still_offered is None:
                raise storage.StoreError("the offered pairs are gone: offer them again")
            pair_set = still_offered
        else:
            pair_set = storage.team.PairSet(storage.team.PairSetKind(kind), value)
        plan = jobs.TaskPlan(
            dataset=dataset,
            name=state["task-name"],
            pair_set=pair_set,
            strategy=storage.team.Strategy(state["task-strategy"]),
            size=int(state["task-size"]),
            reviewers=tuple(r for r in state["task-reviewers"].split(",") if r.strip()),
            overlap=float(state["task-overlap"]) / 100,
            blind=bool(state["task-blind"]),
            seed=int(state["task-seed"]),
            run_id=run_id,
            author=name,
        )
        made = jobs.create_task(db, plan)
    except storage.StoreError as error:
        state["task-error"] = str(error)
        return
    if kind == "pairs":
        reviewing.drop_offered_pairs()
        state["task-from"] = "all"
    selection.update(task=made.task_id)
    state["task-made"] = made


with st.expander("New task", expanded=tasks.empty or fresh):
    left, middle, right = st.columns(3)
    left.text_input("Name", key="task-name", placeholder="week 1")
    left.text_input("Reviewers (comma-separated)", key="task-reviewers", placeholder="ana,bo,cy")
    sources = {
        "all": "every pair",
        "split": "a split",
        "cell": "a confusion cell of the active run",
        "queries": "a list of query ids",
    }
    if offered is not None:
        sources["pairs"] = f"the {common.plural(len(offered.ids), 'pair')} of {offered.value}"
    middle.selectbox("Pairs from", list(sources), key="task-from", format_func=sources.__getitem__)
    middle.text_input(
        "Split name, cell (human_judge, e.g. 2_0) or query ids (comma-separated)",
        key="task-from-value",
        disabled=st.session_state.get("task-from") == "pairs",
    )
    right.selectbox(
        "Strategy",
        [s.value for s in storage.team.Strategy],
        # severe, confident and uncertainty read a judge run: with none, random is the choice
        index=list(storage.team.Strategy).index(storage.team.Strategy.RANDOM)
        if run_id is None
        else 0,
        key="task-strategy",
        help="severe: human Exact judged Irrelevant and back first; confident: judge "
        "confidence x grade distance; uncertainty: entropy of the judge's probabilities; "
        "stratified: by query class; random",
    )
    right.number_input("Pairs", min_value=1, step=10, key="task-size")
    first, second, third = st.columns(3)
    first.slider("Overlap (% of pairs given to two reviewers)", 0, 100, 30, key="task-overlap")
    second.number_input("Seed", min_value=0, value=0, key="task-seed")
    third.checkbox("Blind (hide the judge and other labels until graded)", True, key="task-blind")
    st.button("Create task", key="task-create", on_click=_new_task, type="primary")
    if error := st.session_state.pop("task-error", None):
        st.error(common.md(error))

estimates.audit_form(db, dataset, name, run_id)

if made := st.session_state.pop("task-made", None):
    (st.info if made.short else st.success)(common.md(made.summary))
if tasks.empty:
    st.info("No review task yet: create one above.")
else:
    st.dataframe(
        tasks[["task_id", "name", "pair_set", "strategy", "blind", "overlap", "pairs", "items",
               "done", "median_seconds", "to_adjudicate", "adjudicated", "created_at"]],
        hide_index=True,
        key="task-table",
        column_config={
            "overlap": st.column_config.NumberColumn("overlap", format="percent"),
            "median_seconds": st.column_config.NumberColumn("median s / pair", format="%.1f"),
            "task_id": st.column_config.NumberColumn("task_id", format="%d", width=70),
            "name": st.column_config.TextColumn("name", width=120),
            "created_at": st.column_config.DatetimeColumn(
                "created_at", format="YYYY-MM-DD HH:mm", width=135
            ),
            **{c: st.column_config.NumberColumn(c, width=60) for c in ("done", "items", "pairs")},
        },
        column_order=("task_id", "name", "created_at", "done", "items", "pairs", "pair_set",
                      "strategy", "blind", "overlap", "median_seconds", "to_adjudicate",
                      "adjudicated"),
    )  # fmt: skip


# Guideline and reviewers: shown whether or not the dataset has a task yet -----------------
def _save_guideline() -> None:
    text = st.session_state.get("guideline-text") or ""
    try:
        storage.team.save_guideline(db, dataset, text, author=name)
    except storage.StoreError as error:
        st.session_state["guideline-error"] = str(error)


def guideline_section() -> None:
    st.subheader("Guideline")
    current = storage.team.guideline(db, dataset)
    owner = storage.team.guideline_owner(db, dataset)
    st.caption(
        common.md(
            "Every save is a new version, and each label records the version in force. "
            + (
                f"Owner: {owner}, who alone saves new versions."
                if owner
                else "The first reviewer who saves it under their name owns it from then on."
            )
        )
    )
    if current is not None:
        st.caption(f"Version {current.version} by {current.author or 'unknown'}")
        st.markdown(current.text)  # the team's own markdown; Streamlit escapes raw HTML
    st.text_area(
        "Edit the guideline (markdown: what Exact, Partial and Irrelevant mean, with examples)",
        value="" if current is None else current.text,
        key="guideline-text",
    )
    st.button(
        "Save as a new version",
        key="guideline-save",
        on_click=_save_guideline,
        disabled=owner is not None and name != owner,
    )
    if error := st.session_state.pop("guideline-error", None):
        st.error(common.md(error))


# The lists change by their owner's hand; who that is does not depend on being listed.
actor = reviewing.current()


def _save_list(key: str, save: Callable[..., list[str]]) -> None:
    text = st.session_state.get(key) or ""
    try:
        save(db, dataset, text.split(","), actor=actor)
    except storage.StoreError as error:
        st.session_state["reviewers-error"] = str(error)


def reviewers_section() -> None:
    lists_owner = storage.team.dataset_owner(db, dataset)
    st.subheader("Reviewers")
    st.caption(
        common.md(
            f"Owner: {lists_owner}, who alone changes these lists."
            if lists_owner
            else "The first reviewer who sets either list owns both from then on."
        )
        + ("" if reviewing.login_configured() else " Names are self-declared: nothing checks them.")
    )
    not_owner = lists_owner is not None and actor != lists_owner
    lists = (
        ("allowed-reviewers", "Allowed reviewers (comma-separated; empty: anyone may review)",
         storage.team.allowed_reviewers, storage.team.set_allowed_reviewers),
        ("adjudicators", "Adjudicators (comma-separated; empty: any reviewer who is not a "
         "party to the dispute)", storage.team.adjudicators, storage.team.set_adjudicators),
    )  # fmt: skip
    for key, label, read, save in lists:
        st.session_state[key] = ", ".join(read(db, dataset))
        st.text_input(label, key=key, on_change=_save_list, args=(key, save), disabled=not_owner)
    if error := st.session_state.pop("reviewers-error", None):
        st.error(common.md(error))


task_ids = [int(t) for t in tasks["task_id"]]
if chosen.task is not None and chosen.task not in task_ids:
    st.error(f"Task {chosen.task} is not a task of “{common.md(dataset)}”: showing its own tasks.")
shown = chosen.task if chosen.task in task_ids else (task_ids[0] if task_ids else None)
if shown != chosen.task:
    selection.update(task=shown)
    selection.publish()
if shown is None:
    guideline_section()
    reviewers_section()
    st.stop()
titles = dict(zip(task_ids, tasks["name"]))


def _pick_task() -> None:
    selection.update(task=st.session_state["team-task"])


st.session_state["team-task"] = shown
st.selectbox(
    "Task",
    task_ids,
    key="team-task",
    format_func=lambda t: f"#{t} {titles[t]}",
    on_change=_pick_task,
)
task = storage.team.get_task(db, shown)

# My queue and progress ----------------------------------------------------------------------
st.subheader("Progress")
progress = storage.team.task_progress(db, task.task_id)
st.dataframe(
    progress.drop(columns="task_id").rename(columns={"median_seconds": "median s / pair"}),
    hide_index=True,
    key="task-progress",
)
estimates.live_interval(db, task.task_id, storage.data_version(db))


def _open_my_queue(reviewer: str, start: int | None, card_run: int | None) -> None:
    task_id = task.task_id
    queue.open_queue(
        card_run,
        Queue(QueueKind.TASK, str(task_id)),
        lambda: storage.team.my_queue(db, task_id, reviewer)["pair_id"].tolist(),
        start=start,
    )


st.subheader("My queue")
if name is None:
    st.info(reviewing.NO_NAME)
else:
    mine = storage.team.my_queue(db, task.task_id, name)
    if mine.empty:
        st.info(common.md(f"Task #{task.task_id} gives {name} no pair."))
    else:
        upcoming = storage.team.next_item(db, task.task_id, name)
        done = int(mine["done"].sum())
        st.caption(
            f"{done} of {len(mine)} done"
            + ("" if upcoming is None else f"; next: pair {upcoming}")
            + (" · blind: the card hides the judge until you grade" if task.blind else "")
        )
        st.button(  # with no judge run active, the card shows the guideline in its place
            "Review my queue" if upcoming is not None else "Review my queue again",
            key="open-my-queue",
            on_click=_open_my_queue,
            args=(name, upcoming, run_id),
        )
        st.dataframe(
            mine.assign(grade=mine["grade"].map(_grade_name)),
            hide_index=True,
            key="my-queue",
        )

# Adjudication ---------------------------------------------------------------------------------
st.subheader("Adjudication")
disputes = storage.team.adjudication_queue(db, task.task_id)


def _adjudicate(pair_id: int, grade: int) -> None:
    if not name:
        st.session_state["adjudication-error"] = reviewing.NO_NAME
        return
    try:
        storage.record_review(
            db, pair_id, author=name, grade=grade, task_id=task.task_id, adjudication=True
        )
    except storage.StoreError as error:
        st.session_state["adjudication-error"] = str(error)


if error := st.session_state.pop("adjudication-error", None):
    st.error(common.md(error))
if disputes.empty:
    st.caption("No overlap pair with two different labels yet.")
for row in disputes.to_dict("records"):
    pair_id = int(row["pair_id"])
    with st.container(border=True, key=f"dispute-{pair_id}"):
        st.text(f"pair {pair_id} · {row['query']} · {row['product']}")
        a, b, final = st.columns([2, 2, 3])
        for col, side in ((a, "a"), (b, "b")):
            col.text(f"{row[f'reviewer_{side}']}: {_grade_name(row[f'grade_{side}'])}")
            if row[f"note_{side}"]:
                col.text(f"note: {row[f'note_{side}']}")
        if not pd.isna(row["final_grade"]):
            final.text(f"adjudicated: {_grade_name(row['final_grade'])}")
        buttons = final.columns(len(names))
        for col, (grade, label) in zip(buttons, names.items()):
            col.button(
                label,
                key=f"adjudicate-{pair_id}-{grade}",
                on_click=_adjudicate,
                args=(pair_id, grade),
            )

# Agreement ------------------------------------------------------------------------------------
st.subheader("Agreement")


def _number(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.2f}"


def _interval(low: float, high: float) -> str:
    return f"95% interval {_number(low)} to {_number(high)}"


whole = st.toggle(
    "Over every task of the dataset (and the named annotators' imported labels)",
    key="agreement-whole",
)
try:
    agreement = jobs.team_agreement(
        db, dataset, task_id=None if whole else task.task_id, run_id=run_id
    )
except metrics.MetricsInputError as error:
    st.info(common.md(f"Not enough double labels for agreement yet: {error}"))
else:
    one, two, three = st.columns(3)
    one.metric(
        "Krippendorff's alpha, ordinal",
        _number(agreement.alpha_ordinal),
        help=_interval(*agreement.alpha_ordinal_ci),
    )
    one.caption(_interval(*agreement.alpha_ordinal_ci))
    two.metric(
        "Krippendorff's alpha, nominal",
        _number(agreement.alpha_nominal),
        help=_interval(*agreement.alpha_nominal_ci),
    )
    two.caption(_interval(*agreement.alpha_nominal_ci))
    three.metric("Pairs graded by two or more", agreement.n_units)
    three.caption(common.plural(agreement.n_raters, "reviewer"))
    st.dataframe(agreement.pairwise, hide_index=True, key="agreement-pairs")
    low, high = agreement.human_range
    if agreement.judge_in_human_range is None:
        st.caption(
            "With a judge run active and two reviewers on the same pairs, the judge's kappa "
            "with each reviewer is set beside the reviewers' kappa with each other."
        )
    else:
        verdict = (
            "which reaches the reviewers' agreement with each other, so on these pairs it "
            "grades about as consistently as one of them"
            if agreement.judge_in_human_range
            else "below the reviewers' agreement with each other, so on these pairs it does "
            "not yet grade like one of them"
        )
        st.caption(
            f"Reviewers agree with each other at quadratic kappa {span(low, high)}; "
            f"the judge (run #{run_id}) agrees with them at {_number(agreement.judge_kappa)} "
            f"on average, {verdict}."
        )

guideline_section()
reviewers_section()
