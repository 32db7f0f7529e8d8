"""Team review on a dataset no judge has run on: blind review of human labels is the usual
case, so a task's queue opens on the review card with no judge column (the guideline in its
place), and the grades are stored as the reviewer's events of the task."""

from __future__ import annotations

import pytest
from app_fixtures import DATASET, REPO, click, open_app, owned

import storage
from views._reviewer import NO_NAME

GUIDELINE = "Exact: every attribute of the query matches"


@pytest.fixture
def unjudged(sample_db, monkeypatch):
    """The sample imported, with a guideline and no judge run; the app opens it."""
    storage.team.save_guideline(sample_db, DATASET, GUIDELINE, author="lead")
    monkeypatch.setenv("WORKBENCH_DB", str(sample_db))
    return sample_db


def reviewing_info(at) -> bool:
    """Whether the page asks for the reviewer's name before anything else."""
    return NO_NAME in [i.value for i in at.info]


def _metric_labels(at) -> list[str]:
    return [m.label for m in at.metric]


def test_a_task_on_a_dataset_with_no_run_is_reviewed_from_my_queue(unjudged):
    db = unjudged
    assert storage.list_runs(db, DATASET).empty
    at = open_app("team", query={"reviewer": "ana"})  # a link naming the sidebar's reviewer
    assert at.selectbox(key="task-strategy").value == "random"  # the others read a run
    at.text_input(key="task-name").input("blind week")
    at.text_input(key="task-reviewers").input("ana,bo")
    at.number_input(key="task-size").set_value(4)
    at.slider(key="task-overlap").set_value(50)
    click(at, "task-create")
    [task] = storage.team.list_tasks(db, DATASET).to_dict("records")
    assert (task["pairs"], task["items"], task["run_id"]) == (4, 6, None)
    task_id = int(task["task_id"])

    mine = storage.team.my_queue(db, task_id, "ana")["pair_id"].tolist()
    assert len(mine) == 3
    click(at, "open-my-queue")
    at.switch_page(str(REPO / "views" / "review.py")).run()
    assert not at.exception, at.exception
    assert owned(at)["queue"].pair_ids == mine
    assert owned(at)["queue"].run_id is None
    assert at.caption[0].value.startswith("No judge run: my items of review task")
    assert GUIDELINE in [m.value for m in at.markdown]  # beside the card, where the judge was
    assert "Judge" not in _metric_labels(at)
    assert not [b for b in at.button if b.key and b.key.startswith("rejudge")]

    for pair_id, grade in zip(mine, (2, 0, 1)):
        assert owned(at)["queue"].pair_id == pair_id
        click(at, f"grade-{pair_id}-{grade}")
    at.button(key="previous").click().run()  # the last graded pair, now shown unblinded
    assert not at.exception, at.exception
    assert "Human label" in _metric_labels(at) and "Judge" not in _metric_labels(at)
    assert GUIDELINE in [m.value for m in at.markdown]

    events = [e for p in mine for e in storage.label_history(db, p) if e["source"] == "review"]
    assert [(e["author"], e["grade"], e["task_id"], e["guideline_version"]) for e in events] == [
        ("ana", 2, task_id, 1),
        ("ana", 0, task_id, 1),
        ("ana", 1, task_id, 1),
    ]
    assert storage.team.next_item(db, task_id, "ana") is None
    progress = storage.team.task_progress(db, task_id).set_index("reviewer")
    assert (progress.loc["ana", "done"], progress.loc["ana", "left"]) == (3, 0)

    # A reload is a new session on the same URL: the queue and the reviewer come back.
    url = {key: at.query_params[key] for key in at.query_params}
    assert url["queue"] == f"task:{task_id}" and "run" not in url and url["reviewer"] == "ana"
    again = open_app("review", url)
    assert not reviewing_info(again)
    assert again.selectbox(key="reviewer-pick").value == "ana"
    assert owned(again)["queue"].pair_ids == mine
    assert again.caption[0].value.startswith("No judge run: my items of review task")
    assert "Judge" not in _metric_labels(again)
