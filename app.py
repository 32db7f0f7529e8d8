"""The review workbench: page registry and the sidebar every page shares.

    streamlit run app.py            # opens on the bundled WANDS sample, no setup
    WORKBENCH_DB=/path/to/file.duckdb streamlit run app.py

The selection (dataset, run, cell, pair, and the self-declared reviewer) is kept in
`views/_selection.py` and in the URL, so every page, a reload and a shared link show the same
view. The sidebar's reviewer (`views/_reviewer.py`) is who every page writes as.
"""

from __future__ import annotations

import atexit
import gc
from pathlib import Path

import streamlit as st

import judge
import metrics
import storage
from views import _common as common
from views import _queue as review_queue
from views import _reviewer as reviewing
from views import _runs_jobs as runs_jobs
from views import _selection as selection

HERE = Path(__file__).resolve().parent
PAGES = (  # file in views/, title, Material icon
    ("overview", "Overview", "monitoring"),
    ("confusion", "Confusion browser", "grid_on"),
    ("review", "Review queue", "rate_review"),
    ("runs", runs_jobs.RUNS_TITLE, "play_circle"),
    ("rankers", "Rankers", "leaderboard"),
    ("pairwise", "Pairwise", "compare_arrows"),
    ("team", "Team review", "groups"),
    ("data", "Data", "database"),
    ("export", "Export", "download"),
)

st.set_page_config(
    page_title="Relevance judge workbench", page_icon=":material/balance:", layout="wide"
)


def _pick_dataset() -> None:
    selection.set_dataset(st.session_state["sidebar-dataset"])


def _pick_run() -> None:
    selection.set_run(st.session_state["sidebar-run"])


def sidebar(db: str) -> None:
    datasets = common.dataset_names(db)
    warning, runs = selection.resolve(datasets, lambda name: common.list_runs(db, name))
    chosen = selection.current()
    with st.sidebar:
        st.caption("Database")
        st.text(db)
        if warning:
            st.warning(common.md(f"{warning}: showing what this store has instead."))
        # The widgets show the selection; they do not own it (see views/_selection.py).
        st.session_state["sidebar-dataset"] = chosen.dataset
        st.selectbox(
            "Active dataset",
            datasets,
            key="sidebar-dataset",
            on_change=_pick_dataset,
            placeholder="none yet: import on Data",
        )
        labels = {r["run_id"]: common.run_label(r, status=True) for r in runs.to_dict("records")}
        st.session_state["sidebar-run"] = chosen.run_id
        st.selectbox(
            "Active run",
            list(labels),
            key="sidebar-run",
            format_func=labels.__getitem__,
            on_change=_pick_run,
            index=None,
            placeholder="none yet: start one on Runs",
        )
        reviewing.sidebar(db, chosen.dataset)


@st.cache_resource(show_spinner=False)
def _freeze_imports() -> None:
    """Once per server: put the objects the imports made (~180k: pandas, plotly, DuckDB, the
    judge; they live as long as the process) out of the garbage collector's sight. Streamlit
    collects garbage after every script run, holding the GIL, and walking them held back the
    last elements of each rerun by 0.1-0.2 s (and a page switch twice). At the process's end
    they are handed back, so it frees them as usual."""
    gc.collect()
    gc.freeze()
    atexit.register(gc.unfreeze)


def _show_wait(wait: storage.StoreWait) -> None:
    st.toast(common.md(str(wait)), icon=":material/hourglass_top:")


def main() -> None:
    _freeze_imports()
    db = common.database()
    pages = [
        st.Page(
            HERE / "views" / f"{name}.py",
            title=title,
            icon=f":material/{icon}:",
            default=name == "overview",
        )
        for name, title, icon in PAGES
    ]
    # The app's error boundary: what a user can meet (a store another process damaged or
    # deleted from under the page, an endpoint, a file) is one message; anything else is a
    # bug and keeps its traceback.
    try:
        # One store connection for the whole script run (the sidebar and the page).
        with storage.on_store_wait(_show_wait), storage.session(db):
            navigation = st.navigation(pages)
            runs_jobs.leave_finished(navigation.title)
            review_queue.follow()  # a callback opened a queue but could not switch itself
            sidebar(db)
            selection.publish()
            navigation.run()
    except (storage.StoreError, judge.JudgeError, metrics.MetricsInputError, OSError) as error:
        st.error(common.md(f"{error}"))


main()
