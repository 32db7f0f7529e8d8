"""Pairwise judging in Debian's headless chromium, on the real bundled model: on a dataset
the test imports beside the sample, start a pairwise run (a few comparisons) from the Runs
page, follow its progress, open it on the Pairwise page, open a swap-inconsistent comparison
side by side, record a preference, reload, undo it; the Overview shows its figures."""

from __future__ import annotations

import pytest
from app_fixtures import build_store
from browser import (
    body_text,
    click,
    click_table_row,
    fill,
    goto,
    launch,
    new_page,
    see,
    segment,
    serve,
    shoot,
)
from conftest import SAMPLE_FOLDER

import storage

pytestmark = [pytest.mark.browser, pytest.mark.model]

RUN_WAIT_MS = 900_000  # a few comparisons, in both orders, on a busy 2-core machine


def test_start_a_pairwise_run_decide_an_inconsistent_pair_and_undo(tmp_path):
    db = tmp_path / "pairwise.duckdb"
    build_store(db)
    storage.importers.import_wands(db, SAMPLE_FOLDER, dataset="shop-import")
    with serve(db, tmp_path / "streamlit.log") as url, launch() as browser:
        page = new_page(browser)
        goto(page, f"{url}/pairwise?dataset=shop-import&reviewer=ana")
        see(page, "No pairwise run on this dataset yet")
        page.get_by_text("Start a pairwise run on the Runs page").first.click()
        see(page, "Kind of run")
        segment(page, "run-kind", "Pairwise")
        fill(page, "pw-per-product", "0.5")
        fill(page, "pw-max-queries", "1")
        click(page, "pw-start")
        see(page, "orders judged", timeout_ms=RUN_WAIT_MS)  # the graded runs' progress line
        assert "shop-import" in page.url
        [run] = storage.pairwise.list_pairwise_runs(db, "shop-import").to_dict("records")
        assert storage.pairwise.list_pairwise_runs(db, "wands-sample").empty
        page.get_by_text("Open the run on the Pairwise page").first.click()
        see(page, "Swap-inconsistent (")
        assert run["status"] == "done" and run["failed"] == 0
        comparisons = storage.pairwise.pairwise_comparisons(db, run["run_id"])
        assert comparisons.status_ab.notna().all() and comparisons.status_ba.notna().all()
        shoot(page, "pairwise-figures")
        assert "Swap consistency" in body_text(page)

        click_table_row(page, "pw-worst", 0)
        see(page, "Comparison ")
        a, b = (int(x) for x in page.url.split("pw_cmp=")[1].split("&")[0].split("-"))
        assert not comparisons[(comparisons.pair_a == a) & (comparisons.pair_b == b)].empty
        see(page, "Debiased P(A better than B)")
        click(page, "pw-pref-a")
        see(page, "Reviewers' preference: A is better")
        assert storage.pairwise.current_preference(db, a, b) == a
        assert storage.pairwise.preference_history(db, a, b)[-1]["author"] == "ana"
        shoot(page, "pairwise-card")

        goto(page, page.url)  # a reload opens the same card
        see(page, f"Comparison {a} vs {b}")
        see(page, "Reviewers' preference: A is better")
        click(page, "pw-undo")
        see(page, "Reviewers' preference: nothing yet")
        assert storage.pairwise.current_preference(db, a, b) is None
        history = storage.pairwise.preference_history(db, a, b)
        assert [(h["source"], h["reverted"]) for h in history] == [
            ("review", True),
            ("revert", False),
        ]
