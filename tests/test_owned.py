"""What a dataset owns, declared once (storage/_owned.py), against DuckDB's own catalog and
against a store that has a row in every table for two datasets: delete, rename, the
footprint and `check` follow the declaration, so nothing of a dataset is left behind or
brought back by a later import under the same name."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
from conftest import store_snapshot
from pairwise_fixtures import planned_pairwise_run

import cli
import jobs
import storage
from storage import _check, _owned
from storage._schema import MIGRATIONS, SCHEMA_VERSION

DATASETS = ("alpha", "beta")
QUERIES = 10  # an audit draws at least 10 (jobs.MIN_AUDITED_QUERIES)
DOCS = 6


def _catalog(con) -> dict[str, list[str]]:
    """Every table of the store (not a view) and its columns, from DuckDB's catalog."""
    rows = con.execute(
        "SELECT table_name, list(c.column_name ORDER BY c.column_index) FROM duckdb_tables() "
        "JOIN duckdb_columns() c USING (database_name, schema_name, table_name) "
        "WHERE database_name = current_database() GROUP BY table_name"
    ).fetchall()
    return dict(rows)


def _id_columns(owned: _owned.Owned, columns: list[str]) -> set[str]:
    """Columns that by their name point at a dataset or at a row another table owns: the
    dataset, any column named after a declared key (pair_id, run_id, task_id, ...) or
    ending in one, and a pair's letter (pair_a)."""
    keys = {o.key for o in _owned.OWNED if o.key}
    return {
        c
        for c in columns
        if c != owned.key
        and (any(c == k or c.endswith(f"_{k}") for k in keys) or re.fullmatch(r"pair_[a-z]", c))
    }


def undeclared(con) -> list[str]:
    """What the catalog holds that the declaration does not account for, one line each."""
    problems = []
    for table, columns in sorted(_catalog(con).items()):
        owned = _owned.OWNED_BY_TABLE.get(table)
        if owned is None:
            if table not in _owned.GLOBAL:
                problems.append(f"{table}: neither owned nor global")
            continue
        if table in _owned.GLOBAL:
            problems.append(f"{table}: both owned and global")
        declared = {column for column, _ in owned.links} | set(owned.loose) | ({owned.run} - {None})
        for column in sorted(_id_columns(owned, columns) - declared):
            problems.append(f"{table}.{column}: not declared a link or loose")
        for column in sorted(declared - set(columns)):
            problems.append(f"{table}.{column}: declared but not in the table")
    return problems


def test_every_table_of_the_catalog_is_owned_or_global_and_covered(db):
    with storage.connect(db) as con:
        assert undeclared(con) == []
        catalog = _catalog(con)
    assert set(catalog) == set(_owned.tables_at(SCHEMA_VERSION))
    deleted = _owned.rows_under(_owned.ROOT, "dataset")
    renamed = set(_owned.renamed_columns())
    orphan_rules = {(r.table, r.reads[1]) for r in _check._ORPHAN_RULES}
    for owned in _owned.OWNED:
        assert owned.table in deleted, owned.table
        if "dataset" in catalog[owned.table]:
            assert (owned.table, "dataset") in renamed, owned.table
        for _, parent in owned.links:
            assert (owned.table, parent) in orphan_rules
            assert _owned.OWNED_BY_TABLE[parent].key in catalog[parent]


def test_a_new_table_or_id_column_that_declares_nothing_fails(db):
    with storage.connect(db) as con:
        con.execute("CREATE TABLE notes (dataset VARCHAR, pair_id BIGINT, text VARCHAR)")
        con.execute("ALTER TABLE review_tasks ADD COLUMN source_pair_id BIGINT")
        assert undeclared(con) == [
            "notes: neither owned nor global",
            "review_tasks.source_pair_id: not declared a link or loose",
        ]


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION + 1))
def test_each_table_is_declared_with_the_migration_that_added_it(db, monkeypatch, version):
    monkeypatch.setattr(storage._connection, "MIGRATIONS", MIGRATIONS[:version])
    monkeypatch.setattr(storage._connection, "SCHEMA_VERSION", version)
    with storage.connect(db) as con:
        assert set(_catalog(con)) == set(_owned.tables_at(version))


