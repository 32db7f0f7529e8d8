"""The one path every importer feeds: normalised rows, checked, then written in bulk.

An importer turns its file(s) into an `ImportBatch` (queries, documents, labelled pairs,
each remembering its source file and rows). `check_batch` finds what no format may break
(empty or duplicate ids, labels pointing at nothing, grades off the scale) before a single
statement runs; `write_batch` then upserts everything with set-based SQL inside one
transaction, so a bad file changes nothing and the same file imported twice changes nothing
the second time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from grade_scale import Scale
from words import plural

from .._blind import record_document_fields
from .._datasets import ensure_dataset
from .._db import Db, connect, transaction
from .._errors import ImportFormatError, excerpt
from .._labels import append_import_labels
from ._read import SourceTable, first_row

QUERY_COLUMNS = ("query_id", "query", "query_class")
DOCUMENT_COLUMNS = ("doc_id", "title", "doc_class", "category", "description")
LABEL_COLUMNS = ("query_id", "doc_id", "grade")
# Each normalised row's position in its source file's frame; named so no file column clashes.
ROW = "_source_row"


@dataclass(frozen=True)
class Part:
    """Normalised rows of one kind, each with its position in `source.frame` (column ROW).

    `columns` maps a normalised column to the name the file uses, for error messages.
    `unique` is True for files with one row per entity (WANDS product.csv, a topics file),
    where a repeated id is an error; in files with one row per pair the same query or
    document repeats on many rows and only conflicting repeats are an error.
    """

    source: SourceTable
    frame: pd.DataFrame
    columns: Mapping[str, str]
    unique: bool = False
    noun: str = "row"

    def error(self, position: int, column: str, message: str) -> ImportFormatError:
        return self.source.error(
            int(self.frame[ROW].iloc[position]), self.columns.get(column, column), message
        )

    def line_text(self, position: int) -> str:
        row = int(self.frame[ROW].iloc[position])
        line = self.source.line_of(row)
        return f"line {line}" if line is not None else f"row {row + 1}"


@dataclass(frozen=True)
class ImportBatch:
    """What an importer read, before anything is written.

    `documents` may carry extra text columns, listed in `extra_fields`, that go to the
    `fields` JSON of each document (empty values left out). An importer that assesses them
    (the table importer) says in `revealing` which give the label away, and why; they are
    then recorded, with those flags, as the dataset's document fields (storage/_blind.py).
    With `stub_documents`, the documents are ids only (TREC qrels without a documents
    file): they are created when missing and never overwrite text already stored.
    """

    dataset: str
    source: str
    scale: Scale
    queries: Part
    documents: Part
    labels: Part
    extra_fields: tuple[str, ...] = ()
    stub_documents: bool = False
    author: str | None = None
    notes: tuple[str, ...] = ()
    revealing: Mapping[str, str] | None = None


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: rows read, rows new or changed, label events appended."""

    dataset: str
    queries: int
    documents: int
    pairs: int
    new_pairs: int = 0
    updated_documents: int = 0
    label_events: int = 0
    skipped: int = 0
    run_id: int | None = None
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = (
            f"{self.dataset}: {plural(self.queries, 'query')}, "
            f"{plural(self.documents, 'document')}, {plural(self.pairs, 'pair')} "
            f"({self.new_pairs:,} new), {plural(self.updated_documents, 'document')} changed, "
            f"{plural(self.label_events, 'new label event')}, "
            f"{plural(self.skipped, 'row')} skipped"
        )
        if self.run_id is not None:
            text += f"; judge run {self.run_id}"
        return "; ".join([text, *self.notes])


def grades_of(values: pd.Series, labels: Mapping[str, int]) -> pd.Series:
    """`values` looked up in `labels` as nullable grades (NA where unknown); vectorised in
    Arrow, since a pandas `map` walks 233k WANDS labels one by one."""
    keys = pa.array(list(labels), type=pa.string())
    found = pc.index_in(pa.array(values, type=pa.string()), value_set=keys)
    grades = pa.array(list(labels.values()), type=pa.int64()).take(found)
    return pd.Series(grades.to_pandas(types_mapper=pd.ArrowDtype), index=values.index).astype(
        "Int64"
    )


def import_batch(db: Db, batch: ImportBatch) -> ImportSummary:
    """Check `batch`, then write it to `db` in one transaction."""
    queries, documents, labels, skipped = check_batch(batch)
    with connect(db) as con, transaction(con):
        return write_batch(con, batch, queries, documents, labels, skipped)


def check_batch(batch: ImportBatch) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    """The batch's queries, documents and labels with repeats collapsed, or the first error.

    Returns the three frames and how many label rows repeated an earlier one exactly
    (written once, counted as skipped).
    """
    queries = _distinct(batch.queries, "query_id", ("query",))
    documents = _distinct(batch.documents, "doc_id", ())
    _check_references(batch.labels, "query_id", batch.queries, queries["query_id"])
    _check_references(batch.labels, "doc_id", batch.documents, documents["doc_id"])
    labels = _distinct_labels(batch.labels, batch.scale)
    return queries, documents, labels, len(batch.labels.frame) - len(labels)


