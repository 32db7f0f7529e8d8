"""Estimates from an audit: what the few audited queries and a judge on every query say
about the whole population, three ways (human-only, judge-only, prediction-powered), each
with its 95% interval (`metrics.ppi_mean`).

The units are queries. Per query, a ranking run's measures (the registry's nDCG@k, P@k, RR,
R@k) are computed under the human labels (audited queries only) and under the judge run's
grades (every query); the judge-vs-human figures are the mean over the query's pairs
(accuracy: the judge gave the human's grade, predicted by the judge's own confidence;
share of a grade: the human's, predicted by the judge's).

What every estimate assumes, and refuses without: the audited queries were drawn by the
stored design (their inclusion probabilities are stored; the queries reviewed so far are a
random part of the draw, as the queue follows the draw's random order); the judge run was
finished before the draw (so it never saw the audit's labels); at least
`MIN_AUDITED_QUERIES` are audited.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

import metrics
import storage
from words import plural

from ._audit import MIN_AUDITED_QUERIES
from ._qrels import QrelsKind, QrelsSource, graded_qrels, qrels_for
from ._rank_measures import DEFAULT_MEASURES, RankSettings, per_query, ranked_runs

HUMAN, JUDGE, PPI = "human only", "judge only", "prediction-powered"
METHODS = (HUMAN, JUDGE, PPI)
ASSUMES = (
    "Assumes the audited queries were drawn by the stored design and the judge run was "
    "finished before the draw; the judge-only interval is about the judge's own mean and "
    "ignores its bias."
)


# Judged@k measures how much of a list a qrels grades, not the list's quality: the judge
# grades everything, so it is no figure to estimate.
ESTIMATED = RankSettings(
    measures=tuple(m for m in DEFAULT_MEASURES if metrics.measures_of([m])[0].kind != "Judged")
)


class AuditRefused(storage.StoreError):
    """An audit from which no honest estimate can be made: the message says why."""


@dataclass(frozen=True)
class AuditBasis:
    """What an estimate stands on: the audit task, its design, the judge run, the queries of
    the population the judge covers, the audited ones among them, and their weights."""

    task_id: int
    dataset: str
    design: storage.team.Design
    run_id: int
    population: tuple[str, ...]
    audited: tuple[str, ...]
    weights: NDArray[np.float64]
    drawn: int

    @property
    def covers(self) -> str:
        """What every figure covers, in words."""
        return (
            f"{plural(len(self.audited), 'audited query')} (of {self.drawn:,} drawn, "
            f"{self.design} design) and judge run #{self.run_id} on all "
            f"{plural(len(self.population), 'query')}"
        )


def _check_run(db: str | Path, run: storage.Run, drawn_at: pd.Timestamp, task_id: int) -> None:
    """Refuse a run that was still judging when the audit was drawn, or judged after."""
    last = storage.team.last_judged_at(db, run.run_id)
    times = [run.started_at, run.finished_at, last]
    late = [t for t in times if t is not None and pd.Timestamp(t) > drawn_at]
    if late or run.status == storage.RunStatus.RUNNING:
        raise AuditRefused(
            f"judge run #{run.run_id} was made or finished after audit task {task_id} was "
            f"drawn ({drawn_at:%Y-%m-%d %H:%M:%S}), or is still running: it may have seen "
            "the audit's labels; use a run finished before the draw, or draw a new audit"
        )


def audit_basis(
    db: str | Path,
    task_id: int,
    run_id: int | None = None,
    *,
    minimum: int = MIN_AUDITED_QUERIES,
) -> AuditBasis:
    """Check the audit and the judge run and gather what the estimates stand on; fewer
    than `minimum` audited queries are refused (the live view draws from 2 on)."""
    task = storage.team.get_task(db, task_id)
    draw = storage.team.get_audit(db, task_id)
    if draw is None:
        raise AuditRefused(
            f"task {task_id} is not an audit (it drew pairs by a strategy, with no inclusion "
            "probabilities): create one with `cli.py task create --audit`"
        )
    chosen = run_id if run_id is not None else draw.run_id
    if chosen is None:
        raise AuditRefused(
            f"audit task {task_id} was drawn with no judge run: give one finished before "
            "the draw (--run)"
        )
    run = storage.get_run(db, chosen)
    if run.dataset != task.dataset:
        raise AuditRefused(f"judge run #{chosen} is not of dataset {task.dataset!r}")
    _check_run(db, run, pd.Timestamp(draw.drawn_at), task_id)
    queries = storage.team.audit_queries(db, task_id)
    drawn = queries[queries["drawn"]]
    audited = queries[queries["audited"]]
    if audited["inclusion_probability"].isna().any() or drawn.empty:
        raise AuditRefused(
            f"audit task {task_id} has no stored inclusion probability for some of its "
            "queries: its design is unknown, so no weighted estimate can be made"
        )
    if len(audited) < minimum:
        raise AuditRefused(
            f"audit task {task_id} has {len(audited)} audited queries (every pair of a drawn "
            f"query reviewed); an estimate needs at least {minimum}: review more"
        )
    # The reviewed part of the draw is taken as a random part of it (the queue follows the
    # draw's random order), so each audited query's probability is scaled by that share.
    share = len(audited) / len(drawn)
    pi = audited["inclusion_probability"].to_numpy(float) * share
    return AuditBasis(
        task_id=task_id,
        dataset=task.dataset,
        design=draw.design,
        run_id=chosen,
        population=tuple(queries["query_id"]),
        audited=tuple(audited["query_id"]),
        weights=metrics.audit_weights(np.minimum(pi, 1.0), len(queries)),
        drawn=len(drawn),
    )


def three_estimates(
    y: NDArray[np.float64], yhat: NDArray[np.float64], yhat_all: NDArray[np.float64], w: NDArray
) -> dict[str, metrics.MeanEstimate]:
    """Human-only, judge-only and prediction-powered (PPI++, weighted by the design) of one
    per-query figure."""
    return {
        HUMAN: metrics.human_mean(y, weights=w),
        JUDGE: metrics.judge_mean(yhat_all),
        PPI: metrics.ppi_mean(y, yhat, yhat_all, weights=w),
    }


def _rows(found: dict[str, metrics.MeanEstimate], **keys: object) -> list[dict[str, object]]:
    return [keys | {"method": method} | est.as_dict() for method, est in found.items()]


def _figures(sources: pd.DataFrame, grades: list[int], names: dict[int, str]) -> pd.DataFrame:
    """Per query (rows) and figure (columns), from the humans' and the judge's grades:
    `human:FIGURE` and `judge:FIGURE`."""
    judged = sources[sources["judge"].notna()]
    both = judged[judged["human"].notna()]
    columns = {
        "human:accuracy": (both["human"] == both["judge"]).groupby(both["query_id"]).mean(),
        "judge:accuracy": judged["confidence"].fillna(1.0).groupby(judged["query_id"]).mean(),
    }
    labelled = sources[sources["human"].notna()]
    for grade in grades:
        name = f"share {names.get(grade, grade)}"
        columns[f"human:{name}"] = (labelled["human"] == grade).groupby(labelled["query_id"]).mean()
        columns[f"judge:{name}"] = (judged["judge"] == grade).groupby(judged["query_id"]).mean()
    return pd.DataFrame(columns).astype(float)


def query_figures(
    db: str | Path, dataset: str, run_id: int, settings: RankSettings = ESTIMATED
) -> pd.DataFrame:
    """Every per-query figure of `dataset` under its current human labels and under judge
    run `run_id`, one row per query: `human:FIGURE` and `judge:FIGURE` for the label figures
    and for each ranking run's measures (`RUN MEASURE`). What an audit samples from, as
    bench/ppi_coverage.py simulates it on a fully labelled dataset."""
    sources = storage.rankings.label_sources(db, dataset, run_id)
    scale = storage.dataset_scale(db, dataset)
    table = _figures(sources, list(scale.grades), dict(zip(scale.grades, scale.names)))
    if storage.rankings.list_rankings(db, dataset).empty:
        return table
    lowest = min(scale.grades)
    qrels = {
        "human": graded_qrels(sources, sources["human"], lowest),
        "judge": qrels_for(db, dataset, QrelsSource(QrelsKind.JUDGE, run_id), sources),
    }
    runs = ranked_runs(db, dataset, list(table.index))
    columns = {}
    for side, graded in qrels.items():
        values = per_query(runs, graded, settings)
        for m, measure in enumerate(map(str, metrics.measures_of(settings.measures))):
            for r, run in enumerate(runs.runs):
                columns[f"{side}:{run} {measure}"] = values[m, r]
    return table.join(pd.DataFrame(columns, index=list(table.index)))


@dataclass(frozen=True)
class AuditEstimates:
    """Every estimate of an audit: `labels` (accuracy and each grade's share: figure,
    method, estimate, low, high, se, n, population, lambda, effective_n), `rankings` (the
    same per run and measure) and `differences` (per measure and two runs, the
    prediction-powered difference and whether its interval excludes 0)."""

    basis: AuditBasis
    labels: pd.DataFrame
    rankings: pd.DataFrame
    differences: pd.DataFrame

    def as_dict(self) -> dict[str, object]:
        return {
            "task_id": self.basis.task_id,
            "design": str(self.basis.design),
            "run_id": self.basis.run_id,
            "audited_queries": len(self.basis.audited),
            "drawn_queries": self.basis.drawn,
            "population_queries": len(self.basis.population),
            "covers": self.basis.covers,
            "assumes": ASSUMES,
            "labels": self.labels.to_dict("records"),
            "rankings": self.rankings.to_dict("records"),
            "differences": self.differences.to_dict("records"),
        }


def label_estimates(db: str | Path, basis: AuditBasis) -> pd.DataFrame:
    """The judge's accuracy and each grade's share over the population, three ways."""
    sources = storage.rankings.label_sources(db, basis.dataset, basis.run_id)
    scale = storage.dataset_scale(db, basis.dataset)
    table = _figures(sources, list(scale.grades), dict(zip(scale.grades, scale.names))).reindex(
        list(basis.population)
    )
    rows = []
    audited = list(basis.audited)
    for figure in [c.split(":", 1)[1] for c in table.columns if c.startswith("human:")]:
        judge_all = table[f"judge:{figure}"]
        keep = judge_all.notna()
        at = table.loc[audited]
        mask = (at[f"human:{figure}"].notna() & at[f"judge:{figure}"].notna()).to_numpy()
        if mask.sum() < 2 or keep.sum() < 2:
            continue
        found = three_estimates(
            at[f"human:{figure}"].to_numpy(float)[mask],
            at[f"judge:{figure}"].to_numpy(float)[mask],
            judge_all[keep].to_numpy(float),
            basis.weights[mask],
        )
        rows += _rows(found, figure=figure)
    return pd.DataFrame(rows)


def ranking_estimates(
    db: str | Path, basis: AuditBasis, settings: RankSettings = ESTIMATED
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each ranking run's measures over the population three ways, and the
    prediction-powered difference of every two runs."""
    if storage.rankings.list_rankings(db, basis.dataset).empty:
        return pd.DataFrame(), pd.DataFrame()
    sources = storage.rankings.label_sources(db, basis.dataset, basis.run_id)
    lowest = min(storage.dataset_scale(db, basis.dataset).grades)
    judged = qrels_for(db, basis.dataset, QrelsSource(QrelsKind.JUDGE, basis.run_id), sources)
    mine = sources[sources["query_id"].isin(set(basis.audited))]
    human = graded_qrels(mine, mine["human"], lowest)
    runs = ranked_runs(db, basis.dataset, list(basis.population))
    by_judge, by_human = per_query(runs, judged, settings), per_query(runs, human, settings)
    index = {q: i for i, q in enumerate(basis.population)}
    at = np.array([index[q] for q in basis.audited])
    rows, differences = [], []
    for m, measure in enumerate(map(str, metrics.measures_of(settings.measures))):
        values: dict[str, tuple[NDArray, NDArray, NDArray, NDArray]] = {}
        for r, run in enumerate(runs.runs):
            y, f, f_all = by_human[m, r, at], by_judge[m, r, at], by_judge[m, r]
            mask = ~np.isnan(y) & ~np.isnan(f)
            values[run] = (y, f, f_all, mask)
            if mask.sum() >= 2 and (~np.isnan(f_all)).sum() >= 2:
                found = three_estimates(
                    y[mask], f[mask], f_all[~np.isnan(f_all)], basis.weights[mask]
                )
                rows += _rows(found, run=run, measure=measure)
        for a, b in itertools.combinations(runs.runs, 2):
            (ya, fa, fa_all, ma), (yb, fb, fb_all, mb) = values[a], values[b]
            mask, keep = ma & mb, ~np.isnan(fa_all) & ~np.isnan(fb_all)
            if mask.sum() < 2 or keep.sum() < 2:
                continue
            difference = metrics.ppi_mean(
                (ya - yb)[mask],
                (fa - fb)[mask],
                (fa_all - fb_all)[keep],
                weights=basis.weights[mask],
            )
            differences.append(
                {"measure": measure, "run_a": a, "run_b": b}
                | difference.as_dict()
                | {"distinguishable": bool(difference.low > 0 or difference.high < 0)}
            )
    return pd.DataFrame(rows), pd.DataFrame(differences)


