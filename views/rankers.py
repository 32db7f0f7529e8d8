"""Rankers: does the judge rank search systems as the humans would?

The dataset's ranking runs scored under one qrels (a leaderboard), compared with the
leaderboard another qrels gives (tau, tau-AP, flips, the winner, a figure), the relabelling
what-if for the active judge run with its confidence slider (applied and undone as one
batch), and the runs' unlabelled top-k documents pooled and judged in one click.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import jobs
import judge
import metrics
import storage
from views import _common as common
from views import _estimates as estimates
from views import _reviewer as reviewing
from views import _selection as selection

db = common.database()
dataset = common.require_dataset()
run_id = common.active_run()
names = common.grade_names(db, dataset)
chosen = selection.current()

st.title("Rankers")
st.caption(
    "Search systems' ranking runs scored under qrels from the labels or a judge: do the "
    "judge's labels order the systems as the humans' do?"
)
common.show_announcement()


_TABLE = "table (CSV, TSV, JSONL, Parquet)"
_TREC = "TREC run file"


def _import(upload: Any, form: str, mapping: str, name: str) -> None:
    """Import the uploaded run file or table (through `mapping`) into the dataset."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        try:
            if form == _TREC:
                summary = storage.rankings.import_run_trec(db, path, dataset=dataset)
            else:
                summary = storage.rankings.import_run_table(
                    db,
                    path,
                    dataset=dataset,
                    columns=storage.rankings.RunColumns.parse(mapping),
                    name=name.strip() or None,
                )
        except (storage.StoreError, OSError) as error:
            st.error(common.md(error))
            return
    common.announce(f"Imported {summary}")


with st.expander("Import a ranking run", key="rank-import-box"):
    form = st.segmented_control(
        "Format", [_TREC, _TABLE], default=_TREC, required=True, key="rank-format"
    )
    if form == _TREC:
        st.caption(
            "`qid Q0 docid rank score tag`, one ranked document a line; each tag is a run. "
            "Query ids must be the dataset's own; a document the dataset lacks is kept as "
            "unjudged (a hole, listed below for the judge or a review), as trec_eval keeps it."
        )
        mapping = name = ""
    else:
        st.caption(
            "One row per ranked document. Map our names to your columns: `doc_id`, the "
            "query as `query_id` (its id) or `query` (its text), `score` or `rank` (or "
            "both; documents are ranked by score as trec_eval ranks them), and optionally "
            "`run` (one run per value)."
        )
        mapping = st.text_input(
            "Column mapping (our name=your column)",
            key="rank-columns",
            placeholder="query_id=qid,doc_id=product_id,score=bm25,run=system",
        )
        name = st.text_input(
            "Run name, when the table has no run column",
            key="rank-name",
            placeholder="default: the file's name",
        )
    upload = st.file_uploader(
        "Run file" if form == _TREC else "Table",
        type=["trec", "txt", "run", "tsv"] if form == _TREC else ["csv", "tsv", "jsonl", "parquet"],
        key=f"rank-upload-{'trec' if form == _TREC else 'table'}",
    )
    ready = upload is not None and (form == _TREC or bool(mapping.strip()))
    if st.button("Import", key="rank-import", disabled=not ready):
        _import(upload, form, mapping, name)


rankings = storage.rankings.list_rankings(db, dataset)
if rankings.empty:
    st.info("This dataset has no ranking run yet: import a run file above.")
    st.stop()

runs = storage.list_runs(db, dataset)
run_names = {int(r.run_id): common.run_label(r._asdict(), short=True) for r in runs.itertuples()}
options = ["human", "imported"] + [
    f"{kind}:{r}" for r in run_names for kind in ("judge", "judge-expected", "human+judge")
]


def _describe(text: str) -> str:
    source = jobs.QrelsSource.parse(text)
    described = source.describe()
    if source.run_id is not None:
        described = described.replace(f"judge run #{source.run_id}", run_names[source.run_id])
    return described


