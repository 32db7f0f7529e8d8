"""Pairwise: read the figures of a pairwise run of the active dataset (runs start on the
Runs page), open the comparisons whose two orders disagree (worst first) or that close a
cycle, and record which product is better, side by side, with undo.

The chosen run and comparison are kept in the URL (`pw_run`, `pw_cmp`), so a reload or a
shared link opens the same card. Product and query text is shown with `st.text`, never as
HTML or markdown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

import jobs
import metrics
import storage
from views import _common as common
from views import _reviewer as reviewing

RUN_KEY, CMP_KEY = "pw_run", "pw_cmp"
RUNS_PAGE = str(Path(__file__).resolve().parent / "runs.py")

db = common.database()
dataset = common.require_dataset()
names = common.grade_names(db, dataset)
st.title("Pairwise")
st.caption(
    "Which of two products of a query is the better match? Each comparison is judged in "
    "both orders (A then B, B then A), so position bias shows and cancels out."
)
common.show_announcement()


def _remembered(key: str) -> str | None:
    """The page's choice: this session's, else the URL's (a reload, a shared link)."""
    if key not in st.session_state and key in st.query_params:
        st.session_state[key] = st.query_params[key]
    return st.session_state.get(key)


def _remember(key: str, value: str | None) -> None:
    st.session_state[key] = value
    if value is None:
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = value


st.page_link(
    RUNS_PAGE,
    label="Start a pairwise run on the Runs page",
    icon=":material/play_arrow:",
    query_params={"runs-tab": "Start a run"},
)

runs = storage.pairwise.list_pairwise_runs(db, dataset)
if runs.empty:
    st.info("No pairwise run on this dataset yet: start one on the Runs page (link above).")
    st.stop()
labels = {
    int(r.run_id): f"#{r.run_id} {r.name} · {r.status} · {r.answered} orders"
    for r in runs.itertuples()
}
chosen = _remembered(RUN_KEY)
run_ids = list(labels)
st.session_state["pw-run"] = int(chosen) if chosen and int(chosen) in labels else run_ids[0]


def _pick_run() -> None:
    _remember(RUN_KEY, str(st.session_state["pw-run"]))
    _remember(CMP_KEY, None)


graded = storage.list_runs(db, dataset)
graded_labels = {int(r["run_id"]): common.run_label(r) for r in graded.to_dict("records")}
pick, against = st.columns(2)
run_id = pick.selectbox(
    "Pairwise run", run_ids, format_func=labels.__getitem__, key="pw-run", on_change=_pick_run
)
_remember(RUN_KEY, str(run_id))
vs = against.selectbox(
    "Score-comparison against graded run",
    list(graded_labels),
    index=None,
    format_func=graded_labels.__getitem__,
    placeholder="none",
    key="pw-vs",
)


@st.cache_data(show_spinner="Measuring the pairwise run…", max_entries=16)
def _report(db: str, run_id: int, vs: int | None, version: tuple[Any, ...]) -> jobs.PairwiseReport:
    return jobs.pairwise_report(db, run_id, vs=vs)


report = _report(db, run_id, vs, storage.pairwise.pairwise_version(db, run_id))
if report.comparisons.empty:
    st.info("This run has no verdict yet.")
    st.stop()
st.subheader("Figures")
st.caption(
    f"{common.plural(len(report.comparisons), 'comparison')}, each in both orders; 95% "
    "intervals from a bootstrap over queries."
)
shown = report.figures.set_index("metric")


def _value(metric: str) -> float:
    return float(shown.loc[metric, "value"]) if metric in shown.index else float("nan")


swap = _value("swap_consistency")
position_led = metrics.follows_position(swap)
headline = ("accuracy", "swap_consistency", "bias_difference", "bt_tau")
for column, metric in zip(st.columns(len(headline)), headline):
    value = _value(metric)
    with column:
        st.metric(
            jobs.FIGURE_LABELS[metric] + (" ⚠" if metric == "accuracy" and position_led else ""),
            "n/a" if pd.isna(value) else f"{value:.3f}",
        )
        st.caption(metrics.FIGURE_MEANINGS[metric])
if position_led:
    st.warning(
        f"The judge follows the position: its swap consistency is {swap:.3f}, below "
        f"{metrics.FOLLOWS_POSITION_BELOW} (it picked the product shown first in both orders "
        f"in {_value('bias_first'):.0%} of the comparisons). Its accuracy vs the human order "
        "says where the products were shown, not which one is better: do not read it as "
        "the judge's skill."
    )
st.dataframe(
    report.figures.assign(meaning=report.figures["metric"].map(metrics.FIGURE_MEANINGS))[
        ["label", "value", "low", "high", "n", "meaning"]
    ],
    hide_index=True,
    key="pw-figures",
    column_config={
        **{c: st.column_config.NumberColumn(format="%.3f") for c in ("value", "low", "high")},
        "meaning": st.column_config.TextColumn(width="large"),
    },
)


def _comparison_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "query": frame["query"],
            "A": frame["pair_a"],
            "B": frame["pair_b"],
            "won, A shown first": [metrics.order_winner(w, "A", "B") for w in frame["winner_ab"]],
            "won, B shown first": [metrics.order_winner(w, "B", "A") for w in frame["winner_ba"]],
            "P(A better)": frame["preference"].round(3),
            "swap gap": frame["swap_gap"].round(3),
            "grades": [f"{_grade(a)} / {_grade(b)}" for a, b in zip(frame.grade_a, frame.grade_b)],
        }
    )


