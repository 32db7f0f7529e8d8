"""judgement-ai result files imported as a judge run over the sample's pairs."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from conftest import store_snapshot

import cli
import storage


def sample_pairs(db, n):
    with storage.connect(db) as con:
        return con.execute(
            "SELECT q.query, p.doc_id, c.grade FROM pairs p JOIN queries q USING (dataset, query_id) "
            "JOIN current_labels c USING (pair_id) ORDER BY p.pair_id LIMIT ?",
            [n],
        ).fetchall()


def results(db, n=5):
    return [
        {"query": q, "doc_id": d, "score": g, "reasoning": f"because {i}", "rank": i + 1}
        for i, (q, d, g) in enumerate(sample_pairs(db, n))
    ]


def write(tmp_path, items):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(items, indent=2))
    return path


def test_results_become_an_imported_run(sample_db, tmp_path):
    items = results(sample_db)
    summary = storage.importers.import_judgement_ai(
        sample_db, write(tmp_path, items), dataset="wands-sample", model="gpt-5.5"
    )
    run = storage.get_run(sample_db, summary.run_id)
    assert (run.backend, run.status, run.model, run.name) == (
        "judgement-ai",
        "imported",
        "gpt-5.5",
        "results",
    )
    frame = storage.run_labels(sample_db, summary.run_id)
    assert len(frame) == 5 and (frame["judge"] == frame["human"]).all()
    with storage.connect(sample_db) as con:
        rows = con.execute(
            "SELECT raw_output, parse_status FROM judgments ORDER BY pair_id"
        ).fetchall()
    assert rows[0] == ("because 0", "strict")


def test_same_file_twice_is_the_same_run(sample_db, tmp_path):
    path = write(tmp_path, results(sample_db))
    first = storage.importers.import_judgement_ai(sample_db, path, dataset="wands-sample")
    before = store_snapshot(sample_db)
    again = storage.importers.import_judgement_ai(sample_db, path, dataset="wands-sample")
    assert again.run_id == first.run_id
    snapshot = store_snapshot(sample_db)
    # created_at is rewritten; it is the one timestamp of a judgment, wherever its column is.
    strip_time = lambda rows: [  # noqa: E731
        tuple(v for v in r if not isinstance(v, datetime)) for r in rows
    ]
    assert strip_time(snapshot["judgments"]) == strip_time(before["judgments"])
    assert snapshot["judge_runs"] == before["judge_runs"]


def test_an_unknown_pair_is_skipped_and_counted_when_asked(sample_db, tmp_path):
    items = results(sample_db)
    items[3]["doc_id"] = "no-such-product"
    before = store_snapshot(sample_db)
    summary = storage.importers.import_judgement_ai(
        sample_db, write(tmp_path, items), dataset="wands-sample", unknown="skip"
    )
    assert (summary.pairs, summary.skipped, summary.new_pairs) == (4, 1, 0)
    assert "1 pair not in 'wands-sample' skipped" in str(summary)
    after = store_snapshot(sample_db)
    assert after["pairs"] == before["pairs"] and after["documents"] == before["documents"]


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda items: items[1].update(score=3),
            "results.json line 9, column score: item 1: score 3 is not on the scale of 'wands-sample' "
            "(0, 1, 2); map the file's scale onto it, e.g. --scale-map 0=0,1=1,2=1,3=2",
        ),
        (
            lambda items: items[2].pop("score"),
            "results.json line 16, column score: item 2: missing key 'score'",
        ),
        (
            lambda items: items[0].update(score="high"),
            "results.json line 2, column score: item 0: expected an integer score, got 'high'",
        ),
    ],
)
def test_bad_items(sample_db, tmp_path, change, message):
    items = results(sample_db)
    change(items)
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_judgement_ai(
            sample_db, write(tmp_path, items), dataset="wands-sample"
        )
    assert str(caught.value) == message


def test_bad_json_and_unknown_dataset(sample_db, tmp_path):
    path = tmp_path / "results.json"
    path.write_text('[\n  {"query": "x",\n  }\n]')
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_judgement_ai(sample_db, path, dataset="wands-sample")
    assert caught.value.line == 3
    with pytest.raises(storage.NotFoundError, match="no dataset named 'nope'"):
        storage.importers.import_judgement_ai(
            sample_db, write(tmp_path, results(sample_db)), dataset="nope"
        )


def judgement_ai_files(db, folder):
    """A run as judgement-ai v0.2.0 writes it (judgement_ai/output.py and
    grading/service.py): results.json, a JSON list indented by 2, on its default 0-3 scale,
    and results-failures.json beside it. One graded pair is not in the dataset and one
    query carries the spaces a search log keeps."""
    (q0, d0, _), (q1, d1, _), (q2, d2, _), (q3, d3, _), (q4, d4, _) = sample_pairs(db, 5)
    graded = [
        {"query": q0, "doc_id": d0, "score": 3, "reasoning": "exact match", "rank": 1},
        {"query": f"  {q1} ", "doc_id": d1, "score": 2, "reasoning": "close", "rank": 2},
        {"query": q2, "doc_id": d2, "score": 1, "reasoning": "related", "rank": 3},
        {"query": q2, "doc_id": "live-engine-hit", "score": 0, "reasoning": "off", "rank": 4},
        {
            "query": q3,
            "doc_id": d3,
            "score": 0,
            "reasoning": "two passes",
            "rank": 1,
            "pass_scores": [0, 0],
        },
    ]
    failed = [
        {
            "query": q4,
            "doc_id": d4,
            "rank": 2,
            "failure_type": "parse_error",
            "error": "Could not parse a score from the response.",
            "attempts": 3,
            "raw_response": "I think it is relevant",
        }
    ]
    results_path = folder / "results.json"
    results_path.write_text(json.dumps(graded, indent=2), encoding="utf-8")
    (folder / "results-failures.json").write_text(json.dumps(failed, indent=2), encoding="utf-8")
    return results_path, (q0, d0), (q1, d1), (q2, d2), (q3, d3), (q4, d4)


def test_judgement_ai_files_as_they_come(sample_db, tmp_path):
    path, *pairs = judgement_ai_files(sample_db, tmp_path)
    summary = storage.importers.import_judgement_ai(
        sample_db,
        path,
        dataset="wands-sample",
        scale_map=storage.importers.parse_scale_map("0=0,1=1,2=1,3=2"),
    )
    assert (summary.pairs, summary.new_pairs, summary.skipped) == (6, 1, 0)
    assert summary.notes == (
        "1 failed judgment from results-failures.json",
        "1 pair not in 'wands-sample' added unlabelled",
    )
    with storage.connect(sample_db) as con:
        rows = con.execute(
            """
            SELECT q.query, p.doc_id, j.grade, j.parse_status, j.raw_output, j.error,
                   c.grade AS label
            FROM judgments j JOIN pairs p USING (pair_id)
            JOIN queries q USING (dataset, query_id)
            LEFT JOIN current_labels c USING (pair_id)
            WHERE j.run_id = ?
            """,
            [summary.run_id],
        ).fetchall()
        params = json.loads(
            con.execute(
                "SELECT params FROM judge_runs WHERE run_id = ?", [summary.run_id]
            ).fetchone()[0]
        )
    got = {(q, d): (g, s, raw, err) for q, d, g, s, raw, err, _ in rows}
    (q0, d0), (q1, d1), (q2, d2), (q3, d3), (q4, d4) = pairs
    assert got[(q0, d0)] == (2, "strict", "exact match", None)  # 3 -> 2 by the map
    assert got[(q1, d1)] == (1, "strict", "close", None)  # the padded query matched
    assert got[(q2, d2)] == (1, "strict", "related", None)
    assert got[(q3, d3)] == (0, "strict", "two passes", None)
    assert got[(q4, d4)] == (
        None,
        "unparsed",
        "I think it is relevant",
        "judgement-ai parse_error after 3 attempts: Could not parse a score from the response.",
    )
    assert got[(q2, "live-engine-hit")] == (0, "strict", "off", None)
    labels = {(q, d): label for q, d, *_, label in rows}
    assert labels[(q2, "live-engine-hit")] is None  # added unlabelled
    assert params["scale_map"] == "0=0,1=1,2=1,3=2"
    assert params["failures_file"] == "results-failures.json"
    # The failed pair counts against the run: it is judged, with no grade.
    frame = storage.run_labels(sample_db, summary.run_id)
    assert len(frame) == 5 and frame["judge"].isna().sum() == 1
    assert storage.check_store(sample_db).ok


def test_judgement_ai_unknown_pairs_skipped_with_a_count(sample_db, tmp_path):
    path, *_ = judgement_ai_files(sample_db, tmp_path)
    summary = storage.importers.import_judgement_ai(
        sample_db,
        path,
        dataset="wands-sample",
        scale_map={0: 0, 1: 1, 2: 1, 3: 2},
        unknown="skip",
    )
    assert (summary.pairs, summary.new_pairs, summary.skipped) == (5, 0, 1)
    with storage.connect(sample_db) as con:
        assert con.execute("SELECT count(*) FROM pairs").fetchone()[0] == 174


@pytest.mark.parametrize(
    ("scale_map", "message"),
    [
        (
            {0: 0, 1: 1, 2: 1},
            "results.json line 2, column score: item 0: score 3 is not in the scale map",
        ),
        ({0: 0, 1: 1, 2: 1, 3: 3}, "the scale map sends scores to 3, not on the scale"),
    ],
)
def test_a_scale_map_that_does_not_fit_says_so(sample_db, tmp_path, scale_map, message):
    path, *_ = judgement_ai_files(sample_db, tmp_path)
    before = store_snapshot(sample_db)
    with pytest.raises(storage.StoreError, match=re.escape(message)):
        storage.importers.import_judgement_ai(
            sample_db, path, dataset="wands-sample", scale_map=scale_map
        )
    assert store_snapshot(sample_db) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [("0=0,1", "bad scale map entry '1'"), ("a=1", "bad scale map entry 'a=1'"), ("", "empty")],
)
def test_scale_map_parse_errors(text, message):
    with pytest.raises(storage.StoreError, match=message):
        storage.importers.parse_scale_map(text)


def test_a_results_file_given_as_failures_is_named(sample_db, tmp_path):
    path, *_ = judgement_ai_files(sample_db, tmp_path)
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_judgement_ai(
            sample_db, path, dataset="wands-sample", failures=path, scale_map={3: 2}
        )
    assert str(caught.value) == (
        "results.json line 2, column score: item 0: has a score, so this is a judgement-ai "
        "results file, not its failures file: pass it as the results file, and the failures "
        "file (<results>-failures.json) with --failures"
    )


def write_text(tmp_path, text, name="results.json"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def one_item(score="2", query='"oak desk"', doc_id='"d1"'):
    """A results file of one item, its values written as JSON literals, on lines 2-4."""
    return f'[\n  {{"query": {query},\n   "doc_id": {doc_id},\n   "score": {score}}}\n]\n'


OUT_OF_RANGE = "is out of range: a score is a grade, a small integer"


@pytest.mark.parametrize(
    ("score", "shown"),
    [
        (str(2**63), "9223372036854775808"),
        ("1" + "0" * 400, "1" + "0" * 25 + "…" + "0" * 13),  # cut in the middle
        ("7" * 5001, "7" * 26 + "…" + "7" * 13),
        ("1e400", "1e400"),
        ("-1e300", "-1e+300"),
        (str(-(2**31)), "-2147483648"),
    ],
)
def test_an_out_of_range_score_is_refused_at_its_line(sample_db, tmp_path, score, shown):
    before = store_snapshot(sample_db)
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_judgement_ai(
            sample_db, write_text(tmp_path, one_item(score=score)), dataset="wands-sample"
        )
    assert (
        str(caught.value)
        == f"results.json line 2, column score: item 0: score {shown} {OUT_OF_RANGE}"
    )
    assert store_snapshot(sample_db) == before


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"doc_id": '""'}, "column doc_id: item 0: empty doc_id"),
        ({"doc_id": '"  "'}, "column doc_id: item 0: empty doc_id"),
        (
            {"doc_id": '{"id": 1}'},
            "column doc_id: item 0: expected the doc_id as text or an integer, got an object",
        ),
        (
            {"doc_id": "[1]"},
            "column doc_id: item 0: expected the doc_id as text or an integer, got a list",
        ),
        (
            {"doc_id": "true"},
            "column doc_id: item 0: expected the doc_id as text or an integer, got 'true'",
        ),
        (
            {"doc_id": "null"},
            "column doc_id: item 0: expected the doc_id as text or an integer, got 'null'",
        ),
        (
            {"doc_id": "1.5"},
            "column doc_id: item 0: expected the doc_id as text or an integer, got '1.5'",
        ),
        ({"query": '"   "'}, "column query: item 0: empty query"),
        ({"query": "7"}, "column query: item 0: expected the query as text, got '7'"),
        ({"query": "false"}, "column query: item 0: expected the query as text, got 'false'"),
    ],
)
def test_ids_that_are_not_text_are_refused(sample_db, tmp_path, values, message):
    before = store_snapshot(sample_db)
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_judgement_ai(
            sample_db, write_text(tmp_path, one_item(**values)), dataset="wands-sample"
        )
    assert str(caught.value) == f"results.json line 2, {message}"
    assert store_snapshot(sample_db) == before


def test_an_integer_doc_id_is_its_text(sample_db, tmp_path):
    (query, doc_id, grade), *_ = sample_pairs(sample_db, 1)
    path = write_text(tmp_path, one_item(score=grade, query=json.dumps(query), doc_id=doc_id))
    summary = storage.importers.import_judgement_ai(sample_db, path, dataset="wands-sample")
    assert (summary.pairs, summary.new_pairs) == (1, 0)


def test_the_failures_file_given_as_results_is_named(sample_db, tmp_path):
    _, *_ = judgement_ai_files(sample_db, tmp_path)
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_judgement_ai(
            sample_db, tmp_path / "results-failures.json", dataset="wands-sample"
        )
    assert str(caught.value) == (
        "results-failures.json line 2: item 0: has a failure_type and no score, so this is "
        "judgement-ai's failures file: pass the results file, and this one with --failures "
        "(or beside the results as <results>-failures.json)"
    )


CSV_EXPORT = "query,docid,rating\r\noak desk,d1,3\r\n"  # as judgement-ai export-csv writes it
CSV_MESSAGE = (
    "line 1: this is judgement-ai's CSV export (query,docid,rating), which keeps no reasoning "
    "and no failures: pass the results JSON it was exported from (the --input of judgement-ai "
    "export-csv)"
)


def test_the_csv_export_is_named_as_results_or_failures(sample_db, tmp_path):
    path, *_ = judgement_ai_files(sample_db, tmp_path)
    exported = write_text(tmp_path, CSV_EXPORT, "results.csv")
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_judgement_ai(sample_db, exported, dataset="wands-sample")
    assert str(caught.value) == f"results.csv {CSV_MESSAGE}"
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_judgement_ai(
            sample_db, path, dataset="wands-sample", failures=exported
        )
    assert str(caught.value) == f"results.csv {CSV_MESSAGE}"


def test_a_repeated_scale_map_score_is_refused():
    with pytest.raises(storage.StoreError) as caught:
        storage.importers.parse_scale_map("0=0,1=1,2=1,1=2")
    assert str(caught.value) == (
        "the scale map gives score 1 twice (1=1 and 1=2): give each score once"
    )


def cli_error(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "") and err.count("\n") == 1
    return err.removeprefix("error: ").rstrip("\n")


def test_the_cli_refuses_each_case_in_one_line_with_exit_code_2(capsys, sample_db, tmp_path):
    base = ("--db", sample_db, "import", "judgement-ai")
    huge = write_text(tmp_path, one_item(score="7" * 5001), "huge.json")
    assert cli_error(capsys, *base, huge) == (
        f"huge.json line 2, column score: item 0: score {'7' * 26}…{'7' * 13} {OUT_OF_RANGE}"
    )
    listed = write_text(tmp_path, one_item(doc_id="[1, 2]"), "listed.json")
    assert cli_error(capsys, *base, listed) == (
        "listed.json line 2, column doc_id: item 0: expected the doc_id as text or an "
        "integer, got a list"
    )
    exported = write_text(tmp_path, CSV_EXPORT, "results.csv")
    assert cli_error(capsys, *base, exported) == f"results.csv {CSV_MESSAGE}"
    judgement_ai_files(sample_db, tmp_path)
    assert cli_error(capsys, *base, tmp_path / "results-failures.json").startswith(
        "results-failures.json line 2: item 0: has a failure_type and no score, so this is "
        "judgement-ai's failures file"
    )
    with pytest.raises(SystemExit) as exited:  # argparse refuses it, with the usage
        cli.main([*map(str, base), str(tmp_path / "results.json"), "--scale-map", "0=0,3=2,3=1"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "cli.py import judgement-ai: error: argument --scale-map: the scale map gives score 3 "
        "twice (3=2 and 3=1): give each score once"
    )
    assert storage.list_runs(sample_db).empty