reference = chosen.qrels if chosen.qrels in options else "human"
default_vs = f"judge:{run_id}" if run_id is not None else "imported"
versus = chosen.vs if chosen.vs in options else default_vs


def _pick(key: str, field: str) -> None:
    selection.update(**{field: st.session_state[key]})


left, right = st.columns(2)
st.session_state["rank-qrels"] = reference
left.selectbox(
    "Qrels (the reference)",
    options,
    key="rank-qrels",
    format_func=_describe,
    on_change=_pick,
    args=("rank-qrels", "qrels"),
)
st.session_state["rank-vs"] = versus
right.selectbox(
    "Compared with",
    options,
    key="rank-vs",
    format_func=_describe,
    on_change=_pick,
    args=("rank-vs", "vs"),
)
selection.update(qrels=reference, vs=versus)
selection.publish()
version = (storage.data_version(db), storage.rankings.ranking_version(db))


measures = tuple(
    st.multiselect(
        "Measures",
        metrics.measure_choices(),
        default=list(jobs.DEFAULT_MEASURES),
        key="rank-measures",
        help="Every measure of the registry (metrics/_measures.py), at the usual cutoffs; "
        "hover a column of the leaderboard for what it means.",
    )
) or tuple(jobs.DEFAULT_MEASURES)


@st.cache_data(show_spinner="Scoring the ranking runs…", max_entries=32)
def _leaderboard(
    db: str, dataset: str, source: str, measures: tuple[str, ...], version: tuple
) -> jobs.Leaderboard:
    return jobs.leaderboard(
        db, dataset, jobs.QrelsSource.parse(source), jobs.RankSettings(measures=measures)
    )


@st.cache_data(show_spinner="Comparing the leaderboards…", max_entries=16)
def _agreement(
    db: str, dataset: str, a: str, b: str, measures: tuple[str, ...], version: tuple
) -> jobs.RankingAgreement:
    return jobs.compare_leaderboards(
        db,
        dataset,
        jobs.QrelsSource.parse(a),
        jobs.QrelsSource.parse(b),
        jobs.RankSettings(measures=measures),
    )


@st.cache_data(show_spinner="Relabelling (what-if)…", max_entries=32)
def _what_if(db: str, dataset: str, run: int, confidence: float, version: tuple) -> jobs.WhatIf:
    return jobs.relabel_what_if(db, dataset, run, confidence)


def _span(estimate: float, low: float, high: float) -> str:
    """A value and its interval in one cell, without leading zeros (".540 [.420, .652]") so
    that six measures and a run's name fit a 1280-pixel window."""

    def short(x: float) -> str:
        return f"{x:.3f}".replace("0.", ".", 1) if abs(x) < 1 else f"{x:.3f}"

    if pd.isna(low) or pd.isna(high):  # no bootstrap draw defines it
        return short(estimate)
    return f"{short(estimate)} [{short(low)}, {short(high)}]"


def _with_intervals(board: jobs.Leaderboard) -> pd.DataFrame:
    table = board.table.assign(
        value=[_span(r.estimate, r.low, r.high) for r in board.table.itertuples()]
    )
    wide = table.pivot(index="run", columns="measure", values="value")
    return wide.loc[board.wide().index, list(board.wide().columns)]


st.subheader("Leaderboard")
try:
    board = _leaderboard(db, dataset, reference, measures, version)
except (storage.StoreError, metrics.MetricsInputError) as error:
    st.error(common.md(f"{error}: choose other qrels."))
    st.stop()
st.caption(
    common.md(
        f"Under {_describe(reference)}: {board.judged_pairs:,} graded pairs over "
        f"{board.queries:,} queries; 95% intervals from 1,000 bootstrap draws over queries. "
        "An unlabelled document in a run's top k counts as not relevant: Judged@10 says how "
        "much of the top 10 has a label."
    )
)


