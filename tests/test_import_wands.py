"""The WANDS importer on the bundled sample and on broken copies of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLE_FOLDER, store_snapshot

import storage


def edit_line(path: Path, line: int, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")


def test_sample_imports_every_row(sample_db):
    stats = storage.dataset_stats(sample_db, "wands-sample")
    assert (stats.queries, stats.documents, stats.pairs) == (480, 174, 174)
    assert stats.queries_with_pairs == 36
    assert stats.labels == {
        0: 67,
        1: 81,
        2: 26,
    }  # SOURCE.md: Irrelevant 67, Partial 81, Exact 26


def test_product_columns_land_where_the_prompt_reads_them(sample_db):
    with storage.connect(sample_db) as con:
        row = con.execute(
            "SELECT title, doc_class, category, description, fields FROM documents "
            "WHERE doc_id = '104'"
        ).fetchall()[0]
    assert row[0] == "melville bamboo feel 1800 thread count pillow case"
    assert row[1] == "Sheets And Sheet Sets"
    assert row[2] == "Bed & Bath / Bedding / Sheets & Pillowcases"
    assert row[3].startswith("this manufacturer adds a few extra pillowcases")
    assert row[4] is None  # the sample's extra columns are empty, and empty values are skipped


def test_reimport_is_idempotent(sample_db):
    before = store_snapshot(sample_db)
    summary = storage.importers.import_wands(sample_db, SAMPLE_FOLDER, dataset="wands-sample")
    assert (summary.new_pairs, summary.label_events, summary.updated_documents) == (0, 0, 0)
    assert store_snapshot(sample_db) == before


def test_changed_label_appends_one_event(sample_db, wands_copy):
    edit_line(wands_copy / "label.csv", 2, "Partial", "Exact")  # id 0: query 3, product 104
    summary = storage.importers.import_wands(sample_db, wands_copy, dataset="wands-sample")
    assert summary.label_events == 1
    with storage.connect(sample_db) as con:
        pair_id = con.execute(
            "SELECT pair_id FROM pairs WHERE query_id = '3' AND doc_id = '104'"
        ).fetchall()[0][0]
    history = storage.label_history(sample_db, pair_id)
    assert [(e["grade"], e["source"]) for e in history] == [(1, "import"), (2, "import")]
    assert storage.current_label(sample_db, pair_id).grade == 2


def test_changed_text_bumps_updated_at_and_keeps_extra_fields(sample_db, wands_copy):
    with storage.connect(sample_db) as con:
        before = con.execute("SELECT updated_at FROM documents WHERE doc_id = '104'").fetchall()[0][
            0
        ]
    edit_line(wands_copy / "product.csv", 3, "pillow case\t", "pillowcase\t")
    text = (wands_copy / "product.csv").read_text(encoding="utf-8")
    (wands_copy / "product.csv").write_text(
        text.replace("pillowcase\tSheets And Sheet Sets", "pillowcase\tSheets And Sheet Sets", 1),
        encoding="utf-8",
    )
    edit_line(wands_copy / "product.csv", 3, "\t\t\t\t", "\tcolor : white|size : queen\t12\t4.5\t")
    summary = storage.importers.import_wands(sample_db, wands_copy, dataset="wands-sample")
    assert summary.updated_documents == 1
    with storage.connect(sample_db) as con:
        title, fields, after = con.execute(
            "SELECT title, fields, updated_at FROM documents WHERE doc_id = '104'"
        ).fetchall()[0]
    assert title == "melville bamboo feel 1800 thread count pillowcase"
    assert json.loads(fields) == {
        "product_features": "color : white|size : queen",
        "rating_count": "12",
        "average_rating": "4.5",
    }
    assert after > before


def test_quotes_and_tabs_inside_quoted_fields(db, wands_copy):
    # Real WANDS descriptions carry quotes (12 '' wide, "queen" size); a quote inside a field
    # is an ordinary character, a field wrapped in quotes may hold a tab.
    edit_line(
        wands_copy / "product.csv", 3, "this manufacturer adds", 'this "queen" manufacturer adds'
    )
    edit_line(
        wands_copy / "product.csv",
        _find_line(wands_copy / "product.csv", "492\t"),
        "\tAccent Chairs\t",
        '\t"Accent\tChairs"\t',
    )
    storage.importers.import_wands(db, wands_copy, dataset="w")
    with storage.connect(db) as con:
        rows = dict(
            con.execute(
                "SELECT doc_id, description || ' | ' || doc_class FROM documents WHERE doc_id IN ('104', '492')"
            ).fetchall()
        )
    assert rows["104"].startswith('this "queen" manufacturer adds')
    assert rows["492"].endswith("| Accent\tChairs")


BROKEN = [  # file, a text that finds the line, old, new, the exact error ({line} filled in)
    (
        "label.csv",
        "\tExact",
        "Exact",
        "Exakt",
        "label.csv line {line}, column label: expected one of Exact, Partial, Irrelevant, got 'Exakt'",
    ),
    (
        "label.csv",
        "\t24420\t",
        "\t24420\t",
        "\t99999\t",
        "label.csv line {line}, column product_id: product '99999' is not in product.csv",
    ),
    (
        "label.csv",
        "\t9\t24420\t",
        "\t9\t",
        "\t99999\t",
        "label.csv line {line}, column query_id: query '99999' is not in query.csv",
    ),
    (
        "label.csv",
        "\t9\t24420\t",
        "\t9\t24420\tExact",
        "\t9\t24420\t",
        "label.csv line {line}, column label: expected one of Exact, Partial, Irrelevant, got ''",
    ),
    (
        "label.csv",
        "id\tquery_id",
        "label",
        "grade",
        "label.csv line 1: missing column 'label' (the file has: id, query_id, product_id, grade)",
    ),
    (
        "product.csv",
        "73\thann",
        "\tDesks\t",
        "\tDesks\textra\t",
        "product.csv line {line}: expected 9 fields as in the header, got 10",
    ),
    (
        "product.csv",
        "73\thann",
        "\tDesks\t",
        "\t",
        "product.csv line {line}: expected 9 fields as in the header, got 8",
    ),
    (
        "product.csv",
        "492\t",
        "492\t",
        "104\t",
        "product.csv line {line}, column product_id: duplicate product_id '104' (first on line 3)",
    ),
    (
        "query.csv",
        "3\tturquoise",
        "3\tturquoise",
        "\tturquoise",
        "query.csv line {line}, column query_id: empty query_id",
    ),
    (
        "query.csv",
        "3\tturquoise",
        "3\tturquoise",
        "2\tturquoise",
        "query.csv line {line}, column query_id: duplicate query_id '2' (first on line 4)",
    ),
]


def _find_line(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().split("\n"), 1) if needle in line)


@pytest.mark.parametrize("name, needle, old, new, message", BROKEN)
def test_broken_file_names_file_line_column_and_changes_nothing(
    sample_db, wands_copy, name, needle, old, new, message
):
    path = wands_copy / name
    line = _find_line(path, needle)
    edit_line(path, line, old, new)
    before = store_snapshot(sample_db)
    with pytest.raises(storage.ImportFormatError) as caught:
        storage.importers.import_wands(sample_db, wands_copy, dataset="wands-sample")
    assert str(caught.value) == message.format(line=line)
    assert (caught.value.path.name, caught.value.line) == (name, line)
    assert store_snapshot(sample_db) == before


def test_missing_file_and_folder(db, wands_copy):
    (wands_copy / "query.csv").unlink()
    with pytest.raises(storage.ImportFormatError, match="query.csv: no such file"):
        storage.importers.import_wands(db, wands_copy, dataset="w")
    with pytest.raises(storage.ImportFormatError, match="no such folder"):
        storage.importers.import_wands(db, wands_copy / "nope", dataset="w")


def test_bootstrap_imports_once(db):
    assert storage.bootstrap_sample(db) is True
    assert [d["dataset"] for d in storage.list_datasets(db)] == ["wands-sample"]
    assert storage.bootstrap_sample(db) is False
    assert storage.dataset_stats(db, "wands-sample").pairs == 174


def test_header_spelled_category_underscore_hierarchy(db, wands_copy):
    product = wands_copy / "product.csv"
    product.write_text(
        product.read_text().replace("\tcategory hierarchy\t", "\tcategory_hierarchy\t", 1)
    )
    storage.importers.import_wands(db, wands_copy, dataset="w")
    with storage.connect(db) as con:
        rows = con.execute("SELECT category, fields FROM documents WHERE doc_id = '104'").fetchall()
    assert rows == [("Bed & Bath / Bedding / Sheets & Pillowcases", None)]
