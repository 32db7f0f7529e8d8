"""The Rankers page in Debian's headless chromium: import a run file, see the leaderboard and
the agreement figure, move the confidence slider, apply the relabel batch and undo it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from app_fixtures import build_store
from browser import (
    body_text,
    click,
    fill,
    goto,
    heading,
    launch,
    new_page,
    open_page,
    see,
    segment,
    serve,
    shoot,
)

import jobs
import storage

pytestmark = pytest.mark.browser

SAMPLE_RUNS = Path(__file__).resolve().parents[1] / "sample_data" / "rankings.trec"
DATASET = "wands-sample"


def _rows(db: Path, sql: str) -> list[tuple]:
    with storage.connect(db) as con:
        return con.execute(sql).fetchall()


def _apply_count(page) -> int:
    label = page.locator(".st-key-rank-apply button:visible").first.inner_text()
    return int(re.search(r"write ([\d,]+) label", label).group(1).replace(",", ""))


def test_import_a_run_see_the_leaderboard_relabel_and_undo(tmp_path):
    db = tmp_path / "rankers.duckdb"
    build_store(db)  # the sample and a judged run (confidence 0.5 to 0.99)
    before = _rows(db, "SELECT pair_id, grade FROM current_labels ORDER BY pair_id")
    with serve(db, tmp_path / "streamlit.log") as url, launch() as browser:
        page = new_page(browser)
        goto(page, f"{url}/?reviewer=ana")  # the sidebar's reviewer, as a link names it
        open_page(page, "Rankers")
        see(page, "no ranking run yet")

        page.get_by_text("Import a ranking run").first.click()
        page.locator(".st-key-rank-upload-trec input[type='file']").set_input_files(
            str(SAMPLE_RUNS)
        )
        see(page, "rankings.trec")
        click(page, "rank-import")
        see(page, "Imported wands-sample: 4 ranking runs")
        assert _rows(db, "SELECT count(*) FROM rankings") == [(4,)]

        # A table through a column mapping: a bad mapping is one error, then the import.
        table = tmp_path / "bm25.csv"
        table.write_text("qid,product,bm25\n3,73,2.5\n3,30279,1.0\n")
        segment(page, "rank-format", "table (CSV, TSV, JSONL, Parquet)")
        page.locator(".st-key-rank-upload-table input[type='file']").set_input_files(str(table))
        see(page, "bm25.csv")
        fill(page, "rank-columns", "query_id=qid,doc_id=product")
        click(page, "rank-import")
        see(page, "a run's column mapping needs score=COLUMN or rank=COLUMN")
        fill(page, "rank-columns", "query_id=qid,doc_id=product,score=bm25")
        click(page, "rank-import")
        see(page, "Imported wands-sample: 1 ranking run (bm25)")
        assert _rows(
            db,
            "SELECT d.doc_id, d.rank FROM ranked_documents d JOIN rankings r USING (ranking_id) "
            "WHERE r.name = 'bm25' ORDER BY d.rank",
        ) == [("73", 1), ("30279", 2)]

        heading(page, "Leaderboard")
        text = body_text(page)
        for run in ("noisy-oracle", "tfidf-name", "random"):
            assert run in text
        assert "Kendall's tau" in text
        page.locator(".st-key-rank-figure [data-testid='stPlotlyChart']").first.wait_for()
        # The leaderboard and the agreement table fit a 1280-pixel window: no column scrolls.
        widths = page.evaluate(
            "() => [...document.querySelectorAll('[data-testid=stDataFrame] .dvn-scroller')]"
            ".map(e => [e.scrollWidth, e.clientWidth])"
        )
        assert len(widths) >= 2
        assert all(scroll <= client for scroll, client in widths), widths
        shoot(page, "rankers-leaderboard")

        at_start = _apply_count(page)
        thumb = page.locator(".st-key-rank-confidence input[type='range']").first
        thumb.focus()
        for _ in range(6):  # 0.80 -> 0.50: every judged pair is confident enough
            thumb.press("ArrowLeft")
        page.locator(".st-key-rank-confidence").get_by_text("0.50", exact=True).first.wait_for()
        # Each key press reruns the page: wait for the count the what-if gives at 0.50, not
        # for whichever count a rerun in between showed.
        (run_id,) = storage.list_runs(db, DATASET)["run_id"].tolist()
        lower = len(jobs.relabel_what_if(db, DATASET, int(run_id), 0.5).changes)
        assert lower > at_start
        page.wait_for_function(
            "document.querySelector('.st-key-rank-apply button').innerText.indexOf("
            f"'write {lower} label') >= 0"
        )
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
        assert _apply_count(page) == lower

        click(page, "rank-apply")
        see(page, f"Relabel batch 1: {lower} labels written")
        judged = _rows(db, "SELECT count(*) FROM label_events WHERE source = 'judge'")
        assert judged == [(lower,)]
        assert storage.rankings.relabel_batches(db, DATASET)["author"].tolist() == ["ana"]
        assert _rows(db, "SELECT count(*) FROM current_labels WHERE source = 'judge'") == [(lower,)]
        shoot(page, "rankers-applied")

        click(page, "rank-undo")
        see(page, f"Undid relabel batch 1: {lower} labels")
        after = _rows(db, "SELECT pair_id, grade FROM current_labels ORDER BY pair_id")
        assert after == before
        assert storage.rankings.relabel_batches(db, DATASET)["undone"].tolist() == [True]
        assert not page.locator("[data-testid='stException']").count()
