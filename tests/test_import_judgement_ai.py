"""judgement-ai result files imported as a judge run over the sample's pairs."""

from __future__ import annotations

import json

import pytest
from conftest import store_snapshot

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
    summary = storage.import_judgement_ai(
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
    first = storage.import_judgement_ai(sample_db, path, dataset="wands-sample")
    before = store_snapshot(sample_db)
    again = storage.import_judgement_ai(sample_db, path, dataset="wands-sample")
    assert again.run_id == first.run_id
    snapshot = store_snapshot(sample_db)
    strip_time = lambda rows: [r[:-1] for r in rows]  # noqa: E731 (created_at is rewritten)
    assert strip_time(snapshot["judgments"]) == strip_time(before["judgments"])
    assert snapshot["judge_runs"] == before["judge_runs"]


def test_unknown_pair_names_the_item_and_changes_nothing(sample_db, tmp_path):
    items = results(sample_db)
    items[3]["doc_id"] = "no-such-product"
    before = store_snapshot(sample_db)
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.import_judgement_ai(sample_db, write(tmp_path, items), dataset="wands-sample")
    assert str(caught.value) == (
        f"results.json: item 3: no pair (query {items[3]['query']!r}, doc_id 'no-such-product') "
        "in dataset 'wands-sample'"
    )
    assert store_snapshot(sample_db) == before


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda items: items[1].update(score=3),
            "results.json, column score: item 1: score 3 is not on the scale of 'wands-sample' (0, 1, 2)",
        ),
        (
            lambda items: items[2].pop("score"),
            "results.json, column score: item 2: missing key 'score'",
        ),
        (
            lambda items: items[0].update(score="high"),
            "results.json, column score: item 0: expected an integer score, got 'high'",
        ),
    ],
)
def test_bad_items(sample_db, tmp_path, change, message):
    items = results(sample_db)
    change(items)
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.import_judgement_ai(sample_db, write(tmp_path, items), dataset="wands-sample")
    assert str(caught.value) == message


def test_bad_json_and_unknown_dataset(sample_db, tmp_path):
    path = tmp_path / "results.json"
    path.write_text('[\n  {"query": "x",\n  }\n]')
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.import_judgement_ai(sample_db, path, dataset="wands-sample")
    assert caught.value.line == 3
    with pytest.raises(storage.NotFoundError, match="no dataset named 'nope'"):
        storage.import_judgement_ai(sample_db, write(tmp_path, results(sample_db)), dataset="nope")
