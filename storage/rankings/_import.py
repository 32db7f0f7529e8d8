"""Ranking runs from files: TREC run files and tables (CSV, TSV, JSONL, Parquet).

A ranking run is what a search system returned: for each query, documents with a score. It
is imported into a dataset that already holds those queries (a run brings no text), so a
query id the dataset does not know is an error naming the file, the line and the column. A
document the dataset lacks is kept, as trec_eval keeps it: no qrels grades it, so it is
unjudged (not relevant, a hole that Judged@k counts and pooling lists and turns into a pair
to judge or review). Every real top-1000 run ranks such documents.

Order: documents are ranked as trec_eval ranks them, by score descending, ties by document
id descending (trec_eval's qsort on (score, docno)); the rank a file states is read and
checked to be a number but not used, since trec_eval ignores it too. A table with a rank
column and no score column gets score = -rank, so its order is the stated one.

A file may hold several runs (the TREC tag, or a run-name column). Importing a run whose name
the dataset already has replaces its documents, so the same file imported twice leaves the
store as one import did; everything is written in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from words import plural

from .._db import Db, connect, transaction
from .._errors import ImportFormatError, NotFoundError, StoreError, excerpt
from ..importers import SourceTable, first_row, read_fields, read_table

TREC_RUN_COLUMNS = ("qid", "Q0", "docid", "rank", "score", "tag")


@dataclass(frozen=True, kw_only=True)
class RunColumns:
    """Which column of a table holds what: the query (`query_id`, or its text in `query`),
    `doc_id`, the `score` or the `rank` (or both), and optionally the `run` name."""

    doc_id: str
    query_id: str | None = None
    query: str | None = None
    score: str | None = None
    rank: str | None = None
    run: str | None = None

    def __post_init__(self) -> None:
        if (self.query_id is None) == (self.query is None):
            raise StoreError("a run's column mapping needs one of query_id=COLUMN or query=COLUMN")
        if self.score is None and self.rank is None:
            raise StoreError("a run's column mapping needs score=COLUMN or rank=COLUMN (or both)")

    @classmethod
    def parse(cls, text: str) -> RunColumns:
        """'query_id=qid,doc_id=product_id,score=bm25,run=system' (our name = their column)."""
        known = {f.name for f in fields(cls)}
        mapping: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            ours, sep, theirs = (s.strip() for s in part.partition("="))
            if not sep or ours not in known or not theirs:
                raise StoreError(
                    f"bad column mapping {part!r}: use name=column with name one of "
                    f"{', '.join(sorted(known))}"
                )
            mapping[ours] = theirs
        if "doc_id" not in mapping:
            raise StoreError("the column mapping needs doc_id=COLUMN")
        return cls(**mapping)

    def named(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


@dataclass(frozen=True)
class RankingImport:
    """What a ranking import wrote: the runs (by name), their rows and queries."""

    dataset: str
    runs: tuple[str, ...]
    rows: int
    queries: int
    replaced: tuple[str, ...] = ()
    new_documents: int = 0

    def __str__(self) -> str:
        text = (
            f"{self.dataset}: {plural(len(self.runs), 'ranking run')} ({', '.join(self.runs)}), "
            f"{plural(self.rows, 'ranked document')} over {plural(self.queries, 'query')}"
        )
        if self.new_documents:
            text += (
                f"; {plural(self.new_documents, 'document')} not in the dataset, kept as "
                "unjudged (Judged@k counts them; pooling lists them for the judge or a review)"
            )
        if self.replaced:
            text += f"; replaced the documents of {', '.join(self.replaced)}"
        return text


def import_run_trec(db: Db, path: str | Path, *, dataset: str) -> RankingImport:
    """Import a TREC run file (`qid Q0 docid rank score tag`, whitespace-separated, one
    ranked document a line) into `dataset`; each tag is one ranking run of that name."""
    table = read_fields(path, TREC_RUN_COLUMNS)
    frame = table.frame
    score = _numbers(table, "score")
    _numbers(table, "rank")
    ranked = pd.DataFrame(
        {"run": frame["tag"], "query_id": frame["qid"], "doc_id": frame["docid"], "score": score}
    )
    return _write(db, dataset, table, ranked, {"run": "tag", "query_id": "qid", "doc_id": "docid"})


def import_run_table(
    db: Db,
    path: str | Path,
    *,
    dataset: str,
    columns: RunColumns,
    name: str | None = None,
    format: str | None = None,
) -> RankingImport:
    """Import a table of ranked documents into `dataset` through `columns`. Without a run
    column every row belongs to one run, called `name` (default: the file's name without
    its extension)."""
    table = read_table(path, format)
    named = columns.named()
    table.require(list(named.values()))
    frame = table.frame
    if columns.score is not None:
        score = _numbers(table, columns.score)
    else:
        assert columns.rank is not None  # RunColumns requires one of them
        score = -_numbers(table, columns.rank)
    if columns.score is not None and columns.rank is not None:
        _numbers(table, columns.rank)
    run = (
        frame[columns.run].str.strip()
        if columns.run
        else pd.Series(name or table.path.stem, index=frame.index)
    )
    ranked = pd.DataFrame(
        {
            "run": run,
            "query_id": frame[columns.query_id].str.strip() if columns.query_id else "",
            "doc_id": frame[columns.doc_id].str.strip(),
            "score": score,
        }
    )
    with connect(db) as con:
        if columns.query is not None:
            ranked["query_id"] = _query_ids_by_text(con, dataset, table, columns.query)
    return _write(db, dataset, table, ranked, {v: k for k, v in named.items()} | named)


def _numbers(table: SourceTable, column: str) -> np.ndarray:
    """`column` as finite floats, or an error at the first value that is not one.

    Arrow parses them: pandas would first make a Python string of every value (about
    100 MB for a million-line run). When Arrow refuses one, pandas, which reads numbers
    as Arrow does, finds which (only on that failure path)."""
    text = table.frame[column].str.strip()
    try:
        values = pc.cast(pa.array(text), pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        values = pd.to_numeric(text, errors="coerce").to_numpy(float)
    bad = first_row(~np.isfinite(values))
    if bad is not None:
        raise table.error(
            bad, column, f"expected a number, got {excerpt(table.frame[column].iloc[bad])}"
        )
    return values


def _query_ids_by_text(
    con: duckdb.DuckDBPyConnection, dataset: str, table: SourceTable, column: str
) -> pd.Series:
    """The dataset's query id of each row's query text (the first id, if several queries
    read the same), or an error at the first text the dataset does not have."""
    known = con.execute(
        "SELECT query, min(query_id) FROM queries WHERE dataset = ? GROUP BY query", [dataset]
    ).fetchall()
    ids = table.frame[column].str.strip().map(dict(known))
    missing = first_row(ids.isna())
    if missing is not None:
        raise table.error(
            missing,
            column,
            f"query {excerpt(table.frame[column].iloc[missing])} is not a query of dataset "
            f"{dataset!r}; import the queries first",
        )
    return ids.astype(str)


def _write(
    db: Db, dataset: str, table: SourceTable, ranked: pd.DataFrame, columns: dict[str, str]
) -> RankingImport:
    """Check `ranked` (run, query_id, doc_id, score; one row per row of `table`) against the
    dataset, then replace the named runs' documents with it in one transaction."""

    def error(row: int, ours: str, message: str) -> ImportFormatError:
        return table.error(row, columns.get(ours, ours), message)

    for ours in ("run", "query_id", "doc_id"):
        empty = first_row(ranked[ours] == "")
        if empty is not None:
            raise error(empty, ours, f"empty {columns.get(ours, ours)}")
    repeated = first_row(ranked.duplicated(["run", "query_id", "doc_id"]))
    if repeated is not None:
        row = ranked.iloc[repeated]
        raise error(
            repeated,
            "doc_id",
            f"document {excerpt(row.doc_id)} is ranked twice for query {excerpt(row.query_id)} "
            f"in run {excerpt(row.run)}",
        )
    ranked = ranked.assign(_row=np.arange(len(ranked)))
    # What the checks freed goes back to the system before DuckDB, whose allocator cannot
    # reuse Arrow's, builds the key's index: about 25 MB of a million-line run's peak.
    pa.default_memory_pool().release_unused()
    with connect(db) as con, transaction(con):
        if not con.execute("SELECT 1 FROM datasets WHERE dataset = ?", [dataset]).fetchall():
            raise NotFoundError(
                f"no dataset named {dataset!r}: import its queries and documents first"
            )
        con.register("_ranked_in", ranked)
        try:
            _check_queries(con, dataset, error)
            new_documents = con.execute(
                "SELECT count(DISTINCT doc_id) FROM _ranked_in ANTI JOIN "
                "(SELECT doc_id FROM documents WHERE dataset = ?) USING (doc_id)",
                [dataset],
            ).fetchall()[0][0]
            replaced = _replace(con, dataset, table.path.name)
        finally:
            con.unregister("_ranked_in")
    runs = tuple(ranked["run"].unique())
    return RankingImport(
        dataset=dataset,
        runs=runs,
        rows=len(ranked),
        queries=ranked["query_id"].nunique(),
        replaced=tuple(r for r in runs if r in replaced),
        new_documents=int(new_documents),
    )