def _relevant_words() -> str:
    """'relevant (Partial or better)': the grades RR, P, R and AP count, by name."""
    lowest = min(names)
    relevant = [g for g in names if metrics.relevance_levels([g], lowest)[0] >= 1]
    if not relevant:
        return "relevant"
    first = names[min(relevant)]
    return f"relevant ({first} or better)" if len(relevant) > 1 else f"relevant ({first})"


def _measure_help(name: str) -> str:
    return metrics.Measure.parse(name).help(_relevant_words())


st.dataframe(
    _with_intervals(board),
    key="rank-leaderboard",
    column_config={m: st.column_config.TextColumn(m, help=_measure_help(m)) for m in board.wide()},
)


def agreement_figure(found: metrics.LeaderboardAgreement, measure: str) -> go.Figure:
    """Each run's score under the reference qrels against the compared ones, with the
    diagonal where both agree; labels alternate sides so neighbours do not overlap."""
    scores = found.scores.sort_values("a").reset_index(drop=True)
    low = float(min(scores["a"].min(), scores["b"].min()))
    high = float(max(scores["a"].max(), scores["b"].max()))
    pad = (high - low) * 0.08 or 0.05
    figure = go.Figure()
    figure.add_scatter(
        x=[low - pad, high + pad],
        y=[low - pad, high + pad],
        mode="lines",
        line=dict(dash="dash", color="grey"),
        name="same score",
        hoverinfo="skip",
    )
    figure.add_scatter(
        x=scores["a"],
        y=scores["b"],
        mode="markers+text",
        text=scores["system"],
        # The best run's label goes left, away from the plot's right edge.
        textposition=[
            "middle left" if (len(scores) - 1 - i) % 2 == 0 else "middle right"
            for i in range(len(scores))
        ],
        marker=dict(size=11),
        name="ranking run",
        hovertemplate="%{text}<br>reference %{x:.3f}<br>compared %{y:.3f}<extra></extra>",
    )
    figure.update_layout(
        title=f"{measure}: each run under both qrels",
        xaxis_title=f"{measure} under {_describe(reference)}",
        yaxis_title=f"{measure} under {_describe(versus)}",
        showlegend=False,
        height=460,
    )
    return figure


def _spanned_value(value: tuple[float, float, float]) -> str:
    """An estimate and its interval; "undefined" where every run ties (tau is NaN)."""
    return "undefined (every run ties)" if pd.isna(value[0]) else _span(*value)


def _spanned(summary: pd.DataFrame, name: str) -> list[str]:
    """`name` and its interval in one cell per row; "undefined" where every run ties."""
    return [
        _spanned_value((r[name], r[f"{name}_low"], r[f"{name}_high"]))
        for _, r in summary.iterrows()
    ]


def _agreement_table(summary: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "measure": summary["measure"],
            "Kendall's tau": _spanned(summary, "tau"),
            "tau-AP": _spanned(summary, "tau_ap"),
            "flipped pairs": summary["flipped_pairs"],
            "winner": [
                f"{r.winner_a} → {r.winner_b}" if r.winner_changes else r.winner_a
                for r in summary.itertuples()
            ],
            "winner changes": summary["winner_changes"],
        }
    )


_AGREEMENT_HELP = {
    "Kendall's tau": st.column_config.TextColumn(
        help="Rank correlation of the two orders of the runs: 1 the same order, 0 unrelated, "
        "-1 reversed. (pairs of runs in the same order - pairs flipped) / all pairs."
    ),
    "tau-AP": st.column_config.TextColumn(
        help="Like tau, but a flip near the top of the reference leaderboard costs more than "
        "one near the bottom (Yilmaz, Aslam and Robertson 2008): what matters when you pick "
        "the best system."
    ),
    "flipped pairs": st.column_config.NumberColumn(
        help="Pairs of runs the two leaderboards order differently (listed under the figure)."
    ),
    "winner": st.column_config.TextColumn(
        help="The best run under the reference qrels, then (→) under the compared ones when "
        "that is another; runs with the same best score tie.",
        width=240,
    ),
    "winner changes": st.column_config.CheckboxColumn(
        help="Whether the best run under the compared qrels is another than under the reference."
    ),
}


