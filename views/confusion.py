"""Confusion browser: the human x judge matrix of the active run; a click on a cell lists its
pairs a page at a time, sortable and filterable, and a click on a row opens the pair in the
review queue. Two more tabs find pairs another way: every product of one query with its human
and judge grades side by side, and a text search over the whole dataset."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pandas as pd
import streamlit as st

import storage
from views import _common as common
from views import _figures as figures
from views import _queue as review_queue
from views import _reviewer as reviewing
from views import _selection as selection
from views._selection import Queue, QueueKind

PAGE_SIZE = 50
ANY = "any"
TRISTATE = {ANY: None, "yes": True, "no": False}
STALE = {ANY: None, "stale only": True, "fresh only": False}
# Labels for the sort keys `storage.confusion_cell_pairs` takes (its `SortKey`).
SORTS: dict[str, Literal["confidence", "query", "product_name", "pair_id"]] = {
    "judge confidence": "confidence",
    "query": "query",
    "product name": "product_name",
    "pair id": "pair_id",
}
TABS = ["Matrix", "By query", "Search"]
PAIRWISE_CELL = "pairwise-cell"  # read by the Runs page's pairwise form
RUNS_PAGE = str(Path(__file__).resolve().parent / "runs.py")

db = common.database()
dataset = common.require_dataset()
run_id = common.require_run()
run = common.get_run(db, run_id)
names = common.grade_names(db, dataset)
version = storage.write_version(db)
chosen = selection.current()
# Blind means blind here too: the pairs this reviewer still owes a blind task's grade are
# left out of every list and count below until they have graded them.
viewer = reviewing.current()
owed = storage.team.owed_blind_pairs(db, dataset, viewer)

st.title("Confusion browser")
st.caption(
    f"Run {common.run_title(run)}: rows are the human label, columns the "
    "judge's grade. Click a cell to read its pairs, and a row to review that pair."
    + (
        f" {common.plural(len(owed), 'pair')} you still owe a blind task's grade "
        "are left out until you have graded them."
        if owed
        else ""
    )
)


def _set_search() -> None:
    selection.update(search=st.session_state["search-text"].strip())


def filters_form() -> storage.PairFilters:
    """The filters over the run's pairs; the search text is part of the selection (and URL)."""
    st.session_state["search-text"] = chosen.search
    st.text_input(
        "Search query and product text",
        key="search-text",
        on_change=_set_search,
        placeholder="words from the query, the product name or its description",
    )
    # Keys carry the dataset: a reviewer or query class of one dataset means nothing in another.
    with st.expander("Filters", expanded=False):
        c1, c2, c3, c4 = st.columns(4)
        query_class = c1.selectbox(
            "Query class",
            [ANY, *common.query_classes(db, dataset)],
            key=f"filter-class-{dataset}",
            persist_state="session",
        )
        split = c2.selectbox(
            "Split",
            [ANY, "train", "validation", "benchmark"],
            key=f"filter-split-{dataset}",
            persist_state="session",
        )
        low, high = c3.slider(
            "Judge confidence",
            0.0,
            1.0,
            (0.0, 1.0),
            step=0.05,
            key=f"filter-confidence-{dataset}",
            persist_state="session",
        )
        stale = c4.selectbox(
            "Stale judgments",
            list(STALE),
            key=f"filter-stale-{dataset}",
            persist_state="session",
            help="stale: the label or the product changed after the judgment",
        )
        c5, c6, c7, c8 = st.columns(4)
        reviewed = c5.selectbox(
            "Reviewed",
            list(TRISTATE),
            key=f"filter-reviewed-{dataset}",
            persist_state="session",
            help="a reviewer graded the pair (and did not undo it)",
        )
        unsure = c6.selectbox(
            "Marked unsure", list(TRISTATE), key=f"filter-unsure-{dataset}", persist_state="session"
        )
        note = c7.selectbox(
            "Has a note", list(TRISTATE), key=f"filter-note-{dataset}", persist_state="session"
        )
        reviewer = c8.selectbox(
            "Reviewer",
            [ANY, *common.reviewers(db, dataset)],
            key=f"filter-reviewer-{dataset}",
            persist_state="session",
        )
    return storage.PairFilters(
        query_class=None if query_class == ANY else query_class,
        split=None if split == ANY else storage.Split(split),
        min_confidence=None if low <= 0.0 else low,
        max_confidence=None if high >= 1.0 else high,
        stale=STALE[stale],
        text=chosen.search or None,
        reviewed=TRISTATE[reviewed],
        unsure=TRISTATE[unsure],
        has_note=TRISTATE[note],
        reviewer=None if reviewer == ANY else reviewer,
        blind_to=viewer if owed else None,
    )


def _open_cell(human: int, judge: int) -> None:
    selection.update(cell=(human, judge))


