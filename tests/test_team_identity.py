"""Who is acting, through AppTest: the sidebar's reviewer is who the Pairwise and Rankers
pages write as (no box of their own), the store refuses a name outside the allowed list,
the Confusion browser leaves out what the viewer still owes a blind task, the Review queue
stores a note once and refuses another dataset's task, the Team page's lists change by
their owner's hand only, and a bad `[auth]` section is one error naming the missing key."""

from __future__ import annotations

import pandas as pd
import pytest
from app_fixtures import DATASET, REPO, click, open_app
from pairwise_fixtures import pairwise_run
from streamlit.testing.v1 import AppTest
from team_fixtures import two_reviewer_task

import storage


@pytest.fixture
def team(store):
    """The judged sample with ann and bob allowed (ann owns the lists)."""
    db, run_id = store
    storage.team.set_allowed_reviewers(db, DATASET, ["ann", "bob"], actor="ann")
    return db, run_id


def _errors(at) -> list[str]:
    return [e.value.replace("\\", "") for e in at.error]  # markdown escapes, as sent


def test_pairwise_writes_as_the_sidebar_reviewer_and_the_store_refuses_others(team):
    db, _ = team
    run_id = pairwise_run(db)
    at = open_app("pairwise", query={"pw_run": str(run_id), "pw_cmp": "3-6", "reviewer": "carl"})
    assert "pw-reviewer" not in [t.key for t in at.text_input]  # no box of its own
    click(at, "pw-pref-b")
    assert any("'carl' is not a reviewer of dataset 'wands-sample'" in e for e in _errors(at))
    assert storage.pairwise.preference_history(db, 3, 6) == []
    at.selectbox(key="reviewer-pick").set_value("bob").run()
    assert at.query_params["reviewer"] == "bob"
    click(at, "pw-pref-b")
    [event] = storage.pairwise.preference_history(db, 3, 6)
    assert (event["author"], event["preferred"]) == ("bob", 6)


def test_rankers_applies_and_undoes_as_the_sidebar_reviewer(team):
    db, run_id = team
    storage.rankings.import_run_trec(db, "sample_data/rankings.trec", dataset=DATASET)
    at = open_app("rankers", query={"reviewer": "carl"})
    assert "rank-author" not in [t.key for t in at.text_input]
    at.slider(key="rank-confidence").set_value(0.5).run()
    click(at, "rank-apply")
    assert any("'carl' is not a reviewer" in e for e in _errors(at))
    assert storage.rankings.relabel_batches(db, DATASET).empty
    at.selectbox(key="reviewer-pick").set_value("bob").run()
    click(at, "rank-apply")
    batches = storage.rankings.relabel_batches(db, DATASET)
    assert batches["author"].tolist() == ["bob"] and batches["pairs"].iloc[0] > 0
    at.selectbox(key="reviewer-pick").set_value("ann").run()
    click(at, "rank-undo")  # bob's batch: ann does not undo it
    assert any("applied by bob: only they undo it" in e for e in _errors(at))
    assert storage.rankings.relabel_batches(db, DATASET)["undone"].tolist() == [False]


def _listed(at) -> set[int]:
    """The pair ids every table on the page lists."""
    return {
        int(p)
        for frame in at.dataframe
        if isinstance(frame.value, pd.DataFrame) and "pair_id" in frame.value
        for p in frame.value["pair_id"]
    }


