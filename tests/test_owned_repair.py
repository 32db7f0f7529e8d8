"""Migration 10 on a store the old delete and rename left orphans in: what a deleted dataset
left goes, what a rename left under the old name moves to the new one, and `check` says
what was done."""

from __future__ import annotations

import pytest
from test_owned import _import, _write_dataset

import cli
import storage
from storage import _owned
from storage._schema import MIGRATIONS


@pytest.fixture
def version_9_db(db, tmp_path, monkeypatch):
    """A store at schema version 9 as the old workbench left it: dataset 'again' imported
    again after a delete (its old reviewer, guideline and task are back under its name),
    dataset 'gone' deleted (its team rows left), dataset 'old' renamed to 'new' (its team
    rows left under 'old', the task's items and a review in it on the renamed pairs)."""
    with monkeypatch.context() as patch:
        patch.setattr(storage._connection, "MIGRATIONS", MIGRATIONS[:9])
        patch.setattr(storage._connection, "SCHEMA_VERSION", 9)
        for dataset in ("again", "new"):
            table, _ = _write_dataset(tmp_path, dataset)
            _import(db, table, dataset)
        with storage.connect(db) as con:
            (pair,) = con.execute("SELECT min(pair_id) FROM pairs WHERE dataset = 'new'").fetchone()
            con.execute(
                "INSERT INTO reviewers (dataset, name, added_at) VALUES "
                "('again', 'carol', TIMESTAMP '2020-01-01'), ('gone', 'ana', DEFAULT), "
                "('old', 'ana', DEFAULT), ('old', 'bob', DEFAULT)"
            )
            con.execute(
                "INSERT INTO guidelines (dataset, version, text, created_at) VALUES "
                "('again', 1, 'old text', TIMESTAMP '2020-01-01'), "
                "('gone', 1, 'gone text', DEFAULT), ('old', 1, 'kept text', DEFAULT)"
            )
            con.execute(
                "INSERT INTO review_tasks (task_id, dataset, name, pair_set, strategy, overlap, "
                "blind, seed, created_at) VALUES "
                "(1, 'again', 't1', 'all', 'random', 0, true, 0, TIMESTAMP '2020-01-01'), "
                "(2, 'gone', 't1', 'all', 'random', 0, true, 0, DEFAULT), "
                "(3, 'old', 't1', 'all', 'random', 0, true, 0, DEFAULT)"
            )
            con.execute(
                "INSERT INTO task_items VALUES (1, 90001, 'carol', 1), (1, 90002, 'carol', 2), "
                f"(2, 90003, 'ana', 1), (3, {pair}, 'ana', 1), (3, {pair + 1}, 'bob', 1)"
            )
            con.execute(
                "INSERT INTO label_events (pair_id, grade, source, author, task_id) "
                f"VALUES ({pair}, 2, 'review', 'ana', 3)"
            )
            storage._labels.refresh_current_labels(con, [pair])
        assert storage.schema_version(db) == 9
    return db


def _task_pairs(db, task_id: int) -> list[int]:
    with storage.connect(db, read_only=True) as con:
        rows = con.execute(
            "SELECT pair_id FROM task_items WHERE task_id = ? ORDER BY pair_id", [task_id]
        ).fetchall()
    return [pair for (pair,) in rows]


def test_migration_10_repairs_what_the_old_delete_and_rename_left(version_9_db, capsys):
    db = version_9_db
    report = storage.check_store(db)  # read as it is, at version 9
    older = "made before the dataset was: left by a delete of an earlier dataset of that name"
    assert [str(p) for p in report.problems] == [
        f"task_items: task 3 (of 'old'), pair {pair}: the pair is in 'new'"
        for pair in _task_pairs(db, 3)
    ] + [
        f"reviewers: 1 allowed reviewer of 'again' {older}",
        f"review_tasks: 1 review task of 'again' {older}",
        f"guidelines: 1 guideline version of 'again' {older}",
        "reviewers: 1 allowed reviewer of dataset 'gone', which does not exist",
        "reviewers: 2 allowed reviewers of dataset 'old', which does not exist",
        "review_tasks: 1 review task of dataset 'gone', which does not exist",
        "review_tasks: 1 review task of dataset 'old', which does not exist",
        "task_items: 1 task item of pair 90001, which does not exist",
        "task_items: 1 task item of pair 90002, which does not exist",
        "task_items: 1 task item of pair 90003, which does not exist",
        "guidelines: 1 guideline version of dataset 'gone', which does not exist",
        "guidelines: 1 guideline version of dataset 'old', which does not exist",
    ]
    assert storage.schema_version(db) == len(MIGRATIONS)  # opened read-write: brought forward
    assert storage.team.allowed_reviewers(db, "again") == []
    assert storage.team.guideline(db, "again") is None
    assert storage.team.list_tasks(db, "again").empty
    assert storage.team.allowed_reviewers(db, "new") == ["ana", "bob"]
    assert storage.team.guideline(db, "new").text == "kept text"
    assert storage.team.get_task(db, "t1", "new").task_id == 3
    with storage.connect(db) as con:
        for table in ("reviewers", "guidelines", "review_tasks"):
            assert con.execute(f"SELECT DISTINCT dataset FROM {table} ORDER BY 1").fetchall() == [
                ("new",)
            ], table
        assert con.execute("SELECT DISTINCT task_id FROM task_items").fetchall() == [(3,)]
    report = storage.check_store(db)
    assert report.ok
    version = "when the store was brought to schema version 10"
    assert report.repaired == (
        f"guidelines: moved 1 guideline version of 'old' to 'new' {version} (left under the "
        "old name by a rename)",
        f"review_tasks: moved 1 review task of 'old' to 'new' {version} (left under the old "
        "name by a rename)",
        f"reviewers: moved 2 allowed reviewers of 'old' to 'new' {version} (left under the "
        "old name by a rename)",
        f"guidelines: removed 1 guideline version of 'again' {version} (left by a delete of an "
        "earlier dataset of that name)",
        f"guidelines: removed 1 guideline version of 'gone' {version} (left by a delete or "
        "rename of the dataset)",
        f"review_tasks: removed 1 review task of 'again' {version} (their pairs were deleted "
        "with their dataset)",
        f"review_tasks: removed 1 review task of 'gone' {version} (their pairs were deleted "
        "with their dataset)",
        f"reviewers: removed 1 allowed reviewer of 'again' {version} (left by a delete of an "
        "earlier dataset of that name)",
        f"reviewers: removed 1 allowed reviewer of 'gone' {version} (left by a delete or "
        "rename of the dataset)",
        f"task_items: removed 2 task items of 'again' {version} (their pairs were deleted "
        "with their dataset)",
        f"task_items: removed 1 task item of 'gone' {version} (their pairs were deleted with "
        "their dataset)",
    )
    assert cli.main(["--db", str(db), "check"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:-1] == [f"repaired: {line}" for line in report.repaired]
    tables = len(_owned.OWNED) + len(_owned.GLOBAL)
    assert lines[-1].startswith(f"store.duckdb: no problems in {tables} tables")
