"""Ranking impact: does the judge rank search systems as the humans would?

The store holds ranking runs and the labels; metrics score runs under qrels and compare
leaderboards; the judge grades the holes. They meet here:

- qrels from any source (`QrelsSource`): the current human labels, the imported labels
  before any review, a judge run's grades (argmax, or its expected grade cut at thresholds
  tuned on the human labels), or humans where they labelled and the judge elsewhere;
- a leaderboard per qrels, with query-bootstrap intervals;
- the agreement of two leaderboards on every measure (Kendall's tau, tau-AP, flips, winner);
- the relabelling what-if of the paper (adopt the judge's grade where its confidence is at
  least c), applied for real as one undoable batch of label events;
- pooling the runs' unlabelled top-k documents into pairs and judging them.

Qrels levels are grades minus the scale's lowest grade, so the lowest grade is not relevant
on any scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd

import judge
import metrics
import storage

from ._baseline import BASELINE_BACKEND, baseline_run
from ._judging import RunControl, rejudge_pairs, settings_for_run

DEFAULT_MEASURES = ("nDCG@10", "nDCG@20", "RR", "P@10", "R@20", "Judged@10")
IMPACT_MEASURES = ("nDCG@10", "RR")  # what the relabelling what-if reports, as the paper does


class QrelsKind(StrEnum):
    """Where a qrels' grades come from."""

    HUMAN = "human"
    IMPORTED = "imported"
    JUDGE = "judge"
    JUDGE_EXPECTED = "judge-expected"
    HUMAN_JUDGE = "human+judge"


_NEEDS_RUN = {QrelsKind.JUDGE, QrelsKind.JUDGE_EXPECTED, QrelsKind.HUMAN_JUDGE}
_WORDS = {
    QrelsKind.HUMAN: "current human labels",
    QrelsKind.IMPORTED: "imported labels (before any review)",
    QrelsKind.JUDGE: "judge run #{run} (its grade)",
    QrelsKind.JUDGE_EXPECTED: "judge run #{run} (expected grade, thresholds tuned on the labels)",
    QrelsKind.HUMAN_JUDGE: "human labels, judge run #{run} where none",
}


@dataclass(frozen=True)
class QrelsSource:
    """A qrels by its source, written `human`, `imported`, `judge:RUN`,
    `judge-expected:RUN` or `human+judge:RUN`."""

    kind: QrelsKind
    run_id: int | None = None

    def __post_init__(self) -> None:
        if (self.kind in _NEEDS_RUN) != (self.run_id is not None):
            raise storage.StoreError(
                f"qrels {self.kind.value} {'needs' if self.kind in _NEEDS_RUN else 'takes no'} "
                "judge run: write it as judge:RUN, judge-expected:RUN or human+judge:RUN"
            )

    @classmethod
    def parse(cls, text: str) -> QrelsSource:
        kind, _, run = text.strip().partition(":")
        try:
            return cls(QrelsKind(kind), int(run) if run else None)
        except ValueError:
            choices = "human, imported, judge:RUN, judge-expected:RUN, human+judge:RUN"
            raise storage.StoreError(f"unknown qrels {text!r}: use one of {choices}") from None

    def __str__(self) -> str:
        return self.kind.value if self.run_id is None else f"{self.kind.value}:{self.run_id}"

    def describe(self) -> str:
        return _WORDS[self.kind].format(run=self.run_id)


@dataclass(frozen=True, kw_only=True)
class RankSettings:
    """What the ranking measures are and how their intervals are drawn: `threshold` is the
    lowest relevance level RR, P and R count (1: WANDS Partial and Exact)."""

    measures: tuple[str, ...] = DEFAULT_MEASURES
    threshold: int = 1
    n_boot: int = 1000
    seed: int = 0