def _write_dataset(folder, dataset: str):
    """A CSV of 10 queries, each with 4 of 6 products labelled, and a ranking run over
    them that also ranks each query's 2 unlabelled products (holes for pooling)."""
    rows, ranked = [], []
    for q in range(QUERIES):
        docs = [(q + k) % DOCS for k in range(DOCS)]
        for rank, d in enumerate(docs, start=1):
            ranked.append(f"q{q} Q0 d{d} {rank} {10 - rank} bm25")
            if rank <= 4:
                rows.append(
                    {
                        "qid": f"q{q}",
                        "query": f"{dataset} {'oak desk' if q % 2 else 'steel lamp'} {q}",
                        "pid": f"d{d}",
                        "name": f"{'oak desk' if d % 2 else 'steel lamp'} model {d}",
                        "rel": (q + d) % 3,
                    }
                )
    table = folder / f"{dataset}.csv"
    pd.DataFrame(rows).to_csv(table, index=False)
    trec = folder / f"{dataset}.trec"
    trec.write_text("\n".join(ranked) + "\n")
    return table, trec


COLUMNS = "query_id=qid,query=query,doc_id=pid,title=name,label=rel"


def _import(db, table, dataset):
    return storage.importers.import_table(
        db,
        table,
        dataset=dataset,
        columns=storage.importers.ColumnMap.parse(COLUMNS),
        author="import",
    )


def _fill(db, folder, dataset: str) -> None:
    """One row or more in every table for `dataset`, each written by the workbench's own
    writers: import, a baseline judge run, a relabel batch, a pairwise run and a preference,
    a ranking run and pooling, a team task with reviewers, a guideline and a review in it, an
    audit task, a rubric, and a batch job of the run."""
    table, trec = _write_dataset(folder, dataset)
    _import(db, table, dataset)
    run_id = jobs.baseline_run(db, dataset, models_dir=folder / "models")
    storage.record_run_batch(
        db,
        run_id,
        remote_batch=f"batch_{dataset}",
        base_url="http://127.0.0.1:9/v1",
        status="in_progress",
        input_file_id=f"file-{dataset}",
    )
    labels = storage.run_labels(db, run_id)
    first = labels.iloc[0]
    storage.rankings.apply_relabel(
        db,
        dataset,
        run_id,
        [(int(first["pair_id"]), (int(first["human"]) + 1) % 3)],
        min_confidence=0.0,
        author="ana",
    )
    with storage.connect(db) as con:
        a, b = con.execute(
            "SELECT pair_id FROM pairs WHERE dataset = ? AND query_id = 'q0' ORDER BY pair_id "
            "LIMIT 2",
            [dataset],
        ).fetchall()
    pairwise = planned_pairwise_run(db, [[a[0], b[0]]], dataset=dataset)
    storage.pairwise.record_pairwise_judgments(
        db,
        pairwise,
        [
            {"first_pair_id": x, "second_pair_id": y, "winner": "first", "p_first": 0.6,
             "p_second": 0.4, "parse_status": "logprobs"}
            for x, y in ((a[0], b[0]), (b[0], a[0]))
        ],
    )  # fmt: skip
    storage.pairwise.record_preference(db, a[0], b[0], preferred=a[0], author="ana")
    storage.rankings.import_run_trec(db, trec, dataset=dataset)
    assert storage.rankings.pool_holes(db, dataset, 5).hole_pair_ids
    storage.team.set_allowed_reviewers(db, dataset, ["ana", "bob"], actor="ana")
    storage.team.set_adjudicators(db, dataset, ["bob"], actor="ana")
    storage.team.save_guideline(db, dataset, "Exact: the product is what was asked.", author="ana")
    created = jobs.create_task(
        db,
        jobs.TaskPlan(
            dataset=dataset,
            name="t1",
            pair_set=storage.team.PairSet(),
            strategy=storage.team.Strategy.RANDOM,
            size=6,
            reviewers=("ana", "bob"),
            author="ana",
        ),
    )
    item = storage.team.next_item(db, created.task_id, "ana")
    storage.record_review(db, item, author="ana", grade=2, task_id=created.task_id)
    jobs.create_audit(
        db,
        jobs.AuditPlan(
            dataset=dataset, name="audit", size=QUERIES, reviewers=("bob",), author="ana"
        ),
    )
    storage.save_rubric(
        db, dataset, criterion="Is it the product?", descriptions=list("abcde"), author="ana"
    )


@pytest.fixture(scope="module")
def full_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("owned")
    db = folder / "full.duckdb"
    for dataset in DATASETS:
        _fill(db, folder, dataset)
    return db, folder


@pytest.fixture
def full(full_store, tmp_path):
    db = tmp_path / "store.duckdb"
    shutil.copy(full_store[0], db)
    return db, full_store[1]


def rows_of(db, dataset: str) -> dict[str, list[tuple]]:
    """Every row that belongs to `dataset`, by owned table, sorted."""
    where = _owned.rows_under(_owned.ROOT, "dataset")
    with storage.connect(db) as con:
        return {
            table: sorted(
                con.execute(
                    f"SELECT * FROM {table} WHERE {where[table]}", {"dataset": dataset}
                ).fetchall(),
                key=repr,
            )
            for table in where
        }


