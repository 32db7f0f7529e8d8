"""Review tasks of the pairs a user found: the Confusion browser's cell list (with its search
and filters) handed to the Team page's New task form, and `task create --from search:TEXT`
drawing the pairs the Review queue's search finds."""

from __future__ import annotations

from app_fixtures import DATASET, REPO, click, open_app

import cli
import storage

WORD = "chair"


def _task_pairs(db, task_id: int) -> set[int]:
    return set(storage.team.my_queue(db, task_id, "ana")["pair_id"]) | set(
        storage.team.my_queue(db, task_id, "bo")["pair_id"]
    )


def test_a_filtered_confusion_cell_becomes_a_task_on_the_team_page(store):
    db, run_id = store
    wanted = storage.cell_pair_ids(
        db, run_id, human=2, judge=1, filters=storage.PairFilters(text=WORD)
    )
    everything = storage.cell_pair_ids(db, run_id, human=2, judge=1)
    assert 0 < len(wanted) < len(everything)
    at = open_app("confusion", {"cell": "2_1", "search": WORD, "reviewer": "ana"})
    button = at.button(key="cell-task")
    assert button.label == f"Make a review task of these {len(wanted)} pairs"
    button.click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="task-from").value == "pairs"  # the Team page, preset
    assert at.number_input(key="task-size").value == len(wanted)
    assert at.text_input(key="task-from-value").disabled
    at.switch_page(str(REPO / "views" / "team.py"))  # AppTest's next runs: where it went
    at.text_input(key="task-name").input("chairs judged Partial")
    at.text_input(key="task-reviewers").input("ana,bo")
    at.selectbox(key="task-strategy").set_value("random")
    at.slider(key="task-overlap").set_value(0)
    click(at, "task-create")
    [task] = storage.team.list_tasks(db, DATASET).to_dict("records")
    assert task["pair_set"] == f"pairs:cell 2_1 of run {run_id}, filtered"
    assert task["pairs"] == len(wanted)
    assert _task_pairs(db, int(task["task_id"])) == set(wanted)
    # made: the form no longer offers them, and draws from every pair again
    assert at.selectbox(key="task-from").value == "all"
    assert "pairs" not in at.selectbox(key="task-from").options


def test_cli_task_from_a_search_takes_the_pairs_the_review_search_finds(sample_db, capsys):
    db = sample_db
    found = storage.search_pair_ids(
        db, DATASET, run_id=None, filters=storage.PairFilters(text=WORD)
    )
    assert found
    code = cli.main(
        ["--db", str(db), "task", "create", DATASET, "--name", "chairs", "--from",
         f"search:{WORD}", "--reviewers", "ana,bo"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert out.startswith(
        f"Task 1 “chairs”: {len(found)} pairs drawn by the random strategy, assigned to ana, bo\n"
        f"  over pairs:search:{WORD}, blind: "
    )
    assert _task_pairs(db, 1) == set(found)

    code = cli.main(
        ["--db", str(db), "task", "create", DATASET, "--name", "none", "--from", "search",
         "zzqx", "--reviewers", "ana"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        "error: no pair of 'wands-sample' has 'zzqx' in its query or product text: "
        "search for other words\n"
    )