def qrels_for(
    db: str | Path, dataset: str, source: QrelsSource, sources: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The qrels of `dataset` from `source`: query_id, doc_id, level. `sources` is
    `storage.label_sources` when the caller has read it already."""
    if source.run_id is not None and storage.get_run(db, source.run_id).dataset != dataset:
        raise storage.NotFoundError(f"dataset {dataset!r} has no judge run {source.run_id}")
    if sources is None:
        sources = storage.label_sources(db, dataset, source.run_id)
    scale = storage.dataset_scale(db, dataset)
    kind = source.kind
    if kind is QrelsKind.HUMAN:
        grade = sources["human"]
    elif kind is QrelsKind.IMPORTED:
        grade = sources["imported"]
    elif kind is QrelsKind.JUDGE:
        grade = sources["judge"]
    elif kind is QrelsKind.HUMAN_JUDGE:
        grade = sources["human"].fillna(sources["judge"])
    else:
        grade = _thresholded(sources, list(scale.grades))
    return _graded(sources, grade, min(scale.grades))


def _graded(sources: pd.DataFrame, grade: pd.Series, lowest: int) -> pd.DataFrame:
    """Qrels rows (query_id, doc_id, level) of the pairs `grade` grades."""
    graded = sources.assign(grade=grade)[grade.notna()]
    return pd.DataFrame(
        {
            "query_id": graded["query_id"],
            "doc_id": graded["doc_id"],
            "level": (graded["grade"] - lowest).astype("int64"),
        }
    ).reset_index(drop=True)


def _thresholded(sources: pd.DataFrame, grades: list[int]) -> pd.Series:
    """The judge's expected grade cut at the thresholds that best agree with the humans."""
    both = sources[sources["expected_grade"].notna() & sources["human"].notna()]
    if both.empty:
        raise storage.StoreError(
            "the judge run has no expected grade on a labelled pair to tune thresholds on: "
            "use judge:RUN (its grade) instead"
        )
    cuts = metrics.tune_thresholds(
        both["expected_grade"].to_numpy(float), both["human"].to_numpy(int), grades
    )
    scored = sources["expected_grade"].notna()
    out = pd.Series(pd.NA, index=sources.index, dtype="Int64")
    out[scored] = metrics.apply_thresholds(
        sources.loc[scored, "expected_grade"].to_numpy(float), cuts, grades
    )
    return out


def _ranked(db: str | Path, dataset: str) -> tuple[pd.DataFrame, list[str]]:
    """The dataset's ranking runs as (run, query_id, doc_id, rank) and their names."""
    runs = storage.list_rankings(db, dataset)
    if runs.empty:
        raise storage.StoreError(
            f"dataset {dataset!r} has no ranking run: import one (`cli.py import run`, or the "
            "Rankers page)"
        )
    names = dict(zip(runs["ranking_id"], runs["name"]))
    ranked = storage.ranked_documents(db, dataset)
    ranked["run"] = ranked["ranking_id"].map(names)
    return ranked, list(runs["name"])


def _per_query(
    ranked: pd.DataFrame,
    qrels: pd.DataFrame,
    runs: list[str],
    query_ids: list[str],
    settings: RankSettings,
    measures: Sequence[str] | None = None,
) -> np.ndarray:
    lists = metrics.ranked_lists(ranked, qrels, runs=runs, query_ids=query_ids)
    return metrics.per_query_measures(
        lists, measures or settings.measures, threshold=settings.threshold
    )


def _queries(*qrels: pd.DataFrame) -> list[str]:
    return sorted(set().union(*(set(q["query_id"]) for q in qrels)))


@dataclass(frozen=True)
class Leaderboard:
    """Each ranking run's measures under one qrels: `table` has a row per run and measure
    (run, measure, estimate, low, high), runs in the order of the first measure."""

    source: QrelsSource
    table: pd.DataFrame
    queries: int
    judged_pairs: int

    def wide(self) -> pd.DataFrame:
        """One row per run, one column per measure (the estimates)."""
        wide = self.table.pivot(index="run", columns="measure", values="estimate")
        measures = list(dict.fromkeys(self.table["measure"]))
        return wide[measures].sort_values(measures[0], ascending=False)


def leaderboard(
    db: str | Path, dataset: str, source: QrelsSource, settings: RankSettings = RankSettings()
) -> Leaderboard:
    """Every ranking run of `dataset` scored under `source`, with 95% intervals."""
    ranked, runs = _ranked(db, dataset)
    qrels = qrels_for(db, dataset, source)
    if qrels.empty:
        raise storage.StoreError(f"the qrels {source.describe()} grade no pair of {dataset!r}")
    query_ids = _queries(qrels)
    per_query = _per_query(ranked, qrels, runs, query_ids, settings)
    rows = []
    for m, measure in enumerate(metrics.measures_of(settings.measures)):
        table = metrics.bootstrap_means(per_query[m], n_boot=settings.n_boot, seed=settings.seed)
        rows.append(table.assign(run=runs, measure=str(measure)))
    table = pd.concat(rows, ignore_index=True)[["run", "measure", "estimate", "low", "high"]]
    return Leaderboard(source, table, len(query_ids), len(qrels))


@dataclass(frozen=True)
class RankingAgreement:
    """Two qrels' leaderboards compared on every measure: `summary` has a row per measure
    (tau, its interval, tau-AP, its interval, flips, winners); `by_measure` the details."""

    a: QrelsSource
    b: QrelsSource
    summary: pd.DataFrame
    by_measure: dict[str, metrics.LeaderboardAgreement] = field(repr=False)


def compare_leaderboards(
    db: str | Path,
    dataset: str,
    a: QrelsSource,
    b: QrelsSource,
    settings: RankSettings = RankSettings(),
) -> RankingAgreement:
    """How the leaderboards under `a` (the reference, e.g. human) and `b` (e.g. a judge)
    order the ranking runs of `dataset`, on the same resampled queries in every draw."""
    ranked, runs = _ranked(db, dataset)
    if len(runs) < 2:
        raise storage.StoreError(
            f"dataset {dataset!r} has one ranking run: comparing leaderboards needs two or more"
        )
    qrels_a, qrels_b = qrels_for(db, dataset, a), qrels_for(db, dataset, b)
    for source, qrels in ((a, qrels_a), (b, qrels_b)):
        if qrels.empty:
            raise storage.StoreError(f"the qrels {source.describe()} grade no pair of {dataset!r}")
    query_ids = _queries(qrels_a, qrels_b)
    per_a = _per_query(ranked, qrels_a, runs, query_ids, settings)
    per_b = _per_query(ranked, qrels_b, runs, query_ids, settings)
    by_measure, rows = {}, []
    for m, measure in enumerate(map(str, metrics.measures_of(settings.measures))):
        found = metrics.leaderboard_agreement(
            per_a[m], per_b[m], runs, n_boot=settings.n_boot, seed=settings.seed
        )
        by_measure[measure] = found
        rows.append(
            {
                "measure": measure,
                "tau": found.tau[0],
                "tau_low": found.tau[1],
                "tau_high": found.tau[2],
                "tau_ap": found.tau_ap[0],
                "tau_ap_low": found.tau_ap[1],
                "tau_ap_high": found.tau_ap[2],
                "flipped_pairs": len(found.flips),
                "winner_a": found.winner_a,
                "winner_b": found.winner_b,
                "winner_changes": found.winner_changes,
            }
        )
    return RankingAgreement(a, b, pd.DataFrame(rows), by_measure)


@dataclass(frozen=True)
class WhatIf:
    """The relabelling what-if: adopt judge run `run_id`'s grade where its confidence is at
    least `min_confidence`.

    `transitions` counts the labelled pairs by old grade x new grade (the diagonal kept
    theirs); `newly_labelled` is how many unlabelled pairs would gain the judge's grade;
    `changes` are the (pair_id, new grade) a relabel batch would write; `impact` has a row
    per ranking run and measure: before, after, difference and its paired interval.
    """

    run_id: int
    min_confidence: float
    transitions: pd.DataFrame
    newly_labelled: int
    changes: tuple[tuple[int, int], ...]
    impact: pd.DataFrame


def _adopted(
    sources: pd.DataFrame, min_confidence: float
) -> tuple[pd.Series, tuple[tuple[int, int], ...]]:
    """Which pairs take the judge's grade at `min_confidence`, and the (pair_id, grade)
    of those whose grade that changes (or gives them one)."""
    adopt = (sources["judge"].notna() & (sources["confidence"] >= min_confidence)).fillna(False)
    adopt = adopt.astype(bool)
    changed = adopt & (sources["human"].isna() | (sources["human"] != sources["judge"]))
    changes = tuple(
        (int(p), int(g))
        for p, g in zip(sources.loc[changed, "pair_id"], sources.loc[changed, "judge"])
    )
    return adopt, changes


def relabel_what_if(
    db: str | Path,
    dataset: str,
    run_id: int,
    min_confidence: float,
    settings: RankSettings = RankSettings(),
) -> WhatIf:
    """What adopting judge run `run_id`'s grades at `min_confidence` would change, without
    writing a label: the grade transitions and each ranking run's nDCG@10 and RR."""
    scale = storage.dataset_scale(db, dataset)
    sources = storage.label_sources(db, dataset, run_id)
    adopt, changes = _adopted(sources, min_confidence)
    new = sources["human"].where(~adopt, sources["judge"])
    labelled = sources["human"].notna()
    transitions = metrics.transition_table(
        sources.loc[labelled, "human"].to_numpy(int),
        new[labelled].to_numpy(int),
        list(scale.grades),
    )
    before = qrels_for(db, dataset, QrelsSource(QrelsKind.HUMAN), sources)
    after = _graded(sources, new, min(scale.grades))
    impact = _impact(db, dataset, before, after, settings)
    return WhatIf(
        run_id=run_id,
        min_confidence=min_confidence,
        transitions=transitions,
        newly_labelled=int((adopt & ~labelled).sum()),
        changes=changes,
        impact=impact,
    )


def _impact(
    db: str | Path,
    dataset: str,
    before: pd.DataFrame,
    after: pd.DataFrame,
    settings: RankSettings,
) -> pd.DataFrame:
    if storage.list_rankings(db, dataset).empty:
        return pd.DataFrame(
            columns=["run", "measure", "before", "after", "difference", "low", "high"]
        )
    ranked, runs = _ranked(db, dataset)
    query_ids = _queries(before, after)
    measures = list(IMPACT_MEASURES)
    per_before = _per_query(ranked, before, runs, query_ids, settings, measures)
    per_after = _per_query(ranked, after, runs, query_ids, settings, measures)
    rows = [
        metrics.paired_mean_differences(
            per_before[m], per_after[m], n_boot=settings.n_boot, seed=settings.seed
        ).assign(run=runs, measure=measure)
        for m, measure in enumerate(measures)
    ]
    table = pd.concat(rows, ignore_index=True)
    return table[["run", "measure", "before", "after", "difference", "low", "high"]]


def apply_relabel(
    db: str | Path, dataset: str, run_id: int, min_confidence: float, *, author: str | None
) -> int:
    """Write the what-if at `min_confidence` as one relabel batch of `judge` label events
    (undone as one by `storage.undo_relabel`); returns the batch id."""
    _, grades = _adopted(storage.label_sources(db, dataset, run_id), min_confidence)
    return storage.apply_relabel(
        db, dataset, run_id, grades, min_confidence=min_confidence, author=author
    )


@dataclass(frozen=True)
class JudgedHoles:
    """What `judge_holes` did: the pairs pooling created, the holes judged and by which run
    (a new baseline run when the chosen run is the baseline, which learns from the labels)."""

    new_pairs: int
    judged: int
    run_id: int


def judge_holes(
    db: str | Path,
    dataset: str,
    run_id: int,
    depth: int,
    *,
    control: RunControl | None = None,
) -> JudgedHoles:
    """Pool every ranking run's unlabelled top-`depth` documents into pairs and judge them
    with judge run `run_id` (its own settings, as a re-judge does). The lexical baseline is
    trained again over the dataset instead, grading every pair as a new run."""
    pooled = storage.pool_holes(db, dataset, depth)
    run = storage.get_run(db, run_id)
    if run.backend == BASELINE_BACKEND:
        new_run = baseline_run(db, dataset)
        return JudgedHoles(pooled.new_pairs, len(pooled.hole_pair_ids), new_run)
    settings_for_run(db, run_id)  # a run imported from another tool cannot judge: say so now
    if not pooled.hole_pair_ids:
        return JudgedHoles(pooled.new_pairs, 0, run_id)
    judged = rejudge_pairs(db, run_id, list(pooled.hole_pair_ids), control=control or RunControl())
    return JudgedHoles(pooled.new_pairs, len(judged), run_id)


def why_holes_cannot_be_judged(db: str | Path, run_id: int) -> str | None:
    """Why judge run `run_id` cannot judge holes (a run imported from another tool), or None."""
    if storage.get_run(db, run_id).backend == BASELINE_BACKEND:
        return None
    try:
        settings_for_run(db, run_id)
    except judge.JudgeError as error:
        return str(error)
    return None
