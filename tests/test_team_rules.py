"""Team rules held in the store, on a real DuckDB file: the allowed-reviewers rule on every
write that carries an author (store and CLI), the owner of the team's lists, undo of one's
own events only, adjudication by someone other than the parties, a task of another dataset,
blind lists, a note stored once, staleness by the grade the judge saw, and the restored
grade on a revert row."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from app_fixtures import DATASET
from conftest import store_snapshot
from team_fixtures import two_reviewer_task

import cli
import jobs
import storage

ALLOWED = ["ana", "bo", "dee"]


def run(capsys, db, *argv):
    code = cli.main(["--db", str(db), *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def _duo(db, run_id, *, name="duo", author="ana") -> int:
    """A task giving every one of 6 pairs to both ana and bo."""
    return two_reviewer_task(db, run_id, ("ana", "bo"), name=name, author=author)


@pytest.fixture
def team(store):
    """(db, run id, task id, a disputed pair, a relabel batch by ana): ana owns the lists,
    ana, bo and dee may review; ana and bo graded one pair of their task differently."""
    db, run_id = store
    storage.team.set_allowed_reviewers(db, DATASET, ALLOWED, actor="ana")
    task_id = _duo(db, run_id)
    pair_id = int(storage.team.my_queue(db, task_id, "ana")["pair_id"].iloc[0])
    storage.record_review(db, pair_id, author="ana", grade=0, task_id=task_id)
    storage.record_review(db, pair_id, author="bo", grade=2, task_id=task_id)
    batch = jobs.apply_relabel(db, DATASET, run_id, 0.9, author="ana")
    return db, run_id, task_id, pair_id, batch


Writer = Callable[[tuple, str], object]
_RUBRIC = ["no", "barely", "partly", "mostly", "fully"]
# Every write that carries an author, as (its name, a call made as `who`, a name allowed to
# make it: the control that shows the refusal is about the name).
WRITERS: list[tuple[str, Writer, str]] = [
    ("review", lambda t, who: storage.record_review(t[0], 1, author=who, grade=0), "bo"),
    ("note", lambda t, who: storage.record_review(t[0], 1, author=who, note="hm"), "bo"),
    ("unsure", lambda t, who: storage.record_review(t[0], 1, author=who, unsure=True), "bo"),
    ("undo", lambda t, who: storage.undo_last_review(t[0], 1, author=who), "bo"),
    (
        "adjudication",
        lambda t, who: storage.record_review(
            t[0], t[3], author=who, grade=1, task_id=t[2], adjudication=True
        ),
        "dee",
    ),
    (
        "preference",
        lambda t, who: storage.pairwise.record_preference(t[0], 1, 2, preferred=1, author=who),
        "bo",
    ),
    (
        "preference undo",
        lambda t, who: storage.pairwise.undo_last_preference(t[0], 1, 2, author=who),
        "bo",
    ),
    ("relabel", lambda t, who: jobs.apply_relabel(t[0], DATASET, t[1], 0.5, author=who), "bo"),
    (
        "relabel undo",
        lambda t, who: storage.rankings.undo_relabel(t[0], DATASET, t[4], author=who),
        "ana",
    ),
    ("guideline", lambda t, who: storage.team.save_guideline(t[0], DATASET, "g", author=who), "bo"),
    (
        "rubric",
        lambda t, who: storage.save_rubric(
            t[0], DATASET, criterion="fit", descriptions=_RUBRIC, author=who
        ),
        "bo",
    ),
    ("task", lambda t, who: _duo(t[0], t[1], name="second", author=who), "bo"),
    (
        "allowed list",
        lambda t, who: storage.team.set_allowed_reviewers(
            t[0], DATASET, [*ALLOWED, who], actor=who
        ),
        "ana",
    ),
    (
        "adjudicators",
        lambda t, who: storage.team.set_adjudicators(t[0], DATASET, ["dee"], actor=who),
        "ana",
    ),
]


@pytest.mark.parametrize(("name", "write", "allowed"), WRITERS, ids=[w[0] for w in WRITERS])
def test_every_authored_write_refuses_a_name_outside_the_allowed_list(team, name, write, allowed):
    db = team[0]
    before = store_snapshot(db)
    with pytest.raises(storage.StoreError, match="'cy'|cy\\)") as refused:
        write(team, "cy")
    assert "cy" in str(refused.value)
    assert store_snapshot(db) == before  # nothing of the refused write stored
    write(team, allowed)  # the same write by an allowed name goes through


@pytest.mark.parametrize(
    "argv",
    [
        ["task", "create", DATASET, "--name", "t2", "--reviewers", "ana,bo", "--as", "cy"],
        ["reviewers", DATASET, "--allow", "ana,cy", "--as", "cy"],
        ["reviewers", DATASET, "--adjudicators", "dee", "--as", "cy"],
        ["relabel", "--run", "{run}", "--min-confidence", "0.5", "--apply", "--author", "cy"],
        ["relabel", "--undo", "{batch}", "--author", "cy"],
        ["guideline", "set", DATASET, "{guide}", "--author", "cy"],
        ["rubric", "set", DATASET, "--criterion", "fit", "--author", "cy"],
    ],
    ids=["task", "reviewers", "adjudicators", "relabel", "relabel-undo", "guideline", "rubric"],
)
def test_the_cli_refuses_a_name_outside_the_allowed_list(team, tmp_path, capsys, argv):
    db, run_id, _, _, batch = team
    guide = tmp_path / "guide.md"
    guide.write_text("# Exact\nall attributes match\n")
    argv = [a.format(run=run_id, batch=batch, guide=guide) for a in argv]
    before = store_snapshot(db)
    code, _, err = run(capsys, db, *argv)
    assert code == 2
    assert "cy" in err and ("is not a reviewer of dataset" in err or "its owner, ana" in err)
    assert len(err.strip().splitlines()) == 1
    assert store_snapshot(db) == before


def test_the_first_to_set_a_list_owns_them_and_only_they_change_them(store, capsys):
    db, _ = store
    assert storage.team.dataset_owner(db, DATASET) is None
    with pytest.raises(storage.StoreError, match="needs to know who you are"):
        storage.team.set_allowed_reviewers(db, DATASET, ["ana"], actor=None)
    code, _, err = run(capsys, db, "reviewers", DATASET, "--allow", "ana,bo")
    assert (code, storage.team.allowed_reviewers(db, DATASET)) == (2, [])
    assert "give --as NAME" in err
    assert run(capsys, db, "reviewers", DATASET, "--allow", "ana,bo", "--as", "bo")[0] == 0
    assert storage.team.dataset_owner(db, DATASET) == "bo"
    with pytest.raises(storage.StoreError) as refused:
        storage.team.set_allowed_reviewers(db, DATASET, [], actor="ana")  # allowed, not the owner
    assert str(refused.value) == (
        "the reviewers of 'wands-sample' are set by its owner, bo (you are ana): "
        "ask them for the change"
    )
    assert storage.team.set_adjudicators(db, DATASET, ["ana"], actor="bo") == ["ana"]
    with pytest.raises(storage.StoreError, match="'cy' is not a reviewer"):
        storage.team.set_adjudicators(db, DATASET, ["cy"], actor="bo")  # adjudicators are reviewers
    assert storage.team.adjudicators(db, DATASET) == ["ana"]
    assert storage.team.set_allowed_reviewers(db, DATASET, [], actor="bo") == []  # anyone again
    assert storage.team.dataset_owner(db, DATASET) == "bo"  # and still bo's to change


def test_a_party_to_a_dispute_does_not_adjudicate_it(team):
    db, _, task_id, pair_id, _ = team
    for party in ("ana", "bo"):
        with pytest.raises(storage.StoreError) as refused:
            storage.record_review(
                db, pair_id, author=party, grade=1, task_id=task_id, adjudication=True
            )
        assert str(refused.value) == (
            f"{party} graded pair {pair_id} in this task: a party to the dispute does not "
            "adjudicate it; ask someone other than ana or bo"
        )
    storage.team.set_adjudicators(db, DATASET, ["ana"], actor="ana")
    with pytest.raises(storage.StoreError, match="dee is not an adjudicator of dataset"):
        storage.record_review(
            db, pair_id, author="dee", grade=1, task_id=task_id, adjudication=True
        )
    storage.team.set_adjudicators(db, DATASET, [], actor="ana")
    storage.record_review(db, pair_id, author="dee", grade=1, task_id=task_id, adjudication=True)
    [dispute] = storage.team.adjudication_queue(db, task_id).to_dict("records")
    assert (dispute["pair_id"], dispute["final_grade"]) == (pair_id, 1)


def test_undo_undoes_only_ones_own_events(team):
    db = team[0]
    imported = storage.current_label(db, 7).grade
    storage.record_review(db, 7, author="ana", grade=(imported + 1) % 3)
    storage.record_review(db, 7, author="bo", grade=(imported + 2) % 3)
    ana_undo = storage.undo_last_review(db, 7, author="ana")
    history = storage.label_history(db, 7)
    assert [(h["author"], h["source"], h["reverted"]) for h in history[-3:]] == [
        ("ana", "review", True),
        ("bo", "review", False),
        ("ana", "revert", False),
    ]
    assert history[-1]["event_id"] == ana_undo
    assert storage.current_label(db, 7).grade == (imported + 2) % 3  # bo's stays
    assert storage.undo_last_review(db, 7, author="ana") is None  # nothing of ana's left
    assert storage.undo_last_review(db, 7, author="dee") is None  # dee never graded it
    storage.undo_last_review(db, 7, author="bo")
    assert storage.current_label(db, 7).grade == imported

    storage.pairwise.record_preference(db, 1, 2, preferred=1, author="ana")
    storage.pairwise.record_preference(db, 1, 2, preferred=2, author="bo")
    storage.pairwise.undo_last_preference(db, 1, 2, author="ana")
    assert storage.pairwise.current_preference(db, 1, 2) == 2  # bo's preference stays in force
    assert storage.pairwise.undo_last_preference(db, 1, 2, author="ana") is None

    with pytest.raises(storage.StoreError, match="applied by ana: only they undo it"):
        storage.rankings.undo_relabel(db, DATASET, team[4], author="bo")


def test_a_task_is_found_only_in_its_own_dataset(team, tmp_path):
    db, _, task_id, _, _ = team
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
    assert storage.team.get_task(db, task_id, DATASET).task_id == task_id
    assert storage.team.get_task(db, task_id).created_by == "ana"
    with pytest.raises(
        storage.NotFoundError, match=f"there is no task {task_id} in dataset 'shop'"
    ):
        storage.team.get_task(db, task_id, "shop")
    shop_pair = storage.search_pair_ids(db, "shop", run_id=None)[0]
    with pytest.raises(storage.StoreError, match=f"task {task_id} is not a task of dataset 'shop'"):
        storage.record_review(db, shop_pair, author="ana", grade=0, task_id=task_id)


def test_blind_lists_leave_out_the_pairs_the_viewer_still_owes(team):
    db, run_id, task_id, _, _ = team
    queue = storage.team.my_queue(db, task_id, "ana")
    owed = set(queue.loc[~queue["done"], "pair_id"].astype(int))
    assert storage.team.owed_blind_pairs(db, DATASET, "ana") == owed and len(owed) == 5
    assert storage.team.owed_blind_pairs(db, DATASET, "dee") == set()  # not in the task
    blind = storage.PairFilters(blind_to="ana")
    every = storage.confusion_counts(db, run_id)
    seen = storage.confusion_counts(db, run_id, filters=blind)
    listed = set(storage.cell_pair_ids(db, run_id))
    assert set(storage.cell_pair_ids(db, run_id, filters=blind)) == listed - owed
    assert int(every.to_numpy().sum() - seen.to_numpy().sum()) == len(owed & listed)
    hidden = storage.review_card(db, min(owed & listed), run_id)
    cell = storage.confusion_cell_pairs(
        db, run_id, human=hidden.label.grade, judge=hidden.judgment.grade, limit=10_000
    )
    blind_cell = storage.confusion_cell_pairs(
        db, run_id, human=hidden.label.grade, judge=hidden.judgment.grade, filters=blind,
        limit=10_000,
    )  # fmt: skip
    assert set(blind_cell.rows["pair_id"]) == set(cell.rows["pair_id"]) - owed
    assert hidden.pair_id in set(cell.rows["pair_id"])
    found = storage.search_pairs(db, DATASET, run_id=run_id, filters=blind, limit=10_000)
    everything = storage.search_pairs(db, DATASET, run_id=run_id, limit=10_000)
    assert set(found.rows["pair_id"]) == set(everything.rows["pair_id"]) - owed
    assert found.total == everything.total - len(owed)
    graded = min(owed)
    storage.record_review(db, graded, author="ana", grade=1, task_id=task_id)
    assert storage.team.owed_blind_pairs(db, DATASET, "ana") == owed - {graded}


def test_a_note_is_stored_once(store):
    db, _ = store
    storage.record_review(db, 3, author="ana", note="colour is off")
    storage.record_review(db, 3, author="ana", grade=1, note="colour is off")  # sent again
    notes = [h["note"] for h in storage.label_history(db, 3) if h["source"] == "review"]
    assert notes == ["colour is off", None]
    assert storage.current_label(db, 3).note == "colour is off"
    again = storage.record_review(db, 3, author="bo", note="colour is off")  # bo's own note
    assert storage.label_history(db, 3)[-1]["event_id"] == again


def test_a_note_alone_said_again_writes_nothing(store):
    db, _ = store
    first = storage.record_review(db, 3, author="ana", note="check the size")
    assert storage.record_review(db, 3, author="ana", note="check the size") == first
    assert len(storage.label_history(db, 3)) == 2  # the import and the one note


def test_stale_means_the_grade_differs_from_the_one_judged(store):
    db, run_id = store
    pair_id = min(storage.judged_pair_ids(db, run_id))
    graded = storage.current_label(db, pair_id).grade
    other = (graded + 1) % 3
    assert pair_id not in storage.stale_pair_ids(db, run_id)
    storage.record_review(db, pair_id, author="ana", grade=graded)  # a confirmation
    assert pair_id not in storage.stale_pair_ids(db, run_id)
    storage.record_review(db, pair_id, author="ana", grade=other)
    assert pair_id in storage.stale_pair_ids(db, run_id)
    storage.undo_last_review(db, pair_id, author="ana")  # back to the grade judged
    assert pair_id not in storage.stale_pair_ids(db, run_id)
    storage.undo_last_review(db, pair_id, author="ana")  # undo the confirmation: the same
    assert pair_id not in storage.stale_pair_ids(db, run_id)
    assert storage.stale_pair_ids(db, run_id) == []


def test_the_revert_row_shows_the_grade_restored(store):
    db, _ = store
    imported = storage.current_label(db, 4).grade
    storage.record_review(db, 4, author="ana", grade=(imported + 1) % 3)
    storage.record_review(db, 4, author="ana", grade=(imported + 2) % 3)
    storage.undo_last_review(db, 4, author="ana")
    storage.undo_last_review(db, 4, author="ana")
    history = storage.label_history(db, 4)
    assert [(h["source"], h["grade"]) for h in history] == [
        ("import", imported),
        ("review", (imported + 1) % 3),
        ("review", (imported + 2) % 3),
        ("revert", (imported + 1) % 3),
        ("revert", imported),
    ]