def _with_names(rows: pd.DataFrame) -> pd.DataFrame:
    """Grades by name, never bare numbers."""
    return rows.assign(**{c: rows[c].map(names) for c in ("human", "judge") if c in rows})


PAIR_COLUMNS = {
    "pair_id": st.column_config.NumberColumn("pair", format="%d", width=60),
    "query": st.column_config.TextColumn("query", width=150),
    "product_name": st.column_config.TextColumn("product", width=170),
    "human": st.column_config.TextColumn("human", width=85),
    "judge": st.column_config.TextColumn("judge", width=85),
    "confidence": st.column_config.ProgressColumn(
        "confidence", min_value=0.0, max_value=1.0, format="%.2f", width=95
    ),
    "stale": st.column_config.CheckboxColumn("stale", width=60),
    "split": st.column_config.TextColumn("split", width="small"),
}


def pair_table(
    rows: pd.DataFrame, key: str, columns: list[str], review: Callable[[int | None], None]
) -> None:
    """The rows as a table; a click on a row calls `review` with its pair id. It runs as the
    table's callback, before the next script run, so the page is not drawn again first."""

    def picked() -> None:
        clicked = st.session_state[key].selection.rows
        if clicked:
            review(int(rows["pair_id"].iloc[clicked[0]]))

    st.dataframe(
        _with_names(rows),
        hide_index=True,
        key=key,
        on_select=picked,
        selection_mode="single-row",
        column_order=columns,
        column_config=PAIR_COLUMNS,
    )


def paged_pairs(
    name: str,
    view: tuple,
    fetch: Callable[[int, int], storage.CellPage],
    columns: list[str],
    review: Callable[[int | None], None],
) -> int:
    """One page of pairs as a table with a pager below it; a click on a row or on "Review
    all" calls `review` (with the clicked pair id, or None). Each `view` (what is listed and
    how) has its own pager, so a new cell, filter or order starts on page 1. Returns the
    number of pairs in the whole view."""
    pager = f"{name}-page-{hash(view)}"
    page_no = st.session_state.get(pager, 1)
    page = fetch((page_no - 1) * PAGE_SIZE, PAGE_SIZE)
    if page.total == 0:
        return 0
    pair_table(page.rows, f"{name}-table-{pager}", columns, review)
    st.pagination(max(1, math.ceil(page.total / PAGE_SIZE)), key=pager)
    st.button(
        f"Review all {page.total:,}",
        key=f"review-{name}",
        type="primary",
        on_click=review,
        args=(None,),
    )
    return page.total


def open_in_review(queue: Queue, pair_id: int | None, pair_ids: Callable[[], list[int]]) -> None:
    """Review the pairs `pair_ids()` gives (the queue `queue`) from `pair_id`, on the Review
    queue page (a callback: the page switches from it, and the Review queue page's script
    run reads the pair ids)."""
    review_queue.open_queue(run_id, queue, pair_ids, start=pair_id)


def matrix_tab(filters: storage.PairFilters) -> None:
    counts = common.confusion_counts(db, run_id, filters=filters)
    grades = list(counts.index)
    cell = chosen.cell if chosen.cell is not None and set(chosen.cell) <= set(grades) else None
    matrix, heat = st.columns([3, 2])
    with matrix:
        header = st.columns(len(grades) + 1)
        header[0].markdown("**human ↓ / judge →**")
        for col, grade in zip(header[1:], grades):
            col.markdown(f"**{common.md(names[grade])}**")
        for human in grades:
            row = st.columns(len(grades) + 1)
            row[0].markdown(f"**{common.md(names[human])}**")
            total = int(counts.loc[human].sum())
            for col, judge in zip(row[1:], grades):
                n = int(counts.loc[human, judge])
                share = f" ({n / total:.0%})" if total else ""
                col.button(
                    f"{n:,}{share}",
                    key=f"cell-{human}-{judge}",
                    width="stretch",
                    type="primary" if cell == (human, judge) else "secondary",
                    disabled=n == 0,
                    on_click=_open_cell,
                    args=(human, judge),
                    help=common.md(f"human {names[human]}, judge {names[judge]}"),
                )
    with heat:
        st.plotly_chart(
            figures.confusion_heatmap(counts.to_numpy(), list(names.values())),
            key="confusion-heatmap",
        )
    if cell is None:
        st.info("Pick a cell to list its pairs.")
        return
    cell_section(cell, filters)


