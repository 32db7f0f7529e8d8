"""The Runs page's comparison of two graded runs: the paired differences of their metrics on
the pairs both judged, and the pairs where they disagree."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

import storage
from views import _common as common

DISAGREEMENTS_SHOWN = 500


def compare_section(
    db: str, scale: storage.Scale, runs: pd.DataFrame, version: tuple[Any, ...] | None
) -> None:
    """Two graded runs of the dataset side by side; `version` is the store's data version
    (None when the dataset has no run)."""
    if len(runs) < 2 or version is None:
        st.caption("Two runs of this dataset are needed for a comparison.")
        return
    labels = {r["run_id"]: common.run_label(r) for r in runs.to_dict("records")}
    ids = list(labels)
    c1, c2 = st.columns(2)
    run_a = c1.selectbox("Run A", ids, index=1, format_func=labels.__getitem__, key="compare-a")
    run_b = c2.selectbox("Run B", ids, index=0, format_func=labels.__getitem__, key="compare-b")
    if run_a == run_b:
        st.info("Pick two different runs.")
        return
    comparison = common.compare_runs(db, run_a, run_b, version)
    covered = comparison.coverage
    st.caption(
        common.md(
            "Labelled pairs judged, "
            + covered.describe(f"A ({labels[run_a]})", f"B ({labels[run_b]})")
        )
    )
    if not covered.comparable:
        st.warning(
            common.md(
                f"Not comparable: {covered.reason}. A difference on so few shared pairs would "
                "describe those pairs, not the two judges: judge the same pairs with both runs "
                "(resume the shorter one)."
            )
        )
        return
    st.caption(
        f"B − A on the {covered.common.pairs:,} labelled pairs ({covered.common.queries:,} "
        "queries) both runs judged; 95% paired bootstrap over queries."
    )
    st.dataframe(
        comparison.differences,
        hide_index=True,
        column_order=("label", "a", "b", "difference", "low", "high", "excludes_zero"),
        column_config={
            "label": "metric",
            **{
                c: st.column_config.NumberColumn(format="%.3f")
                for c in ("a", "b", "difference", "low", "high")
            },
        },
    )
    disagreements = comparison.disagreements.head(DISAGREEMENTS_SHOWN)
    names = dict(zip(scale.grades, scale.names, strict=True))
    st.caption(
        f"{len(comparison.disagreements):,} pairs where the two runs disagree"
        + (
            f" (the first {DISAGREEMENTS_SHOWN} shown)"
            if len(comparison.disagreements) > DISAGREEMENTS_SHOWN
            else ""
        )
    )
    st.dataframe(
        disagreements.assign(
            **{c: disagreements[c].map(names) for c in ("human", "judge_a", "judge_b")}
        ),
        hide_index=True,
    )
