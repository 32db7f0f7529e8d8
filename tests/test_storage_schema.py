"""Schema migrations bring an existing store forward with every row kept; the schema holds
the store's keys, so a row that repeats one is refused whoever writes it."""

from __future__ import annotations

import duckdb
import pytest
from conftest import SAMPLE_FOLDER, assert_label_cache_is_a_rebuild, store_snapshot
from store_damage import execute

import storage
import storage._connection
from storage._labels import refresh_current_labels
from storage._schema import MIGRATIONS

# The tables migration 2 left without keys, and migration 4 gave them back.
INDEX_FREE = ("documents", "pairs", "label_events", "current_labels")


def primary_keys(db) -> set[str]:
    with storage.connect(db) as con:
        rows = con.execute(
            "SELECT table_name FROM information_schema.table_constraints "
            "WHERE constraint_type = 'PRIMARY KEY'"
        ).fetchall()
    return {row[0] for row in rows}


def version_db(db, version: int, monkeypatch) -> None:
    """The sample imported into `db` by the schema as it was at `version`, with one review
    and one undone review."""
    with monkeypatch.context() as patch:
        patch.setattr(storage._connection, "MIGRATIONS", MIGRATIONS[:version])
        patch.setattr(storage._connection, "SCHEMA_VERSION", version)
        storage.importers.import_wands(db, SAMPLE_FOLDER, dataset="wands-sample")
        # Written as that version's workbench wrote them: today's review path reads tables
        # (allowed reviewers, guidelines) an old store does not have yet.
        with storage.connect(db) as con:
            con.execute(
                "INSERT INTO label_events (pair_id, grade, source, author, note) "
                "VALUES (1, 0, 'review', 'ana', 'not a match'), (2, 2, 'review', 'ana', NULL)"
            )
            con.execute(
                "INSERT INTO label_events (pair_id, source, author, reverts) SELECT 2, "
                "'revert', 'ana', max(event_id) FROM label_events WHERE pair_id = 2"
            )
            refresh_current_labels(con, [1, 2])
        assert storage.schema_version(db) == version


@pytest.fixture
def version_1_db(db, monkeypatch):
    """A store written by the schema as first released (migration 1 only)."""
    version_db(db, 1, monkeypatch)
    assert set(INDEX_FREE) <= primary_keys(db)
    return db, store_snapshot(db)


def test_version_1_store_migrates_with_every_row_kept(version_1_db):
    db, before = version_1_db
    assert storage.schema_version(db) == len(MIGRATIONS) == 15
    after = store_snapshot(db)
    # Every row kept; the tables later versions added are there, empty; only the version moved.
    assert {t: after[t] for t in before if t != "meta"} == {
        t: rows for t, rows in before.items() if t != "meta"
    }
    assert {t: rows for t, rows in after.items() if t not in before} == {
        t: [] for t in after if t not in before
    }
    assert after["meta"] == [("schema_version", str(len(MIGRATIONS)))]
    assert set(INDEX_FREE) | {"queries", "datasets", "judgments"} <= primary_keys(db)


def test_migrated_store_keeps_counting_ids_and_labels(version_1_db):
    db, before = version_1_db
    events = len(before["label_events"])
    event_id = storage.record_review(db, 3, author="ana", grade=1)
    assert event_id == events + 1  # the sequence carried over, no id is reused
    assert storage.current_label(db, 3).grade == 1
    assert storage.current_label(db, 1).note == "not a match"
    summary = storage.importers.import_wands(
        db, SAMPLE_FOLDER, dataset="wands-sample", author="bob"
    )
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
    "insert",
    [
        "INSERT INTO pairs (dataset, query_id, doc_id) "
        "SELECT dataset, query_id, doc_id FROM pairs WHERE pair_id = 1",
        "INSERT INTO pairs (pair_id, dataset, query_id, doc_id) "
        "VALUES (1, 'wands-sample', 'q', 'd')",
        "INSERT INTO documents (dataset, doc_id) SELECT dataset, doc_id FROM documents LIMIT 1",
        "INSERT INTO queries SELECT * FROM queries LIMIT 1",
        "INSERT INTO datasets (dataset, grades, grade_names) VALUES ('wands-sample', [0], ['x'])",
        "INSERT INTO label_events (event_id, pair_id, source) VALUES (1, 2, 'import')",
        "INSERT INTO current_labels SELECT * FROM current_labels WHERE pair_id = 3",
        "INSERT INTO judgments (run_id, pair_id, parse_status) VALUES (1, 1, 'strict'), "
        "(1, 1, 'strict')",
    ],
)
def test_the_store_refuses_a_row_that_repeats_a_key(sample_db, insert):
    """Whoever writes the row (here DuckDB alone, by hand), the schema refuses it."""
    before = store_snapshot(sample_db)
    with pytest.raises(duckdb.ConstraintException, match="(?i)duplicate key"):
        execute(sample_db, insert)
    assert store_snapshot(sample_db) == before


@pytest.mark.parametrize("version", [2, 3])
def test_a_store_holding_a_repeated_key_stays_as_it_was(db, monkeypatch, version):
    """A store without keys (versions 2 and 3) that someone gave a second copy of a pair is
    not brought forward, not even by the migrations before the one that fails: opening it
    says why and changes nothing; `check` reads it and names the pair."""
    version_db(db, version, monkeypatch)
    execute(
        db,
        "INSERT INTO pairs (dataset, query_id, doc_id) "
        "SELECT dataset, query_id, doc_id FROM pairs WHERE pair_id = 1",
    )
    before = db.read_bytes()
    with pytest.raises(storage.StoreOpenError) as error:
        storage.dataset_stats(db, "wands-sample")
    assert "could not be brought to schema version 4" in str(error.value)
    assert f"it stays at version {version}, as it was" in str(error.value)
    assert db.read_bytes() == before
    problems = [str(p) for p in storage.check_store(db).problems]
    assert problems[0].startswith("pairs: the pair (query '")
    assert problems[0].endswith("of 'wands-sample' appears 2 times; a key is unique")
