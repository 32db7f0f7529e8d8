"""The price on the pages (AppTest): the graded form says the pairs planned and the time at
the bundled model's speed measured in the store; the review page says the price of
re-judging the queue and the stale pairs before either button is pressed."""

from __future__ import annotations

from app_fixtures import DATASET, open_app

import jobs
import judge
import storage
from views._common import md


def _captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_the_graded_form_prices_the_whole_dataset_at_the_measured_speed(store):
    db, _ = store
    at = open_app("runs", query={"runs-tab": "Start a run"})
    price = jobs.graded_price(
        db,
        dataset=DATASET,
        backend=judge.DEFAULT_BACKEND.value,
        model=str(judge.default_model_path()),
    )
    # The fixture's run judged every pair at 10 ms each: a known speed, a figure in seconds.
    assert price.planned == storage.dataset_stats(db, DATASET).pairs
    assert price.speed.per_second is not None and "about" in str(price)
    assert md(price) in _captions(at)


def test_the_review_page_prices_a_rejudge_of_the_queue_and_the_stale_pairs(store):
    db, run_id = store
    pair_id = storage.cell_pair_ids(db, run_id)[0]
    storage.record_review(db, pair_id, author="ana", grade=0)  # its judgment goes stale
    at = open_app("review", query={"run": str(run_id), "pair": str(pair_id)})
    assert not at.exception
    said = [c for c in _captions(at) if c.startswith("Re\\-judge")]
    stale = storage.stale_pair_ids(db, run_id)
    assert said[-1] == md(f"Re-judge stale pairs: {jobs.rejudge_price(db, run_id, stale)}")
    assert said[0].startswith(md("Re-judge the queue: ")) and "pairs/s" in said[0]
