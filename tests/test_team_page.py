"""The Team review page through AppTest: a task made with the form, my queue opened on the
review card (blind until graded), adjudication, agreement and the guideline."""

from __future__ import annotations

from app_fixtures import DATASET, REPO, click, open_app, owned

import jobs
import storage


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_new_task_my_blind_queue_adjudication_and_guideline(store):
    db, run_id = store
    storage.team.set_allowed_reviewers(db, DATASET, ["ana", "bo", "dee"], actor="ana")
    at = open_app("team")
    assert "No review task yet: create one above." in [i.value for i in at.info]
    at.selectbox(key="reviewer-pick").set_value("ana").run()  # the sidebar's reviewer
    at.text_input(key="task-name").input("week 1")
    at.text_input(key="task-reviewers").input("ana,bo")
    at.number_input(key="task-size").set_value(6)
    at.slider(key="task-overlap").set_value(100)
    click(at, "task-create")
    [task] = storage.team.list_tasks(db, DATASET).to_dict("records")
    assert (task["name"], task["pairs"], task["items"], task["blind"]) == ("week 1", 6, 12, True)
    assert at.query_params["task"] == str(task["task_id"])
    assert [m.value.replace("\\", "") for m in at.success] == [
        f"Task {task['task_id']} “week 1”: 6 pairs drawn by the severe strategy, assigned to ana, bo"
    ]

    assert storage.team.get_task(db, task["task_id"]).created_by == "ana"
    upcoming = storage.team.next_item(db, task["task_id"], "ana")
    click(at, "open-my-queue")
    at.switch_page(str(REPO / "views" / "review.py")).run()  # where st.switch_page went
    assert (
        owned(at)["queue"].pair_ids
        == storage.team.my_queue(db, task["task_id"], "ana")["pair_id"].tolist()
    )
    assert owned(at)["queue"].pair_id == upcoming
    assert "Judge" not in _metrics(at) and "Human label" not in _metrics(at)  # blind
    assert any("Blind task" in i.value for i in at.info)
    assert "No guideline for this dataset yet: write one on the Team review page." in [
        c.value for c in at.caption
    ]
    click(at, f"grade-{upcoming}-0")
    at.button(key="previous").click().run()  # back to the graded pair: now it shows all
    assert "Judge" in _metrics(at) and _metrics(at)["Human label"] == "Irrelevant"
    assert storage.label_history(db, upcoming)[-1]["task_id"] == task["task_id"]

    for who, grade in (("ana", 0), ("bo", 2)):
        while (pair_id := storage.team.next_item(db, task["task_id"], who)) is not None:
            storage.record_review(db, pair_id, author=who, grade=grade, task_id=task["task_id"])
    at.switch_page(str(REPO / "views" / "team.py")).run()
    assert not at.exception
    click(at, f"adjudicate-{upcoming}-1")  # ana graded it: a party does not adjudicate
    assert storage.current_label(db, upcoming).source == "review"
    assert any("a party to the dispute does not adjudicate it" in e.value for e in at.error)
    at.selectbox(key="reviewer-pick").set_value("dee").run()
    click(at, f"adjudicate-{upcoming}-1")
    assert storage.current_label(db, upcoming).source == "adjudication"
    assert storage.current_label(db, upcoming).grade == 1
    shown = _metrics(at)
    expected = jobs.team_agreement(db, DATASET, task_id=task["task_id"], run_id=run_id)
    assert shown["Pairs graded by two or more"] == "6"
    assert shown["Krippendorff's alpha, nominal"] == f"{expected.alpha_nominal:.2f}"

    at.text_area(key="guideline-text").input("# Exact\nevery attribute matches").run()
    click(at, "guideline-save")
    assert storage.team.guideline(db, DATASET).version == 1
    assert "# Exact\nevery attribute matches" in [m.value for m in at.markdown]


def test_a_task_drawn_short_of_its_size_says_so(store):
    db, run_id = store
    at = open_app("team", query={"reviewer": "ana"})
    at.text_input(key="task-name").input("all of them")
    at.text_input(key="task-reviewers").input("ana,bo")
    at.selectbox(key="task-strategy").set_value("severe")
    at.number_input(key="task-size").set_value(100_000)
    click(at, "task-create")
    assert [e.value for e in at.error] == []
    [task] = storage.team.list_tasks(db, DATASET).to_dict("records")
    both = storage.run_labels(db, run_id).dropna(subset=["judge"])
    disagreements = int((both["human"] != both["judge"]).sum())
    assert task["pairs"] == disagreements < 100_000
    shown = [i.value.replace("\\", "") for i in at.info]  # markdown escapes, as sent
    assert shown[0] == (
        f"Task {task['task_id']} “all of them”: {disagreements:,} pairs of the 100,000 asked "
        "(every pair its source can give with the severe strategy), assigned to ana, bo"
    )
