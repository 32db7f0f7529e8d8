"""What a dataset adds to a judge's prompt: its score rubric, reference products, and the map
from a template's scores to the dataset's grades.

The judge renders prompts and reads no store; the store keeps rubrics and labels and knows
no prompt. Here the two meet: the dataset's rubric fills a template's ``{rubric}``, the
pairs handed to the judge carry their reference product, and a template that scores on
another scale (Prometheus' 1-5) gets the score map its run records.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import judge
import storage
from grade_scale import ScoreMap

DEFAULT_RUBRIC_VERSION = 0
"""The version a run records when it used the judge's default rubric (the dataset had
none of its own)."""


def dataset_rubric(db: str | Path | storage.Store, dataset: str) -> tuple[judge.Rubric, int]:
    """The rubric `dataset` judges with now and its version (0: the judge's default)."""
    storage.dataset_scale(db, dataset)  # raises for a dataset that does not exist
    stored = storage.current_rubric(db, dataset)
    if stored is None:
        return judge.DEFAULT_RUBRIC, DEFAULT_RUBRIC_VERSION
    return judge.Rubric(stored.criterion, stored.descriptions), stored.version


def save_dataset_rubric(
    db: str | Path, dataset: str, rubric: judge.Rubric, *, author: str | None = None
) -> int:
    """Save `rubric` as `dataset`'s new version (checked by `judge.Rubric`); its number."""
    return storage.save_rubric(
        db, dataset, criterion=rubric.criterion, descriptions=rubric.descriptions, author=author
    )


def fill_dataset_rubric(
    db: str | Path | storage.Store, dataset: str, template: str
) -> tuple[str, int | None]:
    """The template with `dataset`'s rubric in its ``{rubric}``, and the rubric's version
    (None: the template has no ``{rubric}``)."""
    if judge.RUBRIC not in judge.placeholders(template):
        return template, None
    rubric, version = dataset_rubric(db, dataset)
    return judge.fill_rubric(template, rubric), version


def score_map_for(
    template_scale: Sequence[int], dataset_scale: Sequence[int], given: str | None = None
) -> ScoreMap | None:
    """How a template's scores become the dataset's grades: the map `given`
    (``1=0,2=0,3=1,4=1,5=2``) checked against both scales, else None when the template
    grades on the dataset's scale itself, else the stated default (`ScoreMap.default`)."""
    if given:
        score_map = ScoreMap.parse(given)
        score_map.check(template_scale, dataset_scale)
        return score_map
    if tuple(template_scale) == tuple(dataset_scale):
        return None
    return ScoreMap.default(template_scale, dataset_scale)


def with_references(
    db: str | Path | storage.Store,
    dataset: str,
    pairs: Sequence[Mapping[str, Any]],
    *,
    seed: int,
) -> tuple[list[dict[str, Any]], int]:
    """`pairs`, each with a ``reference``: a pair of the same query that humans graded the
    dataset's highest grade (Exact), never the pair itself, with its fields and
    ``pair_id``; or None when its query has no other. Returns the pairs and how many have
    none. Among several candidates the choice is seeded by `seed` and the pair's id, so a
    resumed run shows each pair the reference it was shown before (while the labels hold).
    """
    candidates = storage.top_grade_pairs(db, dataset)
    chosen: dict[int, int | None] = {}
    for pair in pairs:
        others = [p for p in candidates.get(str(pair["query_id"]), []) if p != pair["pair_id"]]
        pick = random.Random(f"{seed}:{pair['pair_id']}").choice(others) if others else None
        chosen[int(pair["pair_id"])] = pick
    wanted = sorted({p for p in chosen.values() if p is not None})
    fields = {int(p["pair_id"]): p for p in storage.pairs_for_judging(db, dataset, pair_ids=wanted)}
    out = [
        {**pair, judge.REFERENCE: fields.get(chosen[int(pair["pair_id"])] or -1)} for pair in pairs
    ]
    return out, sum(pick is None for pick in chosen.values())
