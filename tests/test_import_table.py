"""Generic tables of pairs (CSV, TSV, JSONL, Parquet) through a column mapping."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import store_snapshot

import storage

ROWS = [
    {
        "search": "oak desk",
        "pid": "d1",
        "name": "oak writing desk",
        "kind": "Desks",
        "rel": "Exact",
        "color": "brown",
    },
    {
        "search": "oak desk",
        "pid": "d2",
        "name": "pine bed",
        "kind": "Beds",
        "rel": "Irrelevant",
        "color": "",
    },
    {
        "search": "blue lamp",
        "pid": "d3",
        "name": "blue table lamp",
        "kind": "Lamps",
        "rel": "Partial",
        "color": "blue",
    },
    {
        "search": "blue lamp",
        "pid": "d1",
        "name": "oak writing desk",
        "kind": "Desks",
        "rel": "Irrelevant",
        "color": "brown",
    },
]
COLUMNS = storage.importers.ColumnMap(
    query="search", doc_id="pid", title="name", doc_class="kind", label="rel"
)


def write(tmp_path, kind, rows=ROWS):
    frame = pd.DataFrame(rows)
    path = tmp_path / f"pairs.{kind}"
    if kind == "csv":
        frame.to_csv(path, index=False)
    elif kind == "tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif kind == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        frame.to_parquet(path)
    return path


@pytest.mark.parametrize("kind", ["csv", "tsv", "jsonl", "parquet"])
def test_each_format_imports_the_same_store(db, tmp_path, kind):
    summary = storage.importers.import_table(
        db, write(tmp_path, kind), dataset="t", columns=COLUMNS
    )
    assert (summary.queries, summary.documents, summary.pairs, summary.label_events) == (2, 3, 4, 4)
    with storage.connect(db) as con:
        docs = con.execute(
            "SELECT doc_id, title, doc_class, fields FROM documents ORDER BY doc_id"
        ).fetchall()
        labels = con.execute(
            "SELECT q.query, p.doc_id, c.grade FROM pairs p JOIN queries q USING (dataset, query_id) "
            "JOIN current_labels c USING (pair_id) ORDER BY 1, 2"
        ).fetchall()
        query_ids = {q for (q,) in con.execute("SELECT query_id FROM queries").fetchall()}
    assert docs[0][:3] == ("d1", "oak writing desk", "Desks")
    assert json.loads(docs[0][3]) == {"color": "brown"}
    assert docs[1][3] is None  # an empty extra value is not stored
    assert labels == [
        ("blue lamp", "d1", 0),
        ("blue lamp", "d3", 1),
        ("oak desk", "d1", 2),
        ("oak desk", "d2", 0),
    ]
    assert query_ids == {
        storage.importers.query_id_for("oak desk"),
        storage.importers.query_id_for("blue lamp"),
    }


def test_reimport_is_idempotent_and_a_changed_label_is_one_event(db, tmp_path):
    path = write(tmp_path, "csv")
    storage.importers.import_table(db, path, dataset="t", columns=COLUMNS)
    before = store_snapshot(db)
    again = storage.importers.import_table(db, path, dataset="t", columns=COLUMNS)
    assert (again.new_pairs, again.label_events) == (0, 0)
    assert store_snapshot(db) == before
    changed = [dict(r) for r in ROWS]
    changed[1]["rel"] = "Partial"
    summary = storage.importers.import_table(
        db, write(tmp_path, "csv", changed), dataset="t", columns=COLUMNS
    )
    assert summary.label_events == 1


def test_label_mapping_scale_and_query_ids(db, tmp_path):
    rows = [
        {"qid": "7", "q": "red rug", "doc": "r1", "score": "4"},
        {"qid": "7", "q": "red rug", "doc": "r2", "score": "1"},
    ]
    path = write(tmp_path, "csv", rows)
    scale = storage.Scale.parse("1=bad,2=fair,3=good,4=great,5=perfect")
    storage.importers.import_table(
        db,
        path,
        dataset="likert",
        scale=scale,
        columns=storage.importers.ColumnMap.parse("query=q,query_id=qid,doc_id=doc,label=score"),
    )
    assert storage.dataset_scale(db, "likert") == scale
    storage.importers.import_table(
        db,
        path,
        dataset="mapped",
        labels=storage.importers.parse_label_map("4=2,1=0"),
        columns=storage.importers.ColumnMap.parse("query=q,query_id=qid,doc_id=doc,label=score"),
    )
    assert storage.dataset_stats(db, "mapped").labels == {0: 1, 1: 0, 2: 1}


def test_pairs_without_a_label_column_are_imported_unlabelled(db, tmp_path):
    summary = storage.importers.import_table(
        db,
        write(tmp_path, "csv"),
        dataset="t",
        columns=storage.importers.ColumnMap(query="search", doc_id="pid"),
    )
    assert (summary.pairs, summary.label_events) == (4, 0)
    assert summary.notes == (
        "kept 3 other column(s) as document fields: name, kind, color (drop columns, or keep "
        "only named ones, to change that)",
        "left out column(s) rel: they differ between rows of the same document, "
        "so they describe pairs, not documents",
    )
    assert storage.dataset_stats(db, "t").labelled_pairs == 0


def test_identical_repeated_rows_are_skipped(db, tmp_path):
    summary = storage.importers.import_table(
        db, write(tmp_path, "csv", ROWS + ROWS[:1]), dataset="t", columns=COLUMNS
    )
    assert (summary.pairs, summary.skipped) == (4, 1)


BROKEN = [  # format, row changed (0-based), column, new value, exact error
    (
        "csv",
        1,
        "rel",
        "Exakt",
        "pairs.csv line 3, column rel: expected one of Irrelevant, Partial, Exact, 0, 1, 2, got 'Exakt'",
    ),
    ("csv", 2, "pid", "", "pairs.csv line 4, column pid: empty pid"),
    (
        "tsv",
        3,
        "name",
        "desk",
        "pairs.tsv line 5, column name: document 'd1' has name 'desk' here but "
        "'oak writing desk' on line 2; a document must read the same on every row",
    ),
    (
        "jsonl",
        2,
        "rel",
        "Exakt",
        "pairs.jsonl line 3, column rel: expected one of Irrelevant, Partial, Exact, 0, 1, 2, got 'Exakt'",
    ),
    (
        "parquet",
        0,
        "rel",
        "Exakt",
        "pairs.parquet, column rel: row 1: expected one of Irrelevant, Partial, Exact, 0, 1, 2, got 'Exakt'",
    ),
]


@pytest.mark.parametrize("kind, row, column, value, message", BROKEN)
def test_broken_rows_name_file_line_column_and_change_nothing(
    db, tmp_path, kind, row, column, value, message
):
    storage.importers.import_table(db, write(tmp_path, "csv"), dataset="t", columns=COLUMNS)
    before = store_snapshot(db)
    rows = [dict(r) for r in ROWS]
    rows[row][column] = value
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_table(
            db, write(tmp_path, kind, rows), dataset="t", columns=COLUMNS
        )
    assert str(caught.value) == message.format(qid=storage.importers.query_id_for("blue lamp"))
    assert store_snapshot(db) == before


def test_one_pair_with_two_grades(db, tmp_path):
    path = write(tmp_path, "csv", ROWS + [dict(ROWS[0], rel="Partial")])
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_table(db, path, dataset="t", columns=COLUMNS)
    assert str(caught.value) == (
        f"pairs.csv line 6, column rel: the pair (query {storage.importers.query_id_for('oak desk')!r}, "
        "document 'd1') has grade 1 here but 2 on line 2"
    )


def test_wrong_field_count_and_missing_column(db, tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("search,pid,rel\noak desk,d1,Exact\noak desk,d2,Partial,extra\n")
    with pytest.raises(
        storage.ImportFormatError,
        match=r"^pairs.csv line 3: expected 3 fields as in the header, got 4$",
    ):
        storage.importers.import_table(
            db,
            path,
            dataset="t",
            columns=storage.importers.ColumnMap(query="search", doc_id="pid", label="rel"),
        )
    path.write_text("search,pid,rel\noak desk,d1,Exact\n")
    with pytest.raises(
        storage.ImportFormatError, match=r"^pairs.csv line 1: missing column 'name'"
    ):
        storage.importers.import_table(
            db,
            path,
            dataset="t",
            columns=storage.importers.ColumnMap(query="search", doc_id="pid", title="name"),
        )


def test_bad_json_line(db, tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"search": "a", "pid": "1"}\n\n{"search": "b", "pid": 2,}\n')
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_table(
            db, path, dataset="t", columns=storage.importers.ColumnMap(query="search", doc_id="pid")
        )
    assert str(caught.value).startswith("pairs.jsonl line 3: invalid JSON at character 26")


def test_mapping_text_errors():
    with pytest.raises(storage.StoreError, match="needs doc_id=COLUMN"):
        storage.importers.ColumnMap.parse("query=q")
    with pytest.raises(storage.StoreError, match="bad column mapping 'colour=c'"):
        storage.importers.ColumnMap.parse("query=q,doc_id=d,colour=c")
    with pytest.raises(storage.StoreError, match="bad label mapping 'Exact'"):
        storage.importers.parse_label_map("Exact")


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_text_that_is_not_utf8_names_its_line(db, tmp_path, kind):
    path = write(tmp_path, kind)
    data = path.read_bytes().split(b"\n")
    data[2] = data[2].replace(b"e", "\u00e9".encode("latin-1"), 1)
    path.write_bytes(b"\n".join(data))
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_table(db, path, dataset="t", columns=COLUMNS)
    assert (
        str(caught.value)
        == f"pairs.{kind} line 3: not UTF-8 text (byte 0xe9); save the file as UTF-8"
    )
