"""Any table of labelled pairs (CSV, TSV, JSONL, Parquet), one pair a row, read through a
column mapping: which column holds the query, the document id, the document fields, the label.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from grade_scale import WANDS_SCALE, Scale

from .._blind import revealing_name, revealing_values
from .._db import Db
from .._errors import StoreError, excerpt
from ._batch import (
    ROW,
    ImportBatch,
    ImportSummary,
    Part,
    grades_of,
    import_batch,
)
from ._read import SourceTable, first_row, read_table

# What must be text in the file, as a JSON object, list or boolean is no id.
_IDS = ("query", "query_id", "doc_id")


@dataclass(frozen=True, kw_only=True)
class ColumnMap:
    """Which column of the file holds what; only `query` and `doc_id` are required.

    Without `query_id`, a stable id is derived from the query text, so re-importing the
    same file (or another file with the same queries) finds the same queries. Columns not
    named here are kept in each document's `fields`.
    """

    query: str
    doc_id: str
    query_id: str | None = None
    query_class: str | None = None
    title: str | None = None
    doc_class: str | None = None
    category: str | None = None
    description: str | None = None
    label: str | None = None

    @classmethod
    def parse(cls, text: str) -> ColumnMap:
        """'query=search_term,doc_id=product_uid,label=relevance' (our name = their column)."""
        known = {f.name for f in fields(cls)}
        mapping: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            ours, sep, theirs = part.partition("=")
            if not sep or ours.strip() not in known or not theirs.strip():
                raise StoreError(
                    f"bad column mapping {part!r}: use name=column with name one of "
                    f"{', '.join(sorted(known))}"
                )
            mapping[ours.strip()] = theirs.strip()
        missing = {"query", "doc_id"} - mapping.keys()
        if missing:
            raise StoreError(f"the column mapping needs {' and '.join(sorted(missing))}=COLUMN")
        return cls(**mapping)

    def named(self) -> dict[str, str]:
        """Our name -> the file's column, for the names that are set."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def query_id_for(text: str) -> str:
    """A stable id for a query that came without one: a digest of its text."""
    return "q" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def parse_label_map(text: str) -> dict[str, int]:
    """'Exact=2,Partial=1,Irrelevant=0' as a label -> grade mapping."""
    mapping: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        label, sep, grade = part.rpartition("=")
        try:
            mapping[label.strip()] = int(grade)
        except ValueError:
            raise StoreError(f"bad label mapping {part!r}: use label=grade, e.g. Exact=2") from None
        if not sep or not label.strip():
            raise StoreError(f"bad label mapping {part!r}: use label=grade, e.g. Exact=2")
    return mapping


def import_table(
    db: Db,
    path: str | Path,
    *,
    dataset: str,
    columns: ColumnMap,
    labels: Mapping[str, int] | None = None,
    scale: Scale = WANDS_SCALE,
    format: str | None = None,
    author: str | None = None,
    extra: ExtraColumns | None = None,
) -> ImportSummary:
    """Import a table of pairs as `dataset`, its grades on `scale`.

    `labels` maps the label column's values to grades; without it a label may be a grade
    name of the scale or the grade itself as a number. Without a label column the pairs are
    imported unlabelled (ready to be judged). `format` is csv, tsv, jsonl or parquet, by
    default taken from the extension. `extra` drops some of the other columns, or keeps
    only named ones (default: every column that reads the same on every row of a document).
    """
    table = read_table(path, format)
    return import_batch(
        db,
        table_batch(
            table,
            dataset=dataset,
            columns=columns,
            labels=labels,
            scale=scale,
            author=author,
            extra=extra or ExtraColumns(),
        ),
    )


@dataclass(frozen=True, kw_only=True)
class ExtraColumns:
    """Which unmapped columns an import keeps as document fields: all but `drop`, or only
    `keep` (not both)."""

    drop: tuple[str, ...] = ()
    keep: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.drop and self.keep is not None:
            raise StoreError("drop columns or keep only named ones, not both")

    @classmethod
    def parse(cls, *, drop: str | None = None, keep: str | None = None) -> ExtraColumns:
        """'brand,color' lists, as the CLI and the Data page take them."""

        def names(text: str) -> tuple[str, ...]:
            return tuple(n.strip() for n in text.split(",") if n.strip())

        return cls(drop=names(drop or ""), keep=None if keep is None else names(keep))

    def chosen(self, table: SourceTable, mapped: Mapping[str, str]) -> list[str]:
        """The unmapped columns of `table` this choice keeps, or an error at the header for
        a name that is no unmapped column of the file."""
        unmapped = [c for c in table.frame.columns if c not in mapped.values()]
        for name in (*self.drop, *(self.keep or ())):
            if name in unmapped:
                continue
            ours = next((o for o, theirs in mapped.items() if theirs == name), None)
            raise table.header_error(
                f"column {excerpt(name)} is mapped ({ours}={name}): only other columns are "
                "dropped or kept"
                if ours
                else f"no column {excerpt(name)} to drop or keep (the other columns: "
                f"{', '.join(unmapped) or 'none'})"
            )
        if self.keep is not None:
            return [c for c in unmapped if c in self.keep]
        return [c for c in unmapped if c not in self.drop]


