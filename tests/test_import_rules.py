"""One rule per input question across every importer: a file with no rows, an out-of-scale
grade when the scale is inferred, NaN and Infinity, long values in messages."""

from __future__ import annotations

import json
import math
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pa_parquet
import pytest
from conftest import SAMPLE_FOLDER, store_snapshot

import cli
import jobs
import storage

NO_ROWS = "no rows: the file is empty or has only a header; an import needs at least one row"
MAP = storage.importers.ColumnMap(query="q", doc_id="d", label="rel")


def wands_with(tmp_path, name, text):
    folder = tmp_path / "wands"
    shutil.copytree(SAMPLE_FOLDER, folder)
    (folder / name).write_text(text)
    return folder


def import_table(db, path):
    return storage.importers.import_table(db, path, dataset="t", columns=MAP)


def header_only_wands(db, tmp_path):
    folder = wands_with(tmp_path, "label.csv", "id\tquery_id\tproduct_id\tlabel\n")
    return folder / "label.csv", lambda: storage.importers.import_wands(db, folder, dataset="w")


def empty_query_file(db, tmp_path):
    folder = wands_with(tmp_path, "query.csv", "")
    return folder / "query.csv", lambda: storage.importers.import_wands(db, folder, dataset="w")


def header_only_csv(db, tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("q,d,rel\n")
    return path, lambda: import_table(db, path)


def empty_tsv(db, tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("")
    return path, lambda: import_table(db, path)


def blank_jsonl(db, tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n\n")
    return path, lambda: import_table(db, path)


def parquet_without_rows(db, tmp_path):
    path = tmp_path / "pairs.parquet"
    pd.DataFrame({"q": pd.Series([], dtype=str), "d": pd.Series([], dtype=str)}).to_parquet(path)
    return path, lambda: import_table(db, path)


def empty_instruction_file(db, tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("")
    return path, lambda: jobs.import_instruction(db, path, dataset="i")


def trec_files(db, tmp_path, qrels, topics):
    (tmp_path / "qrels.txt").write_text(qrels)
    (tmp_path / "topics.tsv").write_text(topics)
    return lambda: storage.importers.import_trec(
        db, tmp_path / "qrels.txt", topics=tmp_path / "topics.tsv", dataset="r"
    )


def empty_qrels(db, tmp_path):
    return tmp_path / "qrels.txt", trec_files(db, tmp_path, "", "1\toak desk\n")


def empty_topics(db, tmp_path):
    return tmp_path / "topics.tsv", trec_files(db, tmp_path, "1 0 a 1\n", "\n")


def empty_judgement_ai_list(db, tmp_path):
    path = tmp_path / "results.json"
    path.write_text("[]")
    return path, lambda: storage.importers.import_judgement_ai(db, path, dataset="wands-sample")


@pytest.mark.parametrize(
    "case",
    [
        header_only_wands,
        empty_query_file,
        header_only_csv,
        empty_tsv,
        blank_jsonl,
        parquet_without_rows,
        empty_instruction_file,
        empty_qrels,
        empty_topics,
        empty_judgement_ai_list,
    ],
    ids=lambda case: case.__name__,
)
def test_a_file_with_no_rows_is_the_same_error_everywhere(sample_db, tmp_path, case):
    path, run = case(sample_db, tmp_path)
    before = store_snapshot(sample_db)
    with pytest.raises(storage.ImportFormatError) as refused:
        run()
    assert str(refused.value) == f"{path.name}: {NO_ROWS}"
    assert store_snapshot(sample_db) == before


@pytest.mark.parametrize(("grade", "seen"), [(12, "0,1,2,12"), (-1, "-1,0,1,2")])
def test_an_inferred_scale_takes_no_stray_grade(capsys, db, tmp_path, grade, seen):
    qrels, topics = tmp_path / "qrels.txt", tmp_path / "topics.tsv"
    qrels.write_text(f"1 0 a 2\n1 0 b 1\n\n1 0 c 0\n1 0 d {grade}\n")
    topics.write_text("1\toak desk\n")
    assert (
        cli.main(
            [
                "--db",
                str(db),
                "import",
                "trec",
                str(qrels),
                "--topics",
                str(topics),
                "--dataset",
                "r",
            ]
        )
        == 2
    )
    assert capsys.readouterr().err == (
        f"error: qrels.txt line 5, column relevance: grade {grade} is outside 0..4, the "
        "grades a scale is inferred from; if it is meant, name the scale with --scale "
        f"(e.g. --scale {seen})\n"
    )
    assert storage.list_datasets(db) == []
    storage.importers.import_trec(
        db, qrels, topics=topics, dataset="r", scale=storage.Scale.parse(seen)
    )
    assert list(storage.dataset_scale(db, "r")) == [int(g) for g in seen.split(",")]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_nan_or_infinity_in_json_is_refused_at_its_key(capsys, sample_db, tmp_path, number):
    table = tmp_path / "pairs.jsonl"
    table.write_text(
        f'{{"q": "oak desk", "d": "1", "rel": 1}}\n{{"q": "oak desk", "d": "2", "rel": {number}}}\n'
    )
    with pytest.raises(storage.ImportFormatError) as refused:
        import_table(sample_db, table)
    assert str(refused.value) == (
        f"pairs.jsonl line 2, column rel: {number} is not a number JSON allows; write null "
        "for a missing value"
    )
    instruction = tmp_path / "train.jsonl"
    description = float(number.replace("Infinity", "inf"))
    instruction.write_text(
        json.dumps(
            {
                "query_id": 1,
                "product_id": 2,
                "instruction": "i",
                "output": "SCORE: 1",
                "input": {"query": "oak desk", "product_description": description},
            }
        )
        + "\n"
    )
    with pytest.raises(
        storage.ImportFormatError,
        match=(rf"^train.jsonl line 1, column input.product_description: {number} is not a number"),
    ):
        jobs.import_instruction(sample_db, instruction, dataset="i")

    results = tmp_path / "results.json"
    results.write_text(
        f'[{{"query": "q", "doc_id": "1", "score": 1}}, '
        f'{{"query": "q", "doc_id": "2", "score": {number}}}]'
    )
    before = store_snapshot(sample_db)
    assert cli.main(["--db", str(sample_db), "import", "judgement-ai", str(results)]) == 2
    assert capsys.readouterr().err == (
        f"error: results.json line 1, column score: item 1: {number} is not a number JSON "
        "allows; "
        "write null for a missing value\n"
    )
    assert store_snapshot(sample_db) == before


def test_a_nan_grade_in_parquet_is_not_taken_for_a_missing_one(db, tmp_path):
    path = tmp_path / "pairs.parquet"
    # pandas would write NaN as null; Arrow from Python values keeps it a number.
    pa_parquet.write_table(
        pa.table(
            {
                "q": ["oak desk", "oak desk"],
                "d": ["1", "2"],
                "rel": pa.array([1.0, math.nan]),
            }
        ),
        path,
    )
    with pytest.raises(storage.ImportFormatError) as refused:
        import_table(db, path)
    assert str(refused.value) == (
        "pairs.parquet, column rel: row 2: expected one of Irrelevant, Partial, Exact, 0, 1, 2, "
        "got 'NaN'"
    )


def test_a_long_value_is_shortened_in_the_message(db, tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("q,d,rel\noak desk,1,Exact\noak desk,2," + "Exakt" * 800 + "\n")
    with pytest.raises(storage.ImportFormatError) as refused:
        import_table(db, path)
    assert str(refused.value) == (
        "pairs.csv line 3, column rel: expected one of Irrelevant, Partial, Exact, 0, 1, 2, "
        "got 'ExaktExaktExaktExaktExaktExaktExaktExak…ExaktExaktExaktExakt'"
    )
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"column_{n}" for n in range(400)) + "\n" + ",".join("x" * 400) + "\n")
    with pytest.raises(storage.ImportFormatError) as refused:
        import_table(db, wide)
    message = str(refused.value)
    assert len(message) <= storage.MESSAGE_LIMIT and "…" in message
    assert message.startswith(
        "wide.csv line 1: missing column 'q', 'd', 'rel' (the file has: column_0"
    )


def test_a_jsonl_number_too_long_to_read_is_refused_at_its_line(db, tmp_path, capsys):
    path = tmp_path / "pairs.jsonl"
    path.write_text(
        '{"q": "oak desk", "d": "1", "l": 2}\n{"q": "oak desk", "d": ' + "9" * 5001 + ', "l": 2}\n'
    )
    argv = ["--db", str(db), "import", "table", str(path), "--dataset", "t"]
    assert cli.main([*argv, "--map", "query=q,doc_id=d,label=l"]) == 2
    assert capsys.readouterr().err == (
        "error: pairs.jsonl line 2: a number of more than 4,300 digits: no id or grade is that "
        "long\n"
    )
    assert not db.exists() or storage.list_datasets(db) == []


@pytest.mark.parametrize(
    ("value", "kind"),
    [('{"id": 1}', "a JSON object"), ("[1, 2]", "a JSON list"), ("true", "true")],
)
def test_a_jsonl_id_that_is_not_text_is_refused_at_its_line(db, tmp_path, capsys, value, kind):
    path = tmp_path / "pairs.jsonl"
    path.write_text(
        '{"q": "oak desk", "d": "1", "l": 2}\n\n{"q": "oak desk", "d": ' + value + ', "l": 2}\n'
    )
    argv = ["--db", str(db), "import", "table", str(path), "--dataset", "t"]
    assert cli.main([*argv, "--map", "query=q,doc_id=d,label=l"]) == 2
    assert capsys.readouterr().err == (
        f"error: pairs.jsonl line 3, column d: expected text, got {kind}\n"
    )
    assert not db.exists() or storage.list_datasets(db) == []
