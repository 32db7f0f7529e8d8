"""The column mapping suggested from a file's header (one registry of the headers we read),
and `cli.py import table` without --map: the suggestion printed, used only with --yes."""

from __future__ import annotations

from dataclasses import fields

import pytest

import cli
import storage
from storage import importers


def test_the_registry_covers_every_name_of_a_mapping_once():
    assert set(importers.HEADERS) == {f.name for f in fields(storage.importers.ColumnMap)}
    assert importers.REQUIRED == ("query", "doc_id")
    spelled = [h for known in importers.HEADERS.values() for h in known]
    assert len(spelled) == len(set(spelled)), "a header may mean one of our names only"
    for ours, known in importers.HEADERS.items():
        assert known[0] == ours, "our own name reads as itself, first"


def test_wands_headers_map_with_no_id_told_apart_by_the_product_name():
    suggestion = importers.suggest_mapping(["query", "product_name", "product_class", "label"])
    assert suggestion.columns == {
        "query": "query",
        "doc_id": "product_name",
        "title": "product_name",
        "doc_class": "product_class",
        "label": "label",
    }
    assert suggestion.missing == ()
    assert suggestion.notes == (
        "doc_id: no id column, so documents are told apart by product_name (two products "
        "with the same name become one document)",
    )


def test_the_full_wands_header_and_the_seed_s_spelling():
    wands = importers.suggest_mapping(
        ["query_id", "query", "query_class", "product_id", "product_name", "product_class",
         "category hierarchy", "product_description", "label"]
    )  # fmt: skip
    assert wands.text() == (
        "query=query,doc_id=product_id,query_id=query_id,query_class=query_class,"
        "title=product_name,doc_class=product_class,category=category hierarchy,"
        "description=product_description,label=label"
    )
    assert wands.notes == ()
    seed = importers.suggest_mapping(["Query", "Product_ID", "Category_Hierarchy"])
    assert seed.columns == {
        "query": "Query",
        "doc_id": "Product_ID",
        "category": "Category_Hierarchy",
    }


def test_trec_and_common_synonyms():
    trec = importers.suggest_mapping(["qid", "docid", "rel", "text"])
    assert trec.columns == {"doc_id": "docid", "query_id": "qid", "description": "text",
                            "label": "rel"}  # fmt: skip
    assert trec.missing == ("query",) and trec.column_map() is None
    shop = importers.suggest_mapping(["search_term", "sku", "product_title", "relevance"])
    assert shop.text() == "query=search_term,doc_id=sku,title=product_title,label=relevance"
    assert shop.column_map() == storage.importers.ColumnMap(
        query="search_term", doc_id="sku", title="product_title", label="relevance"
    )


def test_ambiguous_headers_take_the_first_listed_and_say_so():
    suggestion = importers.suggest_mapping(["name", "query", "title", "doc_id", "grade", "label"])
    assert suggestion.columns["title"] == "title"
    assert suggestion.columns["label"] == "label"
    assert suggestion.notes == (
        "title: took title over name (change it if that is wrong)",
        "label: took label over grade (change it if that is wrong)",
    )


def test_unknown_headers_suggest_nothing():
    suggestion = importers.suggest_mapping(["a", "b"])
    assert suggestion.columns == {} and suggestion.missing == ("query", "doc_id")


def test_the_preview_shows_where_values_land_and_what_is_kept(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text(
        "query,product_name,label,brand,grade\n"
        "red sofa,Red sofa,Exact,acme,2\nred sofa,Blue chair,Irrelevant,zed,0\n"
        "oak desk,Oak desk,Partial,acme,1\noak desk,Pine desk,Exact,zed,2\n"
    )
    preview = importers.preview_table(path)
    named = preview.suggestion().columns
    landing = preview.landing(named)
    assert list(landing.columns) == ["query", "doc_id", "title", "label"]
    assert landing["title"].tolist() == ["Red sofa", "Blue chair", "Oak desk"]
    extra = preview.extra_fields(named, storage.importers.ExtraColumns(drop=("grade",)))
    assert extra.to_dict("records") == [
        {"column": "brand", "kept as a field": True, "on a blind card": "if declared"},
        {"column": "grade", "kept as a field": False, "on a blind card": "never: named like a label"},
    ]  # fmt: skip


@pytest.fixture
def wands_like(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text(
        "query,product_name,product_class,label\n"
        "red sofa,Red sofa,Sofas,Exact\nred sofa,Blue chair,Chairs,Irrelevant\n"
    )
    return path


def test_cli_without_map_prints_the_suggestion_and_asks_for_yes(db, wands_like, capsys):
    args = ["--db", str(db), "import", "table", str(wands_like), "--dataset", "shop"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "suggested mapping: --map query=query,doc_id=product_name,title=product_name,"
        "doc_class=product_class,label=label",
        "  doc_id: no id column, so documents are told apart by product_name (two products "
        "with the same name become one document)",
        "error: nothing imported yet: check the suggested mapping above; run again with --yes "
        "to go ahead",
    ]
    assert storage.list_datasets(db) == []

    assert cli.main([*args, "--yes"]) == 0
    stats = storage.dataset_stats(db, "shop")
    assert (stats.queries, stats.documents, stats.labels) == (1, 2, {0: 1, 1: 0, 2: 1})


def test_cli_without_a_column_for_a_required_name_says_to_map_it(db, tmp_path, capsys):
    path = tmp_path / "odd.csv"
    path.write_text("qid,docid,rel\n1,d1,2\n")
    args = ["--db", str(db), "import", "table", str(path), "--dataset", "t", "--yes"]
    assert cli.main(args) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: no column of odd.csv reads as query: name it with --map, e.g. "
        "--map query=search_term,doc_id=product_uid"
    )
