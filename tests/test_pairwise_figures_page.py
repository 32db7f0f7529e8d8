"""The Pairwise page's figures read right: each with the Overview's explanation, accuracy
flagged when the judge follows the position, and the order columns naming the winner."""

from __future__ import annotations

from app_fixtures import open_app
from pairwise_fixtures import pairwise_run, planned_pairwise_run

import jobs
import metrics
import storage

COMPARISONS = ((3, 4), (4, 5), (3, 5), (3, 6))


def _first_shown_always_wins(db) -> int:
    """A judge that names the product shown first in every order: swap consistency 0."""
    run_id = planned_pairwise_run(db, [list(c) for c in COMPARISONS], name="position")
    storage.pairwise.record_pairwise_judgments(
        db,
        run_id,
        [
            {
                "first_pair_id": first,
                "second_pair_id": second,
                "winner": "first",
                "p_first": 0.9,
                "p_second": 0.1,
                "parse_status": "logprobs",
            }
            for a, b in COMPARISONS
            for first, second in ((a, b), (b, a))
        ],
    )
    storage.pairwise.finish_pairwise_run(db, run_id, storage.RunStatus.DONE)
    return run_id


def test_a_judge_that_follows_the_position_gets_its_accuracy_flagged(store):
    db, _ = store
    run_id = _first_shown_always_wins(db)
    at = open_app("pairwise", query={"pw_run": str(run_id)})
    assert not at.error, [e.value for e in at.error]
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and warnings[0].startswith(
        "The judge follows the position: its swap consistency is 0.000, below 0.5 (it picked "
        "the product shown first in both orders in 100% of the comparisons)"
    )
    assert [m.label for m in at.metric][0] == "Accuracy vs human order ⚠"
    figures = at.dataframe[0].value  # figures, worst, cycles
    assert (figures["meaning"] == figures["label"].map(_meaning_by_label())).all()
    captions = [c.value for c in at.caption]
    assert metrics.FIGURE_MEANINGS["swap_consistency"] in captions
    worst = at.dataframe(key="pw-worst").value
    assert set(worst["won, A shown first"]) == {"A"}
    assert set(worst["won, B shown first"]) == {"B"}


def test_a_consistent_judge_has_no_position_warning(store):
    db, _ = store
    run_id = pairwise_run(db)
    at = open_app("pairwise", query={"pw_run": str(run_id), "pw_cmp": "3-4"})
    assert not at.error and not at.warning
    orders = at.dataframe[3].value  # figures, worst, cycles, orders
    assert orders[["order", "verdict", "won"]].values.tolist() == [
        ["A shown first", "first", "A"],
        ["B shown first", "second", "A"],
    ]


def _meaning_by_label() -> dict[str, str]:
    return {jobs.FIGURE_LABELS[m]: text for m, text in metrics.FIGURE_MEANINGS.items()}
