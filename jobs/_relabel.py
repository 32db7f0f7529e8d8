"""The relabelling what-if of the paper: adopt a judge run's grade where its confidence is at
least c, without writing a label, and see the label changes (old grade x new grade) and each
ranking run's change in nDCG@10 and RR; then apply it for real as one undoable batch of
`judge` label events.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import metrics
import storage

from ._qrels import QrelsKind, QrelsSource, graded_qrels, qrels_for
from ._rank_measures import RankSettings, per_query, queries_of, ranked_runs

IMPACT_MEASURES = ("nDCG@10", "RR")  # what the relabelling what-if reports, as the paper does


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
    sources = storage.rankings.label_sources(db, dataset, run_id)
    adopt, changes = _adopted(sources, min_confidence)
    new = sources["human"].where(~adopt, sources["judge"])
    labelled = sources["human"].notna()
    transitions = metrics.transition_table(
        sources.loc[labelled, "human"].to_numpy(int),
        new[labelled].to_numpy(int),
        list(scale.grades),
    )
    before = qrels_for(db, dataset, QrelsSource(QrelsKind.HUMAN), sources)
    after = graded_qrels(sources, new, min(scale.grades))
    return WhatIf(
        run_id=run_id,
        min_confidence=min_confidence,
        transitions=transitions,
        newly_labelled=int((adopt & ~labelled).sum()),
        changes=changes,
        impact=_impact(db, dataset, before, after, settings),
    )


def _impact(
    db: str | Path,
    dataset: str,
    before: pd.DataFrame,
    after: pd.DataFrame,
    settings: RankSettings,
) -> pd.DataFrame:
    columns = ["run", "measure", "before", "after", "difference", "low", "high"]
    if storage.rankings.list_rankings(db, dataset).empty:
        return pd.DataFrame(columns=columns)
    runs = ranked_runs(db, dataset, queries_of(before, after))
    measures = list(IMPACT_MEASURES)
    per_before = per_query(runs, before, settings, measures)
    per_after = per_query(runs, after, settings, measures)
    rows = [
        metrics.paired_mean_differences(
            per_before[m], per_after[m], n_boot=settings.n_boot, seed=settings.seed
        ).assign(run=list(runs.runs), measure=measure)
        for m, measure in enumerate(measures)
    ]
    return pd.concat(rows, ignore_index=True)[columns]


def apply_relabel(
    db: str | Path, dataset: str, run_id: int, min_confidence: float, *, author: str | None
) -> int:
    """Write the what-if at `min_confidence` as one relabel batch of `judge` label events
    (undone as one by `storage.rankings.undo_relabel`); returns the batch id."""
    _, grades = _adopted(storage.rankings.label_sources(db, dataset, run_id), min_confidence)
    return storage.rankings.apply_relabel(
        db, dataset, run_id, grades, min_confidence=min_confidence, author=author
    )
