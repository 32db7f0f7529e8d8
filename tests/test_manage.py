"""Renaming and deleting datasets and runs on a real DuckDB file: every table follows, other
datasets stay as they were, and a failure midway changes nothing."""

from __future__ import annotations

import dataclasses
import shutil

import pandas as pd
import pytest
from app_fixtures import DATASET, build_store
from conftest import store_snapshot

import storage
from storage import _manage


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The judged sample (with a review) and a second dataset `shop` with a run of its own."""
    folder = tmp_path_factory.mktemp("manage")
    db = folder / "manage.duckdb"
    run_id = build_store(db)
    storage.record_review(db, min(storage.judged_pair_ids(db, run_id)), author="r", grade=0)
    table = folder / "shop.tsv"
    pd.DataFrame(
        {"q": ["oak desk", "oak desk", "lamp"], "pid": ["d1", "d2", "d3"], "rel": [2, 1, 0]}
    ).to_csv(table, sep="\t", index=False)
    storage.importers.import_table(
        db,
        table,
        dataset="shop",
        columns=storage.importers.ColumnMap.parse("query=q,doc_id=pid,label=rel"),
    )
    shop_run = storage.create_run(
        db,
        name="shop run",
        dataset="shop",
        backend="fake",
        model="fake",
        prompt_template="t",
        prompt_sha256="0" * 64,
        scale=[0, 1, 2],
        status="done",
    )
    storage.record_judgments(
        db,
        shop_run,
        [
            {"pair_id": p, "grade": 1, "parse_status": "ok"}
            for p in storage.search_pair_ids(db, "shop", run_id=None)
        ],
    )
    return db, run_id, shop_run


@pytest.fixture
def store(built, tmp_path):
    db = tmp_path / "copy.duckdb"
    shutil.copy(built[0], db)
    return db, built[1], built[2]


def _rows_of(db, *, dataset=None, run_id=None, pair_ids=()) -> dict[str, int]:
    """Rows of any table (found in the catalog, so a table added later is checked too) that
    name `dataset`, `run_id` or one of `pair_ids`."""
    with storage.connect(db) as con:
        columns = con.execute(
            "SELECT table_name, list(column_name) FROM information_schema.columns "
            "WHERE table_schema = 'main' GROUP BY ALL"
        ).fetchall()
        found = {}
        for table, names in columns:
            tests = []
            if dataset is not None and "dataset" in names:
                tests.append(("dataset = $dataset", "dataset"))
            if run_id is not None and "run_id" in names:
                tests.append(("run_id = $run_id", "run_id"))
            if pair_ids and "pair_id" in names:
                tests.append(("list_contains($pairs, pair_id)", "pairs"))
            if tests:
                params = {"dataset": dataset, "run_id": run_id, "pairs": list(pair_ids)}
                where = " OR ".join(t for t, _ in tests)
                used = {name: params[name] for _, name in tests}
                found[table] = con.execute(
                    f"SELECT count(*) FROM {table} WHERE {where}", used
                ).fetchone()[0]
    return {table: n for table, n in found.items() if n}


def _pair_ids(db, dataset):
    return storage.search_pair_ids(db, dataset, run_id=None)


def _shop_snapshot(db, shop_run):
    """Every row that belongs to dataset `shop`, by table."""
    snapshot = store_snapshot(db)
    with storage.connect(db) as con:
        pairs = {
            p for (p,) in con.execute("SELECT pair_id FROM pairs WHERE dataset = 'shop'").fetchall()
        }
    keep = {}
    for table, rows in snapshot.items():
        if table in ("datasets", "queries", "documents", "pairs", "judge_runs"):
            keep[table] = [r for r in rows if "shop" in r]
        elif table == "judgments":
            keep[table] = [r for r in rows if r[0] == shop_run]
        else:
            keep[table] = [r for r in rows if r[1 if table == "label_events" else 0] in pairs]
    return keep


def test_footprint_counts_what_a_delete_removes(store):
    db, run_id, _ = store
    footprint = storage.dataset_footprint(db, DATASET)
    assert footprint == storage.Footprint(
        datasets=1, queries=480, documents=174, pairs=174, label_events=175,
        current_labels=174, judge_runs=1, judgments=174,
    )  # fmt: skip
    assert str(footprint) == (
        "480 queries, 174 documents, 174 pairs, 175 label events, 1 judge run, 174 judgments"
    )
    assert storage.run_footprint(db, run_id) == storage.Footprint(judge_runs=1, judgments=174)
    assert str(storage.Footprint(queries=1, pairs=1)) == "1 query, 1 pair"
    assert str(storage.Footprint()) == "nothing"


def test_delete_dataset_removes_every_row_of_it_and_nothing_else(store):
    db, run_id, shop_run = store
    pairs = _pair_ids(db, DATASET)
    before = _rows_of(db, dataset=DATASET, run_id=run_id, pair_ids=pairs)
    assert set(before) >= {
        "datasets",
        "queries",
        "documents",
        "pairs",
        "label_events",
        "current_labels",
        "judge_runs",
        "judgments",
    }
    shop = _shop_snapshot(db, shop_run)
    expected = storage.dataset_footprint(db, DATASET)
    assert storage.delete_dataset(db, DATASET) == expected
    assert _rows_of(db, dataset=DATASET, run_id=run_id, pair_ids=pairs) == {}
    assert _shop_snapshot(db, shop_run) == shop
    assert [d["dataset"] for d in storage.list_datasets(db)] == ["shop"]
    with pytest.raises(storage.NotFoundError, match="no dataset named 'wands-sample'"):
        storage.delete_dataset(db, DATASET)


def test_a_failed_delete_changes_nothing(store, monkeypatch):
    db, run_id, _ = store
    before = store_snapshot(db)
    real_delete = _manage._delete

    def delete_then_fail(*args):
        real_delete(*args)
        raise RuntimeError("disk full")

    monkeypatch.setattr(_manage, "_delete", delete_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        storage.delete_dataset(db, DATASET)
    with pytest.raises(RuntimeError, match="disk full"):
        storage.delete_run(db, run_id)
    assert store_snapshot(db) == before


def test_delete_run_removes_the_run_and_its_judgments_only(store):
    db, run_id, shop_run = store
    before = store_snapshot(db)
    assert storage.delete_run(db, run_id) == storage.Footprint(judge_runs=1, judgments=174)
    assert _rows_of(db, run_id=run_id) == {}
    after = store_snapshot(db)
    for table in ("datasets", "queries", "documents", "pairs", "label_events", "current_labels"):
        assert after[table] == before[table]
    assert [r for r in after["judgments"] if r[0] == shop_run] == [
        r for r in before["judgments"] if r[0] == shop_run
    ]
    assert storage.list_runs(db)["run_id"].tolist() == [shop_run]
    with pytest.raises(storage.NotFoundError, match=f"no judge run {run_id}"):
        storage.delete_run(db, run_id)


def test_rename_dataset_moves_every_row_and_keeps_what_they_say(store):
    db, run_id, shop_run = store
    stats = storage.dataset_stats(db, DATASET)
    pairs = _pair_ids(db, DATASET)
    counts = _rows_of(db, dataset=DATASET)
    storage.rename_dataset(db, DATASET, "  sample  ")
    assert _rows_of(db, dataset=DATASET) == {}
    assert _rows_of(db, dataset="sample") == counts
    assert dataclasses.replace(storage.dataset_stats(db, "sample"), dataset=DATASET) == stats
    assert _pair_ids(db, "sample") == pairs
    assert storage.get_run(db, run_id).dataset == "sample"
    assert storage.search_pair_ids(db, "sample", run_id=run_id) == pairs
    assert storage.get_run(db, shop_run).dataset == "shop"


@pytest.mark.parametrize(
    ("old", "new", "error", "message"),
    [
        (DATASET, "shop", storage.StoreError, "a dataset named 'shop' already exists"),
        (DATASET, DATASET, storage.StoreError, "already exists"),
        (DATASET, "  ", storage.StoreError, "a dataset needs a name"),
        ("nope", "new", storage.NotFoundError, "no dataset named 'nope'"),
    ],
)
def test_rename_dataset_refusals_change_nothing(store, old, new, error, message):
    db = store[0]
    before = store_snapshot(db)
    with pytest.raises(error, match=message):
        storage.rename_dataset(db, old, new)
    assert store_snapshot(db) == before


def test_rename_run(store):
    db, run_id, _ = store
    storage.rename_run(db, run_id, " gemma few-shot ")
    assert storage.get_run(db, run_id).name == "gemma few-shot"
    with pytest.raises(storage.StoreError, match="a judge run needs a name"):
        storage.rename_run(db, run_id, "")
    with pytest.raises(storage.NotFoundError, match="no judge run 999"):
        storage.rename_run(db, 999, "x")