def _check_queries(con: duckdb.DuckDBPyConnection, dataset: str, error) -> None:
    row = con.execute(
        """
        SELECT min(_row) FROM _ranked_in r
        WHERE r.query_id NOT IN (SELECT query_id FROM queries WHERE dataset = ?)
        """,
        [dataset],
    ).fetchall()[0][0]
    if row is not None:
        value = con.execute("SELECT query_id FROM _ranked_in WHERE _row = ?", [row])
        raise error(
            int(row),
            "query_id",
            f"query {excerpt(value.fetchall()[0][0])} is not in dataset {dataset!r}; a run "
            "ranks the dataset's own queries",
        )


def _replace(con: duckdb.DuckDBPyConnection, dataset: str, source: str) -> set[str]:
    """Create the runs `_ranked_in` names that `dataset` lacks, replace the documents of
    all of them; returns the names that existed before."""
    existing = {
        name
        for (name,) in con.execute(
            "SELECT name FROM rankings WHERE dataset = ? "
            "AND name IN (SELECT DISTINCT run FROM _ranked_in)",
            [dataset],
        ).fetchall()
    }
    con.execute(
        """
        INSERT INTO rankings (dataset, name, source)
        SELECT DISTINCT ?, run, ? FROM _ranked_in
        WHERE run NOT IN (SELECT name FROM rankings WHERE dataset = ?)
        """,
        [dataset, f"ranking run file {source}", dataset],
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _ranking_ids AS
        SELECT ranking_id, name AS run FROM rankings
        WHERE dataset = ? AND name IN (SELECT DISTINCT run FROM _ranked_in)
        """,
        [dataset],
    )
    con.execute(
        "DELETE FROM ranked_documents WHERE ranking_id IN (SELECT ranking_id FROM _ranking_ids)"
    )
    # trec_eval's order: score descending, ties by document id descending.
    con.execute(
        """
        INSERT INTO ranked_documents (ranking_id, query_id, doc_id, rank, score)
        SELECT i.ranking_id, r.query_id, r.doc_id,
               row_number() OVER (PARTITION BY i.ranking_id, r.query_id
                                  ORDER BY r.score DESC, r.doc_id DESC),
               r.score
        FROM _ranked_in r JOIN _ranking_ids i USING (run)
        """
    )
    con.execute("DROP TABLE _ranking_ids")
    return existing
