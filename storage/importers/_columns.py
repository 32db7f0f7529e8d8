"""Which of a file's columns holds which of our names, suggested from its header: the one
declaration of the headers we recognise, read by the Data page and `cli.py import table`.

A header is compared after folding case and turning spaces, dots and hyphens into
underscores (`Category Hierarchy` reads as `category_hierarchy`). Each of our names (the
fields of `ColumnMap`) lists the headers that mean it, most specific first: WANDS's own
(product_name, product_class, category hierarchy, product_description, query_class), the
seed's export (product_id, category_hierarchy), TREC's (qid, docid, rel) and common synonyms
(sku, product_title, grade, relevance, judgment). No header means two of our names.

Rules, decided once:
- when several columns mean the same name, the one listed first wins and the suggestion
  says which it passed over (`ambiguous`);
- a file with no id column for its documents but a title (WANDS's label files, a seed
  export without product_id) is told apart by the title: doc_id is suggested as that
  column, and the suggestion says so, since two products with one name become one;
- columns matching none of our names are left to the import's extra fields.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import MISSING, dataclass, fields

from ._table import ColumnMap

HEADERS: dict[str, tuple[str, ...]] = {
    "query": ("query", "search_term", "query_text", "search_query", "keywords", "question"),
    "doc_id": (
        "doc_id",
        "docid",
        "product_id",
        "product_uid",
        "document_id",
        "docno",
        "item_id",
        "sku",
        "asin",
        "doc",
    ),
    "query_id": ("query_id", "qid", "topic_id", "queryid", "search_id", "topic"),
    "query_class": ("query_class", "query_category", "query_type", "intent"),
    "title": ("title", "product_name", "product_title", "name", "doc_title", "item_name"),
    "doc_class": ("doc_class", "product_class", "product_type", "item_class", "class"),
    "category": ("category", "category_hierarchy", "product_category", "categories"),
    "description": (
        "description",
        "product_description",
        "body",
        "text",
        "doc_text",
        "content",
        "passage",
    ),
    "label": (
        "label",
        "rel",
        "relevance",
        "grade",
        "judgment",
        "judgement",
        "score",
        "rating",
        "esci_label",
    ),
}
"""Our name -> the headers that mean it, most specific first (folded as `fold` does)."""

REQUIRED = tuple(f.name for f in fields(ColumnMap) if f.default is MISSING)
"""The names a mapping cannot do without: query and doc_id."""


def fold(header: str) -> str:
    """A header as the registry spells it: 'Category Hierarchy' -> 'category_hierarchy'."""
    return re.sub(r"[\s.\-]+", "_", header.strip().lower())


@dataclass(frozen=True)
class MappingSuggestion:
    """What a header suggests: our name -> the file's column, and why, where it was a choice."""

    columns: dict[str, str]
    """Our name -> the file's column, in `HEADERS`' order."""
    notes: tuple[str, ...] = ()

    @property
    def missing(self) -> tuple[str, ...]:
        """Required names no column was found for."""
        return tuple(name for name in REQUIRED if name not in self.columns)

    def column_map(self) -> ColumnMap | None:
        """The suggestion as a `ColumnMap`; None while a required name has no column."""
        return None if self.missing else ColumnMap(**self.columns)

    def text(self) -> str:
        """As `--map` takes it: 'query=search_term,doc_id=sku,...', in `HEADERS`' order."""
        return ",".join(f"{ours}={theirs}" for ours, theirs in self.columns.items())


def suggest_mapping(headers: Sequence[str]) -> MappingSuggestion:
    """Match a file's column names to ours (see the module docstring for the rules).

    >>> suggest_mapping(["query", "product_name", "product_class", "label"]).text()
    'query=query,doc_id=product_name,title=product_name,doc_class=product_class,label=label'
    """
    by_fold: dict[str, list[str]] = {}
    for header in headers:
        by_fold.setdefault(fold(header), []).append(header)
    columns: dict[str, str] = {}
    notes: list[str] = []
    for ours, known in HEADERS.items():
        found = [column for name in known for column in by_fold.get(name, [])]
        if not found:
            continue
        columns[ours] = found[0]
        if len(found) > 1:
            others = ", ".join(found[1:])
            notes.append(f"{ours}: took {found[0]} over {others} (change it if that is wrong)")
    if "doc_id" not in columns and "title" in columns:
        columns["doc_id"] = columns["title"]
        notes.append(
            f"doc_id: no id column, so documents are told apart by {columns['title']} "
            "(two products with the same name become one document)"
        )
    ordered = {ours: columns[ours] for ours in HEADERS if ours in columns}
    return MappingSuggestion(ordered, tuple(notes))
