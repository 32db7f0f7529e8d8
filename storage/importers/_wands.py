"""WANDS in its own layout: query.csv, product.csv and label.csv, tab-separated.

The same code reads the bundled sample and the full download (233,448 labels, 42,994
products): Arrow parses the files, pandas checks them column-wise, DuckDB writes them in bulk.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from grade_scale import WANDS_SCALE

from .._db import Db
from .._errors import ImportFormatError, excerpt
from ._batch import (
    ROW,
    ImportBatch,
    ImportSummary,
    Part,
    grades_of,
    import_batch,
)
from ._read import SourceTable, first_row, read_delimited

WANDS_FILES = ("query.csv", "product.csv", "label.csv")
WANDS_LABELS = dict(zip(WANDS_SCALE.names, WANDS_SCALE.grades))

# WANDS column -> documents column; every other product column goes to `fields`.
_PRODUCT_COLUMNS = {
    "product_id": "doc_id",
    "product_name": "title",
    "product_class": "doc_class",
    "category hierarchy": "category",
    "product_description": "description",
}


def import_wands(
    db: Db, folder: str | Path, *, dataset: str = "wands", author: str | None = None
) -> ImportSummary:
    """Import a WANDS folder (query.csv, product.csv, label.csv) as `dataset`.

    Grades: Irrelevant 0, Partial 1, Exact 2. Product columns beyond name, class, category
    hierarchy and description (features, ratings, ...) are kept in each document's `fields`.
    The `id` column of label.csv is not kept: a pair is known by its query and product.
    """
    return import_batch(db, read_wands(folder, dataset=dataset, author=author))


def read_wands(folder: str | Path, *, dataset: str, author: str | None = None) -> ImportBatch:
    """The three WANDS files as an `ImportBatch`, with WANDS-specific checks done."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ImportFormatError(folder, f"no such folder: {folder}")
    query_file, product_file, label_file = (
        read_delimited(folder / name, "\t") for name in WANDS_FILES
    )
    return ImportBatch(
        dataset=dataset,
        source=f"WANDS folder {folder.name}",
        scale=WANDS_SCALE,
        queries=_queries(query_file),
        documents=_products(product_file),
        labels=_labels(label_file),
        extra_fields=_extra_columns(product_file),
        author=author,
    )


def _queries(table: SourceTable) -> Part:
    table.require(["query_id", "query"])
    frame = table.frame
    queries = pd.DataFrame(
        {
            "query_id": frame["query_id"].str.strip(),
            "query": frame["query"],
            "query_class": frame.get("query_class", ""),
            ROW: range(len(frame)),
        }
    )
    return Part(table, queries, {}, unique=True, noun="query")


def _product_columns(table: SourceTable) -> dict[str, str]:
    """WANDS column -> documents column, for the header this file has."""
    # Some copies of WANDS spell the header `category_hierarchy`.
    spelled = "category_hierarchy" if "category_hierarchy" in table.frame.columns else None
    if spelled is None or "category hierarchy" in table.frame.columns:
        return _PRODUCT_COLUMNS
    return {**_PRODUCT_COLUMNS, spelled: _PRODUCT_COLUMNS["category hierarchy"]}


def _extra_columns(table: SourceTable) -> tuple[str, ...]:
    known = _product_columns(table)
    return tuple(c for c in table.frame.columns if c not in known)


def _products(table: SourceTable) -> Part:
    table.require(["product_id"])
    frame = table.frame
    mapping = {theirs: ours for theirs, ours in _product_columns(table).items() if theirs in frame}
    documents = pd.DataFrame({ours: frame[theirs] for theirs, ours in mapping.items()})
    for column in ("title", "doc_class", "category", "description"):
        documents[column] = documents.get(column, "")
    documents["doc_id"] = documents["doc_id"].str.strip()
    for column in _extra_columns(table):
        documents[column] = frame[column]
    documents[ROW] = range(len(frame))
    columns = {ours: theirs for theirs, ours in mapping.items()}
    return Part(table, documents, columns, unique=True, noun="product")


def _labels(table: SourceTable) -> Part:
    table.require(["query_id", "product_id", "label"])
    frame = table.frame
    grades = grades_of(frame["label"].str.strip(), WANDS_LABELS)
    unknown = first_row(grades.isna())
    if unknown is not None:
        expected = ", ".join(reversed(WANDS_LABELS))
        got = frame["label"].iloc[unknown]
        raise table.error(unknown, "label", f"expected one of {expected}, got {excerpt(got)}")
    labels = pd.DataFrame(
        {
            "query_id": frame["query_id"].str.strip(),
            "doc_id": frame["product_id"].str.strip(),
            "grade": grades,
            ROW: range(len(frame)),
        }
    )
    return Part(table, labels, {"doc_id": "product_id", "grade": "label"}, noun="product")
