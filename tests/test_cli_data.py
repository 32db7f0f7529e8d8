"""The import, split and stats commands, in-process: exit codes, output and error text."""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLE_FOLDER

import cli
import storage


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_split_stats(capsys, db):
    code, out, _ = run(
        capsys, "--db", db, "import", "wands", SAMPLE_FOLDER, "--dataset", "wands-sample"
    )
    assert code == 0
    assert out.strip() == (
        "wands-sample: 480 queries, 174 documents, 174 pairs (174 new), 0 documents "
        "changed, 174 new label events, 0 rows skipped"
    )
    code, out, _ = run(capsys, "--db", db, "split", "benchmark", "--queries", 4, "--per-query", 5)
    assert code == 0 and out.startswith("benchmark: 4 queries, 20 pairs")
    code, out, _ = run(capsys, "--db", db, "split", "train", "--cap", 3, "--validation", 0.2)
    assert code == 0 and "train:" in out and "over the cap of 3 per query" in out
    code, out, _ = run(capsys, "--db", db, "stats", "--json")
    stats = json.loads(out)[0]
    assert stats["labels"] == {"0": 67, "1": 81, "2": 26}
    assert stats["splits"]["benchmark"] == {"queries": 4, "pairs": 20}
    code, out, _ = run(capsys, "--db", db, "stats")
    assert out.startswith(
        "wands-sample: 480 queries (36 with pairs), 174 documents, 174 pairs, "
        "174 labelled, 0 reviewed (0 confirmed, 0 corrected)\n"
    )
    assert "  2 Exact              26   14.9%" in out


def test_table_trec_instruction_and_judgement_ai_forms(capsys, db, tmp_path):
    table = tmp_path / "pairs.tsv"
    table.write_text("q\tpid\trel\noak desk\td1\tgood\noak desk\td2\tbad\n")
    code, out, err = run(
        capsys,
        "--db",
        db,
        "import",
        "table",
        table,
        "--dataset",
        "t",
        "--map",
        "query=q,doc_id=pid,label=rel",
        "--labels",
        "good=1,bad=0",
        "--scale",
        "0=bad,1=good",
    )
    assert (code, err) == (0, "") and "2 new label events" in out
    (tmp_path / "qrels").write_text("1 0 a 1\n1 0 b 0\n")
    (tmp_path / "topics").write_text("1\toak desk\n")
    code, out, _ = run(
        capsys,
        "--db",
        db,
        "import",
        "trec",
        tmp_path / "qrels",
        "--topics",
        tmp_path / "topics",
        "--dataset",
        "r",
    )
    assert code == 0 and out.startswith("r: 1 query, 2 documents, 2 pairs")
    line = {
        "query_id": 1,
        "product_id": 2,
        "instruction": "i",
        "output": "SCORE: 1",
        "input": {"query": "oak desk", "product_name": "desk"},
    }
    (tmp_path / "train.jsonl").write_text(json.dumps(line) + "\n")
    code, out, _ = run(
        capsys, "--db", db, "import", "instruction", tmp_path / "train.jsonl", "--dataset", "i"
    )
    assert code == 0 and "1 new label event" in out
    (tmp_path / "results.json").write_text(
        json.dumps([{"query": "oak desk", "doc_id": "d1", "score": 1}])
    )
    code, out, _ = run(
        capsys, "--db", db, "import", "judgement-ai", tmp_path / "results.json", "--dataset", "t"
    )
    assert code == 0 and out.strip().endswith("judge run 1")


def test_bad_file_is_one_line_and_exit_code_2(capsys, db, wands_copy):
    label = wands_copy / "label.csv"
    lines = label.read_text().split("\n")
    lines[13] = lines[13].rsplit("\t", 1)[0] + "\tExakt"
    label.write_text("\n".join(lines))
    code, out, err = run(capsys, "--db", db, "import", "wands", wands_copy)
    assert (code, out) == (2, "")
    assert err == (
        "error: label.csv line 14, column label: expected one of Exact, Partial, "
        "Irrelevant, got 'Exakt'\n"
    )
    assert run(capsys, "--db", db, "stats")[1] == (
        "the store is empty: import a dataset with `python cli.py import`\n"
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["import", "table", "x.csv", "--dataset", "t", "--map", "query=q"],
            "error: the column mapping needs doc_id=COLUMN\n",
        ),
        (
            ["split", "benchmark"],
            "error: the store holds 0 datasets (none): name one with --dataset\n",
        ),
        (["stats", "--dataset", "nope"], "error: no dataset named 'nope'\n"),
    ],
)
def test_user_errors(capsys, db, argv, message):
    code, _, err = run(capsys, "--db", db, *argv)
    assert (code, err) == (2, message)


@pytest.mark.parametrize(
    "argv",
    [
        ["import"],
        ["import", "wands"],
        ["import", "table"],
        ["import", "instruction"],
        ["import", "trec"],
        ["import", "judgement-ai"],
        ["split"],
        ["split", "benchmark"],
        ["split", "train"],
        ["stats"],
    ],
)
def test_help_ends_with_an_example(capsys, argv):
    with pytest.raises(SystemExit) as done:
        cli.main([*argv, "--help"])
    assert done.value.code == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("example: python cli.py " + argv[0])


