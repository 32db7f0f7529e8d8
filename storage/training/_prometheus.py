"""The Prometheus format: reviewed pairs with a note, as ``Feedback: <note> [RESULT] N``.

A reviewer's note on a pair says why it has its grade: the feedback a Prometheus-style judge
writes before its score. Each record is the seed's instruction row (the judge's prompt as
``instruction``, the fields as ``input``) whose ``output`` is that answer; the score N
stands for the pair's grade through the judge's score map (``JudgeText.feedback`` writes
it, so this room spells no answer). Pairs without a note have no feedback to teach and are
left out (`_export_curate`).
"""

from __future__ import annotations

from typing import Any

from ._formats import INPUT_FIELDS, JudgeText, Pair, _ids


def prometheus_record(pair: Pair, judge: JudgeText) -> dict[str, Any]:
    """The instruction row with ``Feedback: <note> [RESULT] N`` as its output."""
    if judge.feedback is None:
        raise ValueError("the prometheus format needs JudgeText.feedback")
    return {
        **_ids(pair),
        "instruction": judge.render(pair),
        "input": {name: pair[name] for name in INPUT_FIELDS},
        "output": judge.feedback(pair["note"], pair["grade"]),
    }
