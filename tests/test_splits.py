"""Query-level splits: the seed's benchmark and training recipes, pure and against a store."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import jobs
import storage
from storage.training import BenchmarkRecipe, TrainingRecipe
from storage.training._export_curate import curate_export

GRADES = [0, 1, 2]


def synthetic_pairs(queries=120, seed=7):
    """Queries with 4-30 labelled pairs, Partial-heavy like WANDS, some missing a grade."""
    rng = np.random.default_rng(seed)
    rows, pair_id = [], 0
    for q in range(queries):
        for _ in range(rng.integers(4, 31)):
            rows.append((pair_id, f"q{q:03d}", int(rng.choice(GRADES, p=[0.26, 0.63, 0.11]))))
            pair_id += 1
    frame = pd.DataFrame(rows, columns=["pair_id", "query_id", "grade"]).astype({"grade": "Int64"})
    frame.loc[frame.sample(frac=0.02, random_state=1).index, "grade"] = (
        pd.NA
    )  # a few unlabelled pairs
    return frame


def splits_by_query(pairs, assignments):
    joined = assignments.merge(pairs, on="pair_id")
    return joined.groupby("query_id")["split"].nunique()


def test_benchmark_has_n_queries_m_pairs_and_label_minimums():
    pairs = synthetic_pairs()
    plan = storage.training.plan_benchmark(
        pairs, BenchmarkRecipe(queries=20, per_query=10, min_per_label=2), GRADES
    )
    picked = plan.assignments.merge(pairs, on="pair_id")
    assert picked["query_id"].nunique() == 20
    assert (picked.groupby("query_id").size() == 10).all()
    available = pairs.dropna().groupby(["query_id", "grade"]).size().unstack(fill_value=0)
    taken = (
        picked.groupby(["query_id", "grade"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=GRADES, fill_value=0)
    )
    for query, row in taken.iterrows():
        for grade in GRADES:
            assert row[grade] >= min(2, available.loc[query].get(grade, 0))
    assert picked["grade"].notna().all()


def test_benchmark_is_reproducible_and_the_seed_matters():
    pairs = synthetic_pairs()
    recipe = BenchmarkRecipe(queries=15, per_query=8, seed=3)
    first = storage.training.plan_benchmark(pairs, recipe, GRADES).assignments
    shuffled = pairs.sample(frac=1, random_state=0)
    assert first.equals(storage.training.plan_benchmark(shuffled, recipe, GRADES).assignments)
    other = storage.training.plan_benchmark(
        pairs, BenchmarkRecipe(queries=15, per_query=8, seed=4), GRADES
    ).assignments
    assert set(other["pair_id"]) != set(first["pair_id"])


def test_benchmark_prefers_queries_with_every_grade():
    pairs = synthetic_pairs()
    plan = storage.training.plan_benchmark(
        pairs, BenchmarkRecipe(queries=10, per_query=6, min_per_label=2), GRADES
    )
    picked = plan.assignments.merge(pairs, on="pair_id")
    assert (picked.groupby("query_id")["grade"].nunique() == 3).all()


def test_training_caps_rebalances_and_holds_out_whole_queries():
    pairs = synthetic_pairs()
    recipe = TrainingRecipe(
        cap_per_query=12, label_shares={0: 0.3, 1: 0.45, 2: 0.25}, validation_share=0.2, seed=1
    )
    plan = storage.training.plan_training(pairs, recipe, GRADES)
    joined = plan.assignments.merge(pairs, on="pair_id")
    assert (joined.groupby("query_id").size() <= 12).all()
    assert (splits_by_query(pairs, plan.assignments) == 1).all()
    shares = joined["grade"].value_counts(normalize=True)
    assert shares[0] == pytest.approx(0.3, abs=0.01) and shares[2] == pytest.approx(0.25, abs=0.01)
    queries = joined.groupby("split")["query_id"].nunique()
    # 0.2 of the kept queries, rounded half up (0.2 * n is never a tie here).
    assert queries["validation"] == math.floor(0.2 * joined["query_id"].nunique() + 0.5)
    report = plan.report
    assert set(report.dropped) == {
        "over the cap of 12 per query",
        "rebalancing to the target label shares",
    }
    assert report.splits["train"]["pairs"] + report.splits["validation"]["pairs"] == len(joined)
    assert plan.assignments.equals(
        storage.training.plan_training(pairs, recipe, GRADES).assignments
    )


def as_selected(pairs):
    """`pairs` as the export selects them: labelled, with product and query text, and no
    benchmark query."""
    frame = pairs.dropna().astype({"grade": "int64"})
    return frame.assign(
        doc_id="d" + frame["pair_id"].astype(str),
        query="text of " + frame["query_id"],
        split=None,
        benchmark_query=False,
    )


@pytest.mark.parametrize(
    ("cap", "shares", "validation", "seed"),
    [(12, None, 0.1, 0), (5, {0: 0.3, 1: 0.45, 2: 0.25}, 0.2, 1), (None, {0: 1, 2: 1}, 0.5, 7)],
)
def test_the_split_recipe_and_the_export_pick_the_same_pairs(cap, shares, validation, seed):
    pairs = synthetic_pairs()
    plan = storage.training.plan_training(
        pairs,
        TrainingRecipe(
            cap_per_query=cap,
            label_shares=shares,
            validation_share=validation,
            seed=seed,
        ),
        GRADES,
    )
    exported = curate_export(
        as_selected(pairs),
        storage.training.Curation(
            cap_per_query=cap,
            label_shares=shares,
            validation_share=validation,
            seed=seed,
        ),
        GRADES,
        dataset_split={},  # the export's own split, as the recipe draws it
    )
    assert plan.assignments.equals(
        exported.rows[["pair_id", "part"]].rename(columns={"part": "split"})
    )
    rebalanced = sum(exported.dropped["rebalance"].values())
    assert plan.report.dropped == {
        reason: n
        for reason, n in {
            f"over the cap of {cap} per query": exported.dropped["cap_per_query"],
            "rebalancing to the target label shares": rebalanced,
        }.items()
        if n
    }


@pytest.fixture
def split_db(db):
    """A store with a synthetic dataset large enough for both recipes."""
    pairs = synthetic_pairs(queries=80)
    table = db.parent / "pairs.csv"
    pd.DataFrame(
        {
            "qid": pairs["query_id"],
            "query": "text of " + pairs["query_id"],
            "doc": "d" + pairs["pair_id"].astype(str),
            "label": pairs["grade"].astype("string").fillna(""),
        }
    ).to_csv(table, index=False)
    storage.importers.import_table(
        db,
        table,
        dataset="syn",
        columns=storage.importers.ColumnMap(
            query="query", query_id="qid", doc_id="doc", label="label"
        ),
    )
    return db


def store_splits(db):
    with storage.connect(db) as con:
        return con.execute(
            "SELECT pair_id, query_id, split FROM pairs WHERE dataset = 'syn' ORDER BY pair_id"
        ).df()


def test_store_recipes_never_put_a_query_in_two_splits(split_db):
    bench = storage.training.split_benchmark(
        split_db, "syn", BenchmarkRecipe(queries=10, per_query=8)
    )
    train = storage.training.split_training(
        split_db, "syn", TrainingRecipe(cap_per_query=10, validation_share=0.25)
    )
    frame = store_splits(split_db)
    assert (frame.dropna().groupby("query_id")["split"].nunique() == 1).all()
    benchmark_queries = set(frame.loc[frame["split"] == "benchmark", "query_id"])
    assert len(benchmark_queries) == 10 and bench.splits["benchmark"]["pairs"] == 80
    # Unpicked pairs of a benchmark query stay unassigned, never train.
    rest = frame[frame["query_id"].isin(benchmark_queries) & frame["split"].isna()]
    assert len(rest) > 0
    assert train.splits["train"]["queries"] + train.splits["validation"]["queries"] <= 70
    stats = storage.dataset_stats(split_db, "syn").splits
    assert stats["benchmark"] == storage.SplitCounts(queries=10, pairs=80)


def test_store_split_is_reproducible_and_training_keeps_the_benchmark(split_db):
    storage.training.split_benchmark(
        split_db, "syn", BenchmarkRecipe(queries=10, per_query=8, seed=5)
    )
    storage.training.split_training(split_db, "syn", TrainingRecipe(seed=2))
    first = store_splits(split_db)
    storage.training.split_training(split_db, "syn", TrainingRecipe(seed=9))
    moved = store_splits(split_db)
    assert (moved["split"] == "benchmark").equals(first["split"] == "benchmark")
    storage.training.split_benchmark(
        split_db, "syn", BenchmarkRecipe(queries=10, per_query=8, seed=5)
    )
    storage.training.split_training(split_db, "syn", TrainingRecipe(seed=2))
    assert store_splits(split_db).equals(first)


def test_benchmark_on_the_sample_and_errors(sample_db):
    report = storage.training.split_benchmark(
        sample_db, "wands-sample", BenchmarkRecipe(queries=5, per_query=4)
    )
    assert report.splits["benchmark"]["queries"] == 5
    labels = report.splits["benchmark"]["labels"]
    assert str(report).startswith(
        f"benchmark: 5 queries, 20 pairs, labels Irrelevant {labels[0]}, Partial {labels[1]}, "
        f"Exact {labels[2]}"
    )
    with pytest.raises(storage.NotFoundError):
        storage.training.split_benchmark(sample_db, "nope")
    with pytest.raises(storage.StoreError, match="validation share"):
        storage.training.split_training(
            sample_db, "wands-sample", TrainingRecipe(validation_share=1.5)
        )


def test_a_stored_split_and_an_export_of_the_same_request_agree(split_db, tmp_path):
    """Both read the store: the export leaves out the benchmark queries as the split does."""
    storage.training.split_benchmark(split_db, "syn", BenchmarkRecipe(queries=10, per_query=8))
    options = {"cap_per_query": 7, "validation_share": 0.25, "seed": 3}
    shares = {0: 0.3, 1: 0.4, 2: 0.3}
    storage.training.split_training(split_db, "syn", TrainingRecipe(**options, label_shares=shares))
    result = jobs.export_training(
        split_db,
        tmp_path / "train",
        curation=storage.training.Curation(**options, label_shares=shares),
    )
    with storage.connect(split_db) as con:
        stored = set(
            con.execute(
                "SELECT query_id, doc_id, split FROM pairs "
                "WHERE dataset = 'syn' AND split IN ('train', 'validation')"
            ).fetchall()
        )
    exported = {
        (row["query_id"], row["product_id"], part)
        for path, part in zip(result.files, ("train", "validation"))
        for row in map(json.loads, path.read_text("utf-8").splitlines())
    }
    assert exported == stored


def _warnings(db, recipe):
    return storage.training.split_warnings(db, "wands-sample", recipe)


def test_split_warnings_say_what_a_benchmark_would_take(sample_db):
    before = storage.dataset_stats(sample_db, "wands-sample").splits
    assert _warnings(sample_db, BenchmarkRecipe(queries=18)) == []
    assert _warnings(sample_db, BenchmarkRecipe(queries=19)) == [
        "the benchmark would take 19 of 36 labelled queries (53%), more than half, "
        "leaving 17 queries to train on"
    ]
    assert _warnings(sample_db, BenchmarkRecipe(queries=35)) == [
        "the benchmark would take 35 of 36 labelled queries (97%), more than half, "
        "leaving 1 query to train on"
    ]
    assert _warnings(sample_db, BenchmarkRecipe()) == [
        "the benchmark would take 36 of 36 labelled queries (100%), more than half, "
        "leaving none to train on"
    ]
    # Computed from the plan without writing it.
    assert storage.dataset_stats(sample_db, "wands-sample").splits == before


def test_split_warnings_say_when_a_training_split_would_be_empty(sample_db, db, tmp_path):
    assert _warnings(sample_db, TrainingRecipe()) == []
    storage.training.split_benchmark(sample_db, "wands-sample", BenchmarkRecipe(queries=35))
    assert _warnings(sample_db, TrainingRecipe()) == [
        "the validation split would have no pairs: 1 query outside the benchmark cannot be "
        "split into train and validation"
    ]
    assert _warnings(sample_db, TrainingRecipe(validation_share=0)) == []
    storage.training.split_benchmark(sample_db, "wands-sample", BenchmarkRecipe())
    assert _warnings(sample_db, TrainingRecipe()) == [
        "the training split would have no pairs: every labelled query is in the benchmark "
        "(make the benchmark smaller)"
    ]
    table = tmp_path / "unlabelled.tsv"
    table.write_text("q\tpid\noak desk\td1\n")
    storage.importers.import_table(
        db, table, dataset="bare", columns=storage.importers.ColumnMap.parse("query=q,doc_id=pid")
    )
    assert storage.training.split_warnings(db, "bare", BenchmarkRecipe()) == [
        "the benchmark would have no pairs: the dataset has no labelled pair"
    ]
    with pytest.raises(storage.NotFoundError, match="no dataset named 'nope'"):
        storage.training.split_warnings(db, "nope", BenchmarkRecipe())