def _grade(grade: Any) -> str:
    return "unlabelled" if pd.isna(grade) else names.get(int(grade), str(grade))


def _open_from(table: str, frame: pd.DataFrame) -> None:
    event = st.session_state.get(table)
    rows = event.selection.rows if event is not None else []
    if rows:
        row = frame.iloc[rows[0]]
        _remember(CMP_KEY, f"{int(row.pair_a)}-{int(row.pair_b)}")


worst, cycles_tab = st.tabs(
    [
        f"Swap-inconsistent ({len(report.worst)})",
        f"Cycles ({len(report.cycles)})",
    ]
)
with worst:
    st.caption("Comparisons whose two orders name different products, the largest gap first.")
    st.dataframe(
        _comparison_rows(report.worst),
        hide_index=True,
        on_select=lambda: _open_from("pw-worst", report.worst),
        selection_mode="single-row",
        key="pw-worst",
    )
with cycles_tab:
    st.caption("x > y > z > x among the debiased verdicts of one query, the strongest first.")
    cycles = report.cycles.assign(
        cycle=[" > ".join(map(str, c + c[:1])) for c in report.cycles.cycle]
    )
    st.dataframe(cycles, hide_index=True, key="pw-cycles")


def _card(comparison: str) -> None:
    a, b = (int(x) for x in comparison.split("-"))
    card = jobs.pairwise_card(db, run_id, a, b)
    row = card.comparison
    st.subheader(f"Comparison {a} vs {b}")
    st.caption("Query")
    st.text(card.query)
    left, right = st.columns(2)
    for column, label, pair, grade in (
        (left, "A", card.pair_a, row["grade_a"]),
        (right, "B", card.pair_b, row["grade_b"]),
    ):
        with column:
            reference = " · the reference" if pair["pair_id"] == card.reference else ""
            st.markdown(
                f"**Product {label}** · pair {pair['pair_id']} · humans: "
                + common.md(_grade(grade))
                + reference
            )
            st.text(pair["product_name"])
            st.caption(common.md(pair["product_class"] or "no class"))
            st.text(pair["product_description"][:800])
    orders = pd.DataFrame(
        [
            [
                "A shown first",
                row["winner_ab"],
                row["p_first_ab"],
                row["p_second_ab"],
                row["p_tie_ab"],
            ],
            [
                "B shown first",
                row["winner_ba"],
                row["p_first_ba"],
                row["p_second_ba"],
                row["p_tie_ba"],
            ],
        ],
        columns=["order", "verdict", "P(first)", "P(second)", "P(tie)"],
    )
    orders.insert(
        2,
        "won",
        [
            metrics.order_winner(row["winner_ab"], "A", "B"),
            metrics.order_winner(row["winner_ba"], "B", "A"),
        ],
    )
    st.dataframe(orders, hide_index=True, key="pw-orders")
    verdict = {
        "a": f"product A (pair {a}) is better",
        "b": f"product B (pair {b}) is better",
        "tie": "a tie",
    }.get(row["verdict"] or "", "none (no order answered)")
    st.caption(
        f"Debiased P(A better than B): {row['preference']:.3f}; the judge's verdict: {verdict}."
    )
    current = storage.pairwise.current_preference(db, a, b)
    said = {a: "A is better", b: "B is better", "tie": "a tie"}.get(current, "nothing yet")
    st.markdown(f"Reviewers' preference: **{said}**")
    author = reviewing.current()  # the sidebar's; the store says whether it may write
    if not author:
        st.info(reviewing.NO_NAME)
    buttons = st.columns(4)
    for column, key, text, preferred in (
        (buttons[0], "pw-pref-a", "A is better", a),
        (buttons[1], "pw-pref-b", "B is better", b),
        (buttons[2], "pw-pref-tie", "Tie", None),
    ):
        if column.button(text, key=key, disabled=not author):
            try:
                storage.pairwise.record_preference(
                    db, a, b, preferred=preferred, author=author or ""
                )
            except storage.StoreError as error:
                st.error(common.md(f"{error}"))
            else:
                common.announce(f"Recorded for {a} vs {b} as {author}: {text.lower()}.")
    if buttons[3].button("Undo", key="pw-undo", disabled=not author):
        try:
            undone = storage.pairwise.undo_last_preference(db, a, b, author=author or "")
        except storage.StoreError as error:
            st.error(common.md(f"{error}"))
        else:
            if undone is None:
                st.warning(common.md(f"{author} has no preference to undo for these two products."))
            else:
                common.announce(f"Undid {author}'s last preference for {a} vs {b}.")
    if card.history:
        st.caption("History")
        st.dataframe(
            pd.DataFrame(card.history)[
                ["event_id", "source", "preferred", "author", "created_at", "reverted"]
            ],
            hide_index=True,
            key="pw-history",
        )


opened = _remembered(CMP_KEY)
if opened:
    try:
        _card(opened)
    except (ValueError, storage.NotFoundError) as error:
        st.error(common.md(f"{error}: pick a comparison in the tables above."))
else:
    st.info("Click a row of a table above to open the comparison side by side.")
