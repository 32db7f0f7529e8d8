"""Review queue: one pair at a time as a card. Grade buttons, "unsure", a note and undo each
write a label event; re-judging runs the active run's judge again on this pair, the queue,
or every stale pair, and shows old and new grades side by side."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st

import jobs
import judge
import storage
from views import _common as common
from views import _queue as queue
from views import _reviewer as reviewing
from views import _selection as selection
from views._selection import Queue, QueueKind

LONG_TEXT = 600  # characters of a field shown before "show all"
NO_RUN = (
    "No judge run yet, so there is no judge's grade to review. Start one on the Runs page "
    "(the lexical baseline trains in seconds), find pairs above to label them without a "
    "judge, or open a review task on the Team review page."
)

db = common.database()
dataset = common.require_dataset()
chosen = selection.current()
# A review task's queue: this reviewer's items of the task, blind if the task is. It needs no
# judge run (blind review of human labels is the usual case), nor does a search, which finds
# pairs by their text: the card then has no judge.
try:  # a link to another dataset's task finds none: its items are not this dataset's to show
    task = (
        storage.team.get_task(db, chosen.queue.value, dataset)
        if chosen.queue.kind is QueueKind.TASK
        else None
    )
except storage.NotFoundError as error:
    st.error(common.md(f"{error}: open a task of “{dataset}” on the Team review page."))
    st.stop()
_RUN_LESS = (QueueKind.TASK, QueueKind.SEARCH)
run_id = common.active_run()  # without one, the other queues are empty: the search still works
run = None if run_id is None else common.get_run(db, run_id)
names = common.grade_names(db, dataset)
author = reviewing.reviewer(db, dataset)  # the sidebar's, when allowed on this dataset


def _pair_ids(spec: Queue) -> list[int]:
    """The pairs of the queue `spec` over the active run, in review order."""
    if spec.kind is QueueKind.SEARCH:
        filters = storage.PairFilters(text=spec.value)
        return storage.search_pair_ids(db, dataset, run_id=run_id, filters=filters)
    if spec.kind is QueueKind.QUERY:
        return storage.query_pairs(db, dataset, spec.value, run_id=run_id)["pair_id"].tolist()
    if spec.kind is QueueKind.TASK:
        mine = storage.team.my_queue(db, int(spec.value), author) if author else None
        return [] if mine is None else mine["pair_id"].tolist()
    if run_id is None:  # only the run-less kinds above come here without a run
        return []
    if spec.kind is QueueKind.CELL:
        cell = selection.parse_cell(spec.value)
        if cell is None:  # a hand-edited link: an empty queue says to pick a cell
            return []
        human, judge = cell
        return storage.cell_pair_ids(db, run_id, human=human, judge=judge)
    return storage.cell_pair_ids(db, run_id, disagreeing=True)


def _in_dataset(pair_id: int) -> bool:
    try:
        return storage.pair_dataset(db, pair_id) == dataset
    except storage.NotFoundError:
        return False


wanted = chosen.pair_id  # from a link, a jump, or the queue's own cursor
kept = queue.current()
queued_for = st.session_state.get("_review-queue-author")  # a task queue is the reviewer's own
if (
    kept is not None
    and kept.run_id == run_id
    and kept.queue == chosen.queue
    and (task is None or queued_for == author)
):
    review = kept
else:
    if task is not None and wanted is None and author:
        wanted = storage.team.next_item(db, task.task_id, author)
    review = queue.set_queue(run_id, chosen.queue, _pair_ids(chosen.queue), start=wanted)
    st.session_state["_review-queue-author"] = author
if wanted is not None and wanted != review.pair_id:
    if _in_dataset(wanted):  # a link or a jump to a pair outside the queue
        review.go_to(wanted)
    else:
        st.warning(f"Pair {wanted} is not in the dataset “{common.md(dataset)}”.")
        selection.update(pair_id=review.pair_id)
selection.publish()

st.title("Review queue")
if run is not None or chosen.queue.kind in _RUN_LESS:
    st.caption(
        ("No judge run" if run is None else f"Run {common.run_title(run)}")
        + f": {common.md(queue.describe(review.queue, names))}, "
        f"{common.plural(len(review.pair_ids), 'pair')}."
    )


_LEFT = "review-left-for-search"  # the queue and pair a search left, to come back to


def _search() -> None:
    """Make the search the queue; an emptied search goes back to the queue it left, at the
    pair the reviewer was on (a task's queue has no other way back on a run-less dataset)."""
    text = st.session_state["review-search"].strip()
    owned = selection.owned()
    if not text:
        queue_left, pair_left = owned.pop(_LEFT, (Queue(), None))
        selection.update(queue=queue_left, pair_id=pair_left)
        return
    if review.queue.kind is not QueueKind.SEARCH:
        owned[_LEFT] = (review.queue, review.pair_id)
    selection.update(queue=Queue(QueueKind.SEARCH, text), pair_id=None)


def _jump() -> None:
    pair_id = st.session_state["jump-pair"]
    if pair_id is None:
        return
    if _in_dataset(int(pair_id)):
        selection.update(pair_id=int(pair_id))
    else:
        st.session_state["review-error"] = (
            f"pair {int(pair_id)} is not a pair of the dataset “{dataset}”"
        )


find, jump = st.columns([4, 1], vertical_alignment="bottom")
searching = chosen.queue.kind is QueueKind.SEARCH
st.session_state["review-search"] = chosen.queue.value if searching else ""
find.text_input(
    "Find pairs (query or product text): the queue becomes the results",
    key="review-search",
    on_change=_search,
)
jump.number_input(
    "Jump to pair id", min_value=1, step=1, value=None, key="jump-pair", on_change=_jump
)
if task is not None and not author:
    st.info(reviewing.NO_NAME)
    st.stop()
if run_id is None and chosen.queue.kind not in _RUN_LESS:
    st.info(NO_RUN)
    st.stop()
if not review.pair_ids:
    st.info("Nothing to review here: pick a cell on the Confusion browser page, or search.")
    st.stop()


def _text_field(label: str, value: object) -> None:
    """A field as plain text; a long one (a 12,000-character description) is cut with its
    full text one click away, so the grade buttons stay in view."""
    text = "" if value is None or pd.isna(value) else str(value)
    if not text.strip():  # an empty field is left out rather than shown as a blank
        return
    st.caption(label)
    if len(text) <= LONG_TEXT:
        st.text(text)
        return
    st.text(text[:LONG_TEXT].rstrip() + " …")
    with st.expander(f"Show all {len(text):,} characters"):
        st.text(text)


def _grade_name(grade: float | None) -> str:
    return "none" if grade is None or pd.isna(grade) else names.get(int(grade), str(grade))


_ACTION = "review-action"


def _later(action: Callable[[], None]) -> None:
    """A card button's callback: leave `action` to the card's run that the click starts,
    which does it in its store session. A callback runs before that session opens, and a
    store call here would open a connection of its own: one more per click."""
    st.session_state[_ACTION] = action


def _task_for(pair_id: int) -> int | None:
    """The task a grade of `pair_id` counts for: the queue's; on any other queue, a blind task
    in which this reviewer still owes the pair their independent label, so that a search or
    a jump that reaches it finds its card as blind as the task's queue shows it."""
    if task is not None:
        return task.task_id
    return storage.team.owed_blind_task(db, pair_id, author) if author else None


def _review(pair_id: int, *, grade: int | None = None, unsure: bool = False) -> None:
    if not author:
        st.session_state["review-error"] = reviewing.NO_NAME
        return
    note = st.session_state.get(f"note-{pair_id}") or None
    task_id = _task_for(pair_id)
    try:
        storage.record_review(
            db, pair_id, author=author, grade=grade, unsure=unsure, note=note, task_id=task_id
        )
    except storage.StoreError as error:
        st.session_state["review-error"] = str(error)
        return
    st.session_state[f"note-{pair_id}"] = ""  # stored: the next grade does not send it again
    review.reviewed_current()


def _save_note(pair_id: int) -> None:
    note = st.session_state.get(f"note-{pair_id}")
    if not note:
        return
    if not author:
        st.session_state["review-error"] = reviewing.NO_NAME
        return
    try:
        storage.record_review(db, pair_id, author=author, note=note, task_id=_task_for(pair_id))
    except storage.StoreError as error:
        st.session_state["review-error"] = str(error)
        return
    st.session_state[f"note-{pair_id}"] = ""  # stored once: the next grade does not repeat it


def _undo() -> None:
    if not author:
        st.session_state["review-error"] = reviewing.NO_NAME
        return
    pair_id = review.back_to_last_reviewed()
    if pair_id is None:  # an empty queue: the page stops before its card
        return
    try:
        undone = storage.undo_last_review(db, pair_id, author=author)
    except storage.StoreError as error:
        st.session_state["review-error"] = str(error)
        return
    if undone is None:
        st.session_state["review-error"] = f"pair {pair_id} has no review of yours to undo"


def _show_pair(card: storage.ReviewCard) -> None:
    st.subheader(common.md(card.query or ""))
    _text_field("Query class", card.query_class)
    _text_field("Product name", card.product_name)
    _text_field("Product class", card.product_class)
    _text_field("Category hierarchy", card.category_hierarchy)
    _text_field("Product description", card.product_description)
    for key, value in card.extra_fields.items():
        _text_field(key, value)
    if card.withheld:
        gone = ", ".join(f"{name} ({why})" for name, why in card.withheld.items())
        st.caption(common.md(f"Not shown on a blind card, since it gives the label away: {gone}"))
    st.caption(
        common.md(
            f"pair {card.pair_id} · query {card.query_id} · "
            f"product {card.doc_id} · split {card.split or 'unassigned'}"
        )
    )


def _show_labels(card: storage.ReviewCard) -> None:
    label = card.label
    st.metric(
        "Human label",
        _grade_name(label.grade if label else None),
        help="the newest label event that is not undone",
    )
    if label and label.unsure:
        st.warning("marked unsure")
    if label and label.note:
        _text_field("Note", label.note)


def _show_history(card: storage.ReviewCard) -> None:
    """Every label event of the pair, across the card's width so who, what and why show."""
    history = pd.DataFrame(card.history)
    if len(history):
        history["grade"] = [
            f"{_grade_name(grade)} restored" if source == "revert" else _grade_name(grade)
            for grade, source in zip(history["grade"], history["source"])
        ]
        st.caption("History, newest first")
        st.dataframe(
            history.iloc[::-1],
            hide_index=True,
            column_order=[
                "grade",
                "author",
                "created_at",
                "source",
                "note",
                "unsure",
                "reverted",
                "event_id",
            ],
            column_config={
                "grade": st.column_config.TextColumn("grade", width="small"),
                "author": st.column_config.TextColumn("by", width="small"),
                "source": st.column_config.TextColumn("source", width="small"),
                "note": st.column_config.TextColumn("note", width="medium"),
                "unsure": st.column_config.CheckboxColumn("unsure", width="small"),
                "reverted": st.column_config.CheckboxColumn("undone", width="small"),
                "created_at": st.column_config.DatetimeColumn(
                    "when", format="YYYY-MM-DD HH:mm", width=130
                ),
                "event_id": st.column_config.NumberColumn("event", width="small"),
            },
        )


def _show_judgment(judgment: storage.CardJudgment | None) -> None:
    if judgment is None:
        st.info("This run has no judgment for this pair.")
        return
    st.metric("Judge", _grade_name(judgment.grade), help=f"parse status {judgment.parse_status}")
    if judgment.stale:
        st.warning("stale: the label or the product changed after this judgment")
    for grade, p in zip(names, judgment.probs or []):
        st.progress(min(max(float(p), 0.0), 1.0), text=common.md(f"{names[grade]}: {p:.1%}"))
    if judgment.expected_grade is not None:
        st.caption(
            f"expected grade {judgment.expected_grade:.2f} · confidence {judgment.confidence:.2f}"
        )
    if judgment.error:
        st.error(common.md(judgment.error))
    if judgment.reference_pair_id is not None:
        st.caption(f"Judged against pair #{judgment.reference_pair_id} as its reference")
    if judgment.endpoint is not None:
        st.caption(common.md(f"Answered by {judgment.endpoint}"))
    _text_field("Feedback", judgment.feedback)  # the model's text before its answer line
    if run is not None and run.backend in (jobs.BASELINE_BACKEND, jobs.STACK_BACKEND):
        # A learned judge writes no text: its raw_output names the cross-fitting fold.
        st.caption(
            common.md(
                "No model text: a logistic regression trained on the labels graded this "
                f"pair, the one of cross-fitting {judgment.raw_output}, which never saw "
                "this pair's query."
            )
        )
        return
    st.caption("Raw model output")
    st.code(judgment.raw_output or "", language=None, wrap_lines=True)


def _actions(pair_id: int) -> None:
    buttons = st.columns(len(names) + 2)
    for i, (col, (grade, name)) in enumerate(zip(buttons, names.items()), start=1):
        col.button(
            common.md(name),
            key=f"grade-{pair_id}-{grade}",
            shortcut=str(i),
            width="stretch",
            on_click=_later,
            args=(partial(_review, pair_id, grade=grade),),
        )
    buttons[-2].button(
        "Unsure",
        key=f"unsure-{pair_id}",
        shortcut="U",
        width="stretch",
        on_click=_later,
        args=(partial(_review, pair_id, unsure=True),),
    )
    buttons[-1].button(
        "Undo", key="undo", shortcut="Z", width="stretch", on_click=_later, args=(_undo,)
    )
    note, save = st.columns([4, 1], vertical_alignment="bottom")
    note.text_input("Note (saved with the next grade, or on its own)", key=f"note-{pair_id}")
    save.button(
        "Save note",
        key=f"save-note-{pair_id}",
        on_click=_later,
        args=(partial(_save_note, pair_id),),
    )


def _rejudge(settings: judge.JudgeSettings, run_id: int, pair_ids: list[int]) -> None:
    bar = st.progress(0.0, text=f"re-judging {len(pair_ids)} pairs…")

    def progress(p: judge.Progress) -> None:
        bar.progress(
            p.done / max(p.total, 1), text=f"{p.done}/{p.total} pairs, {p.pairs_per_s:.1f} pairs/s"
        )

    try:
        results = jobs.rejudge_pairs(
            db,
            run_id,
            pair_ids,
            control=jobs.RunControl(
                backend=common.backend_for(settings),
                api_key=st.session_state.get("api-key") or None,
                on_progress=progress,
            ),
        )
    except (judge.JudgeError, storage.StoreError) as error:
        st.error(common.md(f"re-judging failed: {error}"))
        return
    selection.owned()["rejudged"] = pd.DataFrame(
        {
            "pair": [r.pair_id for r in results],
            "old grade": [_grade_name(r.old_grade) for r in results],
            "new grade": [_grade_name(r.new_grade) for r in results],
            "changed": [r.old_grade != r.new_grade for r in results],
        }
    )
    st.rerun()  # redraw the card, the counts and the stale list with the new judgments


def _rejudge_controls(pair_id: int) -> None:
    if run_id is None:
        return
    st.divider()
    if settings is None:
        why = str(unjudgeable)
        st.caption(common.md(why[:1].upper() + why[1:]))
        return
    stale = common.stale_pair_ids(db, run_id)
    c1, c2, c3 = st.columns(3)
    if c1.button("Re-judge this pair", key=f"rejudge-{pair_id}"):
        _rejudge(settings, run_id, [pair_id])
    if c2.button(f"Re-judge the queue ({len(review.pair_ids):,})", key="rejudge-queue"):
        _rejudge(settings, run_id, review.pair_ids)
    if c3.button(f"Re-judge stale pairs ({len(stale):,})", key="rejudge-stale", disabled=not stale):
        _rejudge(settings, run_id, stale)
    prices = st.container(key="rejudge-price")
    prices.caption(
        common.md(f"Re-judge the queue: {jobs.rejudge_price(db, run_id, review.pair_ids)}")
    )
    if stale:
        prices.caption(common.md(f"Re-judge stale pairs: {jobs.rejudge_price(db, run_id, stale)}"))
    rejudged = selection.owned().get("rejudged")
    if rejudged is not None:
        st.caption("Last re-judge: old and new grade")
        st.dataframe(rejudged, hide_index=True)


@st.fragment
def review_card() -> None:
    with storage.session(db):  # a fragment rerun runs outside app.py's session
        if (action := st.session_state.pop(_ACTION, None)) is not None:
            action()
        _card()


def _next_cell() -> tuple[int, int, int] | None:
    """The disagreement cell after this queue's (human grade, then judge grade, wrapping
    round) that has pairs, with their count; None when there is none."""
    if run_id is None:
        return None
    counts = common.confusion_counts(db, run_id)
    cells = [
        (int(h), int(j), int(counts.loc[h, j]))
        for h in counts.index
        for j in counts.columns
        if h != j and counts.loc[h, j] > 0
    ]
    here = selection.parse_cell(review.queue.value) if review.queue.kind is QueueKind.CELL else None
    later = [c for c in cells if here is None or c[:2] > here]
    others = [c for c in cells if c[:2] != here]
    return next(iter(later or others), None)


def _finished() -> None:
    """The queue's last pair is reviewed: say so, and offer what comes next."""
    st.success(f"Queue finished: {common.plural(review.reviewed_count, 'pair')} reviewed.")
    offers = st.columns(3, vertical_alignment="center")
    if review.queue.kind is QueueKind.TASK:
        offers[0].page_link(queue.TEAM_PAGE, label="Your next task is on the Team review page")
    elif (cell := _next_cell()) is not None:
        human, judged, n = cell
        offers[0].button(
            common.md(f"Next cell: human {names[human]} × judge {names[judged]}"),
            key="review-next-cell",
            help=common.plural(n, "pair"),
            on_click=selection.update,
            kwargs={
                "queue": Queue(QueueKind.CELL, selection.format_cell((human, judged))),
                "pair_id": None,
            },
        )
    stale = [] if run_id is None else common.stale_pair_ids(db, run_id)
    if stale:
        offers[1].caption(
            f"{common.plural(len(stale), 'judgment')} of this run "
            f"{'is' if len(stale) == 1 else 'are'} stale: re-judge them below the card."
        )


def _show_guideline(*, open_: bool) -> None:
    """The dataset's guideline: open beside a blind card (where the judge would be), else
    one click away above it."""
    found = storage.team.guideline(db, dataset)
    if found is None:
        if open_:
            st.caption("No guideline for this dataset yet: write one on the Team review page.")
        return
    if open_:
        st.caption(f"Guideline (version {found.version})")
        st.markdown(found.text)  # the team's own markdown; Streamlit escapes raw HTML
    else:
        with st.expander(f"Guideline (version {found.version})"):
            st.markdown(found.text)


def _card() -> None:
    """The card of the queue's current pair. Blind (the judge's grade and probabilities and
    the pair's labels and history hidden) until this reviewer has given the pair their
    independent label, in a blind task's queue or wherever a pair they owe one is shown."""
    pair_id = review.pair_id
    if pair_id is None:  # the page stops on an empty queue before its card
        return
    if task is not None:
        hidden = task.blind and not (
            author and storage.team.has_labelled(db, task.task_id, pair_id, author)
        )
    else:
        hidden = _task_for(pair_id) is not None
    selection.publish()  # a fragment rerun skips app.py: keep the URL on the card shown
    nav = st.columns([1, 1, 4], vertical_alignment="center")
    nav[0].button(
        "◀ Previous",
        key="previous",
        on_click=review.move,
        args=(-1,),
        shortcut="Left",
        disabled=review.position == 0,
    )
    nav[1].button(
        "Next ▶",
        key="next",
        on_click=review.move,
        args=(1,),
        shortcut="Right",
        disabled=review.position == len(review.pair_ids) - 1,
    )
    nav[2].progress(
        (review.position + 1) / len(review.pair_ids),
        text=f"pair {review.position + 1} of {len(review.pair_ids):,}",
    )
    if error := st.session_state.pop("review-error", None):
        st.error(common.md(error))
    if review.finished:
        _finished()
    card = storage.review_card(db, pair_id, run_id, blind=hidden)
    if task is not None and not hidden and run_id is not None:
        _show_guideline(open_=False)
    with st.container(border=True):
        pair_col, label_col, judge_col = st.columns([3, 2, 2])
        with pair_col:
            _show_pair(card)
        if hidden:
            label_col.info(
                "Blind task: the judge's grade and the other labels show once you have "
                "graded this pair."
            )
            with judge_col:
                _show_guideline(open_=True)
        else:
            with label_col:
                _show_labels(card)
            with judge_col:
                if run_id is None:  # a task with no judge run: the guideline has its place
                    _show_guideline(open_=True)
                else:
                    _show_judgment(card.judgment)
        # The grades right under the pair, where a long history cannot push them down.
        _actions(pair_id)
        if not hidden:
            _show_history(card)
    if not hidden:
        _rejudge_controls(pair_id)


settings: judge.JudgeSettings | None = None
unjudgeable: judge.JudgeError | None = None
if run_id is not None:
    try:
        settings = common.settings_for_run(db, run_id)
    except judge.JudgeError as error:  # a run imported from another tool
        unjudgeable = error
if settings is not None and settings.spec.remote:
    st.text_input(
        "API key for this run's endpoint (kept for this session only)",
        type="password",
        key="api-key",
    )
review_card()
