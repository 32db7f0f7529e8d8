"""The Runs page, open in chromium, follows a run another process starts after the page was
drawn: its bar appears and moves without a reload, and goes when the run ends."""

from __future__ import annotations

from pathlib import Path

from app_fixtures import DATASET, stored_run
from browser import body_text, goto, launch, new_page, see, serve, settle

import storage

PAIRS = [1, 2, 3, 4]


def test_a_run_started_after_the_page_opened_shows_its_bar_without_a_reload(
    sample_db: Path, tmp_path: Path
) -> None:
    with serve(sample_db, tmp_path / "app.log") as url, launch() as browser:
        page = new_page(browser)
        goto(page, f"{url}/runs?dataset={DATASET}")
        assert "pairs, no judgment yet" not in body_text(page)

        # Written from this process, as the CLI writes from its own: the app, which keeps
        # the store warm, lets go of the file when this connection lines up.
        run_id = stored_run(
            sample_db, name="from a terminal", status="running", params={"pair_ids": PAIRS}
        )
        see(page, "0/4 pairs, no judgment yet")
        storage.record_judgments(
            sample_db,
            run_id,
            [
                {
                    "pair_id": pair_id,
                    "grade": 2,
                    "probs": [0.1, 0.1, 0.8],
                    "confidence": 0.8,
                    "parse_status": "logprobs",
                }
                for pair_id in PAIRS[:2]
            ],
        )
        see(page, "2/4 pairs")
        assert "from a terminal" in body_text(page)

        storage.finish_run(sample_db, run_id, "done")
        page.get_by_text("2/4 pairs").first.wait_for(state="detached")
        settle(page)
        assert "/4 pairs" not in body_text(page)
        assert not page.locator("[data-testid='stException']").count()
