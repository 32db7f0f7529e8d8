"""Qrels from any source: the grades a set of ranking runs is scored under.

A qrels is read from the store's labels or a judge run (`QrelsSource`): the current human
labels, the imported labels before any review (to see what review changed), a judge run's
grades (argmax, or its expected grade cut at thresholds tuned on the human labels), or
humans where they labelled and the judge elsewhere.

Qrels levels are `metrics.relevance_levels` of the grades: grade 0 and grades below it are
not relevant, as trec_eval reads them, and on a scale starting above 0 its lowest grade.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pandas as pd

import metrics
import storage


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


def qrels_for(
    db: str | Path, dataset: str, source: QrelsSource, sources: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The qrels of `dataset` from `source`: query_id, doc_id, level. `sources` is
    `storage.rankings.label_sources` when the caller has read it already."""
    if source.run_id is not None and storage.get_run(db, source.run_id).dataset != dataset:
        raise storage.NotFoundError(f"dataset {dataset!r} has no judge run {source.run_id}")
    if sources is None:
        sources = storage.rankings.label_sources(db, dataset, source.run_id)
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
    return graded_qrels(sources, grade, min(scale.grades))


def graded_qrels(sources: pd.DataFrame, grade: pd.Series, lowest: int) -> pd.DataFrame:
    """Qrels rows (query_id, doc_id, level) of the pairs of `sources` that `grade` grades,
    on a scale whose lowest grade is `lowest`."""
    graded = sources.assign(grade=grade)[grade.notna()]
    return pd.DataFrame(
        {
            "query_id": graded["query_id"],
            "doc_id": graded["doc_id"],
            "level": metrics.relevance_levels(graded["grade"].to_numpy("int64"), lowest),
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
