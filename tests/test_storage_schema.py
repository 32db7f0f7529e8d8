"""Schema migrations bring an existing store forward with every row kept; the importer
enforces the one-row-per-key rules that the index-free tables leave to it."""

from __future__ import annotations

import pytest

import storage
import storage._db
from conftest import SAMPLE_FOLDER, assert_label_cache_is_a_rebuild, store_snapshot
from storage._schema import MIGRATIONS

INDEX_FREE = ("documents", "pairs", "label_events", "current_labels")


def primary_keys(db) -> set[str]:
    with storage.connect(db) as con:
        rows = con.execute(
            "SELECT table_name FROM information_schema.table_constraints "
            "WHERE constraint_type = 'PRIMARY KEY'"
        ).fetchall()
    return {row[0] for row in rows}


@pytest.fixture
def version_1_db(db, monkeypatch):
    """A store written by the schema as first released (migration 1 only): the sample,
    one review and one undone review."""
    with monkeypatch.context() as patch:
        patch.setattr(storage._db, "MIGRATIONS", MIGRATIONS[:1])
        patch.setattr(storage._db, "SCHEMA_VERSION", 1)
        storage.import_wands(db, SAMPLE_FOLDER, dataset="wands-sample")
        storage.record_review(db, 1, author="ana", grade=0, note="not a match")
        storage.record_review(db, 2, author="ana", grade=2)
        storage.undo_last_review(db, 2, author="ana")
        assert storage.schema_version(db) == 1
        assert set(INDEX_FREE) <= primary_keys(db)
        before = store_snapshot(db)
    return db, before


def test_version_1_store_migrates_with_every_row_kept(version_1_db):
    db, before = version_1_db
    assert storage.schema_version(db) == len(MIGRATIONS) == 3
    assert store_snapshot(db) == before
    assert not set(INDEX_FREE) & primary_keys(db)
    assert {"queries", "datasets", "judgments"} <= primary_keys(db)


def test_migrated_store_keeps_counting_ids_and_labels(version_1_db):
    db, before = version_1_db
    events = len(before["label_events"])
    event_id = storage.record_review(db, 3, author="ana", grade=1)
    assert event_id == events + 1  # the sequence carried over, no id is reused
    assert storage.current_label(db, 3)["grade"] == 1
    assert storage.current_label(db, 1)["note"] == "not a match"
    summary = storage.import_wands(db, SAMPLE_FOLDER, dataset="wands-sample", author="bob")
    assert (summary.new_pairs, summary.label_events) == (0, 174)
    assert assert_label_cache_is_a_rebuild(db) == 174


def test_repeated_refresh_keeps_one_cached_label_per_pair(sample_db):
    for grade in (0, 2, 1):
        storage.record_review(sample_db, 7, author="ana", grade=grade)
    storage.undo_last_review(sample_db, 7, author="ana")
    with storage.connect(sample_db) as con:
        rows = con.execute("SELECT grade FROM current_labels WHERE pair_id = 7").fetchall()
    assert rows == [(2,)]


@pytest.mark.parametrize(
    ("table", "insert", "message"),
    [
        (
            "pairs",
            "INSERT INTO pairs (dataset, query_id, doc_id) "
            "SELECT dataset, query_id, doc_id FROM pairs WHERE pair_id = 1",
            r"would hold the pair \(query_id '\d+', doc_id '\d+'\) twice",
        ),
        (
            "documents",
            "INSERT INTO documents (dataset, doc_id) "
            "SELECT dataset, doc_id FROM documents LIMIT 1",
            r"would hold the document \(doc_id '\d+'\) twice",
        ),
    ],
)
def test_import_refuses_a_store_holding_a_key_twice(sample_db, wands_copy, table, insert, message):
    """A row written around the importer (by hand, or by a bug) that repeats a key fails the
    next import, which then changes nothing."""
    with storage.connect(sample_db) as con:
        con.execute(insert)
    before = store_snapshot(sample_db)
    label = wands_copy / "label.csv"
    label.write_text(label.read_text() + "99999\t3\t73\tExact\n")  # one new pair
    with pytest.raises(storage.StoreError, match=message):
        storage.import_wands(sample_db, wands_copy, dataset="wands-sample")
    assert store_snapshot(sample_db) == before
