"""Reports on stored runs: the store's frames fed through the pure metric functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import metrics
import storage
from grade_scale import Scale


@dataclass(frozen=True)
class Calibration:
    """How well a run's grade probabilities match the human grades, and what tuned
    thresholds on the expected grade would change, measured on held-out queries only."""

    ece: float
    brier: float
    reliability: pd.DataFrame
    """The bins ECE sums over, one row per non-empty bin: bin_low, bin_high, count,
    confidence (mean top probability), accuracy (share whose top grade is the human's)."""
    thresholds: metrics.ThresholdValidation | None
    """None with fewer than `MIN_QUERIES_FOR_THRESHOLDS` queries: too few folds to hold out."""
    n_pairs: int
    """Graded pairs with probabilities: what every number here is computed on."""
    n_queries: int
    """Queries those pairs come from: the units the threshold folds hold out."""


@dataclass(frozen=True)
class RunReport:
    """Judge-versus-human metrics of one run, with 95% query-bootstrap intervals."""

    run_id: int
    scale: Scale
    metrics: pd.DataFrame
    """Columns metric (as `metrics.summarize` names it), label (for people), value, low, high."""
    confusion: np.ndarray
    """k x k counts: rows human grade, columns judge grade, in scale order."""
    per_query: pd.DataFrame
    per_class: pd.DataFrame
    calibration: Calibration | None
    agreement: metrics.RaterAgreement | None
    n_pairs: int
    """Labelled pairs the judge graded: what the metrics are computed on."""
    n_unjudged: int
    """Labelled pairs of the run with no grade (backend error or unparsed answer)."""
    n_stale: int

    @property
    def row_shares(self) -> np.ndarray:
        """Share of each human grade judged as each grade ("57% of Exact judged Partial")."""
        return np.asarray(metrics.row_shares(self.confusion))

    @property
    def headline(self) -> pd.DataFrame:
        """The rows of `metrics` that score the whole matrix: accuracy, macro-F1, quadratic
        kappa, MAE, severe error rate."""
        return self.metrics[self.metrics["metric"].isin(_HEADLINE_LABELS)].reset_index(drop=True)

    @property
    def per_grade(self) -> pd.DataFrame:
        """Precision, recall and F1 of each grade, one row per grade in scale order.

        Columns grade, name, then for each of precision, recall and f1 its value and its
        interval (`recall`, `recall_low`, `recall_high`): the rows of `metrics` not in
        `headline`, turned so that one grade reads along one line.
        """
        columns = ["grade", "name"] + [
            f"{kind}{stat}" for kind in _PER_GRADE_LABELS for stat in ("", "_low", "_high")
        ]
        rows = self.metrics[~self.metrics["metric"].isin(_HEADLINE_LABELS)]
        if rows.empty:
            return pd.DataFrame(columns=columns)
        kind, grade = zip(*(m.rsplit("_", 1) for m in rows["metric"]))
        wide = rows.assign(kind=kind, grade=np.asarray(grade, dtype=int)).pivot(
            index="grade", columns="kind", values=["value", "low", "high"]
        )
        wide.columns = [
            kind if stat == "value" else f"{kind}_{stat}" for stat, kind in wide.columns
        ]
        wide = wide.reindex(list(self.scale.grades)).rename_axis("grade").reset_index()
        return wide.assign(name=list(self.scale.names))[columns]


@dataclass(frozen=True)
class RunComparison:
    """Paired differences between two runs on the labelled pairs both graded."""

    run_a: int
    run_b: int
    differences: pd.DataFrame
    """Columns metric, label, a, b, difference (b - a), low, high, excludes_zero; empty when
    the coverage is not comparable."""
    disagreements: pd.DataFrame
    """Pairs the two runs grade differently: pair_id, query_id, human, judge_a, judge_b."""
    n_pairs: int
    coverage: metrics.Coverage
    """Labelled pairs and queries each run graded, and both did (`metrics.TWO_RUNS`)."""


@dataclass(frozen=True)
class SharedReports:
    """Several runs on common ground: each run's report restricted to the labelled pairs
    that every one of the runs graded, so the runs are compared on the same pairs."""

    reports: dict[int, RunReport]
    """Run id -> its report on the shared pairs, in the order the runs were asked for."""
    graded: dict[int, int]
    """Run id -> labelled pairs the run graded in all: what it is compared on when alone."""
    n_pairs: int
    """Pairs every run graded (and humans labelled); 0 when the runs share none."""
    n_queries: int
    """Queries those pairs come from."""


MIN_QUERIES_FOR_THRESHOLDS = 5
_HEADLINE_LABELS = {
    "accuracy": "Accuracy",
    "macro_f1": "Macro-F1",
    "kappa_quadratic": "Quadratic kappa",
    "mae": "MAE",
    "severe_error_rate": "Severe error rate",
}
_PER_GRADE_LABELS = {"precision": "Precision", "recall": "Recall", "f1": "F1"}


def metric_label(metric: str, scale: Scale) -> str:
    """How a person reads a metric's name: `recall_2` on WANDS is "Recall Exact"."""
    if metric in _HEADLINE_LABELS:
        return _HEADLINE_LABELS[metric]
    kind, _, grade = metric.rpartition("_")
    return f"{_PER_GRADE_LABELS.get(kind, kind)} {scale.name_of(int(grade))}"


def _labelled(table: pd.DataFrame, scale: Scale) -> pd.DataFrame:
    labels = [metric_label(m, scale) for m in table["metric"]]
    return table.assign(label=labels)[["metric", "label", *table.columns.drop("metric")]]


def _graded(frame: pd.DataFrame) -> pd.DataFrame:
    graded = frame[frame["judge"].notna()].copy()
    graded["judge"] = graded["judge"].astype(int)
    graded["human"] = graded["human"].astype(int)
    return graded


def _calibration(graded: pd.DataFrame, grades: list[int], seed: int) -> Calibration | None:
    scored = graded[graded["probs"].notna()]
    if scored.empty:
        return None
    probs = np.vstack(scored["probs"].to_numpy()).astype(float)
    probs /= probs.sum(axis=1, keepdims=True)  # float32 storage: renormalise exactly
    thresholds = None
    n_queries = scored["query_id"].nunique()
    if n_queries >= MIN_QUERIES_FOR_THRESHOLDS:
        thresholds = metrics.cross_validated_thresholds(
            metrics.expected_grade(probs, grades),
            scored["human"],
            scored["query_id"],
            grades,
            y_pred=scored["judge"],
            seed=seed,
        )
    return Calibration(
        ece=metrics.expected_calibration_error(probs, scored["human"], grades),
        brier=metrics.brier_score(probs, scored["human"], grades),
        reliability=_confidence_reliability(probs, scored["human"].to_numpy(), grades),
        thresholds=thresholds,
        n_pairs=len(scored),
        n_queries=n_queries,
    )


def _confidence_reliability(
    probs: np.ndarray, human: np.ndarray, grades: list[int]
) -> pd.DataFrame:
    """The judge's confidence (its top probability) binned against how often its top grade
    is the human's: the diagram that explains ECE. It is the reliability table of the binary
    outcome "the judge is right" at probability `confidence`, so `metrics.reliability_table`
    bins it exactly as `metrics.expected_calibration_error` does."""
    confidence = probs.max(axis=1)
    right = (np.asarray(grades)[probs.argmax(axis=1)] == human).astype(int)
    table = metrics.reliability_table(np.column_stack([1 - confidence, confidence]), right, [0, 1])
    return (
        table[table["grade"] == 1]
        .drop(columns=["grade", "bin"])
        .rename(columns={"mean_predicted": "confidence", "observed_frequency": "accuracy"})
        .reset_index(drop=True)
    )


def _agreement(
    raters: pd.DataFrame, graded: pd.DataFrame, grades: list[int]
) -> metrics.RaterAgreement | None:
    """Judge-human next to human-human agreement, from each named annotator's grades
    (`storage.rater_labels`) on the pairs the judge graded; None with fewer than two."""
    if raters["author"].nunique() < 2:
        return None
    judged = pd.DataFrame(
        {"pair_id": graded["pair_id"], "author": "judge", "grade": graded["judge"]}
    )
    both = pd.concat([raters[raters["pair_id"].isin(graded["pair_id"])], judged])
    return metrics.rater_agreement(
        both["pair_id"], both["author"], both["grade"], grades, judge="judge"
    )


def _report(
    run_id: int,
    scale: Scale,
    raters: pd.DataFrame,
    frame: pd.DataFrame,
    *,
    n_boot: int,
    seed: int,
) -> RunReport:
    """The report of `run_id` on the rows of `frame` (`storage.run_labels`, or a subset of
    it): every number, the counts included, comes from exactly those rows. `raters` are the
    dataset's annotators' grades (`storage.rater_labels`)."""
    grades = list(scale.grades)
    graded = _graded(frame)
    human, judged = graded["human"].to_numpy(), graded["judge"].to_numpy()
    if graded.empty:
        table = pd.DataFrame(columns=["metric", "value", "low", "high"])
        per_query = per_class = pd.DataFrame()
    else:
        _, per_query_c = metrics.per_query_confusions(human, judged, graded["query_id"], grades)
        table = (
            metrics.bootstrap_intervals(per_query_c, grades, n_boot=n_boot, seed=seed)
            .rename(columns={"estimate": "value"})
            .rename_axis("metric")
            .reset_index()
        )
        per_query = metrics.breakdown(human, judged, graded["query_id"], grades)
        per_class = metrics.breakdown(
            human, judged, graded["query_class"].fillna(""), grades, query_ids=graded["query_id"]
        )
    return RunReport(
        run_id=run_id,
        scale=scale,
        metrics=_labelled(table, scale),
        confusion=metrics.confusion_matrix(human, judged, grades),
        per_query=per_query,
        per_class=per_class,
        calibration=_calibration(graded, grades, seed),
        agreement=None if graded.empty else _agreement(raters, graded, grades),
        n_pairs=len(graded),
        n_unjudged=len(frame) - len(graded),
        n_stale=int(frame["stale"].sum()),
    )


def run_report(db: str | Path, run_id: int, *, n_boot: int = 1000, seed: int = 0) -> RunReport:
    """Metrics of `run_id` against the current human labels, with bootstrap intervals."""
    with storage.session(db) as store:
        dataset = storage.get_run(store, run_id).dataset
        scale, raters = storage.dataset_scale(store, dataset), storage.rater_labels(store, dataset)
        frame = storage.run_labels(store, run_id)
    return _report(run_id, scale, raters, frame, n_boot=n_boot, seed=seed)


def _dataset_of(store: storage.Store, run_ids: list[int]) -> str:
    """The one dataset `run_ids` judge; runs of two datasets share no pair to compare on."""
    datasets = {r: storage.get_run(store, r).dataset for r in run_ids}
    if len(set(datasets.values())) > 1:
        named = ", ".join(f"#{r} {d}" for r, d in datasets.items())
        raise storage.StoreError(f"runs of different datasets cannot be compared ({named})")
    return next(iter(datasets.values()))


def shared_pair_reports(
    db: str | Path, run_ids: Sequence[int], *, n_boot: int = 1000, seed: int = 0
) -> SharedReports:
    """The reports of `run_ids` (at least one, of one dataset), each restricted to the
    labelled pairs that every one of them graded. Differences between these reports are
    differences between the judges: each run's own report also differs by the pairs it
    happened to judge (a split, a cancelled run). The bootstrap draws the same queries for
    every run (one seed, the same query ids), so their intervals are comparable."""
    run_ids = list(dict.fromkeys(run_ids))
    if not run_ids:
        raise ValueError("shared_pair_reports needs at least one run")
    with storage.session(db) as store:
        dataset = _dataset_of(store, run_ids)
        scale, raters = storage.dataset_scale(store, dataset), storage.rater_labels(store, dataset)
        frames = {r: storage.run_labels(store, r) for r in run_ids}
    graded = {r: set(frame.loc[frame["judge"].notna(), "pair_id"]) for r, frame in frames.items()}
    shared = set.intersection(*graded.values())
    restricted = {r: frame[frame["pair_id"].isin(shared)] for r, frame in frames.items()}
    return SharedReports(
        reports={
            r: _report(r, scale, raters, frame, n_boot=n_boot, seed=seed)
            for r, frame in restricted.items()
        },
        graded={r: len(pairs) for r, pairs in graded.items()},
        n_pairs=len(shared),
        n_queries=restricted[run_ids[0]]["query_id"].nunique(),
    )


def compare_runs(
    db: str | Path, run_a: int, run_b: int, *, n_boot: int = 1000, seed: int = 0
) -> RunComparison:
    """Paired bootstrap of run B minus run A over the labelled pairs both runs graded, when
    they cover enough of each other's pairs (`metrics.TWO_RUNS`)."""
    with storage.session(db) as store:
        scale = storage.dataset_scale(store, _dataset_of(store, [run_a, run_b]))
        a, b = (_graded(storage.run_labels(store, r)) for r in (run_a, run_b))
    grades = list(scale.grades)
    both = a.merge(b[["pair_id", "judge"]], on="pair_id", suffixes=("_a", "_b"))
    columns = ["metric", "a", "b", "difference", "low", "high", "excludes_zero"]
    covered = metrics.coverage(a, b, on=("query_id", "pair_id"), rule=metrics.TWO_RUNS)
    if not covered.comparable:
        differences = pd.DataFrame(columns=columns)
    else:
        human, queries = both["human"].to_numpy(), both["query_id"]
        _, per_query_a = metrics.per_query_confusions(human, both["judge_a"], queries, grades)
        _, per_query_b = metrics.per_query_confusions(human, both["judge_b"], queries, grades)
        differences = (
            metrics.paired_bootstrap(per_query_a, per_query_b, grades, n_boot=n_boot, seed=seed)
            .rename_axis("metric")
            .reset_index()[columns]
        )
    disagree = both[both["judge_a"] != both["judge_b"]]
    return RunComparison(
        run_a=run_a,
        run_b=run_b,
        differences=_labelled(differences, scale),
        disagreements=disagree[["pair_id", "query_id", "human", "judge_a", "judge_b"]].reset_index(
            drop=True
        ),
        n_pairs=len(both),
        coverage=covered,
    )
