"""An adjudication is a review by the adjudicator: the pair it settles counts as reviewed (and
confirmed or corrected) wherever the review words are read, even when the reviewers' own
grades were undone."""

from __future__ import annotations

from app_fixtures import DATASET

import jobs
import storage
from storage.team import PairSet, PairSetKind, Strategy


def test_an_adjudicated_pair_is_reviewed_by_the_adjudicator(store):
    db, _ = store
    kept, other = [
        int(p) for p in storage.search_pair_ids(db, DATASET, run_id=None)[:2]
    ]  # two pairs of the sample, both never reviewed
    imported = {p: storage.current_label(db, p).grade for p in (kept, other)}
    task_id = jobs.create_task(
        db,
        jobs.TaskPlan(
            dataset=DATASET,
            name="settle",
            pair_set=PairSet(PairSetKind.PAIRS, "two", ids=(kept, other)),
            strategy=Strategy.RANDOM,
            size=None,
            reviewers=("ana", "bo"),
            overlap=1.0,
        ),
    ).task_id
    before = storage.dataset_stats(db, DATASET)
    for pair_id in (kept, other):
        storage.record_review(db, pair_id, author="ana", grade=0, task_id=task_id)
        storage.record_review(db, pair_id, author="bo", grade=2, task_id=task_id)
        storage.undo_last_review(db, pair_id, author="bo")
        storage.undo_last_review(db, pair_id, author="ana")
    assert storage.dataset_stats(db, DATASET).reviewed_pairs == before.reviewed_pairs
    assert len(storage.team.adjudication_queue(db, task_id, pending_only=True)) == 2

    storage.record_review(  # one kept as imported, one changed
        db, kept, author="lead", grade=imported[kept], task_id=task_id, adjudication=True
    )
    changed = (imported[other] + 1) % 3
    storage.record_review(
        db, other, author="lead", grade=changed, task_id=task_id, adjudication=True
    )

    after = storage.dataset_stats(db, DATASET)
    assert after.reviewed_pairs == before.reviewed_pairs + 2
    assert after.confirmed_pairs == before.confirmed_pairs + 1
    assert after.corrected_pairs == before.corrected_pairs + 1
    assert "lead" in storage.reviewers(db, DATASET)
    by_lead = storage.search_pair_ids(
        db, DATASET, run_id=None, filters=storage.PairFilters(reviewer="lead")
    )
    assert sorted(by_lead) == sorted([kept, other])
    reviewed = storage.search_pair_ids(
        db, DATASET, run_id=None, filters=storage.PairFilters(reviewed=True)
    )
    assert {kept, other} <= set(reviewed)
    assert storage.team.adjudication_queue(db, task_id, pending_only=True).empty
