"""The review words, defined once: the dataset counts, the export selections and the pair
filters all read them from here.

- A pair is **reviewed** when it has a review event (a grade, an unsure mark or a note given
  in review) that was not undone. An adjudication (the final grade of a pair two reviewers
  disagreed on) is a review by the adjudicator.
- A pair is **confirmed** when it is reviewed and its current grade equals its imported
  grade: a reviewer looked at it and kept the grade.
- A pair is **corrected** when its current grade differs from its imported grade. Only a
  review can make them differ, so every corrected pair is reviewed.

A pair that had no imported grade and was graded in review is reviewed, and neither
confirmed nor corrected: there was no grade to keep or change.
"""

from __future__ import annotations

from typing import Literal

from ._db import Db, connect

ReviewWord = Literal["reviewed", "confirmed", "corrected"]

# Review events still in force: undo appends a revert event naming the event it cancels.
_LIVE_REVIEWS = """
    SELECT e.pair_id, e.author FROM label_events e
    WHERE e.source IN ('review', 'adjudication') AND e.event_id NOT IN (
        SELECT reverts FROM label_events WHERE source = 'revert' AND reverts IS NOT NULL)
"""


def reviewed_by(pair_id: str, author_param: str) -> str:
    """SQL that is true when the pair `pair_id` (a column) has a review event in force by
    the author given as the query parameter named `author_param`."""
    return f"{pair_id} IN (SELECT pair_id FROM ({_LIVE_REVIEWS}) WHERE author = ${author_param})"


def review_condition(word: ReviewWord, pair_id: str = "p.pair_id") -> str:
    """SQL that is true when the pair `pair_id` (a column; its current label joined as `c`)
    is `word`. False, never NULL, for a pair without a current label."""
    reviewed = f"{pair_id} IN (SELECT pair_id FROM ({_LIVE_REVIEWS}))"
    if word == "reviewed":
        return f"({reviewed})"
    if word == "confirmed":
        return f"(coalesce(c.grade = c.original_grade, false) AND {reviewed})"
    if word == "corrected":
        return "coalesce(c.grade <> c.original_grade, false)"
    raise ValueError(f"unknown review word {word!r}")


def reviewers(db: Db, dataset: str) -> list[str]:
    """The authors of the review events in force on pairs of `dataset`, sorted: the
    choices of the reviewer filter."""
    with connect(db) as con:
        rows = con.execute(
            f"""
            SELECT DISTINCT r.author FROM ({_LIVE_REVIEWS}) r JOIN pairs p USING (pair_id)
            WHERE p.dataset = ? AND r.author IS NOT NULL ORDER BY 1
            """,
            [dataset],
        ).fetchall()
    return [r[0] for r in rows]
