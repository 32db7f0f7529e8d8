"""Pairwise runs in a real DuckDB file: verdicts per order, the comparisons frame, reviewers'
preferences with history and undo, and what a dataset delete removes."""

from __future__ import annotations

import pytest
from conftest import store_snapshot

import jobs
import storage
from storage import _manage


def make_run(db, dataset="wands-sample") -> int:
    return storage.pairwise.create_pairwise_run(
        db,
        name="pw",
        dataset=dataset,
        backend="llama_cpp",
        model="m.gguf",
        prompt_template="t",
        prompt_sha256="0" * 64,
        params={"comparisons": [[1, 2]]},
    )


def verdict(first, second, winner, p_first, p_second, p_tie=None, status="logprobs"):
    return {
        "first_pair_id": first,
        "second_pair_id": second,
        "winner": winner,
        "p_first": p_first,
        "p_second": p_second,
        "p_tie": p_tie,
        "raw_output": " A",
        "parse_status": status,
    }


def test_run_ids_are_shared_with_graded_runs_and_orders_are_stored_apart(sample_db):
    graded = storage.create_run(
        sample_db,
        name="g",
        dataset="wands-sample",
        backend="llama_cpp",
        model="m",
        prompt_template="t",
        prompt_sha256="0",
        scale=[0, 1, 2],
    )
    run_id = make_run(sample_db)
    assert run_id == graded + 1
    assert storage.pairwise.is_pairwise_run(sample_db, run_id)
    assert not storage.pairwise.is_pairwise_run(sample_db, graded)
    storage.pairwise.record_pairwise_judgments(
        sample_db,
        run_id,
        [verdict(1, 2, "first", 0.7, 0.2, 0.1), verdict(2, 1, "first", 0.6, 0.3, 0.1)],
    )
    storage.pairwise.record_pairwise_judgments(
        sample_db, run_id, [verdict(3, 4, None, None, None, status="error")]
    )
    assert storage.pairwise.judged_orders(sample_db, run_id) == {(1, 2), (2, 1)}
    frame = storage.pairwise.pairwise_comparisons(sample_db, run_id)
    assert frame[["pair_a", "pair_b"]].values.tolist() == [[1, 2], [3, 4]]
    first = frame.iloc[0]
    assert (first.winner_ab, first.winner_ba) == ("first", "first")
    assert (first.p_first_ab, first.p_first_ba) == (0.7, 0.6)
    assert first.query == "turquoise pillows"
    assert first.status_ba == "logprobs"
    # The judge named whichever it saw first: no preference, swap-inconsistent.
    with_pref = jobs.with_preferences(frame)
    assert with_pref.preference[0] == pytest.approx(0.55)
    assert with_pref.verdict[0] == "a"
    assert with_pref.swap_consistent.tolist() == [False, None]
    storage.pairwise.finish_pairwise_run(sample_db, run_id, storage.RunStatus.DONE)
    listed = storage.pairwise.list_pairwise_runs(sample_db, "wands-sample")
    assert listed[["run_id", "status", "answered", "failed"]].values.tolist() == [
        [run_id, "done", 2, 1]
    ]


def test_preferences_keep_history_and_undo(sample_db):
    assert storage.pairwise.current_preference(sample_db, 2, 1) is None
    storage.pairwise.record_preference(sample_db, 2, 1, preferred=2, author="ana")
    assert storage.pairwise.current_preference(sample_db, 1, 2) == 2
    storage.pairwise.record_preference(
        sample_db, 1, 2, preferred=None, author="ana", note="both fine"
    )
    assert storage.pairwise.current_preference(sample_db, 1, 2) == "tie"
    assert storage.pairwise.undo_last_preference(sample_db, 1, 2, author="ana") is not None
    assert storage.pairwise.current_preference(sample_db, 1, 2) == 2
    history = storage.pairwise.preference_history(sample_db, 2, 1)
    assert [(h["source"], h["preferred"], h["reverted"]) for h in history] == [
        ("review", 2, False),
        ("review", "tie", True),
        ("revert", None, False),
    ]
    storage.pairwise.undo_last_preference(sample_db, 1, 2, author="ana")
    assert storage.pairwise.current_preference(sample_db, 1, 2) is None
    assert storage.pairwise.undo_last_preference(sample_db, 1, 2, author="ana") is None


def test_preferences_refuse_what_is_not_a_comparison(sample_db):
    with pytest.raises(storage.StoreError, match="not one of the two compared"):
        storage.pairwise.record_preference(sample_db, 1, 2, preferred=3, author="ana")
    with pytest.raises(storage.StoreError, match="different queries"):
        storage.pairwise.record_preference(sample_db, 1, 100, preferred=1, author="ana")
    with pytest.raises(storage.StoreError, match="two different pairs"):
        storage.pairwise.record_preference(sample_db, 1, 1, preferred=1, author="ana")


def test_dataset_delete_removes_pairwise_rows(sample_db):
    run_id = make_run(sample_db)
    storage.pairwise.record_pairwise_judgments(
        sample_db, run_id, [verdict(1, 2, "first", 0.7, 0.3)]
    )
    storage.pairwise.record_preference(sample_db, 1, 2, preferred=1, author="ana")
    storage.delete_dataset(sample_db, "wands-sample")
    with storage.connect(sample_db) as con:
        for table in ("pairwise_runs", "pairwise_judgments", "preference_events"):
            assert con.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)]


