"""In Debian's headless chromium: the Rankers page and Runs -> Compare two runs state the
pairs and queries on each side and in common, a judge run that covers a few queries is shown
as not comparable (no tau, no difference), and the server logs no warning."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from app_fixtures import build_store, few_queries_run
from browser import body_text, goto, heading, launch, new_page, see, serve, shoot, tab

import storage

pytestmark = pytest.mark.browser

DATASET = "wands-sample"
SAMPLE_RUNS = Path(__file__).resolve().parents[1] / "sample_data" / "rankings.trec"


def test_coverage_on_both_pages_and_a_few_queries_run_not_compared(tmp_path):
    db = tmp_path / "coverage.duckdb"
    full = build_store(db)
    storage.rankings.import_run_trec(db, SAMPLE_RUNS, dataset=DATASET)
    few, few_pairs = few_queries_run(db)
    pairs = pd.DataFrame(storage.pairs_for_judging(db, DATASET))
    labelled = len(pairs)
    queries = pairs["query_id"].nunique()
    log = tmp_path / "streamlit.log"
    with serve(db, log) as url, launch() as browser:
        page = new_page(browser)
        goto(page, f"{url}/rankers?vs=judge:{few}")
        heading(page, "Rankers")
        see(page, "Not comparable")
        text = body_text(page)
        assert f"{labelled} pairs over {queries} queries" in text
        assert f"in common: {few_pairs} pairs over 3 queries" in text
        assert "Measure in the figure" not in text  # no agreement table, no figure
        assert "nan" not in text.lower().split()
        shoot(page, "rankers-not-comparable")

        goto(page, f"{url}/rankers?vs=judge:{full}")
        see(page, "Measure in the figure")
        text = body_text(page)
        assert f"in common: {labelled} pairs over {queries} queries" in text
        assert "Not comparable" not in text

        goto(page, f"{url}/runs?run={full}")
        tab(page, "Compare two runs")
        see(page, "Labelled pairs judged")
        text = body_text(page)
        # Run A is the full run, B the newest: the few-queries one.
        assert f"in common: {few_pairs} pairs over 3 queries" in text
        assert f"A (#{full} fixture run" in text and f"{labelled} pairs over {queries}" in text
        assert "Not comparable: the two sides share" in text
        shoot(page, "runs-compare-coverage")
        assert not page.locator("[data-testid='stException']").count()
    logged = log.read_text()
    assert "Warning" not in logged and "All-NaN" not in logged, logged
