"""The seed blog's figures in Plotly, from run reports: pure functions from frames to figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

HEADLINE = ("accuracy", "macro_f1", "kappa_quadratic")  # bars named by the reports' `label`
RUN_COLOURS = qualitative.Plotly
"""One colour per compared run, the same in every cross-run figure, so a run is found by
its colour; compare at most this many runs at once."""
GRID_COLUMNS = 3  # confusion matrices per row: wider rows squeeze the run names above them


def _whiskers(frame: pd.DataFrame) -> dict:
    return dict(
        type="data",
        symmetric=False,
        array=frame["high"] - frame["value"],
        arrayminus=frame["value"] - frame["low"],
    )


def _colour(position: int) -> str:
    return RUN_COLOURS[position % len(RUN_COLOURS)]


def metric_bars(metrics_by_run: Mapping[str, pd.DataFrame]) -> go.Figure:
    """Accuracy, macro-F1 and kappa per run, bars with their 95% interval as whiskers."""
    fig = go.Figure()
    for position, (run, metrics) in enumerate(metrics_by_run.items()):
        rows = metrics.set_index("metric").loc[list(HEADLINE)].reset_index()
        fig.add_bar(
            name=run,
            x=list(rows["label"]),
            y=rows["value"],
            error_y=_whiskers(rows),
            marker_color=_colour(position),
        )
    fig.update_layout(
        barmode="group",
        title="Agreement with human labels (95% intervals)",
        yaxis_title="score",
        legend_title="run",
    )
    return fig


def severe_bars(metrics_by_run: Mapping[str, pd.DataFrame]) -> go.Figure:
    """Severe error rate per run (Exact judged Irrelevant or the reverse); lower is better."""
    fig = go.Figure()
    for position, (run, metrics) in enumerate(metrics_by_run.items()):
        rows = metrics.set_index("metric").loc[["severe_error_rate"]]
        fig.add_bar(
            name=run,
            x=[run],
            y=rows["value"],
            error_y=_whiskers(rows),
            marker_color=_colour(position),
            showlegend=False,
        )
    fig.update_layout(
        title="Severe error rate (lower is better)",
        yaxis_tickformat=".1%",
        yaxis_rangemode="tozero",
        xaxis_title="run",
        xaxis_type="category",
    )
    return fig


def kappa_vs_severe(metrics_by_run: Mapping[str, pd.DataFrame]) -> go.Figure:
    """One point per run: better judges sit towards the top left. Runs are told apart by
    colour and legend, not by names printed beside the points: close runs would print their
    names on top of each other."""
    fig = go.Figure()
    for position, (run, metrics) in enumerate(metrics_by_run.items()):
        m = metrics.set_index("metric")
        kappa, severe = m.loc[["kappa_quadratic"]], m.loc[["severe_error_rate"]]
        fig.add_scatter(
            name=run,
            mode="markers",
            x=severe["value"],
            y=kappa["value"],
            marker=dict(size=12, color=_colour(position)),
            error_x=_whiskers(severe),
            error_y=_whiskers(kappa),
            hovertemplate="%{fullData.name}<br>severe error rate %{x:.1%}<br>"
            "quadratic kappa %{y:.3f}<extra></extra>",
        )
    fig.update_layout(
        title="Kappa vs severe error rate",
        xaxis_title="severe error rate",
        yaxis_title="quadratic kappa",
        xaxis_tickformat=".1%",
        xaxis_rangemode="tozero",
        legend_title="run",
    )
    return fig


def recall_bars(metrics_by_run: Mapping[str, pd.DataFrame], names: Mapping[int, str]) -> go.Figure:
    """Recall by human label per run: of the pairs humans gave a grade, the share the judge gave."""
    fig = go.Figure()
    for position, (run, metrics) in enumerate(metrics_by_run.items()):
        rows = metrics.set_index("metric").loc[[f"recall_{g}" for g in names]].reset_index()
        fig.add_bar(
            name=run,
            x=list(names.values()),
            y=rows["value"],
            error_y=_whiskers(rows),
            marker_color=_colour(position),
        )
    fig.update_layout(
        barmode="group", title="Recall by human label", yaxis_tickformat=".0%", legend_title="run"
    )
    return fig


def _shares(counts: np.ndarray) -> np.ndarray:
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)


def _heatmap(counts: np.ndarray, names: Sequence[str]) -> go.Heatmap:
    shares = _shares(counts)
    text = [
        [f"{int(c)}<br>{s:.0%}" for c, s in zip(row, srow)] for row, srow in zip(counts, shares)
    ]
    return go.Heatmap(
        z=shares,
        x=list(names),
        y=list(names),
        text=text,
        texttemplate="%{text}",
        colorscale="Blues",
        zmin=0,
        zmax=1,
        showscale=False,
        hovertemplate="human %{y}, judge %{x}: %{text}<extra></extra>",
    )


def confusion_heatmap(counts: np.ndarray, names: Sequence[str], title: str = "") -> go.Figure:
    """Counts and row shares, rows human (top: the lowest grade), columns judge."""
    fig = go.Figure(_heatmap(counts, names))
    fig.update_layout(
        title=title,
        xaxis_title="judge",
        yaxis_title="human",
        yaxis_autorange="reversed",
        xaxis_side="top",
        height=360,
    )
    return fig


def confusion_grid(confusions: Mapping[str, np.ndarray], names: Sequence[str]) -> go.Figure:
    """The confusion matrices of several runs side by side, as the seed's figures 10-12,
    `GRID_COLUMNS` to a row so that each keeps room for its run's name."""
    n_rows = -(-len(confusions) // GRID_COLUMNS)
    n_cols = min(len(confusions), GRID_COLUMNS)
    fig = make_subplots(
        rows=n_rows,
        cols=n_cols,
        subplot_titles=list(confusions),
        horizontal_spacing=0.08,
        vertical_spacing=0.3 / n_rows,
    )
    for position, counts in enumerate(confusions.values()):
        row, col = divmod(position, n_cols)
        fig.add_trace(_heatmap(counts, names), row=row + 1, col=col + 1)
        fig.update_xaxes(title_text="judge", side="bottom", row=row + 1, col=col + 1)
        # Every matrix has the same rows: they are named once, left of each row of the grid,
        # where the names cannot run into the matrix to their left.
        fig.update_yaxes(
            autorange="reversed",
            showticklabels=col == 0,
            title_text="human" if col == 0 else None,
            row=row + 1,
            col=col + 1,
        )
    fig.update_layout(title="Confusion matrices (counts and row shares)", height=80 + 300 * n_rows)
    return fig


def label_distribution(frame: pd.DataFrame, names: Mapping[int, str]) -> go.Figure:
    """Pairs per split and current human label, stacked (the seed's figures 1 and 3)."""
    fig = go.Figure()
    for grade, name in names.items():
        rows = frame[frame["grade"] == grade]
        fig.add_bar(name=name, x=rows["split"], y=rows["pairs"])
    unlabelled = frame[frame["grade"].isna()]
    if len(unlabelled):
        fig.add_bar(name="no label", x=unlabelled["split"], y=unlabelled["pairs"])
    fig.update_layout(
        barmode="stack",
        title="Label distribution by split",
        yaxis_title="pairs",
        legend_title="human label",
    )
    return fig


def reliability_diagram(reliability: pd.DataFrame) -> go.Figure:
    """The judge's confidence against how often it is right, one point per confidence bin,
    and the diagonal a calibrated judge would sit on. A point's area grows with its pair
    count (the exact count is in its hover text: printed counts of neighbouring bins would
    overlap). `reliability` is `jobs.Calibration.reliability`; ECE is the count-weighted
    mean gap."""
    fig = go.Figure()
    fig.add_scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines",
        name="calibrated",
        line=dict(dash="dash", color="grey"),
        hoverinfo="skip",
    )
    counts = reliability["count"].to_numpy(dtype=float)
    fig.add_scatter(
        x=reliability["confidence"],
        y=reliability["accuracy"],
        mode="lines+markers",
        name="judge",
        marker_size=6 + 18 * np.sqrt(counts / max(counts.max(initial=0), 1)),
        customdata=reliability[["bin_low", "bin_high", "count"]],
        hovertemplate="confidence (%{customdata[0]:.1f}, %{customdata[1]:.1f}]: "
        "%{customdata[2]:,} pairs, mean %{x:.3f}, right %{y:.1%}<extra></extra>",
    )
    fig.update_layout(
        title="Reliability: confidence vs accuracy",
        xaxis_title="judge confidence (top grade probability)",
        yaxis_title="share judged right",
        xaxis_range=[0, 1.02],
        yaxis_range=[0, 1.08],
        yaxis_tickformat=".0%",
        height=380,
        legend_title="",
    )
    return fig
