"""Targeted pairwise plans from the review loop: each pair of a confusion cell against a
product the humans graded Exact for the same query, never itself; queries without one are
skipped and counted; the run records each reference."""

from __future__ import annotations

import pytest

import cli
import judge
import storage


def rows(*spec):
    return [{"pair_id": p, "query_id": q} for p, q in spec]


def test_each_target_gets_another_exact_of_its_query_or_is_counted():
    pairs = rows((1, "q1"), (2, "q1"), (3, "q1"), (4, "q2"), (5, "q2"), (6, "q3"), (7, "q3"))
    grades = {1: 1, 2: 2, 3: 2, 4: 2, 5: 0, 6: 0, 7: 1}
    planned = judge.plan_references([1, 2, 4, 6], pairs, grades, reference_grade=2, seed=0)
    refs = planned.references
    assert refs[1] in (2, 3)
    assert refs[2] == 3  # an Exact target gets another Exact, never itself
    assert 4 not in refs and 6 not in refs  # q2's only Exact is the target; q3 has none
    assert (planned.skipped_queries, planned.skipped_targets) == (["q2", "q3"], 2)
    again = judge.plan_references([6, 4, 2, 1], pairs, grades, reference_grade=2, seed=0)
    assert again == planned  # seeded, whatever order the targets come in
    draws = {
        judge.plan_references([1], pairs, grades, reference_grade=2, seed=s).references[1]
        for s in range(20)
    }
    assert draws == {2, 3}  # the seed draws among the query's Exacts


def test_a_target_outside_the_given_pairs_is_refused():
    with pytest.raises(judge.SettingsError, match="pair 9 is not among the pairs"):
        judge.plan_references([9], rows((1, "q")), {1: 2}, reference_grade=2)


def test_cell_and_run_go_together(store, capsys):
    db, run_id = store
    assert cli.main(["--db", str(db), "judge", "--pairwise", "--cell", "2_1"]) == 2
    assert "--cell and --run go together" in capsys.readouterr().err
    assert storage.pairwise.list_pairwise_runs(db).empty


@pytest.mark.model
def test_judge_pairwise_cell_compares_each_pair_with_an_exact(store, capsys):
    db, run_id = store
    argv = ["--db", str(db), "judge", "--pairwise", "--cell", "2_1", "--run", str(run_id)]
    assert cli.main([*argv, "--threads", "2"]) == 0
    out = capsys.readouterr().out
    [pairwise] = storage.pairwise.list_pairwise_runs(db).run_id.tolist()
    run = storage.pairwise.get_pairwise_run(db, pairwise)
    targets = storage.cell_pair_ids(db, run_id, human=2, judge=1)
    refs = {int(t): r for t, r in run.params["references"].items()}
    plan = run.params["plan"]
    assert plan["cell"] == {"run_id": run_id, "human": 2, "judge": 1}
    assert plan["targets"] == len(targets) == len(refs) + plan["skipped_targets"]
    by_id = {p["pair_id"]: p for p in storage.pairs_for_judging(db, "wands-sample")}
    grades = storage.pairwise.current_grades(db, list(by_id))
    for target, reference in refs.items():
        assert target in targets and reference != target
        assert by_id[reference]["query_id"] == by_id[target]["query_id"]
        assert grades[reference] == 2
    skipped = len(plan["skipped_queries"])
    assert f"{len(refs)} comparisons, {2 * len(refs)} orders judged" in out
    assert (f"{skipped} queries skipped" in out) == (skipped > 0)
    frame = storage.pairwise.pairwise_comparisons(db, pairwise)
    assert len(frame) == len(refs)