def cell_section(cell: tuple[int, int], filters: storage.PairFilters) -> None:
    human, judge = cell
    head, compare = st.columns([3, 1], vertical_alignment="bottom")
    head.subheader(common.md(f"Human {names[human]} × judge {names[judge]}"))
    if compare.button(
        "Compare with an Exact",
        key="cell-compare",
        help="a pairwise run: each pair of this cell against another product the humans "
        "graded Exact for its query (set up on the Runs page)",
    ):
        st.session_state[PAIRWISE_CELL] = (run_id, human, judge)
        st.switch_page(RUNS_PAGE, query_params={"runs-tab": "Start a run"})
    s1, s2, _ = st.columns([2, 1, 3])
    sort = s1.selectbox("Sort by", list(SORTS), key="cell-sort", persist_state="session")
    descending = s2.toggle("Descending", value=True, key="cell-descending", persist_state="session")
    queue = Queue(QueueKind.CELL, selection.format_cell(cell))

    def cell_ids() -> list[int]:
        return common.cell_pair_ids(db, run_id, human=human, judge=judge, filters=filters)

    total = paged_pairs(
        "cell",
        (run_id, cell, filters, sort, descending, version),
        lambda offset, limit: common.confusion_cell_pairs(
            db,
            run_id,
            human=human,
            judge=judge,
            filters=filters,
            sort=SORTS[sort],
            descending=descending,
            offset=offset,
            limit=limit,
        ),
        ["pair_id", "query", "product_name", "human", "judge", "split", "stale", "confidence"],
        lambda pair_id: open_in_review(queue, pair_id, cell_ids),
    )
    if total:
        st.caption(f"{common.plural(total, 'pair')}, {PAGE_SIZE} a page. Click a row to review it.")
        # Read now, with the cell on screen, what a click on a row reviews: the click's page
        # switch then shows the pair without reading the whole cell first.
        ids = cell_ids()
        if st.button(
            f"Make a review task of these {common.plural(len(ids), 'pair')}",
            key="cell-task",
            help="opens the Team page's New task form with the pairs listed here, with the "
            "search and filters above",
        ):
            filtered = "" if filters == storage.PairFilters() else ", filtered"
            reviewing.offer_pairs(
                storage.team.PairSet(
                    storage.team.PairSetKind.PAIRS,
                    f"cell {selection.format_cell(cell)} of run {run_id}{filtered}",
                    ids=tuple(ids),
                )
            )
    else:
        st.info("No pairs in this cell with these filters.")


def _pick_query() -> None:
    selection.update(query_id=st.session_state["query-pick"])


def query_tab() -> None:
    choices = storage.query_choices(db, dataset)
    if choices.empty:
        st.info("This dataset has no queries with pairs.")
        return
    labels = dict(
        zip(
            choices["query_id"],
            choices["query"]
            + " ("
            + choices["pairs"].map(lambda n: common.plural(n, "product"))
            + ")",
        )
    )
    if chosen.query_id in labels:
        st.session_state["query-pick"] = chosen.query_id
    st.selectbox(
        "Query",
        list(labels),
        format_func=labels.__getitem__,
        key="query-pick",
        index=None,
        on_change=_pick_query,
        placeholder="type to find a query",
    )
    query_id = chosen.query_id
    if query_id is None or query_id not in labels:
        st.info("Pick a query to see all its products with their human and judge grades.")
        return
    rows = storage.query_pairs(db, dataset, query_id, run_id=run_id)
    rows = rows[~rows["pair_id"].isin(owed)].reset_index(drop=True)
    st.caption(
        f"Every product of this query: the human label and run "
        f"{common.run_title(run)}'s grade side by side. Click a row to review it."
    )
    pair_table(
        rows,
        f"query-table-{query_id}",
        ["pair_id", "product_name", "human", "judge", "confidence", "stale", "split"],
        lambda pair_id: open_in_review(
            Queue(QueueKind.QUERY, query_id), pair_id, rows["pair_id"].tolist
        ),
    )


def search_tab() -> None:
    if not chosen.search:
        st.info(
            "Type words in the search box above to find pairs anywhere in the dataset, "
            "judged or not."
        )
        return
    text_only = storage.PairFilters(text=chosen.search, blind_to=viewer if owed else None)
    queue = Queue(QueueKind.SEARCH, chosen.search)
    total = paged_pairs(
        "search",
        (chosen.search, run_id, version),
        lambda offset, limit: storage.search_pairs(
            db, dataset, run_id=run_id, filters=text_only, offset=offset, limit=limit
        ),
        ["pair_id", "query", "product_name", "human", "judge", "confidence", "split"],
        lambda pair_id: open_in_review(
            queue,
            pair_id,
            lambda: storage.search_pair_ids(db, dataset, run_id=run_id, filters=text_only),
        ),
    )
    if total:
        st.caption(
            f"{common.plural(total, 'pair')} contain “{common.md(chosen.search)}”. "
            "Click a row to review it."
        )
    else:
        st.info("No pair's query or product text contains this.")


filters = filters_form()
matrix, by_query, search = st.tabs(TABS, key="confusion-tab", bind="query-params")
if matrix.open:
    with matrix:
        matrix_tab(filters)
if by_query.open:
    with by_query:
        query_tab()
if search.open:
    with search:
        search_tab()
