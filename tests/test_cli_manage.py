"""`cli.py datasets` and `cli.py runs` in-process: exact output, exit codes, and what the
store holds afterwards."""

from __future__ import annotations

import json

import pytest
from pairwise_fixtures import pairwise_run

import cli
import storage


def run(capsys, db, *argv):
    code = cli.main(["--db", str(db), *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def two_datasets(sample_db, tmp_path):
    table = tmp_path / "shop.tsv"
    table.write_text("q\tpid\trel\noak desk\td1\t2\noak desk\td2\t1\nlamp\td3\t0\n")
    storage.importers.import_table(
        sample_db,
        table,
        dataset="shop",
        columns=storage.importers.ColumnMap.parse("query=q,doc_id=pid,label=rel"),
    )
    return sample_db


def _run(db, dataset="shop", name="shop run"):
    run_id = storage.create_run(
        db,
        name=name,
        dataset=dataset,
        backend="fake",
        model="/models/judge.gguf",
        prompt_template="t",
        prompt_sha256="0" * 64,
        scale=[0, 1, 2],
        status="done",
    )
    pairs = storage.search_pair_ids(db, dataset, run_id=None)
    storage.record_judgments(
        db,
        run_id,
        [
            {"pair_id": p, "grade": 1 if i else None, "parse_status": "ok" if i else "error"}
            for i, p in enumerate(pairs)
        ],
    )
    return run_id


def test_datasets_lists_renames_and_deletes(capsys, two_datasets):
    db = two_datasets
    assert run(capsys, db, "datasets") == (
        0,
        (
            "wands-sample: 480 queries, 174 documents, 174 pairs\n"
            "shop: 2 queries, 3 documents, 3 pairs\n"
        ),
        "",
    )
    listed = json.loads(run(capsys, db, "datasets", "--json")[1])
    assert listed[1] == {
        "dataset": "shop",
        "grade_names": ["Irrelevant", "Partial", "Exact"],
        "queries": 2,
        "documents": 3,
        "pairs": 3,
    }
    assert run(capsys, db, "datasets", "rename", "shop", "store") == (
        0,
        "renamed dataset 'shop' to 'store'\n",
        "",
    )
    assert run(capsys, db, "datasets", "rename", "store", "wands-sample") == (
        2,
        "",
        "error: a dataset named 'wands-sample' already exists: choose another name\n",
    )
    _run(db, "store")
    assert run(capsys, db, "datasets", "delete", "store") == (
        2,
        "",
        (
            "error: deleting dataset 'store' removes 2 queries, 3 documents, 3 pairs, "
            "3 label events, 1 judge run, 3 judgments; run again with --yes to go ahead\n"
        ),
    )
    assert [d["dataset"] for d in storage.list_datasets(db)] == ["wands-sample", "store"]
    assert run(capsys, db, "datasets", "delete", "store", "--yes") == (
        0,
        (
            "deleted dataset 'store': 2 queries, 3 documents, 3 pairs, 3 label events, "
            "1 judge run, 3 judgments\n"
        ),
        "",
    )
    assert [d["dataset"] for d in storage.list_datasets(db)] == ["wands-sample"]
    assert run(capsys, db, "datasets", "delete", "store", "--yes") == (
        2,
        "",
        "error: no dataset named 'store'\n",
    )


def test_runs_lists_renames_and_deletes(capsys, two_datasets):
    db = two_datasets
    assert run(capsys, db, "runs") == (
        0,
        "no judge run yet: start one with `python cli.py judge`\n",
        "",
    )
    shop = _run(db)
    sample = _run(db, "wands-sample", "sample run")
    assert run(capsys, db, "runs") == (
        0,
        (
            f"#{sample} sample run (wands-sample, done): 173 judged, 1 failed, model judge.gguf\n"
            f"#{shop} shop run (shop, done): 2 judged, 1 failed, model judge.gguf\n"
        ),
        "",
    )
    assert run(capsys, db, "runs", "--dataset", "shop")[1] == (
        f"#{shop} shop run (shop, done): 2 judged, 1 failed, model judge.gguf\n"
    )
    assert run(capsys, db, "runs", "rename", shop, "few-shot") == (
        0,
        f"renamed run #{shop} to 'few-shot'\n",
        "",
    )
    assert storage.get_run(db, shop).name == "few-shot"
    assert run(capsys, db, "runs", "delete", sample) == (
        2,
        "",
        (
            f"error: deleting run #{sample} removes 1 judge run, 174 judgments; "
            "run again with --yes to go ahead\n"
        ),
    )
    assert len(storage.list_runs(db)) == 2
    assert run(capsys, db, "runs", "delete", sample, "--yes") == (
        0,
        f"deleted run #{sample}: 1 judge run, 174 judgments\n",
        "",
    )
    assert storage.list_runs(db)["run_id"].tolist() == [shop]
    assert run(capsys, db, "runs", "rename", 999, "x") == (2, "", "error: no judge run 999\n")


def test_runs_lists_renames_and_deletes_a_pairwise_run(capsys, two_datasets):
    db = two_datasets
    graded = _run(db, "wands-sample", "sample run")
    compared = pairwise_run(db)  # 4 comparisons, 8 orders
    assert run(capsys, db, "runs", "--dataset", "wands-sample") == (
        0,
        (
            f"#{compared} pw (wands-sample, done, pairwise): 8 orders judged, 0 failed, "
            "model m.gguf\n"
            f"#{graded} sample run (wands-sample, done): 173 judged, 1 failed, model judge.gguf\n"
        ),
        "",
    )
    assert run(capsys, db, "runs", "rename", compared, "swap check") == (
        0,
        f"renamed run #{compared} to 'swap check'\n",
        "",
    )
    assert storage.pairwise.get_pairwise_run(db, compared).name == "swap check"
    storage.pairwise.record_preference(db, 3, 6, preferred=6, author="ana")
    assert run(capsys, db, "runs", "delete", compared) == (
        2,
        "",
        (
            f"error: deleting run #{compared} removes 1 pairwise run, 8 pairwise verdicts; "
            "run again with --yes to go ahead\n"
        ),
    )
    assert storage.pairwise.is_pairwise_run(db, compared)
    assert run(capsys, db, "runs", "delete", compared, "--yes") == (
        0,
        f"deleted run #{compared}: 1 pairwise run, 8 pairwise verdicts\n",
        "",
    )
    assert not storage.pairwise.is_pairwise_run(db, compared)
    assert storage.pairwise.current_preference(db, 3, 6) == 6  # the reviewer's, not the run's
    assert storage.list_all_runs(db)["run_id"].tolist() == [graded]


@pytest.mark.parametrize(
    "argv",
    [
        ["datasets"],
        ["datasets", "rename"],
        ["datasets", "delete"],
        ["runs"],
        ["runs", "rename"],
        ["runs", "delete"],
    ],
)
def test_help_ends_with_an_example(capsys, argv):
    with pytest.raises(SystemExit) as done:
        cli.main([*argv, "--help"])
    assert done.value.code == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith(f"example: python cli.py {' '.join(argv)}")
