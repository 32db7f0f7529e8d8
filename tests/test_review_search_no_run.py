"""A search typed while reviewing a task on a dataset no judge has run on: the search becomes
the queue without a run (its card has no judge, as the task's card has), a grade there is
stored, and emptying the search goes back to the task's queue at the reviewer's place."""

from __future__ import annotations

from app_fixtures import DATASET, click, open_app, owned

import jobs
import storage

WORD = "chair"


def _blind_task(db, **plan) -> jobs.CreatedTask:
    """A blind task of six random pairs of the sample for ana and bo."""
    return jobs.create_task(
        db,
        jobs.TaskPlan(
            dataset=DATASET,
            name="blind week",
            pair_set=storage.team.PairSet(),
            strategy=storage.team.Strategy.RANDOM,
            size=6,
            reviewers=("ana", "bo"),
            **plan,
        ),
    )


def _caption(at) -> str:
    return at.caption[0].value.replace("\\", "")


def test_a_search_on_a_run_less_task_queue_lists_the_pairs_and_takes_a_grade(
    sample_db, monkeypatch
):
    db = sample_db
    monkeypatch.setenv("WORKBENCH_DB", str(db))
    assert storage.list_runs(db, DATASET).empty
    made = _blind_task(db)
    mine = storage.team.my_queue(db, made.task_id, "ana")["pair_id"].tolist()
    at = open_app("review", {"queue": f"task:{made.task_id}"})
    at.selectbox(key="reviewer-pick").set_value("ana").run()
    click(at, f"grade-{mine[0]}-2")  # one item done: ana's place is her second item
    assert owned(at)["queue"].pair_id == mine[1]

    at.text_input(key="review-search").input(WORD).run()
    assert not at.exception, at.exception
    assert [i.value for i in at.info if "No judge run yet" in i.value] == []
    found = storage.search_pair_ids(
        db, DATASET, run_id=None, filters=storage.PairFilters(text=WORD)
    )
    assert 0 < len(found) < 174
    assert owned(at)["queue"].pair_ids == found
    assert _caption(at) == f"No judge run: pairs containing “{WORD}”, {len(found)} pairs."
    assert at.query_params["queue"] == f"search:{WORD}"
    card = storage.review_card(db, found[0], None)
    assert card.query and card.product_name
    assert card.query in [h.value.replace("\\", "") for h in at.subheader]
    assert card.product_name in [t.value for t in at.text]
    labels = [m.label for m in at.metric]
    assert "Human label" in labels and "Judge" not in labels
    assert not [b for b in at.button if b.key and b.key.startswith("rejudge")]

    before = len(storage.label_history(db, found[0]))
    click(at, f"grade-{found[0]}-0")
    history = storage.label_history(db, found[0])
    assert len(history) == before + 1
    newest = history[-1]
    assert (newest["source"], newest["author"], newest["grade"], newest["task_id"]) == (
        "review",
        "ana",
        0,
        None,  # a search is not the task's queue: the grade is ana's own review
    )
    assert storage.current_label(db, found[0]).grade == 0
    assert owned(at)["queue"].pair_id == found[1]  # on to the next match

    at.text_input(key="review-search").input("").run()  # back to the task, where ana was
    assert not at.exception, at.exception
    assert owned(at)["queue"].pair_ids == mine
    assert owned(at)["queue"].pair_id == mine[1]
    assert _caption(at).startswith(f"No judge run: my items of review task {made.task_id}")
    assert at.query_params["queue"] == f"task:{made.task_id}"


def test_a_pair_owed_in_a_blind_task_stays_blind_when_a_search_reaches_it(sample_db, monkeypatch):
    """Blindness belongs to the reviewer's pending item, not to the queue: a search (or a
    jump) that lands on a pair ana still owes her blind task shows no labels, and her grade
    there is her independent label in that task."""
    db = sample_db
    monkeypatch.setenv("WORKBENCH_DB", str(db))
    made = _blind_task(db, overlap=0.0)
    owed = storage.team.my_queue(db, made.task_id, "ana")["pair_id"].tolist()[0]
    assert storage.team.owed_blind_task(db, owed, "ana") == made.task_id
    assert storage.team.owed_blind_task(db, owed, "bo") is None  # not his item
    word = storage.review_card(db, owed, None).query
    at = open_app("review", {"queue": f"search:{word}", "pair": str(owed)})
    at.selectbox(key="reviewer-pick").set_value("ana").run()
    assert not at.exception, at.exception
    assert owned(at)["queue"].pair_id == owed
    assert [i.value for i in at.info if i.value.startswith("Blind task")]
    assert "Human label" not in [m.label for m in at.metric]

    click(at, f"grade-{owed}-1")
    newest = storage.label_history(db, owed)[-1]
    assert (newest["author"], newest["grade"], newest["task_id"]) == ("ana", 1, made.task_id)
    assert storage.team.has_labelled(db, made.task_id, owed, "ana")
    assert storage.team.owed_blind_task(db, owed, "ana") is None

    at.button(key="previous").click().run()  # back on the pair, graded: nothing hidden now
    assert owned(at)["queue"].pair_id == owed
    assert not [i.value for i in at.info if i.value.startswith("Blind task")]
    assert "Human label" in [m.label for m in at.metric]