def estimate_audit(
    db: str | Path,
    task_id: int,
    run_id: int | None = None,
    settings: RankSettings = ESTIMATED,
) -> AuditEstimates:
    """Every estimate the audit task `task_id` supports, with judge run `run_id` (default:
    the run the audit was drawn with)."""
    basis = audit_basis(db, task_id, run_id)
    rankings, differences = ranking_estimates(db, basis, settings)
    return AuditEstimates(basis, label_estimates(db, basis), rankings, differences)


@dataclass(frozen=True)
class AuditProgress:
    """How the prediction-powered interval of the judge's accuracy narrowed as audited
    queries came in (`curve`: audited, estimate, low, high, width, human_width, trusted:
    from `MIN_AUDITED_QUERIES` on), and how many audited queries would reach
    `target_width` (None: out of reach)."""

    curve: pd.DataFrame
    target_width: float
    needed: int | None
    population: int


def audit_progress(
    db: str | Path, task_id: int, *, target_width: float = 0.1, run_id: int | None = None
) -> AuditProgress:
    """The interval of the judge's accuracy after each audited query, in the order they
    were completed, from the second on."""
    basis = audit_basis(db, task_id, run_id, minimum=2)
    queries = storage.team.audit_queries(db, task_id)
    order = queries[queries["audited"]].sort_values("audited_at")["query_id"].tolist()
    sources = storage.rankings.label_sources(db, basis.dataset, basis.run_id)
    scale = storage.dataset_scale(db, basis.dataset)
    table = _figures(sources, list(scale.grades), dict(zip(scale.grades, scale.names))).reindex(
        list(basis.population)
    )
    judge_all = table["judge:accuracy"].dropna().to_numpy(float)
    weight = dict(zip(basis.audited, basis.weights))
    rows, last = [], None
    for k in range(2, len(order) + 1):
        part = table.loc[order[:k]].dropna(subset=["human:accuracy", "judge:accuracy"])
        if len(part) < 2:
            continue
        w = np.array([weight[q] for q in part.index])
        w = w / w.mean()  # the first k are a random part of the audited ones
        last = metrics.ppi_mean(
            part["human:accuracy"], part["judge:accuracy"], judge_all, weights=w
        )
        human = metrics.human_mean(part["human:accuracy"], weights=w)
        rows.append(
            {
                "audited": k,
                "estimate": last.estimate,
                "low": last.low,
                "high": last.high,
                "width": last.width,
                "human_width": human.width,
                "trusted": k >= MIN_AUDITED_QUERIES,
            }
        )
    needed = None if last is None else metrics.queries_for_width(last, target_width)
    return AuditProgress(pd.DataFrame(rows), target_width, needed, len(basis.population))
