"""The review card of one pair: its query and document text, its label with its history,
and its judgment in a run, in one read of the store."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from grade_scale import Scale

from ._blind import blind_fields, declared_fields
from ._db import Db, connect, one_connection
from ._errors import NotFoundError
from ._labels import CurrentLabel, current_label, label_history
from ._pairs import STALENESS
from ._vocab import Split


@dataclass(frozen=True)
class CardJudgment:
    """A pair's judgment in one run, as the card shows it: the grade, the probabilities and
    what they make, how the answer was read, the raw output, and whether it is `stale` (the
    label or the document changed after it was made); the model's `feedback` before its
    answer line, the `reference_pair_id` it was shown and the fleet `endpoint` that
    answered, if any."""

    grade: int | None
    probs: list[float] | None
    expected_grade: float | None
    confidence: float | None
    raw_output: str | None
    parse_status: str
    error: str | None
    latency_ms: float | None
    prompt_tokens: int | None
    completion_tokens: int | None
    created_at: datetime
    stale: bool
    feedback: str | None = None
    reference_pair_id: int | None = None
    endpoint: str | None = None


@dataclass(frozen=True)
class ReviewCard:
    """Everything the review card shows for one pair.

    The document's WANDS columns go by the names prompt templates use; `extra_fields` are
    its other columns (on a blind card, only those it may show, and `withheld` names the
    ones the guideline declares but the card refuses, with why: storage/_blind.py).
    `scale` is the dataset's. `label` is the label in force (None: never
    labelled), `history` every label event oldest first (`label_history`), `judgment` the
    pair's judgment in the run asked for (None: no run, or not judged in it).
    """

    pair_id: int
    dataset: str
    split: Split | None
    query_id: str
    query: str | None
    query_class: str | None
    doc_id: str
    product_name: str | None
    product_class: str | None
    category_hierarchy: str | None
    product_description: str | None
    extra_fields: Mapping[str, Any]
    scale: Scale
    label: CurrentLabel | None
    history: Sequence[Mapping[str, Any]]
    judgment: CardJudgment | None
    withheld: Mapping[str, str] = field(default_factory=dict)


def review_card(
    db: Db, pair_id: int, run_id: int | None = None, *, blind: bool = False
) -> ReviewCard:
    """The review card of `pair_id`, with its judgment in `run_id` if given; `blind`: the
    card of a blind task, with only the extra fields a blind card may show."""
    with one_connection(db) as store:
        with connect(store) as con:
            cursor = con.execute(
                """
                SELECT p.pair_id, p.dataset, p.split, p.query_id, q.query, q.query_class,
                       p.doc_id, d.title AS product_name, d.doc_class AS product_class,
                       d.category AS category_hierarchy, d.description AS product_description,
                       d.fields, s.grades, s.grade_names, s.document_fields,
                       (SELECT text FROM guidelines g WHERE g.dataset = p.dataset
                        ORDER BY version DESC LIMIT 1) AS guideline
                FROM pairs p
                JOIN datasets s USING (dataset)
                LEFT JOIN queries q ON q.dataset = p.dataset AND q.query_id = p.query_id
                LEFT JOIN documents d ON d.dataset = p.dataset AND d.doc_id = p.doc_id
                WHERE p.pair_id = ?
                """,
                [pair_id],
            )
            row = cursor.fetchone()
            if row is None:
                raise NotFoundError(f"pair {pair_id} does not exist")
            card = dict(zip([c[0] for c in cursor.description], row))
            judgment = None if run_id is None else _judgment(con, run_id, pair_id)
        label, history = current_label(store, pair_id), label_history(store, pair_id)
    fields, grades, names = card.pop("fields"), card.pop("grades"), card.pop("grade_names")
    extra: dict[str, Any] = json.loads(fields or "{}")
    withheld: dict[str, str] = {}
    flagged, guideline = card.pop("document_fields"), card.pop("guideline")
    if blind:
        extra, withheld = blind_fields(
            extra, declared_fields(guideline), json.loads(flagged or "{}")
        )
    return ReviewCard(
        **{**card, "split": None if card["split"] is None else Split(card["split"])},
        extra_fields=extra,
        withheld=withheld,
        scale=Scale(grades, names),
        label=label,
        history=history,
        judgment=judgment,
    )


def _judgment(con: Any, run_id: int, pair_id: int) -> CardJudgment | None:
    cursor = con.execute(
        f"SELECT j.* EXCLUDE (run_id, pair_id), s.stale FROM judgments j {STALENESS} "
        "WHERE j.run_id = ? AND j.pair_id = ?",
        [run_id, pair_id],
    )
    row = cursor.fetchone()
    names = [c[0] for c in cursor.description]
    return None if row is None else CardJudgment(**dict(zip(names, row)))
