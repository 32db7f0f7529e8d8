"""Pairwise preference exports: reviewers' decisions between two products, two DPO rows each
(both orders, JudgeLM's swap augmentation), with the pairwise judge's own prompt and answer
lines, as `cli.py export --format pairwise-preference` writes them and `datasets` loads them."""

from __future__ import annotations

import json

import pytest
import test_export_load
from test_export_load import trl_is_conversational, trl_type

import cli
import jobs
import judge
import storage

TEMPLATE = judge.list_pairwise_templates()[0].text
datasets_offline = test_export_load.datasets_offline  # the same offline `datasets` fixture


@pytest.fixture
def decided(sample_db):
    """Decisions on four queries: A better, B better, a tie, one undone, one on a
    benchmark query."""
    storage.pairwise.record_preference(sample_db, 29, 30, preferred=29, author="ana")  # query 123
    storage.pairwise.record_preference(sample_db, 55, 56, preferred=56, author="ana")  # query 131
    storage.pairwise.record_preference(sample_db, 61, 62, preferred=None, author="ana")  # a tie
    storage.pairwise.record_preference(sample_db, 7, 8, preferred=7, author="ana")
    storage.pairwise.undo_last_preference(sample_db, 7, 8, author="ana")  # undone: not a decision
    storage.pairwise.record_preference(sample_db, 27, 28, preferred=28, author="ana")  # query 121
    with storage.connect(sample_db) as con:
        con.execute("UPDATE pairs SET split = 'benchmark' WHERE query_id = '121'")
    return sample_db


def rows(path):
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_each_decision_is_written_in_both_orders_with_the_judges_prompt(
    decided, tmp_path, capsys, datasets_offline
):
    out = tmp_path / "pairwise"
    argv = ["--db", str(decided), "export", "--format", "pairwise-preference", "--out", str(out)]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("pairwise-preference export of 2 decisions (4 rows, both orders)")
    ties, benchmark = storage.training.LEFT_OUT["ties"], storage.training.LEFT_OUT["benchmark"]
    assert f"left out: 1 {ties}; 1 {benchmark}" in printed
    written = rows(out / "train.jsonl")
    texts = {p["pair_id"]: p for p in storage.pairs_for_judging(decided, "wands-sample")}
    by_doc = {p["doc_id"]: p for p in texts.values()}
    assert [(r["query_id"], r["chosen"], r["rejected"]) for r in written] == [
        ("123", "[RESULT] A", "[RESULT] B"),  # 29 better, shown first
        ("123", "[RESULT] B", "[RESULT] A"),  # 29 better, shown second
        ("131", "[RESULT] B", "[RESULT] A"),  # 56 better, shown second
        ("131", "[RESULT] A", "[RESULT] B"),  # 56 better, shown first
    ]
    for row in written:
        first, second = by_doc[row["product_a"]], by_doc[row["product_b"]]
        assert row["prompt"] == judge.pairwise_prompt(TEMPLATE, first, second)
        # The prompt ends its line, so the answer line follows it directly: prompt + chosen
        # is the text the judge's logprob scoring reads, then its choice.
        assert row["prompt"].endswith("\n")
    assert written[0]["product_a"] == written[1]["product_b"] == texts[29]["doc_id"]
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["counts"] == {
        "selected": 4,
        "dropped": {"ties": 1, "benchmark": 1},
        "exported": 2,
        "rows": 4,
    }
    assert manifest["prompt_template"] == "pairwise" and manifest["swap_augmented"] is True
    loaded = datasets_offline.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert list(loaded) == ["train"] and loaded["train"].num_rows == 4
    example = loaded["train"][0]
    assert trl_type(example) == "preference" and not trl_is_conversational(example)


def test_conversational_rows_split_by_query_load_as_two_splits(decided, tmp_path, datasets_offline):
    out = tmp_path / "chat"
    result = jobs.export_training(
        decided,
        out,
        format="pairwise-preference",
        conversational=True,
        curation=storage.training.Curation(validation_share=0.5, seed=3),
        template_name="pairwise_ab",
    )
    parts = {f["part"]: f for f in result.manifest["files"]}
    assert (parts["train"]["rows"], parts["validation"]["rows"]) == (2, 2)
    train, validation = rows(out / "train.jsonl"), rows(out / "validation.jsonl")
    assert {r["query_id"] for r in train}.isdisjoint({r["query_id"] for r in validation})
    row = train[0]
    assert row["prompt"] == [{"role": "user", "content": row["prompt"][0]["content"]}]
    assert "[RESULT] tie" not in row["prompt"][0]["content"]  # the pairwise_ab template
    assert {row["chosen"][0]["content"], row["rejected"][0]["content"]} == {
        "[RESULT] A",
        "[RESULT] B",
    }
    loaded = datasets_offline.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert sorted(loaded) == ["train", "validation"]
    assert trl_is_conversational(loaded["validation"][0])
    assert "chosen A 1, chosen B 1" in result.summary()


def test_what_a_pairwise_export_cannot_do_is_one_line(decided, sample_db, tmp_path, capsys):
    db = ["--db", str(decided), "export", "--format", "pairwise-preference"]
    assert cli.main([*db, "--out", str(tmp_path / "x"), "--cap-per-query", "3"]) == 2
    assert "leave out the cap per query" in capsys.readouterr().err
    assert cli.main([*db, "--out", str(tmp_path / "x"), "--template", "reasoning_0_3"]) == 2
    assert "'reasoning_0_3' is not a pairwise template" in capsys.readouterr().err
    for event in range(1, 3):
        storage.pairwise.undo_last_preference(
            decided, *((29, 30), (55, 56))[event - 1], author="ana"
        )
    assert cli.main([*db, "--out", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "no reviewer's decision that one product is better (1 ties, 1 on benchmark" in err


def test_the_export_page_writes_pairwise_decisions(store):
    from app_fixtures import click, open_app

    db, _ = store
    storage.pairwise.record_preference(db, 29, 30, preferred=30, author="ana")
    at = open_app("export")
    pairwise = next(o for o in at.radio(key="export-format").options if o.startswith("pairwise"))
    at.radio(key="export-format").set_value(pairwise).run()
    assert at.selectbox(key="export-pw-template").value == "pairwise"
    at = click(at, "export-run")
    assert [s.value for s in at.success] == [
        "1 decision exported in the pairwise-preference format (of 1 decision selected)."
    ]
    [train] = [db.parent / "exports" / "training" / "train.jsonl"]
    assert [r["product_a"] for r in rows(train)] == [
        storage.pairs_for_judging(db, "wands-sample", pair_ids=[p])[0]["doc_id"] for p in (29, 30)
    ]
