"""Blind holds on the Export page too: an export made by a reviewer leaves out the pairs they
still owe a blind task's grade (a co-reviewer's label would be in the file), as the Confusion
browser does; once they have graded, those pairs come back."""

from __future__ import annotations

import json

from app_fixtures import DATASET, click, open_app
from team_fixtures import two_reviewer_task

import storage


def _exported(db, reviewer: str) -> dict:
    at = click(open_app("export", query={"reviewer": reviewer}), "export-run")
    assert not at.error, [e.value for e in at.error]
    manifest = json.loads((db.parent / "exports" / "training" / "manifest.json").read_text())
    return {"selected": manifest["counts"]["selected"], "captions": [c.value for c in at.caption]}


def test_an_export_leaves_out_what_its_reviewer_still_owes_a_blind_task(store):
    db, run_id = store
    storage.team.set_allowed_reviewers(db, DATASET, ["ann", "bob"], actor="ann")
    task_id = two_reviewer_task(db, run_id, ("ann", "bob"), author="ann")
    for pair_id in storage.team.my_queue(db, task_id, "bob")["pair_id"]:
        storage.record_review(db, int(pair_id), author="bob", grade=0, task_id=task_id)
    owed = storage.team.owed_blind_pairs(db, DATASET, "ann")
    assert len(owed) == 6 and storage.team.owed_blind_pairs(db, DATASET, "bob") == set()
    everything = storage.training.selection_count(db, storage.training.Selection(dataset=DATASET))

    as_bob = _exported(db, "bob")
    assert as_bob["selected"] == everything
    as_ann = _exported(db, "ann")
    assert as_ann["selected"] == everything - len(owed)
    assert any("6 pairs you still owe a blind task's grade" in c for c in as_ann["captions"])

    for pair_id in owed:
        storage.record_review(db, pair_id, author="ann", grade=1, task_id=task_id)
    assert _exported(db, "ann")["selected"] == everything


def test_a_blind_selection_counts_and_exports_without_the_owed_pairs(store):
    db, run_id = store
    task_id = two_reviewer_task(db, run_id, ("ann", "bob"), author="ann")
    owed = storage.team.owed_blind_pairs(db, DATASET, "ann")
    blind = storage.training.Selection(dataset=DATASET, blind_to="ann")
    every = storage.training.Selection(dataset=DATASET)
    assert storage.training.selection_count(db, blind) == (
        storage.training.selection_count(db, every) - len(owed)
    )
    first = min(owed)
    storage.record_review(db, first, author="ann", grade=2, task_id=task_id)
    assert storage.training.selection_count(db, blind) == (
        storage.training.selection_count(db, every) - len(owed) + 1
    )