def table_batch(
    table: SourceTable,
    *,
    dataset: str,
    columns: ColumnMap,
    labels: Mapping[str, int] | None,
    scale: Scale,
    author: str | None,
    extra: ExtraColumns,
) -> ImportBatch:
    """A table of pairs as an `ImportBatch`."""
    named = columns.named()
    table.require(list(named.values()))
    table.require_text([theirs for ours, theirs in named.items() if ours in _IDS])
    frame = table.frame
    text = {ours: frame[theirs] for ours, theirs in named.items()}
    blank = pd.Series("", index=frame.index, dtype=str)
    rows = pd.Series(range(len(frame)), index=frame.index)
    query_ids = (
        text["query_id"].str.strip()
        if "query_id" in text
        else frame[columns.query].map(query_id_for).astype(str)
    )
    queries = pd.DataFrame(
        {
            "query_id": query_ids,
            "query": text["query"],
            "query_class": text.get("query_class", blank),
            ROW: rows,
        }
    )
    chosen = extra.chosen(table, named)
    varies = _varies_per_document(frame, columns.doc_id, chosen)
    kept = tuple(c for c in chosen if c not in varies)
    documents = pd.DataFrame(
        {
            "doc_id": text["doc_id"].str.strip(),
            **{
                name: text.get(name, blank)
                for name in ("title", "doc_class", "category", "description")
            },
            **{name: frame[name] for name in kept},
            ROW: rows,
        }
    )
    grades = _grades(table, columns.label, labels, scale)
    pairs = pd.DataFrame(
        {"query_id": query_ids, "doc_id": documents["doc_id"], "grade": grades, ROW: rows}
    )
    revealing = {
        name: reason
        for name in kept
        if (reason := revealing_name(name) or revealing_values(frame[name], grades))
    }
    reverse = {ours: theirs for ours, theirs in named.items()}
    return ImportBatch(
        dataset=dataset,
        source=f"table {table.path.name}",
        scale=scale,
        queries=Part(table, queries, reverse, noun="query"),
        documents=Part(table, documents, reverse, noun="document"),
        labels=Part(table, pairs, {**reverse, "grade": columns.label or "label"}, noun="document"),
        extra_fields=kept,
        author=author,
        notes=_notes(kept, varies, revealing),
        revealing=revealing,
    )


def _notes(
    kept: tuple[str, ...], varies: list[str], revealing: Mapping[str, str]
) -> tuple[str, ...]:
    """What the summary says of the columns the mapping does not name."""
    notes = []
    if kept:
        notes.append(
            f"kept {len(kept)} other column(s) as document fields: {', '.join(kept)} (drop "
            "columns, or keep only named ones, to change that)"
        )
    if varies:
        notes.append(
            f"left out column(s) {', '.join(varies)}: they differ between rows of the same "
            "document, so they describe pairs, not documents"
        )
    notes.extend(
        f"column {name} gives the label away ({reason}): it is never shown on a blind card"
        for name, reason in revealing.items()
    )
    return tuple(notes)


def _varies_per_document(frame: pd.DataFrame, doc_id: str, names: list[str]) -> list[str]:
    """The columns whose value is not the same on every row of a document."""
    if not names:
        return []
    counts = frame.groupby(frame[doc_id].str.strip())[names].nunique()
    return [name for name in names if (counts[name] > 1).any()]


def _grades(
    table: SourceTable, column: str | None, labels: Mapping[str, int] | None, scale: Scale
) -> pd.Series:
    """The label column as grades (NA where empty), or an error at the first unknown label."""
    if column is None:
        return pd.Series(pd.NA, index=table.frame.index, dtype="Int64")
    values = table.frame[column].str.strip()
    if labels is None:
        labels = {**dict(zip(scale.names, scale.grades)), **{str(g): g for g in scale.grades}}
    grades = grades_of(values, labels)
    unknown = first_row(grades.isna() & (values != ""))
    if unknown is not None:
        raise table.error(
            unknown,
            column,
            f"expected one of {', '.join(labels)}, "
            f"got {excerpt(table.frame[column].iloc[unknown])}",
        )
    return grades
