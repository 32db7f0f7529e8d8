"""Leaderboards: each ranking run's measures under one qrels, and how the leaderboards of
two qrels (human and a judge's) order the runs on every measure: Kendall's tau, tau-AP, the
pairs of runs that flip and whether the winner changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

import metrics
import storage

from ._qrels import QrelsSource, qrels_for
from ._rank_measures import RankSettings, per_query, queries_of, ranked_runs


def _graded_qrels(db: str | Path, dataset: str, source: QrelsSource) -> pd.DataFrame:
    qrels = qrels_for(db, dataset, source)
    if qrels.empty:
        raise storage.StoreError(f"the qrels {source.describe()} grade no pair of {dataset!r}")
    return qrels


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
    qrels = _graded_qrels(db, dataset, source)
    query_ids = queries_of(qrels)
    runs = ranked_runs(db, dataset, query_ids)
    values = per_query(runs, qrels, settings)
    rows = []
    for m, measure in enumerate(metrics.measures_of(settings.measures)):
        table = metrics.bootstrap_means(values[m], n_boot=settings.n_boot, seed=settings.seed)
        rows.append(table.assign(run=list(runs.runs), measure=str(measure)))
    table = pd.concat(rows, ignore_index=True)[["run", "measure", "estimate", "low", "high"]]
    return Leaderboard(source, table, len(query_ids), len(qrels))


@dataclass(frozen=True)
class RankingAgreement:
    """Two qrels' leaderboards compared on every measure: `coverage` the pairs and queries
    each qrels grades and both do; `summary` has a row per measure (tau, its interval,
    tau-AP, its interval, flips, winners); `by_measure` the details. When the coverage is
    not comparable both are empty: no figure is computed from too few shared grades."""

    a: QrelsSource
    b: QrelsSource
    coverage: metrics.Coverage
    summary: pd.DataFrame
    by_measure: dict[str, metrics.LeaderboardAgreement] = field(repr=False)

    def as_dict(self) -> dict[str, object]:
        """For JSON: the coverage, the summary and each measure's scores."""
        return {
            "a": str(self.a),
            "b": str(self.b),
            "coverage": self.coverage.as_dict(),
            "summary": self.summary.to_dict("records"),
            "scores": {m: found.scores.to_dict("records") for m, found in self.by_measure.items()},
        }


def compare_leaderboards(
    db: str | Path,
    dataset: str,
    a: QrelsSource,
    b: QrelsSource,
    settings: RankSettings = RankSettings(),
) -> RankingAgreement:
    """How the leaderboards under `a` (the reference, e.g. human) and `b` (e.g. a judge)
    order the ranking runs of `dataset`, on the same resampled queries in every draw."""
    if len(storage.rankings.list_rankings(db, dataset)) == 1:
        raise storage.StoreError(
            f"dataset {dataset!r} has one ranking run: comparing leaderboards needs two or more"
        )
    qrels_a, qrels_b = _graded_qrels(db, dataset, a), _graded_qrels(db, dataset, b)
    covered = metrics.coverage(qrels_a, qrels_b, rule=metrics.LEADERBOARDS)
    if not covered.comparable:
        return RankingAgreement(a, b, covered, pd.DataFrame(), {})
    runs = ranked_runs(db, dataset, queries_of(qrels_a, qrels_b))
    per_a, per_b = per_query(runs, qrels_a, settings), per_query(runs, qrels_b, settings)
    by_measure, rows = {}, []
    for m, measure in enumerate(map(str, metrics.measures_of(settings.measures))):
        found = metrics.leaderboard_agreement(
            per_a[m], per_b[m], list(runs.runs), n_boot=settings.n_boot, seed=settings.seed
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
    return RankingAgreement(a, b, covered, pd.DataFrame(rows), by_measure)
