"""The seed's instruction-tuning JSONL read back into a store."""

from __future__ import annotations

import json

import pytest
from conftest import store_snapshot

import jobs
import storage

RECORD = {
    "query_id": 15,
    "product_id": 39828,
    "instruction": "Given a search query and a candidate product, predict the relevance score.",
    "input": {
        "query": "black 5 drawer dresser by guilford",
        "product_name": "fairlin 5 drawer storage cabinet",
        "product_class": "Office Storage Cabinets",
        "category_hierarchy": "Furniture / Office Furniture / Office Storage Cabinets",
        "product_description": 'the features never stop unfolding with this "multifunctional" hutch',
    },
    "output": "SCORE: 0",
}


def write(tmp_path, records, name="train.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def second(**changes):
    record = json.loads(json.dumps(RECORD))
    record.update({"product_id": 7, "output": "SCORE: 2", **changes})
    return record


def test_reads_the_seed_example(db, tmp_path):
    summary = jobs.import_instruction(db, write(tmp_path, [RECORD, second()]), dataset="seed")
    assert (summary.queries, summary.documents, summary.pairs, summary.label_events) == (1, 2, 2, 2)
    with storage.connect(db) as con:
        row = con.execute(
            "SELECT q.query_id, q.query, d.title, d.doc_class, d.category, d.description, c.grade "
            "FROM pairs p JOIN queries q USING (dataset, query_id) JOIN documents d USING (dataset, doc_id) "
            "JOIN current_labels c USING (pair_id) WHERE p.doc_id = '39828'"
        ).fetchall()[0]
    assert row == ("15", *RECORD["input"].values(), 0)


def test_round_trip_through_the_export_shape_is_idempotent(db, tmp_path):
    path = write(tmp_path, [RECORD, second()])
    jobs.import_instruction(db, path, dataset="seed")
    before = store_snapshot(db)
    assert jobs.import_instruction(db, path, dataset="seed").label_events == 0
    assert store_snapshot(db) == before


BROKEN = [
    (
        [RECORD, second(output="SCORE 2")],
        "train.jsonl line 2, column output: expected one of 'SCORE: 0', 'SCORE: 1', 'SCORE: 2', got 'SCORE 2'",
    ),
    (
        [RECORD, second(output="SCORE: 3")],
        "train.jsonl line 2, column output: expected one of 'SCORE: 0', 'SCORE: 1', "
        "'SCORE: 2', got 'SCORE: 3'",
    ),
    (
        [RECORD, {k: v for k, v in RECORD.items() if k != "product_id"}],
        "train.jsonl line 2, column product_id: missing key 'product_id'",
    ),
    (
        [RECORD, second(input="Query: x")],
        "train.jsonl line 2, column input: expected an object with query, product_name, product_class, "
        "category_hierarchy and product_description, got str",
    ),
    ([RECORD, second(query_id="")], "train.jsonl line 2, column query_id: empty query_id"),
    (
        [RECORD, second(input={**RECORD["input"], "query": "other"})],
        "train.jsonl line 2, column input.query: query '15' has input.query 'other' here but "
        "'black 5 drawer dresser by guilford' on line 1; a query must read the same on every row",
    ),
]


@pytest.mark.parametrize("records, message", BROKEN)
def test_broken_lines_name_line_and_key_and_change_nothing(db, tmp_path, records, message):
    jobs.import_instruction(db, write(tmp_path, [RECORD]), dataset="seed")
    before = store_snapshot(db)
    with pytest.raises(storage.ImportFormatError) as caught:
        jobs.import_instruction(db, write(tmp_path, records), dataset="seed")
    assert str(caught.value) == message
    assert store_snapshot(db) == before


def test_bad_json_on_a_line(db, tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps(RECORD) + "\n" + '{"query_id": 1,\n')
    with pytest.raises(storage.ImportFormatError) as caught:
        jobs.import_instruction(db, path, dataset="seed")
    assert (caught.value.line, caught.value.reason.startswith("invalid JSON")) == (2, True)


def test_answers_are_read_in_the_templates_own_format(db, tmp_path):
    """A file exported with the Prometheus rubric answers `[RESULT] N` on 1-5: read back with
    that template, its grades and scale come back; read as the default template, the first
    line says which answers it expected."""
    path = write(tmp_path, [{**RECORD, "output": "[RESULT] 4"}, second(output="[RESULT] 1")])
    summary = jobs.import_instruction(db, path, dataset="rubric", template_name="prometheus_1_5")
    assert summary.label_events == 2
    assert storage.dataset_scale(db, "rubric").grades == (1, 2, 3, 4, 5)
    with storage.connect(db) as con:
        grades = con.execute(
            "SELECT p.doc_id, c.grade FROM pairs p JOIN current_labels c USING (pair_id) "
            "ORDER BY p.doc_id"
        ).fetchall()
    assert grades == [("39828", 4), ("7", 1)]
    with pytest.raises(storage.ImportFormatError, match="line 1, column output: expected one of"):
        jobs.import_instruction(db, path, dataset="other")
