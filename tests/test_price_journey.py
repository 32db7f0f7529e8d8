"""The price of a pairwise run on the Runs form, in Debian's headless chromium on the real
bundled model: the form says the orders planned and the time at the model's measured speed
before Start, and the run then stores exactly the orders planned (the CLI: test_price_cli)."""

from __future__ import annotations

import pytest
from app_fixtures import build_store
from browser import click, fill, goto, launch, new_page, see, segment, serve

import jobs
import judge
import storage

pytestmark = pytest.mark.model

DATASET = "wands-sample"
PLAN = judge.ComparisonPlan(per_product=0.5)


def _earlier_pairwise_run(db) -> None:
    """A pairwise run of the bundled model that judged two orders in 1 s each."""
    provenance = judge.JudgeSettings().provenance()
    provenance.pop("scale")
    run_id = storage.pairwise.create_pairwise_run(db, name="earlier", dataset=DATASET, **provenance)
    storage.pairwise.record_pairwise_judgments(
        db,
        run_id,
        [
            {"first_pair_id": a, "second_pair_id": b, "winner": "first",
             "parse_status": "logprobs", "latency_ms": 1000.0}
            for a, b in ((1, 2), (2, 1))
        ],
    )  # fmt: skip
    storage.pairwise.finish_pairwise_run(db, run_id, storage.RunStatus.DONE)


def price_of(db) -> jobs.Price:
    return jobs.pairwise_price(
        db,
        dataset=DATASET,
        backend=judge.DEFAULT_BACKEND.value,
        model=str(judge.default_model_path()),
        plan=PLAN,
        max_queries=1,
    )


def stored_orders(db, run_id: int) -> int:
    with storage.connect(db) as con:
        row = con.execute(
            "SELECT count(*) FROM pairwise_judgments WHERE run_id = ?", [run_id]
        ).fetchone()
    return int(row[0])


def newest_pairwise_run(db) -> int:
    return int(storage.pairwise.list_pairwise_runs(db, DATASET).run_id.max())


@pytest.mark.browser
def test_the_pairwise_form_says_the_orders_and_the_time_before_start(tmp_path):
    db = tmp_path / "price.duckdb"
    build_store(db)
    _earlier_pairwise_run(db)
    price = price_of(db)
    assert price.seconds is not None and "about" in str(price)
    with serve(db, tmp_path / "streamlit.log") as url, launch() as browser:
        page = new_page(browser)
        goto(page, f"{url}/runs?dataset={DATASET}&runs-tab=Start+a+run")
        segment(page, "run-kind", "Pairwise")
        fill(page, "pw-per-product", "0.5")
        fill(page, "pw-max-queries", "1")
        assert page.locator(".st-key-pw-price").inner_text().strip() == str(price)
        click(page, "pw-start")
        see(page, "orders judged", timeout_ms=900_000)
    assert stored_orders(db, newest_pairwise_run(db)) == price.planned