def _coverage(found: metrics.Coverage) -> None:
    """What the comparison covers, both sides and in common; a warning when too little."""
    st.caption(
        common.md(
            "Graded pairs, "
            + found.describe(
                f"reference ({_describe(reference)})", f"compared ({_describe(versus)})"
            )
            + "."
        )
    )
    if not found.comparable:
        st.warning(
            common.md(
                f"Not comparable: {found.reason}. Kendall's tau on so few shared grades "
                "would describe those queries, not the runs: grade more of the reference's "
                "pairs with the compared qrels (judge the dataset, or its holes below)."
            )
        )


agreement: jobs.RankingAgreement | None = None
st.subheader("Do the two leaderboards agree?")
if reference == versus:
    st.info("Choose two different qrels to compare.")
elif len(rankings) < 2:
    st.info("Comparing leaderboards needs two ranking runs or more.")
else:
    try:
        agreement = _agreement(db, dataset, reference, versus, measures, version)
    except (storage.StoreError, metrics.MetricsInputError) as error:
        st.error(common.md(f"{error}: choose other qrels."))
    else:
        _coverage(agreement.coverage)
    if agreement is not None and agreement.coverage.comparable:
        st.caption(
            "Each row compares the order of the runs under the reference qrels with their "
            "order under the compared ones, on one measure; 95% intervals over resampled "
            "queries. Hover a column's name for what it means."
        )
        st.dataframe(
            _agreement_table(agreement.summary),
            hide_index=True,
            key="rank-agreement",
            column_config=_AGREEMENT_HELP,
        )
        measure = st.selectbox("Measure in the figure", list(agreement.by_measure), key="rank-fig")
        found = agreement.by_measure[measure]
        changed = (
            f"the winner changes ({found.winner_a} → {found.winner_b}"
            if found.winner_changes
            else f"the winner stays ({found.winner_a}"
        )
        st.caption(
            common.md(
                f"Kendall's tau {_spanned_value(found.tau)}, tau-AP "
                f"{_spanned_value(found.tau_ap)}; {changed}; in "
                f"{found.winner_change_share:.0%} of draws it changes)."
            )
        )
        st.plotly_chart(agreement_figure(found, measure), key="rank-figure")
        if len(found.flips):
            st.caption(
                "Pairs of runs the two leaderboards order differently: each one's lead over "
                "the other under both qrels, and in how many bootstrap draws the order flips"
            )
            st.dataframe(
                found.flips.rename(
                    columns={
                        "system": "run",
                        "other": "other run",
                        "a_difference": "lead (reference)",
                        "b_difference": "lead (compared)",
                        "flip_share": "flipped in draws",
                    }
                ),
                hide_index=True,
                column_config={
                    "lead (reference)": st.column_config.NumberColumn(format="%+.4f"),
                    "lead (compared)": st.column_config.NumberColumn(format="%+.4f"),
                    "flipped in draws": st.column_config.NumberColumn(format="percent"),
                },
            )

estimates.rankers_section(db, dataset, version)

st.subheader("What if the judge relabelled?")
if run_id is None:
    st.info(common.NO_RUN)
    st.stop()
