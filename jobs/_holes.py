"""Hole filling: the documents ranking runs put in their top k that nobody labelled become
pairs (flagged as pooled) and are judged in one click, as stale pairs are re-judged."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import judge
import storage

from ._baseline import baseline_run
from ._judging import RunControl, rejudge_pairs, settings_for_run


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
    pooled = storage.rankings.pool_holes(db, dataset, depth)
    run = storage.get_run(db, run_id)
    if _learned(run.backend):
        new_run = baseline_run(db, dataset)
        return JudgedHoles(pooled.new_pairs, len(pooled.hole_pair_ids), new_run)
    settings_for_run(db, run_id)  # a run imported from another tool cannot judge: say so now
    if not pooled.hole_pair_ids:
        return JudgedHoles(pooled.new_pairs, 0, run_id)
    judged = rejudge_pairs(db, run_id, list(pooled.hole_pair_ids), control=control or RunControl())
    return JudgedHoles(pooled.new_pairs, len(judged), run_id)


def why_holes_cannot_be_judged(db: str | Path, run_id: int) -> str | None:
    """Why judge run `run_id` cannot judge holes (a run imported from another tool), or None."""
    if _learned(storage.get_run(db, run_id).backend):
        return None
    try:
        settings_for_run(db, run_id)
    except judge.JudgeError as error:
        return str(error)
    return None


def _learned(backend: str) -> bool:
    """Whether the run's judge learns from the labels (the baseline), so it is trained again
    rather than asked about the new pairs."""
    spec = judge.find_backend(backend)
    return spec is not None and not spec.reads_prompts