def _check_filled(part: Part, columns: Sequence[str]) -> None:
    for column in columns:
        empty = first_row(part.frame[column].str.strip() == "")
        if empty is not None:
            raise part.error(empty, column, f"empty {part.columns.get(column, column)}")


def _distinct(part: Part, key: str, required: Sequence[str]) -> pd.DataFrame:
    """One row per `key`: identical repeats collapse; a repeat that differs is an error."""
    _check_filled(part, (key, *required))
    frame = part.frame
    content = [c for c in frame.columns if c != ROW]
    repeated = frame.duplicated(key, keep=False).to_numpy()
    if not repeated.any():
        return frame
    if part.unique:
        position = first_row(frame.duplicated(key, keep="first"))
        assert position is not None  # some key repeats (above)
        earlier = first_row(frame[key] == frame[key].iloc[position])
        assert earlier is not None  # the key's first row, at worst `position` itself
        raise part.error(
            position,
            key,
            f"duplicate {part.columns.get(key, key)} {excerpt(frame[key].iloc[position])} "
            f"(first on {part.line_text(earlier)})",
        )
    distinct = frame.drop_duplicates(content)
    conflict = first_row(distinct.duplicated(key, keep="first"))
    if conflict is not None:
        value = distinct[key].iloc[conflict]
        same = distinct[distinct[key] == value]
        later, earlier = (frame.index.get_loc(i) for i in same.index[[1, 0]])
        differs = next(c for c in content if same[c].iloc[0] != same[c].iloc[1])
        raise part.error(
            later,
            differs,
            f"{part.noun} {excerpt(value)} has {part.columns.get(differs, differs)} "
            f"{excerpt(same[differs].iloc[1])} here but "
            f"{excerpt(same[differs].iloc[0])} on {part.line_text(earlier)}; a {part.noun} must "
            "read the same on every row",
        )
    return distinct


def _check_references(labels: Part, key: str, target: Part, known: pd.Series) -> None:
    if labels.source is target.source:
        return
    _check_filled(labels, (key,))
    missing = first_row(~_isin(labels.frame[key], known))
    if missing is not None:
        raise labels.error(
            missing,
            key,
            f"{target.noun} {excerpt(labels.frame[key].iloc[missing])} is not in "
            f"{target.source.path.name}",
        )


def _isin(values: pd.Series, known: pd.Series) -> np.ndarray:
    # Arrow's set lookup: pandas' isin walks Arrow-backed strings one by one in Python.
    found = pc.is_in(
        pa.array(values, type=pa.string()), value_set=pa.array(known, type=pa.string())
    )
    return found.to_numpy(zero_copy_only=False)


def _distinct_labels(part: Part, scale: Scale) -> pd.DataFrame:
    frame = part.frame
    _check_filled(part, ("query_id", "doc_id"))
    off_scale = first_row(frame["grade"].notna() & ~frame["grade"].isin(scale.grades))
    if off_scale is not None:
        raise part.error(
            off_scale,
            "grade",
            f"grade {frame['grade'].iloc[off_scale]} is not on the scale ({scale.describe()})",
        )
    if not frame.duplicated(["query_id", "doc_id"]).any():
        return frame  # the usual case: one row per pair, nothing to collapse
    frame = frame.drop_duplicates(["query_id", "doc_id", "grade"])
    conflict = first_row(frame.duplicated(["query_id", "doc_id"], keep="first"))
    if conflict is not None:
        query, doc = frame["query_id"].iloc[conflict], frame["doc_id"].iloc[conflict]
        earlier = first_row((frame["query_id"] == query) & (frame["doc_id"] == doc))
        assert earlier is not None  # the pair's first row, at worst `conflict` itself
        raise part.error(
            conflict,
            "grade",
            f"the pair (query {excerpt(query)}, {part.noun} {excerpt(doc)}) has grade "
            f"{frame['grade'].iloc[conflict]} here but {frame['grade'].iloc[earlier]} on "
            f"{part.line_text(earlier)}",
        )
    return frame


