"""The Data page's import form offers what the CLI does: an annotator on every labelled
import, and judgement-ai files with their failures, a scale map and the choice for pairs
the dataset lacks."""

from __future__ import annotations

import json

from app_fixtures import DATASET, click, open_app

import storage
from views._common import md


def _pairs(db, n):
    with storage.connect(db) as con:
        return con.execute(
            "SELECT q.query, p.doc_id FROM pairs p JOIN queries q USING (dataset, query_id) "
            "WHERE p.dataset = ? ORDER BY p.pair_id LIMIT ?",
            [DATASET, n],
        ).fetchall()


def test_a_judgement_ai_run_by_path_becomes_the_active_run(store, tmp_path):
    db, _ = store
    (q0, d0), (q1, d1) = _pairs(db, 2)
    results = tmp_path / "results.json"
    results.write_text(
        json.dumps(
            [
                {"query": f"{q0}  ", "doc_id": d0, "score": 3, "reasoning": "fits", "rank": 1},
                {
                    "query": q0,
                    "doc_id": "not-in-the-dataset",
                    "score": 0,
                    "reasoning": "",
                    "rank": 2,
                },
            ],
            indent=2,
        )
    )
    (tmp_path / "results-failures.json").write_text(
        json.dumps(
            [
                {
                    "query": q1,
                    "doc_id": d1,
                    "rank": 1,
                    "failure_type": "provider_error",
                    "error": "HTTP 500",
                    "attempts": 3,
                }
            ]
        )
    )
    at = open_app("data", query={"data-tab": "Import"})
    at.selectbox(key="import-format").select(
        "judgement-ai results (a judge run over a dataset)"
    ).run()
    assert "import-annotator" not in [t.key for t in at.text_input]  # a run has no labels
    at.segmented_control(key="jai-source").set_value("path").run()
    at.text_input(key="jai-path").input(str(results)).run()
    at.text_input(key="jai-scale-map").input("0=0,1=1,2=1,3=2").run()
    at.radio(key="jai-unknown").set_value("skip them (counted)").run()
    at.text_input(key="import-dataset").input(DATASET).run()
    at = click(at, "import")
    assert not at.error, [e.value for e in at.error]
    run_id = at.sidebar.selectbox(key="sidebar-run").value
    assert storage.get_run(db, run_id).backend == "judgement-ai"
    with storage.connect(db) as con:
        rows = con.execute(
            "SELECT grade, parse_status, error FROM judgments WHERE run_id = ? ORDER BY grade",
            [run_id],
        ).fetchall()
    assert rows == [
        (2, "strict", None),
        (None, "error", "judgement-ai provider_error after 3 attempts: HTTP 500"),
    ]
    assert at.query_params["run"] == str(run_id)


def test_a_scale_map_that_does_not_parse_is_one_error(store, tmp_path):
    results = tmp_path / "results.json"
    results.write_text("[]")
    at = open_app("data", query={"data-tab": "Import"})
    at.selectbox(key="import-format").select(
        "judgement-ai results (a judge run over a dataset)"
    ).run()
    at.segmented_control(key="jai-source").set_value("path").run()
    at.text_input(key="jai-path").input(str(results)).run()
    at.text_input(key="jai-scale-map").input("3:2").run()
    at.text_input(key="import-dataset").input(DATASET).run()
    at = click(at, "import")
    assert [e.value for e in at.error] == [
        md("bad scale map entry '3:2': use score=grade pairs, e.g. 0=0,1=1,2=1,3=2")
    ]


def test_the_annotator_is_recorded_with_the_labels(store, tmp_path):
    db, _ = store
    table = tmp_path / "pairs.csv"
    table.write_text("query,doc_id,label\nred sofa,p1,Exact\n")
    at = open_app("data", query={"data-tab": "Import"})
    at.selectbox(key="import-format").select("CSV / TSV / JSONL / Parquet").run()
    at.segmented_control(key="table-source").set_value("path").run()
    at.text_input(key="table-path").input(str(table)).run()
    at.text_input(key="table-columns").input("query=query,doc_id=doc_id,label=label").run()
    at.text_input(key="import-annotator").input("rater-b").run()
    at.text_input(key="import-dataset").input("rated").run()
    click(at, "import")
    with storage.connect(db) as con:
        authors = con.execute(
            "SELECT DISTINCT e.author FROM label_events e JOIN pairs p USING (pair_id) "
            "WHERE p.dataset = 'rated'"
        ).fetchall()
    assert authors == [("rater-b",)]


def test_the_summary_lists_kept_columns_and_a_dropped_one_is_left_out(store, tmp_path):
    db, _ = store
    table = tmp_path / "pairs.csv"
    table.write_text(
        "query,doc_id,label,grade,brand\nred sofa,p1,Exact,2,acme\n"
        "red sofa,p2,Irrelevant,0,zed\nred sofa,p3,Exact,2,zed\n"
    )
    at = open_app("data", query={"data-tab": "Import"})
    at.selectbox(key="import-format").select("CSV / TSV / JSONL / Parquet").run()
    at.segmented_control(key="table-source").set_value("path").run()
    at.text_input(key="table-path").input(str(table)).run()
    at.text_input(key="table-columns").input("query=query,doc_id=doc_id,label=label").run()
    at.text_input(key="import-dataset").input("kept").run()
    click(at, "import")
    summary = " ".join(t.value for t in at.text)
    assert "kept 2 other column(s) as document fields: grade, brand" in summary
    assert "column grade gives the label away (named like a label)" in summary

    at.text_input(key="table-drop-columns").input("grade").run()
    at.text_input(key="import-dataset").input("dropped").run()
    click(at, "import")
    summary = " ".join(t.value for t in at.text)
    assert "kept 1 other column(s) as document fields: brand" in summary
    assert "gives the label away" not in summary
    with storage.connect(db) as con:
        fields = con.execute(
            "SELECT doc_id, fields FROM documents WHERE dataset = 'dropped' ORDER BY doc_id"
        ).fetchall()
    assert [(d, json.loads(f)) for d, f in fields] == [
        ("p1", {"brand": "acme"}),
        ("p2", {"brand": "zed"}),
        ("p3", {"brand": "zed"}),
    ]
