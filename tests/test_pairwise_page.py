"""The Pairwise page through AppTest: figures and tables of a recorded run, a comparison
opened from the URL, a preference recorded and undone."""

from __future__ import annotations

from app_fixtures import click, open_app
from pairwise_fixtures import pairwise_run

import jobs
import storage


def test_page_says_how_to_start_when_there_is_no_run(store):
    at = open_app("pairwise")
    assert not at.error
    assert [i.value for i in at.info] == [
        "No pairwise run on this dataset yet: start one on the Runs page (link above)."
    ]


def test_a_comparison_from_the_url_is_decided_and_undone(store):
    db, _ = store
    run_id = pairwise_run(db)
    at = open_app("pairwise", query={"pw_run": str(run_id), "pw_cmp": "3-6", "reviewer": "ana"})
    assert not at.error, [e.value for e in at.error]
    # Keys stay on selectable tables only: figures, worst, cycles, orders, history in order.
    figures = at.dataframe[0].value
    assert figures.set_index("label").loc["Swap consistency", "value"] == 0.75
    worst = at.dataframe(key="pw-worst").value
    assert worst[["A", "B"]].values.tolist() == [[3, 6]]
    assert at.subheader[-1].value == "Comparison 3 vs 6"
    texts = [t.value for t in at.text]
    assert texts[0] == storage.pairs_for_judging(db, "wands-sample", pair_ids=[3])[0]["query"]
    orders = at.dataframe[3].value
    assert orders["verdict"].tolist() == ["first", "first"]
    click(at, "pw-pref-b")
    assert storage.pairwise.current_preference(db, 3, 6) == 6
    assert storage.pairwise.preference_history(db, 3, 6)[-1]["author"] == "ana"  # the sidebar's
    assert "Reviewers' preference: **B is better**" in [m.value for m in at.markdown]
    assert at.query_params["pw_cmp"] == "3-6"
    click(at, "pw-undo")
    assert storage.pairwise.current_preference(db, 3, 6) is None
    history = at.dataframe[4].value
    assert history["source"].tolist() == ["review", "revert"]


def test_a_confusion_cell_opens_the_runs_pairwise_form_set_to_it(store):
    db, run_id = store
    at = open_app("confusion")
    at = click(at, "cell-2-1")
    at = click(at, "cell-compare")
    assert at.query_params["runs-tab"] == "Start a run"
    assert at.segmented_control(key="run-kind").value == "Pairwise"
    assert at.segmented_control(key="pw-plan").value == "Confusion cell vs an Exact"
    assert at.selectbox(key="pw-cell-run").value == run_id
    assert (at.selectbox(key="pw-cell-human").value, at.selectbox(key="pw-cell-judge").value) == (
        2,
        1,
    )
    assert at.button(key="pw-start")
    assert "queries without one are skipped and counted" in " ".join(c.value for c in at.caption)


def test_overview_shows_the_latest_pairwise_runs_consistency_explained_and_linked(store):
    db, run_id = store
    at = open_app("overview")
    assert "No pairwise run on this dataset yet" in " ".join(c.value for c in at.caption)
    pairwise = pairwise_run(db)
    at = open_app("overview")
    assert not at.error, [e.value for e in at.error]
    shown = {m.label: m.value for m in at.metric}
    assert shown["Swap consistency"] == "0.750"
    assert shown["Bias toward first"] == "0.250"
    assert shown["Bias toward second"] == "0.000"
    assert shown["3-cycles per query"] == "1.000"
    expected = jobs.pairwise_report(db, pairwise, vs=run_id).figures.set_index("metric")
    assert (
        shown["Score-comparison consistent"] == f"{expected.loc['score_consistent', 'value']:.3f}"
    )
    captions = " ".join(c.value for c in at.caption)
    assert f"The latest pairwise run, #{pairwise} pw (done): 4 comparisons" in captions
    assert f"score-comparison against run #{run_id}" in captions
    assert "picked the same product whichever was shown first" in captions
    links = [(link.proto.label, link.proto.page) for link in at.get("page_link")]
    assert links.count(("Pairwise page", "pairwise")) == 5