def write_batch(
    con: duckdb.DuckDBPyConnection,
    batch: ImportBatch,
    queries: pd.DataFrame,
    documents: pd.DataFrame,
    labels: pd.DataFrame,
    skipped: int,
) -> ImportSummary:
    """Upsert checked frames into the store (the caller holds the transaction)."""
    ensure_dataset(con, batch.dataset, batch.scale, source=batch.source)
    if batch.extra_fields and batch.revealing is not None:
        flags = batch.revealing
        record_document_fields(
            con, batch.dataset, {name: flags.get(name) for name in batch.extra_fields}
        )
    params = {"dataset": batch.dataset}
    con.register("_import_queries", queries[list(QUERY_COLUMNS)])
    con.execute(
        """
        INSERT INTO queries (dataset, query_id, query, query_class)
        SELECT $dataset, query_id, query, nullif(query_class, '') FROM _import_queries
        ON CONFLICT (dataset, query_id) DO UPDATE
        SET query = excluded.query, query_class = excluded.query_class
        """,
        params,
    )
    updated = _write_documents(con, batch, documents)
    con.register("_import_labels", labels[list(LABEL_COLUMNS)])
    # Each label's pair: the stored one, or a new id from the sequence.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _import_pairs AS
        SELECT CASE WHEN p.pair_id IS NULL THEN nextval('pair_id_seq') ELSE p.pair_id END
                   AS pair_id,
               p.pair_id IS NULL AS new, l.query_id, l.doc_id, l.grade::INTEGER AS grade,
               $author::VARCHAR AS author
        FROM _import_labels l
        LEFT JOIN (SELECT pair_id, query_id, doc_id FROM pairs WHERE dataset = $dataset) p
            ON p.query_id = l.query_id AND p.doc_id = l.doc_id
        """,
        {**params, "author": batch.author},
    )
    new_pairs = con.execute(
        """
        INSERT INTO pairs (pair_id, dataset, query_id, doc_id)
        SELECT pair_id, $dataset, query_id, doc_id FROM _import_pairs WHERE new
        """,
        params,
    ).fetchall()[0][0]
    events = append_import_labels(
        con, "(SELECT pair_id, grade, author FROM _import_pairs WHERE grade IS NOT NULL)"
    )
    con.execute("DROP TABLE _import_pairs")
    for name in ("_import_queries", "_import_documents", "_import_labels"):
        con.unregister(name)
    return ImportSummary(
        dataset=batch.dataset,
        queries=len(queries),
        documents=len(documents),
        pairs=len(labels),
        new_pairs=int(new_pairs),
        updated_documents=updated,
        label_events=events,
        skipped=skipped,
        notes=batch.notes,
    )


def _write_documents(
    con: duckdb.DuckDBPyConnection, batch: ImportBatch, documents: pd.DataFrame
) -> int:
    """Insert new documents and update changed ones (bumping `updated_at`, which marks
    judgments of the old text stale); returns how many existing documents changed."""
    params = {"dataset": batch.dataset}
    if batch.stub_documents:
        con.register("_import_documents", documents[["doc_id"]])
        con.execute(
            "INSERT INTO documents (dataset, doc_id) "
            "SELECT $dataset, doc_id FROM _import_documents "
            "ANTI JOIN (SELECT doc_id FROM documents WHERE dataset = $dataset) USING (doc_id)",
            params,
        )
        return 0
    con.register("_import_documents", documents[[*DOCUMENT_COLUMNS, *batch.extra_fields]])
    entries = ", ".join(
        f"{{'k': {_literal(name)}, 'v': {_identifier(name)}}}" for name in batch.extra_fields
    )
    fields = (
        f"nullif(to_json(map_from_entries(list_filter([{entries}], lambda e: e.v <> '')))"
        "::VARCHAR, '{}')::JSON"
        if entries
        else "NULL::JSON"
    )
    columns = f"""
        doc_id, nullif(title, '') AS title, nullif(doc_class, '') AS doc_class,
        nullif(category, '') AS category, nullif(description, '') AS description,
        {fields} AS fields
        """
    stored = con.execute("SELECT count(*) FROM documents WHERE dataset = $dataset", params)
    if stored.fetchall()[0][0] == 0:
        # A dataset's first import: every document is new.
        con.execute(
            f"""
            INSERT INTO documents
                (dataset, doc_id, title, doc_class, category, description, fields)
            SELECT $dataset, {columns} FROM _import_documents
            """,
            params,
        )
        return 0
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _import_docs AS SELECT {columns} FROM _import_documents"
    )
    # A plain INSERT of the new documents and an UPDATE of the changed ones: several times
    # faster than INSERT ... ON CONFLICT DO UPDATE on tens of thousands of rows.
    changed = con.execute(
        """
        UPDATE documents d SET
            title = n.title, doc_class = n.doc_class, category = n.category,
            description = n.description, fields = n.fields, updated_at = current_timestamp
        FROM _import_docs n
        WHERE d.dataset = $dataset AND d.doc_id = n.doc_id
          AND (n.title, n.doc_class, n.category, n.description, n.fields::VARCHAR)
              IS DISTINCT FROM (d.title, d.doc_class, d.category, d.description, d.fields::VARCHAR)
        """,
        params,
    ).fetchall()[0][0]
    con.execute(
        """
        INSERT INTO documents (dataset, doc_id, title, doc_class, category, description, fields)
        SELECT $dataset, n.doc_id, n.title, n.doc_class, n.category, n.description, n.fields
        FROM _import_docs n
        ANTI JOIN (SELECT doc_id FROM documents WHERE dataset = $dataset) d USING (doc_id)
        """,
        params,
    )
    con.execute("DROP TABLE _import_docs")
    return int(changed)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