def test_the_full_store_has_rows_of_both_datasets_in_every_owned_table(full):
    db, _ = full
    alpha, beta = rows_of(db, "alpha"), rows_of(db, "beta")
    assert [t for t, rows in alpha.items() if not rows] == []
    assert [t for t, rows in beta.items() if not rows] == []
    snapshot = store_snapshot(db)
    # Every row of every owned table belongs to exactly one of the two datasets.
    for table in alpha:
        assert sorted(alpha[table] + beta[table], key=repr) == snapshot[table], table
    assert storage.check_store(db).ok


def test_delete_takes_every_row_of_the_dataset_and_no_other(full, capsys):
    db, _ = full
    beta = rows_of(db, "beta")
    before = store_snapshot(db)
    footprint = storage.dataset_footprint(db, "alpha")
    assert {t: n for t, n in footprint.items() if n} == {
        t: len(rows) for t, rows in rows_of(db, "alpha").items()
    }
    words = str(footprint)
    for said in ("2 allowed reviewers", "2 review tasks", "56 task items", "10 audit queries", "1 guideline version",
                 "1 rubric version", "1 relabel batch", "1 pairwise run", "1 ranking run"):  # fmt: skip
        assert said in words
    assert cli.main(["--db", str(db), "datasets", "delete", "alpha"]) == 2
    assert f"deleting dataset 'alpha' removes {words}" in capsys.readouterr().err
    assert storage.delete_dataset(db, "alpha") == footprint
    after = store_snapshot(db)
    for table in _owned.OWNED_BY_TABLE:
        assert after[table] == beta[table], table
    for table in _owned.GLOBAL:
        assert after[table] == before[table]
    assert storage.check_store(db).ok


def test_reimport_after_delete_brings_back_no_task_reviewer_or_guideline(full):
    db, folder = full
    storage.delete_dataset(db, "alpha")
    _import(db, folder / "alpha.csv", "alpha")
    assert storage.team.allowed_reviewers(db, "alpha") == []
    assert storage.team.guideline(db, "alpha") is None
    assert storage.team.list_tasks(db, "alpha").empty
    assert storage.current_rubric(db, "alpha") is None
    assert storage.check_store(db).ok


def test_rename_moves_every_row_and_the_team_follows(full, capsys):
    db, _ = full
    beta = rows_of(db, "beta")
    alpha = rows_of(db, "alpha")
    storage.rename_dataset(db, "beta", "gamma")
    assert rows_of(db, "beta") == {t: [] for t in beta}
    gamma = rows_of(db, "gamma")
    renamed = {t for t, _ in _owned.renamed_columns()}
    for table, rows in beta.items():
        expected = [tuple("gamma" if v == "beta" else v for v in r) for r in rows]
        assert gamma[table] == sorted(expected if table in renamed else rows, key=repr), table
    assert rows_of(db, "alpha") == alpha
    assert storage.team.allowed_reviewers(db, "gamma") == ["ana", "bob"]
    assert storage.team.guideline(db, "gamma").text.startswith("Exact:")
    assert cli.main(["--db", str(db), "task", "status", "t1", "--dataset", "gamma"]) == 0
    assert "t1" in capsys.readouterr().out
    assert storage.check_store(db).ok


def test_footprint_words_and_counts():
    footprint = storage.Footprint(queries=1, pairs=2, review_tasks=1, current_labels=2)
    assert str(footprint) == "1 query, 2 pairs, 1 review task"
    assert footprint["pairs"] == 2 and footprint["judgments"] == 0
    assert footprint == storage.Footprint({"pairs": 2, "queries": 1, "review_tasks": 1,
                                           "current_labels": 2})  # fmt: skip
    with pytest.raises(ValueError, match="not tables a dataset owns: runs"):
        storage.Footprint(runs=1)


def test_a_run_delete_takes_its_batch_jobs_and_the_other_runs_keep_theirs(db, tmp_path):
    table, _ = _write_dataset(tmp_path, "solo")
    _import(db, table, "solo")
    kept, deleted = (jobs.baseline_run(db, "solo", models_dir=tmp_path / m) for m in "ab")
    for run_id in (kept, deleted):
        storage.record_run_batch(
            db,
            run_id,
            remote_batch=f"batch_{run_id}",
            base_url="http://127.0.0.1:9/v1",
            status="in_progress",
            input_file_id=f"file-{run_id}",
        )
    assert storage.run_footprint(db, deleted)["run_batches"] == 1
    assert storage.delete_run(db, deleted)["run_batches"] == 1
    with pytest.raises(storage.NotFoundError):
        storage.latest_run_batch(db, deleted)
    assert storage.latest_run_batch(db, kept).remote_batch == f"batch_{kept}"