def test_the_confusion_browser_leaves_out_what_the_viewer_still_owes(team):
    db, run_id = team
    task_id = two_reviewer_task(db, run_id, ("ann", "bob"), author="ann")
    for pair_id in storage.team.my_queue(db, task_id, "bob")["pair_id"]:
        storage.record_review(db, int(pair_id), author="bob", grade=0, task_id=task_id)
    owed = storage.team.owed_blind_pairs(db, DATASET, "ann")
    hidden = storage.review_card(db, min(owed), run_id)
    cell = {"cell": f"0_{hidden.judgment.grade}", "run": str(run_id)}
    as_bob = open_app("confusion", query={**cell, "reviewer": "bob"})  # bob has graded
    assert hidden.pair_id in _listed(as_bob)
    as_ann = open_app("confusion", query={**cell, "reviewer": "ann"})
    assert hidden.pair_id not in _listed(as_ann) and _listed(as_ann)
    assert any("you still owe a blind task's grade" in c.value for c in as_ann.caption)
    by_query = {"confusion-tab": "By query", "query": hidden.query_id, "run": str(run_id)}
    assert hidden.pair_id in _listed(open_app("confusion", query={**by_query, "reviewer": "bob"}))
    assert hidden.pair_id not in _listed(
        open_app("confusion", query={**by_query, "reviewer": "ann"})
    )
    search = {"confusion-tab": "Search", "search": hidden.query, "run": str(run_id)}
    assert hidden.pair_id in _listed(open_app("confusion", query={**search, "reviewer": "bob"}))
    assert hidden.pair_id not in _listed(open_app("confusion", query={**search, "reviewer": "ann"}))


def test_a_saved_note_is_not_stored_again_with_the_grade(team):
    db, _ = team
    at = open_app("review", query={"reviewer": "ann"})
    pair_id = at.session_state["_owned"][1]["queue"].pair_id
    at.text_input(key=f"note-{pair_id}").input("colour differs").run()
    click(at, f"save-note-{pair_id}")
    assert at.text_input(key=f"note-{pair_id}").value == ""
    click(at, f"grade-{pair_id}-1")
    notes = [e["note"] for e in storage.label_history(db, pair_id) if e["source"] == "review"]
    assert notes == ["colour differs", None]


def test_a_task_link_of_another_dataset_is_refused(team, tmp_path):
    db, _ = team
    table = tmp_path / "shop.tsv"
    pd.DataFrame({"q": ["oak desk", "lamp"], "pid": ["d1", "d2"], "rel": [2, 0]}).to_csv(
        table, sep="\t", index=False
    )
    storage.importers.import_table(
        db,
        table,
        dataset="shop",
        columns=storage.importers.ColumnMap.parse("query=q,doc_id=pid,label=rel"),
    )
    task_id = two_reviewer_task(db, None, ("ann", "bob"), author="ann", dataset="shop", size=2)
    at = open_app(
        "review", query={"dataset": DATASET, "queue": f"task:{task_id}", "reviewer": "ann"}
    )
    assert _errors(at) == [
        f"there is no task '{task_id}' in dataset 'wands-sample': `cli.py task status` lists "
        "them: open a task of “wands-sample” on the Team review page."
    ]
    assert not [m for m in at.metric if m.label == "Human label"]


def test_the_team_lists_change_by_their_owners_hand_only(team):
    db, _ = team
    at = open_app("team", query={"reviewer": "bob"})
    assert at.text_input(key="allowed-reviewers").disabled
    assert at.text_input(key="adjudicators").disabled
    assert any("Owner: ann" in c.value.replace("\\", "") for c in at.caption)
    at = open_app("team", query={"reviewer": "ann"})
    at.text_input(key="adjudicators").input("bob").run()
    assert not _errors(at)
    assert storage.team.adjudicators(db, DATASET) == ["bob"]
    at.text_input(key="allowed-reviewers").input("ann, bob, cleo").run()
    assert storage.team.allowed_reviewers(db, DATASET) == ["ann", "bob", "cleo"]


@pytest.mark.parametrize(
    ("auth", "missing"),
    [
        ({}, "has no keys: give redirect_uri, cookie_secret, client_id"),
        (
            {
                "redirect_uri": "http://localhost:8501/oauth2callback",
                "client_id": "x",
                "client_secret": "y",
                "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
            },
            "lacks cookie_secret: add it, then restart the app",
        ),
    ],
    ids=["no-keys", "no-cookie-secret"],
)
@pytest.mark.parametrize("page", ["review", "team"])
def test_a_bad_auth_section_is_one_error_naming_the_key(store, page, auth, missing):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.secrets["auth"] = auth
    at.run()
    at.switch_page(str(REPO / "views" / f"{page}.py")).run()
    assert not at.exception, at.exception
    errors = [e for e in _errors(at) if "Login is not set up" in e]
    assert len(errors) == 1 and missing in errors[0], _errors(at)
