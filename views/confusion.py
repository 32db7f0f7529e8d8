"""Confusion browser: the human x judge matrix of the active run; a click on a cell lists its
pairs a page at a time, sortable and filterable, and opens them in the review queue."""

from __future__ import annotations

import math

import streamlit as st

import storage
from views import _common as common
from views import _figures as figures
from views import _queue as queue

PAGE_SIZE = 50
ANY = "any"
STALE = {ANY: None, "stale only": True, "fresh only": False}
SORTS = {"judge confidence": "confidence", "query": "query", "product name": "product_name",
         "pair id": "pair_id"}

db = common.database()
dataset = common.require_dataset()
run_id = common.require_run()
run = common.run_record(db, dataset, run_id)
names = common.grade_names(db, dataset)
version = storage.data_version(db)

st.title("Confusion browser")
st.caption(f"Run {common.run_title(run)}: rows are the human label, columns the "
           "judge's grade. Click a cell to read its pairs.")

with st.expander("Filters", expanded=False):
    c1, c2, c3, c4 = st.columns(4)
    query_class = c1.selectbox("Query class", [ANY, *storage.query_classes(db, dataset)],
                               key="filter-class",
                               persist_state="session")
    split = c2.selectbox("Split", [ANY, "train", "validation", "benchmark"], key="filter-split",
                         persist_state="session")
    low, high = c3.slider("Judge confidence", 0.0, 1.0, (0.0, 1.0), step=0.05,
                          key="filter-confidence", persist_state="session")
    stale = c4.selectbox("Stale judgments", list(STALE), key="filter-stale",
                         persist_state="session")
filters = storage.PairFilters(
    query_class=None if query_class == ANY else query_class,
    split=None if split == ANY else split,
    min_confidence=None if low <= 0.0 else low,
    max_confidence=None if high >= 1.0 else high,
    stale=STALE[stale],
)

counts = common.confusion_counts(db, run_id, filters, version)
grades = list(counts.index)
cell = st.session_state.get("cell")
if cell is not None and cell[0] != run_id:
    cell = None


def _open_cell(human: int, judge: int) -> None:
    st.session_state["cell"] = (run_id, human, judge)


# The cells are buttons next to a display-only heatmap: st.plotly_chart's on_select returns an
# empty selection for go.Heatmap (streamlit/streamlit#8760), and buttons are easy to drive
# from AppTest and Playwright.
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
            selected = cell is not None and cell[1:] == (human, judge)
            col.button(f"{n:,}{share}", key=f"cell-{human}-{judge}", width="stretch",
                       type="primary" if selected else "secondary", disabled=n == 0,
                       on_click=_open_cell, args=(human, judge),
                       help=common.md(f"human {names[human]}, judge {names[judge]}"))
with heat:
    st.plotly_chart(figures.confusion_heatmap(counts.to_numpy(), list(names.values())),
                    key="confusion-heatmap")

if cell is None:
    st.info("Pick a cell to list its pairs.")
    st.stop()

_, human, judge = cell
st.subheader(common.md(f"Human {names[human]} × judge {names[judge]}"))
s1, s2, _ = st.columns([2, 1, 3])
sort = s1.selectbox("Sort by", list(SORTS), key="cell-sort", persist_state="session")
descending = s2.toggle("Descending", value=True, key="cell-descending",
                       persist_state="session")
# One pager per view: a new cell, filter, order or change to the data starts on page 1.
pager = f"cell-page-{hash((cell, filters, sort, descending, version))}"
page_no = st.session_state.get(pager, 1)
page = storage.confusion_cell_pairs(db, run_id, human=human, judge=judge, filters=filters,
                                    sort=SORTS[sort], descending=descending,
                                    offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE)
if page.total == 0:
    st.info("No pairs in this cell with these filters.")
    st.stop()

rows = page.rows.assign(human=page.rows["human"].map(names), judge=page.rows["judge"].map(names))
st.dataframe(
    rows,
    hide_index=True,
    column_order=["pair_id", "query", "product_name", "confidence", "stale", "query_class",
                  "product_class", "split", "human", "judge"],
    column_config={
        "pair_id": st.column_config.NumberColumn("pair", format="%d"),
        "confidence": st.column_config.ProgressColumn("confidence", min_value=0.0,
                                                      max_value=1.0, format="%.2f"),
        "stale": st.column_config.CheckboxColumn("stale"),
    },
)
st.pagination(max(1, math.ceil(page.total / PAGE_SIZE)), key=pager)
st.caption(f"{page.total:,} pairs, {PAGE_SIZE} a page.")

pair_ids = page.rows["pair_id"].tolist()
labels = dict(zip(pair_ids, page.rows["query"] + " — " + page.rows["product_name"].fillna("")))
o1, o2, o3 = st.columns([3, 1, 1], vertical_alignment="bottom")
chosen = o1.selectbox("Pair", pair_ids, format_func=lambda p: f"{p}: {labels[p]}",
                      key="cell-pair")
open_pair = o2.button("Open this pair", key="open-pair", type="primary")
if open_pair or o3.button(f"Review all {page.total:,}", key="review-cell"):
    queue.open_queue(run_id,
                     storage.cell_pair_ids(db, run_id, human=human, judge=judge, filters=filters),
                     f"human {names[human]} × judge {names[judge]}",
                     start=chosen if open_pair else None)
