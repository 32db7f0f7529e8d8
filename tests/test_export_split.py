"""The export honours the dataset's own train / validation split, and says where its split
came from; what the export will write is counted before it is written by the same rules."""

from __future__ import annotations

import pytest
import test_export_load

import jobs
import storage

DATASET = storage.SAMPLE_DATASET

datasets_offline = test_export_load.datasets_offline  # the same offline `datasets` fixture


def _dataset_split(db) -> dict[str, set[str]]:
    with storage.connect(db) as con:
        rows = con.execute(
            "SELECT DISTINCT split, query_id FROM pairs WHERE split IN ('train', 'validation')"
        ).fetchall()
    parts: dict[str, set[str]] = {"train": set(), "validation": set()}
    for split, query in rows:
        parts[split].add(query)
    return parts


@pytest.mark.parametrize("share", [0.0, 0.3])
def test_an_export_writes_exactly_the_datasets_validation_queries(
    sample_db,
    tmp_path,
    datasets_offline,
    share,
):
    storage.training.split_training(
        sample_db, DATASET, storage.training.TrainingRecipe(validation_share=0.2, seed=5)
    )
    parts = _dataset_split(sample_db)
    assert parts["validation"] and parts["train"]
    folder = tmp_path / "out"
    result = jobs.export_training(
        sample_db, folder, curation=storage.training.Curation(validation_share=share, seed=9)
    )
    loaded = datasets_offline.load_dataset(str(folder), cache_dir=str(tmp_path / "hf"))
    assert {split: set(loaded[split]["query_id"]) for split in loaded} == parts
    assert result.manifest["split"] == {
        "source": "dataset",
        "unassigned_queries": 0,
        "validation_share_unused": share > 0,
    }
    said = "split: the dataset's own train / validation split (queries as the Data page split them)"
    assert said in result.summary()
    assert ("the validation share asked for was not used" in result.summary()) is (share > 0)


def test_queries_outside_the_datasets_split_go_to_train_and_are_counted(sample_db, tmp_path):
    storage.training.split_training(
        sample_db, DATASET, storage.training.TrainingRecipe(validation_share=0.2, seed=5)
    )
    parts = _dataset_split(sample_db)
    outside = sorted(parts["train"])[0]
    with storage.connect(sample_db) as con:
        con.execute("UPDATE pairs SET split = NULL WHERE query_id = ?", [outside])
    result = jobs.export_training(sample_db, tmp_path / "out")
    assert result.manifest["split"]["unassigned_queries"] == 1
    assert "1 query outside it went to train" in result.summary()
    train = {f["part"]: f["queries"] for f in result.manifest["files"]}["train"]
    assert train == len(parts["train"])


def test_without_a_split_of_its_own_the_export_draws_one_and_says_so(sample_db, tmp_path):
    result = jobs.export_training(
        sample_db,
        tmp_path / "out",
        curation=storage.training.Curation(validation_share=0.3, seed=2),
    )
    assert result.manifest["split"] == {"source": "export", "validation_share": 0.3, "seed": 2}
    assert (
        "split: drawn by the export, as the dataset has no train / validation split: 30% of "
        "the queries (seed 2)"
    ) in result.summary()


def test_the_plan_before_an_export_counts_what_it_writes(sample_db, tmp_path):
    storage.training.split_benchmark(
        sample_db, DATASET, storage.training.BenchmarkRecipe(queries=3, per_query=4)
    )
    curation = storage.training.Curation(validation_share=0.25, cap_per_query=8, seed=1)
    plan = storage.training.plan_export(sample_db, curation=curation)
    result = jobs.export_training(sample_db, tmp_path / "out", curation=curation)
    counts = result.manifest["counts"]
    assert (plan.selected, len(plan.curated.rows)) == (counts["selected"], counts["exported"])
    assert plan.parts() == {f["part"]: (f["rows"], f["queries"]) for f in result.manifest["files"]}
    assert plan.left_out() == result.left_out()
    benchmark = storage.training.LEFT_OUT["benchmark"]
    assert result.left_out()[benchmark] == counts["dropped"]["benchmark"] > 0


def test_the_prometheus_refusal_counts_the_selected_pairs_as_the_page_does(sample_db, tmp_path):
    storage.training.split_benchmark(
        sample_db, DATASET, storage.training.BenchmarkRecipe(queries=3, per_query=4)
    )
    with pytest.raises(storage.StoreError) as refused:
        storage.training.plan_export(sample_db, format="prometheus")
    with storage.connect(sample_db) as con:
        labelled, held = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE query_id IN "
            "(SELECT query_id FROM pairs WHERE split = 'benchmark')) FROM current_labels "
            "JOIN pairs USING (pair_id)"
        ).fetchone()
    assert str(refused.value) == (
        f"nothing to export: of the {labelled} selected pairs, {held} are in benchmark "
        f"queries and none of the other {labelled - held} has a reviewer's note, which the "
        "format writes as the feedback: add notes in Review"
    )
