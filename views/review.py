"""Review queue: one pair at a time as a card. Grade buttons, "unsure", a note and undo each
write a label event; re-judging runs the active run's judge again on this pair, the queue,
or every stale pair, and shows old and new grades side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import jobs
import judge
import storage
from views import _common as common
from views import _queue as queue

db = common.database()
dataset = common.require_dataset()
run_id = common.require_run()
run = common.run_record(db, dataset, run_id)
names = common.grade_names(db, dataset)

review = queue.current()
if review is None or review.run_id != run_id:
    queue.set_queue(run_id, storage.cell_pair_ids(db, run_id, disagreeing=True),
                    "every pair where the judge disagrees with the human label")
    review = queue.current()

st.title("Review queue")
st.caption(f"Run {common.run_title(run)}: "
           f"{common.md(review.title)}, "
           f"{len(review.pair_ids):,} pairs.")
author = st.text_input("Reviewer", value="reviewer", key="reviewer", persist_state="session")
if not review.pair_ids:
    st.info("Nothing to review here: pick a cell on the Confusion browser page.")
    st.stop()


def _text_field(label: str, value: object) -> None:
    st.caption(label)
    st.text("" if value is None or pd.isna(value) else str(value))


def _grade_name(grade: object) -> str:
    return "none" if grade is None or pd.isna(grade) else names.get(int(grade), str(grade))


def _review(pair_id: int, **event: object) -> None:
    note = st.session_state.get(f"note-{pair_id}") or None
    try:
        storage.record_review(db, pair_id, author=author, note=note, **event)
    except storage.StoreError as error:
        st.session_state["review-error"] = str(error)
        return
    review.reviewed_current()


def _save_note(pair_id: int) -> None:
    note = st.session_state.get(f"note-{pair_id}")
    if note:
        storage.record_review(db, pair_id, author=author, note=note)


def _undo() -> None:
    pair_id = review.back_to_last_reviewed()
    if storage.undo_last_review(db, pair_id, author=author) is None:
        st.session_state["review-error"] = f"pair {pair_id} has no review to undo"


def _show_pair(card: dict) -> None:
    st.subheader(common.md(card["query"] or ""))
    _text_field("Query class", card["query_class"])
    _text_field("Product name", card["product_name"])
    _text_field("Product class", card["product_class"])
    _text_field("Category hierarchy", card["category_hierarchy"])
    _text_field("Product description", card["product_description"])
    for key, value in card["extra_fields"].items():
        _text_field(key, value)
    st.caption(common.md(f"pair {card['pair_id']} · query {card['query_id']} · "
                         f"product {card['doc_id']} · split {card['split'] or 'unassigned'}"))


def _show_labels(card: dict) -> None:
    label = card["label"] or {}
    st.metric("Human label", _grade_name(label.get("grade")),
              help="the newest label event that is not undone")
    if label.get("unsure"):
        st.warning("marked unsure")
    if label.get("note"):
        _text_field("Note", label["note"])
    history = pd.DataFrame(card["history"])
    if len(history):
        history["grade"] = history["grade"].map(_grade_name)
        st.dataframe(history[["event_id", "created_at", "source", "author", "grade", "unsure",
                              "note", "reverted"]], hide_index=True)


def _show_judgment(judgment: dict | None) -> None:
    if judgment is None:
        st.info("This run has no judgment for this pair.")
        return
    st.metric("Judge", _grade_name(judgment["grade"]),
              help=f"parse status {judgment['parse_status']}")
    if judgment["stale"]:
        st.warning("stale: the label or the product changed after this judgment")
    for grade, p in zip(names, judgment["probs"] or []):
        st.progress(min(max(float(p), 0.0), 1.0), text=common.md(f"{names[grade]}: {p:.1%}"))
    if judgment["expected_grade"] is not None:
        st.caption(f"expected grade {judgment['expected_grade']:.2f} · "
                   f"confidence {judgment['confidence']:.2f}")
    if judgment["error"]:
        st.error(common.md(judgment["error"]))
    st.caption("Raw model output")
    st.code(judgment["raw_output"] or "", language=None, wrap_lines=True)


def _actions(pair_id: int) -> None:
    buttons = st.columns(len(names) + 2)
    for i, (col, (grade, name)) in enumerate(zip(buttons, names.items()), start=1):
        col.button(common.md(name), key=f"grade-{pair_id}-{grade}", shortcut=str(i),
                   width="stretch", on_click=_review, args=(pair_id,), kwargs={"grade": grade})
    buttons[-2].button("Unsure", key=f"unsure-{pair_id}", shortcut="U", width="stretch",
                       on_click=_review, args=(pair_id,), kwargs={"unsure": True})
    buttons[-1].button("Undo", key="undo", shortcut="Z", width="stretch", on_click=_undo)
    note, save = st.columns([4, 1], vertical_alignment="bottom")
    note.text_input("Note (saved with the next grade, or on its own)", key=f"note-{pair_id}")
    save.button("Save note", key=f"save-note-{pair_id}", on_click=_save_note, args=(pair_id,))


def _rejudge(settings: judge.JudgeSettings, pair_ids: list[int]) -> None:
    bar = st.progress(0.0, text=f"re-judging {len(pair_ids)} pairs…")

    def progress(p) -> None:
        bar.progress(p.done / max(p.total, 1), text=f"{p.done}/{p.total} pairs, "
                     f"{p.pairs_per_s:.1f} pairs/s")

    try:
        results = jobs.rejudge_pairs(db, run_id, pair_ids, backend=common.backend_for(settings),
                                     api_key=st.session_state.get("api-key") or None,
                                     on_progress=progress)
    except (judge.JudgeError, storage.StoreError) as error:
        st.error(common.md(f"re-judging failed: {error}"))
        return
    st.session_state["rejudged"] = pd.DataFrame(
        {"pair": [r.pair_id for r in results],
         "old grade": [_grade_name(r.old_grade) for r in results],
         "new grade": [_grade_name(r.new_grade) for r in results],
         "changed": [r.old_grade != r.new_grade for r in results]}
    )
    st.rerun()  # redraw the card, the counts and the stale list with the new judgments


def _rejudge_controls(pair_id: int) -> None:
    st.divider()
    if settings is None:
        st.caption(common.md(f"This run cannot be judged again here: {unjudgeable}"))
        return
    stale = storage.stale_pair_ids(db, run_id)
    c1, c2, c3 = st.columns(3)
    if c1.button("Re-judge this pair", key=f"rejudge-{pair_id}"):
        _rejudge(settings, [pair_id])
    if c2.button(f"Re-judge the queue ({len(review.pair_ids):,})", key="rejudge-queue"):
        _rejudge(settings, review.pair_ids)
    if c3.button(f"Re-judge stale pairs ({len(stale):,})", key="rejudge-stale",
                 disabled=not stale):
        _rejudge(settings, stale)
    if "rejudged" in st.session_state:
        st.caption("Last re-judge: old and new grade")
        st.dataframe(st.session_state["rejudged"], hide_index=True)


@st.fragment
def review_card() -> None:
    pair_id = review.pair_id
    nav = st.columns([1, 1, 4], vertical_alignment="center")
    nav[0].button("◀ Previous", key="previous", on_click=review.move, args=(-1,),
                  shortcut="Left", disabled=review.position == 0)
    nav[1].button("Next ▶", key="next", on_click=review.move, args=(1,), shortcut="Right",
                  disabled=review.position == len(review.pair_ids) - 1)
    nav[2].progress((review.position + 1) / len(review.pair_ids),
                    text=f"pair {review.position + 1} of {len(review.pair_ids):,}")
    if error := st.session_state.pop("review-error", None):
        st.error(common.md(error))
    card = storage.review_card(db, pair_id, run_id)
    with st.container(border=True):
        pair_col, label_col, judge_col = st.columns([3, 2, 2])
        with pair_col:
            _show_pair(card)
        with label_col:
            _show_labels(card)
        with judge_col:
            _show_judgment(card["judgment"])
        _actions(pair_id)
    _rejudge_controls(pair_id)


try:
    settings, unjudgeable = jobs.settings_for_run(db, run_id), None
except judge.JudgeError as error:  # a run imported from another tool
    settings, unjudgeable = None, error
if settings is not None and settings.backend is not judge.Backend.LLAMA_CPP:
    st.text_input("API key for this run's endpoint (kept for this session only)",
                  type="password", key="api-key")
review_card()
