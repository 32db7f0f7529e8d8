"""The review workbench: page registry and the sidebar every page shares.

    streamlit run app.py            # opens on the bundled WANDS sample, no setup
    WORKBENCH_DB=/path/to/file.duckdb streamlit run app.py
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import storage
from pages import _common as common

HERE = Path(__file__).resolve().parent
PAGES = (  # file in pages/, title, Material icon
    ("overview", "Overview", "monitoring"),
    ("confusion", "Confusion browser", "grid_on"),
    ("review", "Review queue", "rate_review"),
    ("runs", "Runs", "play_circle"),
    ("data", "Data", "database"),
    ("export", "Export", "download"),
)

st.set_page_config(page_title="Relevance judge workbench", page_icon=":material/balance:",
                   layout="wide")


def _keep_valid(key: str, options: list, pending: object = None) -> None:
    """Drop a stale selection (a run of another dataset) before its selectbox is drawn."""
    if pending is not None:
        st.session_state[key] = pending
    if options and st.session_state.get(key) not in options:
        st.session_state[key] = options[0]
    if not options:
        st.session_state.pop(key, None)


def sidebar(db: str) -> None:
    with st.sidebar:
        st.caption("Database")
        st.text(db)
        datasets = [d["dataset"] for d in storage.list_datasets(db)]
        _keep_valid("dataset", datasets)
        st.selectbox("Active dataset", datasets, key="dataset",
                     placeholder="no dataset yet: import one on the Data page")
        runs = (common.run_list(db, common.active_dataset())
                if common.active_dataset() else None)
        records = [] if runs is None else runs.to_dict("records")
        labels = {r["run_id"]: common.run_label(r) for r in records}
        _keep_valid("run_id", list(labels), common.take_pending_run())
        st.selectbox("Active run", list(labels), key="run_id", format_func=labels.get,
                     placeholder="no run yet: start one on the Runs page")


def main() -> None:
    common.mark_shell()
    db = common.database()
    sidebar(db)
    pages = [st.Page(HERE / "pages" / f"{name}.py", title=title, icon=f":material/{icon}:",
                     default=name == "overview") for name, title, icon in PAGES]
    st.navigation(pages).run()


main()
