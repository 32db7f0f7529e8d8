"""Team review on a real DuckDB file: tasks drawn by each strategy and assigned with an
overlap, each reviewer's queue, independent labels, adjudication, guidelines, allowed
reviewers, the store check, agreement from the long table, and the CLI over all of it."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from app_fixtures import DATASET
from sklearn.metrics import cohen_kappa_score

import cli
import jobs
import storage
from storage.team import PairSet, PairSetKind, Strategy


def run(capsys, db, *argv):
    code = cli.main(["--db", str(db), *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def judged(store):
    """(db, run id): the sample with the fixture run (every third pair one grade lower)."""
    return store


_PLAN = {
    "dataset": DATASET,
    "name": "week 1",
    "pair_set": PairSet(),
    "strategy": Strategy.RANDOM,
    "size": 10,
    "reviewers": ("ana", "bo", "cy"),
    "overlap": 0.3,
    "author": "ana",
}


def _task(db, run_id, **changes) -> int:
    plan = _PLAN | {"run_id": run_id} | changes
    return jobs.create_task(db, jobs.TaskPlan(**plan)).task_id


def test_assign_gives_the_overlap_to_two_reviewers_round_robin():
    items = jobs.assign(list(range(100, 110)), ["ana", "bo", "cy"], overlap=0.3, seed=4)
    by_pair: dict[int, list[str]] = {}
    for pair_id, reviewer, position in items:
        by_pair.setdefault(pair_id, []).append(reviewer)
        assert position == pair_id - 100  # each queue keeps the strategy's order
    assert sorted(len(r) for r in by_pair.values()) == [1] * 7 + [2] * 3
    assert all(len(set(r)) == len(r) for r in by_pair.values())  # two different reviewers
    counts = [sum(r == name for _, r, _ in items) for name in ("ana", "bo", "cy")]
    assert sorted(counts) == [4, 4, 5]  # 13 items within one of each other
    assert items == jobs.assign(list(range(100, 110)), ["ana", "bo", "cy"], overlap=0.3, seed=4)


@pytest.mark.parametrize(
    ("reviewers", "overlap", "message"),
    [
        ([], 0.0, "a task needs at least one reviewer"),
        (["ana"], 0.3, "an overlap needs two reviewers or more"),
        (["ana", "bo"], 1.5, "the overlap is a share between 0 and 1, got 1.5"),
    ],
)
def test_assign_refuses_what_cannot_be_assigned(reviewers, overlap, message):
    with pytest.raises(storage.StoreError, match=message):
        jobs.assign([1, 2], reviewers, overlap=overlap)


def _entropy(probs) -> float:
    return -sum(p * math.log(p) for p in probs if p > 0)


def test_strategies_order_the_pairs_as_they_say(judged):
    db, run_id = judged
    with storage.connect(db) as con:
        # give the judge different probabilities, so entropy orders them
        con.execute(
            "UPDATE judgments SET probs = [0.98, 0.01, 0.01] WHERE run_id = ? AND pair_id > 10",
            [run_id],
        )
        con.execute(
            "UPDATE judgments SET probs = [0.34, 0.33, 0.33] WHERE run_id = ? AND pair_id <= 3",
            [run_id],
        )
        rows = con.execute(
            "SELECT j.pair_id, c.grade, j.grade, j.confidence, j.probs, q.query_class "
            "FROM judgments j JOIN current_labels c USING (pair_id) JOIN pairs p USING (pair_id) "
            "LEFT JOIN queries q ON q.dataset = p.dataset AND q.query_id = p.query_id "
            "WHERE j.run_id = ?",
            [run_id],
        ).fetchall()

    def draw(strategy, size=None):
        return storage.team.draw_pairs(db, DATASET, PairSet(), strategy, size=size, run_id=run_id)

    disagree = {p for p, h, j, *_ in rows if h != j}
    severe = draw(Strategy.SEVERE)
    assert set(severe) == disagree
    confident = draw(Strategy.CONFIDENT)
    scores = {p: c * abs(h - j) for p, h, j, c, *_ in rows}
    assert [scores[p] for p in confident] == sorted((scores[p] for p in disagree), reverse=True)
    uncertain = draw(Strategy.UNCERTAINTY, 3)
    assert sorted(uncertain) == [1, 2, 3]
    entropies = [_entropy(probs) for *_, probs, _ in rows]
    assert len(draw(Strategy.UNCERTAINTY)) == len(entropies)
    stratified = draw(Strategy.STRATIFIED, 5)
    classes = {p: c for p, *_, c in rows}
    n_classes = len(set(classes.values()))
    assert len({classes[p] for p in stratified}) == min(5, n_classes)
    assert draw(Strategy.RANDOM, 5) == draw(Strategy.RANDOM, 5)  # seeded
    other = storage.team.draw_pairs(db, DATASET, PairSet(), Strategy.RANDOM, size=5, seed=9)
    assert other != draw(Strategy.RANDOM, 5)
    cell = storage.team.draw_pairs(
        db, DATASET, PairSet(PairSetKind.CELL, "2_1"), Strategy.RANDOM, size=None, run_id=run_id
    )
    assert set(cell) == {p for p, h, j, *_ in rows if (h, j) == (2, 1)}
    with pytest.raises(storage.StoreError, match="need a run"):
        storage.team.draw_pairs(db, DATASET, PairSet(), Strategy.SEVERE, size=3)


def test_create_task_says_what_it_drew_against_the_size_asked(judged):
    db, run_id = judged
    plan = {"run_id": run_id, "reviewers": ("ana", " bo", "ana"), "overlap": 0.0}
    full = jobs.create_task(db, jobs.TaskPlan(**(_PLAN | plan)))
    assert (full.pairs, full.size, full.short, full.reviewers) == (10, 10, False, ("ana", "bo"))
    assert full.summary == (
        f"Task {full.task_id} “week 1”: 10 pairs drawn by the random strategy, assigned to ana, bo"
    )
    labels = storage.run_labels(db, run_id).dropna(subset=["judge"])
    severe = int((labels["human"] != labels["judge"]).sum())  # the disagreements it can draw
    short = jobs.create_task(
        db,
        jobs.TaskPlan(**(_PLAN | plan | {"name": "all", "strategy": Strategy.SEVERE, "size": 500})),
    )
    assert (short.pairs, short.size, short.short) == (severe, 500, True)
    assert (
        short.pairs
        == storage.team.list_tasks(db, DATASET).set_index("task_id").loc[short.task_id, "pairs"]
    )
    assert short.summary == (
        f"Task {short.task_id} “all”: {severe} pairs of the 500 asked (every pair its source can "
        "give with the severe strategy), assigned to ana, bo"
    )


def test_queues_independent_labels_adjudication_and_check(judged):
    db, run_id = judged
    storage.team.save_guideline(db, DATASET, "# Exact\nevery attribute matches", author="lead")
    task_id = _task(db, run_id)
    task = storage.team.get_task(db, task_id)
    assert (task.name, task.blind, task.overlap, task.pair_set) == ("week 1", True, 0.3, "all")
    queues = {who: storage.team.my_queue(db, task_id, who) for who in ("ana", "bo", "cy")}
    assert sorted(len(q) for q in queues.values()) == [4, 4, 5]
    grades = {"ana": 0, "bo": 1, "cy": 2}
    events = 0
    for who in ("ana", "bo", "cy"):
        while (pair_id := storage.team.next_item(db, task_id, who)) is not None:
            assert pair_id in set(queues[who]["pair_id"])
            storage.record_review(
                db, pair_id, author=who, grade=grades[who], task_id=task_id, note=f"{who} note"
            )
            events += 1
            # a second grade changes the label, not the independent one
            storage.record_review(db, pair_id, author=who, grade=1, task_id=task_id)
            storage.undo_last_review(db, pair_id, author=who)
    assert events == 13
    mine = storage.team.my_queue(db, task_id, "ana")
    assert mine["done"].all() and set(mine["grade"]) == {0}
    progress = storage.team.task_progress(db, task_id).set_index("reviewer")
    assert progress["done"].sum() == 13 and progress["left"].sum() == 0
    assert (progress["median_seconds"] >= 0).all()
    [listed] = storage.team.list_tasks(db, DATASET).to_dict("records")
    assert (listed["pairs"], listed["items"], listed["done"]) == (10, 13, 13)
    assert listed["median_seconds"] >= 0 and listed["to_adjudicate"] == 3

    disputes = storage.team.adjudication_queue(db, task_id)
    assert len(disputes) == 3  # every overlap pair: no two reviewers gave the same grade
    row = disputes.iloc[0]
    assert {row["reviewer_a"], row["reviewer_b"]} <= set(grades)
    assert row["grade_a"] == grades[row["reviewer_a"]]
    assert row["note_a"] == f"{row['reviewer_a']} note"
    pair_id = int(row["pair_id"])
    storage.record_review(db, pair_id, author="lead", grade=1, task_id=task_id, adjudication=True)
    assert len(storage.team.adjudication_queue(db, task_id, pending_only=True)) == 2
    assert storage.current_label(db, pair_id).source == "adjudication"
    last = storage.label_history(db, pair_id)[-1]
    assert (last["source"], last["task_id"], last["guideline_version"]) == (
        "adjudication",
        task_id,
        1,
    )
    assert storage.check_store(db).ok

    with pytest.raises(storage.StoreError, match="is not in ana's queue of task"):
        other = next(p for p in queues["bo"]["pair_id"] if p not in set(queues["ana"]["pair_id"]))
        storage.record_review(db, int(other), author="ana", grade=0, task_id=task_id)
    with pytest.raises(storage.StoreError, match="needs the reviewer's name"):
        storage.record_review(db, pair_id, author=" ", grade=0)


def test_allowed_reviewers_and_guideline_versions(judged):
    db, run_id = judged
    kept = storage.team.set_allowed_reviewers(db, DATASET, [" ana", "bo", "", "ana"], actor="ana")
    assert kept == ["ana", "bo"]
    with pytest.raises(storage.StoreError, match="'cy' is not a reviewer of dataset"):
        storage.record_review(db, 1, author="cy", grade=0)
    with pytest.raises(storage.StoreError, match="not reviewers of 'wands-sample': cy"):
        _task(db, run_id)
    storage.record_review(db, 1, author="bo", grade=0)
    assert storage.team.guideline(db, DATASET) is None
    with pytest.raises(storage.StoreError, match="an unnamed author is not a reviewer"):
        storage.team.save_guideline(db, DATASET, "v1 text")
    assert storage.team.save_guideline(db, DATASET, "v1 text", author="ana") == 1
    assert storage.team.save_guideline(db, DATASET, "v1 text", author="ana") == 1  # no version
    assert storage.team.save_guideline(db, DATASET, "v2 text", author="ana") == 2
    assert storage.team.guideline(db, DATASET).text == "v2 text"
    assert storage.team.guideline(db, DATASET, 1).text == "v1 text"  # kept, never overwritten
    storage.record_review(db, 2, author="ana", grade=0)
    assert storage.label_history(db, 2)[-1]["guideline_version"] == 2


def test_the_guideline_changes_by_its_owners_hand_only(judged):
    db, _ = judged
    assert storage.team.guideline_owner(db, DATASET) is None
    storage.team.save_guideline(db, DATASET, "unsigned")  # no name: nobody owns it yet
    assert storage.team.guideline_owner(db, DATASET) is None
    assert storage.team.save_guideline(db, DATASET, "ana's", author="ana") == 2
    assert storage.team.guideline_owner(db, DATASET) == "ana"
    for who in ("bo", None):
        with pytest.raises(storage.StoreError) as refused:
            storage.team.save_guideline(db, DATASET, "bo's", author=who)
        assert str(refused.value) == (
            f"the guideline of 'wands-sample' is ana's: only they save new versions "
            f"(you are {who or 'unnamed'}); ask them for the change"
        )
    assert storage.team.guideline(db, DATASET).text == "ana's"  # nothing of a refused save stored
    assert storage.team.save_guideline(db, DATASET, "ana's second", author="ana") == 3


def test_check_names_an_item_of_a_missing_pair(judged):
    db, run_id = judged
    task_id = _task(db, run_id, overlap=0.0, size=2)
    with storage.connect(db) as con:
        con.execute("INSERT INTO task_items VALUES (?, 999999, 'ana', 9)", [task_id])
    problems = [str(p) for p in storage.check_store(db).problems]
    assert problems == ["task_items: 1 task item of pair 999999, which does not exist"]


def test_agreement_is_the_hand_computation(judged):
    db, run_id = judged
    task_id = _task(db, run_id, overlap=1.0, size=12, reviewers=("ana", "bo"))
    rng = np.random.default_rng(3)
    given: dict[str, dict[int, int]] = {"ana": {}, "bo": {}}
    for who in ("ana", "bo"):
        for pair_id in storage.team.my_queue(db, task_id, who)["pair_id"]:
            grade = int(rng.integers(0, 3))
            given[who][int(pair_id)] = grade
            storage.record_review(db, int(pair_id), author=who, grade=grade, task_id=task_id)
    result = jobs.team_agreement(db, DATASET, task_id=task_id, run_id=run_id, n_resamples=50)
    pairs = sorted(given["ana"])
    a = [given["ana"][p] for p in pairs]
    b = [given["bo"][p] for p in pairs]
    with storage.connect(db) as con:
        judge = dict(
            con.execute(
                "SELECT pair_id, grade FROM judgments WHERE run_id = ?", [run_id]
            ).fetchall()
        )
    table = result.pairwise.set_index(["rater_a", "rater_b"])
    human = table.loc[("ana", "bo")]
    assert human["kind"] == "human-human" and human["n_pairs"] == 12
    assert human["kappa"] == pytest.approx(cohen_kappa_score(a, b))
    assert human["kappa_quadratic"] == pytest.approx(cohen_kappa_score(a, b, weights="quadratic"))
    judged_row = table.loc[("ana", storage.team.JUDGE_RATER)]
    assert judged_row["kappa"] == pytest.approx(cohen_kappa_score(a, [judge[p] for p in pairs]))
    assert (result.n_units, result.n_raters) == (12, 2)


def test_cli_task_status_agreement_guideline_and_errors(judged, capsys, tmp_path):
    db, run_id = judged
    code, out, err = run(
        capsys, db, "task", "create", DATASET, "--name", "w1", "--from", "cell:2_1",
        "--strategy", "severe", "--size", "6", "--reviewers", "ana,bo,cy", "--overlap", "0.5",
        "--run", run_id,
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert out == (
        "Task 1 “w1”: 6 pairs drawn by the severe strategy, assigned to ana, bo, cy\n"
        f"  over cell:2_1 (run {run_id}), blind: ana 3 items, bo 3 items, cy 3 items\n"
    )
    code, out, _ = run(capsys, db, "task", "status", "w1", "--dataset", DATASET, "--json")
    status = json.loads(out)
    assert [r["items"] for r in status["reviewers"]] == [3, 3, 3]
    assert status["to_adjudicate"] == 0

    listed = tmp_path / "queries.txt"
    listed.write_text("\nnope\n")
    code, _, err = run(
        capsys, db, "task", "create", DATASET, "--name", "w2", "--from", "query-list", listed,
        "--reviewers", "ana",
    )  # fmt: skip
    assert code == 2
    assert err == (
        f"error: {listed} line 2, column 1: 'nope' is neither a query id nor a query of "
        "'wands-sample'\n"
    )
    code, _, err = run(capsys, db, "task", "create", DATASET, "--name", "w1", "--reviewers", "ana")
    assert (code, err) == (2, "error: dataset 'wands-sample' has a task named 'w1': choose "
                              "another name\n")  # fmt: skip
    code, _, err = run(capsys, db, "task", "create", DATASET, "--name", "w3", "--from", "nothing",
                       "--reviewers", "ana")  # fmt: skip
    assert code == 2 and err.startswith("error: --from 'nothing': expected the pairs to draw")

    guide = tmp_path / "guide.md"
    guide.write_text("# Exact\nall attributes match\n")
    assert run(capsys, db, "guideline", "set", DATASET, guide, "--author", "lead")[1] == (
        "guideline of 'wands-sample' is version 1\n"
    )
    out = run(capsys, db, "guideline", "show", DATASET)[1]
    assert out.splitlines()[0].startswith("# version 1, by lead, ")
    assert out.splitlines()[1:] == ["# Exact", "all attributes match"]

    for who in ("ana", "bo", "cy"):
        for pair_id in storage.team.my_queue(db, 1, who)["pair_id"]:
            storage.record_review(db, int(pair_id), author=who, grade=2, task_id=1)
    code, out, _ = run(capsys, db, "agreement", DATASET, "--task", "w1", "--json",
                       "--resamples", "20")  # fmt: skip
    figures = json.loads(out)
    assert code == 0 and figures["n_units"] == 3 and figures["n_raters"] == 3
    assert run(capsys, db, "reviewers", DATASET, "--allow", "ana,bo", "--as", "ana")[1] == (
        "ana, bo\nadjudicators: any reviewer not party to it\nowner: ana\n"
    )