st.caption(
    common.md(
        f"Adopt judge run {run_names[run_id]}'s grade wherever its confidence is at least "
        "the value below, without writing a label: how the grades move, and how each ranking "
        "run's nDCG@10 and RR change (95% paired intervals over queries)."
    )
)
confidence = st.slider(
    "Judge confidence at least",
    0.0,
    1.0,
    0.8,
    step=0.05,
    key="rank-confidence",
    help="A pair takes the judge's grade when the judge's confidence in it reaches this; "
    "every other pair keeps its human label. Lower it to adopt more of the judge's grades.",
)
what_if = _what_if(db, dataset, run_id, confidence, version)
transitions = what_if.transitions.rename(index=names, columns=names)
transitions.index.name, transitions.columns.name = "old grade", "new grade"
left, right = st.columns([2, 3])
left.dataframe(transitions, key="rank-transitions")
right.caption(
    f"Old grade (rows) against the grade after relabelling (columns), over the labelled "
    f"pairs: the diagonal keeps its grade. {common.plural(len(what_if.changes), 'pair')} "
    f"would change grade, {what_if.newly_labelled:,} of them unlabelled until now."
)
st.dataframe(
    what_if.impact,
    hide_index=True,
    key="rank-impact",
    column_config={
        "before": st.column_config.NumberColumn("before", format="%.3f"),
        "after": st.column_config.NumberColumn("after", format="%.3f"),
        "difference": st.column_config.NumberColumn("difference", format="%+.3f"),
        "low": st.column_config.NumberColumn("95% low", format="%+.3f"),
        "high": st.column_config.NumberColumn("95% high", format="%+.3f"),
    },
)
author = reviewing.current()  # the sidebar's; the store says whether it may write
if not author:
    st.caption(reviewing.NO_NAME)
if st.button(
    f"Apply: write {common.plural(len(what_if.changes), 'label')} from the judge",
    key="rank-apply",
    disabled=not what_if.changes or not author,
):
    try:
        batch = jobs.apply_relabel(db, dataset, run_id, confidence, author=author)
    except storage.StoreError as error:
        st.error(common.md(f"{error}"))
    else:
        common.announce(
            f"Relabel batch {batch}: {common.plural(len(what_if.changes), 'label')} written"
        )

batches = storage.rankings.relabel_batches(db, dataset)
if len(batches):
    st.caption("Relabel batches, newest first")
    st.dataframe(batches, hide_index=True, key="rank-batches")
    live = batches[~batches["undone"].astype(bool)]
    if len(live):
        newest = int(live["batch_id"].iloc[0])
        if st.button(f"Undo relabel batch {newest}", key="rank-undo", disabled=not author):
            try:
                reverted = storage.rankings.undo_relabel(db, dataset, newest, author=author)
            except storage.StoreError as error:
                st.error(common.md(f"{error}"))
            else:
                common.announce(f"Undid relabel batch {newest}: {common.plural(reverted, 'label')}")

st.subheader("Holes: unlabelled documents in the runs' top k")
depth = int(st.number_input("Depth k", 1, 1000, 10, key="rank-depth"))
holes = storage.rankings.pooling_holes(db, dataset, depth)
st.caption(
    f"{common.plural(len(holes), 'hole')} at depth {depth}: documents some run ranks in its "
    "top k that nobody labelled. Judging them makes them pairs (flagged as from pooling) "
    "with the active run's grades, used by the human+judge qrels."
)
st.dataframe(holes.head(200), hide_index=True, key="rank-holes")


def _control(run_id: int) -> jobs.RunControl:
    """The shared in-process model for a llama.cpp run; the baseline trains anew instead."""
    try:
        settings = jobs.settings_for_run(db, run_id)
    except judge.JudgeError:
        return jobs.RunControl()
    return jobs.RunControl(backend=common.backend_for(settings))


why_not = jobs.why_holes_cannot_be_judged(db, run_id)
if why_not:
    st.caption(common.md(f"The active run cannot judge them: {why_not}"))
elif st.button(
    f"Judge {common.plural(len(holes), 'hole')} with {run_names[run_id]}",
    key="rank-judge-holes",
    disabled=holes.empty,
):
    try:
        done = jobs.judge_holes(db, dataset, run_id, depth, control=_control(run_id))
    except (judge.JudgeError, storage.StoreError) as error:
        st.error(common.md(f"judging the holes failed: {error}"))
    else:
        if done.run_id != run_id:
            selection.set_run(done.run_id)
        common.announce(
            f"Pooled {common.plural(done.new_pairs, 'new pair')}; judged "
            f"{common.plural(done.judged, 'hole')} (run #{done.run_id})"
        )
