"""Label history as an append-only log: relabel, undo, unsure marks and notes, re-import."""

from __future__ import annotations

import pytest
from conftest import SAMPLE_FOLDER, assert_label_cache_is_a_rebuild

import storage


@pytest.fixture
def pair(sample_db):
    """(db, pair_id) of an imported pair labelled Partial (query 3, product 104)."""
    with storage.connect(sample_db) as con:
        pair_id = con.execute(
            "SELECT pair_id FROM pairs WHERE query_id = '3' AND doc_id = '104'"
        ).fetchall()[0][0]
    return sample_db, pair_id


def grades(db, pair_id):
    return [(e["source"], e["grade"], e["reverted"]) for e in storage.label_history(db, pair_id)]


def test_imported_label_is_current(pair):
    db, pair_id = pair
    label = storage.current_label(db, pair_id)
    assert (label.grade, label.original_grade, label.source) == (1, 1, "import")
    assert grades(db, pair_id) == [("import", 1, False)]


def test_relabel_then_undo_returns_to_the_import(pair):
    db, pair_id = pair
    storage.record_review(db, pair_id, author="ana", grade=2)
    storage.record_review(db, pair_id, author="ana", grade=0)
    assert storage.current_label(db, pair_id).grade == 0
    storage.undo_last_review(db, pair_id, author="ana")
    assert storage.current_label(db, pair_id).grade == 2
    storage.undo_last_review(db, pair_id, author="ana")
    label = storage.current_label(db, pair_id)
    assert (label.grade, label.source, label.original_grade) == (1, "import", 1)
    assert grades(db, pair_id) == [
        ("import", 1, False),
        ("review", 2, True),
        ("review", 0, True),
        ("revert", 2, False),  # a revert shows the grade it restored
        ("revert", 1, False),
    ]
    assert storage.undo_last_review(db, pair_id, author="ana") is None  # imports are never undone


def test_unsure_mark_and_note_keep_the_grade(pair):
    db, pair_id = pair
    storage.record_review(db, pair_id, author="ana", unsure=True, note="is a pillow case a pillow?")
    label = storage.current_label(db, pair_id)
    assert (label.grade, label.unsure, label.note) == (
        1,
        True,
        "is a pillow case a pillow?",
    )
    storage.record_review(db, pair_id, author="ana", grade=2)
    label = storage.current_label(db, pair_id)
    assert (label.grade, label.unsure, label.note) == (
        2,
        False,
        "is a pillow case a pillow?",
    )


def test_review_survives_reimport_of_the_same_file(pair):
    db, pair_id = pair
    storage.record_review(db, pair_id, author="ana", grade=2)
    storage.importers.import_wands(db, SAMPLE_FOLDER, dataset="wands-sample")
    assert storage.current_label(db, pair_id).grade == 2
    assert len(storage.label_history(db, pair_id)) == 2


def test_off_scale_grade_and_empty_review_are_refused(pair):
    db, pair_id = pair
    with pytest.raises(storage.StoreError, match="not on this dataset's scale"):
        storage.record_review(db, pair_id, author="ana", grade=3)
    with pytest.raises(storage.StoreError, match="needs a grade"):
        storage.record_review(db, pair_id, author="ana")
    assert grades(db, pair_id) == [("import", 1, False)]


def test_import_fast_path_equals_the_general_refresh(pair, wands_copy):
    """The importer writes first labels straight into current_labels; whatever happens
    after (reviews, undo, a second annotator, changed labels), the cache equals a rebuild."""
    db, pair_id = pair
    assert assert_label_cache_is_a_rebuild(db) == 174
    storage.record_review(db, pair_id, author="ana", grade=0)
    storage.record_review(db, pair_id + 1, author="ana", note="check", unsure=True)
    storage.record_review(db, pair_id + 2, author="ana", grade=2)
    storage.undo_last_review(db, pair_id + 2, author="ana")
    assert_label_cache_is_a_rebuild(db)
    storage.importers.import_wands(db, SAMPLE_FOLDER, dataset="wands-sample", author="bob")
    assert_label_cache_is_a_rebuild(db)
    label = wands_copy / "label.csv"
    lines = label.read_text().splitlines()
    lines[1:21] = [line.rsplit("\t", 1)[0] + "\tExact" for line in lines[1:21]]
    label.write_text("\n".join(lines) + "\n")
    storage.importers.import_wands(db, wands_copy, dataset="wands-sample")
    storage.importers.import_wands(db, wands_copy, dataset="second")
    assert assert_label_cache_is_a_rebuild(db) == 2 * 174
