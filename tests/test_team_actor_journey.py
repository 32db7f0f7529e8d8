"""One actor per session, in Debian's headless chromium: with ann and bob the allowed
reviewers, the name picked in the sidebar gives the keyboard back to the card, survives a
reload, and is who a grade, a pairwise decision and a Rankers relabel batch are recorded
under; a name not allowed (from a link) is refused by the store on both pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_fixtures import DATASET, build_store
from browser import (
    card_pair_id,
    click,
    goto,
    launch,
    new_page,
    open_page,
    pick_reviewer,
    see,
    serve,
    settle,
    sidebar_value,
)
from pairwise_fixtures import pairwise_run

import storage

pytestmark = pytest.mark.browser


def test_the_sidebar_reviewer_is_who_every_page_writes_as(tmp_path: Path) -> None:
    db = tmp_path / "actor.duckdb"
    build_store(db)
    pairwise = pairwise_run(db)
    storage.rankings.import_run_trec(db, "sample_data/rankings.trec", dataset=DATASET)
    storage.team.set_allowed_reviewers(db, DATASET, ["ann", "bob"], actor="ann")
    with serve(db, tmp_path / "streamlit.log") as url, launch() as browser:
        page = new_page(browser)
        goto(page, f"{url}/review")
        pick_reviewer(page, "bob")
        assert "reviewer=bob" in page.url
        assert page.evaluate("document.activeElement?.tagName") != "INPUT"
        pair_id = card_pair_id(page)
        page.keyboard.press("1")  # Irrelevant: the key reaches the card, not the picker
        settle(page)
        last = storage.label_history(db, pair_id)[-1]
        assert (last["author"], last["grade"]) == ("bob", 0)

        goto(page, f"{url}/pairwise?pw_run={pairwise}&pw_cmp=3-6&reviewer=bob")
        click(page, "pw-pref-b")
        see(page, "Reviewers' preference: B is better")
        [event] = storage.pairwise.preference_history(db, 3, 6)
        assert (event["author"], event["preferred"]) == ("bob", 6)

        goto(page, page.url)  # a reload keeps the reviewer
        assert sidebar_value(page, "Reviewer") == "bob"
        open_page(page, "Rankers")
        assert sidebar_value(page, "Reviewer") == "bob"
        click(page, "rank-apply")
        see(page, "Relabel batch 1:")
        assert storage.rankings.relabel_batches(db, DATASET)["author"].tolist() == ["bob"]

        goto(page, f"{url}/rankers?dataset={DATASET}&reviewer=carl")  # not allowed
        click(page, "rank-undo")
        see(page, "'carl' is not a reviewer of dataset 'wands-sample'")
        assert storage.rankings.relabel_batches(db, DATASET)["undone"].tolist() == [False]
        goto(page, f"{url}/pairwise?pw_run={pairwise}&pw_cmp=3-6&reviewer=carl")
        click(page, "pw-pref-a")
        see(page, "'carl' is not a reviewer of dataset 'wands-sample'")
        assert len(storage.pairwise.preference_history(db, 3, 6)) == 1