def test_delete_run_takes_a_pairwise_run_with_its_verdicts_and_keeps_preferences(sample_db):
    graded = storage.create_run(
        sample_db, name="g", dataset="wands-sample", backend="llama_cpp", model="m",
        prompt_template="t", prompt_sha256="0", scale=[0, 1, 2],
    )  # fmt: skip
    storage.record_judgments(sample_db, graded, [{"pair_id": 1, "grade": 2, "parse_status": "ok"}])
    run_id = make_run(sample_db)
    storage.pairwise.record_pairwise_judgments(
        sample_db, run_id, [verdict(1, 2, "first", 0.7, 0.3), verdict(2, 1, "second", 0.4, 0.6)]
    )
    storage.pairwise.record_preference(sample_db, 1, 2, preferred=1, author="ana")
    gone = storage.Footprint(pairwise_runs=1, pairwise_judgments=2)
    assert storage.run_footprint(sample_db, run_id) == gone
    assert str(gone) == "1 pairwise run, 2 pairwise verdicts"
    assert storage.why_run_cannot_be_deleted(sample_db, run_id) is None
    assert storage.delete_run(sample_db, run_id) == gone
    assert storage.pairwise.current_preference(sample_db, 1, 2) == 1
    with pytest.raises(storage.NotFoundError, match="no pairwise run"):
        storage.pairwise.get_pairwise_run(sample_db, run_id)
    with storage.connect(sample_db) as con:
        assert con.execute("SELECT count(*) FROM pairwise_judgments").fetchall() == [(0,)]
    assert storage.run_labels(sample_db, graded)["judge"].tolist() == [2]
    with pytest.raises(storage.NotFoundError, match=f"no judge run {run_id}"):
        storage.delete_run(sample_db, run_id)


def test_a_failed_pairwise_delete_changes_nothing(sample_db, monkeypatch):
    run_id = make_run(sample_db)
    storage.pairwise.record_pairwise_judgments(
        sample_db, run_id, [verdict(1, 2, "first", 0.7, 0.3)]
    )
    before = store_snapshot(sample_db)
    real_delete = _manage._delete

    def delete_then_fail(*args):
        real_delete(*args)
        raise RuntimeError("disk full")

    monkeypatch.setattr(_manage, "_delete", delete_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        storage.delete_run(sample_db, run_id)
    assert store_snapshot(sample_db) == before


def test_rename_run_names_a_pairwise_run(sample_db):
    run_id = make_run(sample_db)
    storage.rename_run(sample_db, run_id, "  swap check ")
    assert storage.pairwise.get_pairwise_run(sample_db, run_id).name == "swap check"
    with pytest.raises(storage.StoreError, match="a judge run needs a name"):
        storage.rename_run(sample_db, run_id, " ")


def test_list_all_runs_lists_both_kinds_newest_first_with_their_counts(sample_db, tmp_path):
    assert storage.list_all_runs(sample_db).empty
    graded = storage.create_run(
        sample_db, name="g", dataset="wands-sample", backend="llama_cpp", model="m",
        prompt_template="t", prompt_sha256="0", scale=[0, 1, 2],
    )  # fmt: skip
    storage.record_judgments(
        sample_db,
        graded,
        [
            {"pair_id": 1, "grade": 2, "parse_status": "ok"},
            {"pair_id": 2, "grade": None, "parse_status": "error"},
        ],
    )
    storage.finish_run(sample_db, graded, storage.RunStatus.DONE)
    run_id = make_run(sample_db)
    storage.pairwise.record_pairwise_judgments(
        sample_db,
        run_id,
        [
            verdict(1, 2, "first", 0.7, 0.3),
            verdict(2, 1, "second", 0.4, 0.6),
            verdict(3, 4, None, None, None, status="unparsed"),
        ],
    )
    storage.pairwise.finish_pairwise_run(sample_db, run_id, storage.RunStatus.CANCELLED)
    listed = storage.list_all_runs(sample_db, "wands-sample")
    assert listed[["run_id", "kind", "status", "judged", "failed", "unparsed"]].values.tolist() == [
        [run_id, "pairwise", "cancelled", 2, 0, 1],
        [graded, "graded", "done", 1, 1, 0],
    ]
    assert listed["kind"].tolist() == [storage.RunKind.PAIRWISE, storage.RunKind.GRADED]
    assert set(listed.columns) == {*storage.list_runs(sample_db).columns, "kind"}
    assert storage.list_all_runs(sample_db, "no such dataset").empty
    # A store with pairwise runs only still lists them, with the graded runs' columns.
    assert storage.delete_run(sample_db, graded) == storage.Footprint(judge_runs=1, judgments=2)
    assert storage.list_all_runs(sample_db)["run_id"].tolist() == [run_id]


def test_dataset_footprint_counts_pairwise_runs_verdicts_and_preferences(sample_db):
    run_id = make_run(sample_db)
    storage.pairwise.record_pairwise_judgments(
        sample_db, run_id, [verdict(1, 2, "first", 0.7, 0.3)]
    )
    storage.pairwise.record_preference(sample_db, 1, 2, preferred=1, author="ana")
    footprint = storage.dataset_footprint(sample_db, "wands-sample")
    counts = (footprint[t] for t in ("pairwise_runs", "pairwise_judgments", "preference_events"))
    assert tuple(counts) == (1, 1, 1)
    assert "1 pairwise run, 1 pairwise verdict, 1 preference event" in str(footprint)
    assert storage.delete_dataset(sample_db, "wands-sample") == footprint