def test_split_refuses_a_risky_plan_unless_told_yes(capsys, sample_db):
    code, out, err = run(capsys, "--db", sample_db, "split", "benchmark")
    assert (code, out) == (2, "")
    assert err == (
        "error: the benchmark would take 36 of 36 labelled queries (100%), more than half, "
        "leaving none to train on; run again with --yes to go ahead\n"
    )
    assert (
        "benchmark"
        not in json.loads(run(capsys, "--db", sample_db, "stats", "--json")[1])[0]["splits"]
    )
    code, out, err = run(capsys, "--db", sample_db, "split", "benchmark", "--yes")
    assert code == 0 and out.startswith("benchmark: 36 queries")
    assert err == (
        "warning: the benchmark would take 36 of 36 labelled queries (100%), more "
        "than half, leaving none to train on\n"
    )
    code, _, err = run(capsys, "--db", sample_db, "split", "train")
    assert (code, err) == (
        2,
        "error: the training split would have no pairs: every labelled "
        "query is in the benchmark (make the benchmark smaller); run again "
        "with --yes to go ahead\n",
    )


def test_annotator_on_every_labelled_import(capsys, db, tmp_path):
    table = tmp_path / "pairs.csv"
    table.write_text("query,doc_id,label\noak desk,d1,Exact\n", encoding="utf-8")
    qrels, topics = tmp_path / "qrels.txt", tmp_path / "topics.tsv"
    qrels.write_text("7 0 d1 1\n", encoding="utf-8")
    topics.write_text("qid\tquery\n7\toak desk\n", encoding="utf-8")
    instruction = tmp_path / "train.jsonl"
    fields = ("query", "product_name", "product_class", "category_hierarchy")
    record = {
        "query_id": "q1",
        "product_id": "d1",
        "instruction": "grade",
        "input": {**dict.fromkeys(fields, "oak desk"), "product_description": ""},
        "output": "[RESULT] 4",
    }
    instruction.write_text(json.dumps(record) + "\n", encoding="utf-8")
    imports = [
        ("wands", SAMPLE_FOLDER, "--dataset", "w", "--annotator", "ann"),
        ("table", table, "--dataset", "t", "--map", "query=query,doc_id=doc_id,label=label"),
        ("trec", qrels, "--topics", topics, "--dataset", "r"),
        ("instruction", instruction, "--dataset", "i", "--template", "prometheus_1_5"),
    ]
    for number, argv in enumerate(imports):
        extra = () if "--annotator" in argv else ("--annotator", f"ann{number}")
        code, out, err = run(capsys, "--db", db, "import", *argv, *extra)
        assert code == 0, err
    with storage.connect(db) as con:
        authors = con.execute(
            "SELECT p.dataset, list(DISTINCT e.author) FROM label_events e "
            "JOIN pairs p USING (pair_id) GROUP BY p.dataset ORDER BY p.dataset"
        ).fetchall()
        grade = con.execute(
            "SELECT c.grade FROM current_labels c JOIN pairs p USING (pair_id) "
            "WHERE p.dataset = 'i'"
        ).fetchall()
    assert authors == [("i", ["ann3"]), ("r", ["ann2"]), ("t", ["ann1"]), ("w", ["ann"])]
    assert grade == [(4,)]


def test_judgement_ai_with_a_scale_map_and_its_failures(capsys, sample_db, tmp_path):
    with storage.connect(sample_db) as con:
        (query, doc), (other_query, other_doc) = con.execute(
            "SELECT q.query, p.doc_id FROM pairs p JOIN queries q USING (dataset, query_id) "
            "ORDER BY p.pair_id LIMIT 2"
        ).fetchall()
    results = tmp_path / "run.json"
    results.write_text(
        json.dumps(
            [
                {"query": f" {query} ", "doc_id": doc, "score": 3, "reasoning": "r", "rank": 1},
                {"query": "new query", "doc_id": "x9", "score": 0, "reasoning": "r", "rank": 2},
            ]
        )
    )
    (tmp_path / "run-failures.json").write_text(
        json.dumps(
            [
                {
                    "query": other_query,
                    "doc_id": other_doc,
                    "rank": 3,
                    "failure_type": "timeout",
                    "error": "Request timed out.",
                    "attempts": 2,
                }
            ]
        )
    )
    argv = ("--db", sample_db, "import", "judgement-ai", results, "--scale-map", "0=0,1=1,2=1,3=2")
    code, out, err = run(capsys, *argv, "--unknown", "skip")
    assert code == 0, err
    assert out.strip().endswith(
        "1 row skipped; judge run 1; 1 failed judgment from run-failures.json; "
        "1 pair not in 'wands-sample' skipped"
    )
    with pytest.raises(SystemExit) as usage:
        run(capsys, *argv[:5], "--scale-map", "0=0,1")
    assert usage.value.code == 2 and "bad scale map entry '1'" in capsys.readouterr().err
    code, out, err = run(capsys, *argv[:5])
    assert code == 2
    assert err.startswith(
        "error: run.json line 1, column score: item 0: score 3 is not on the scale"
    )
