"""A full read of a store against its rules, changing nothing: `cli.py check` and the Data
page's check.

DuckDB verifies a block's checksum when it reads the block, and everyday screens read only
the blocks they need, so a damaged block can go unnoticed for months; reading every row of
every table finds it (every table `_owned.py` declares for the store's version). Then the
store's rules are checked with one query each: unique keys (the schema enforces them from
version 4; an older store, which this reads without bringing it forward, may break them),
no orphans (every link `_owned.py` declares leads to an existing row: a dataset, pair, run,
task, ranking run or relabel batch), no team rows older than their dataset (an earlier
dataset's of the same name), other references between tables, the label cache equal to a
rebuild from the label events, every grade on its dataset's scale, splits made per query;
ranking runs whose ranks follow trec_eval's order over the dataset's own queries and
documents, pooled pairs of their own dataset, relabel batches with their label events;
pairwise runs whose verdicts name pairs of one query of the run's dataset, with both orders
once the run is done and probabilities that sum to 1, and preference events about pairs of
one query; review tasks whose items are pairs of the task's dataset. The store is opened
read-only, unless a session already has it open; tables a later schema version added are
not expected in an older store. What migrations repaired (`repairs`) is reported too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from words import plural

from ._db import Db, connect, path_of
from ._errors import StoreIOError, StoreOpenError, shorten
from ._labels import current_labels_from
from ._owned import OWNED, OWNED_BY_TABLE, ROOT, ROOT_KEY, Owned, tables_at

# How far a verdict's P(first) + P(second) + P(tie) may be from 1: the probabilities are
# stored as doubles from a softmax, so only rounding separates them from 1.
_SUM_TOLERANCE = 1e-6
# The first problems of each rule are listed one a line; the rest are counted in one line.
_SHOWN = 20
_BATCH_ROWS = 50_000


@dataclass(frozen=True)
class CheckProblem:
    """One thing wrong in the store: the table it is in and what is wrong, in a line."""

    table: str
    text: str

    def __str__(self) -> str:
        return f"{self.table}: {self.text}"


@dataclass(frozen=True)
class CheckReport:
    """What `check_store` read (rows per readable table), every problem it found, and what
    bringing the store forward repaired (moved or removed rows, one line each)."""

    path: Path
    rows: Mapping[str, int]
    problems: tuple[CheckProblem, ...]
    tables: int
    repaired: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        found = f"{len(self.problems)} problems" if self.problems else "no problems"
        return (
            f"{self.path.name}: {found} in {self.tables} tables "
            f"({sum(self.rows.values()):,} rows read)"
        )


@dataclass(frozen=True)
class _Rule:
    """A query for the rows that break a rule, and the line each offending row becomes
    (a format string over the query's columns); checked when the tables it reads are read,
    and the column it needs (a later version's) is there."""

    table: str
    query: str
    text: str
    reads: tuple[str, ...]
    column: str | None = None


def _unique(table: str, key: tuple[str, ...], noun: str) -> _Rule:
    columns = ", ".join(key)
    return _Rule(
        table,
        f"SELECT {columns}, count(*) AS n FROM {table} GROUP BY ALL HAVING count(*) > 1 "
        f"ORDER BY {columns}",
        f"{noun} appears {{n}} times; a key is unique",
        (table,),
    )


_LABEL_COLUMNS = ("grade", "original_grade", "source", "event_id", "unsure", "note", "changed_at")
_LABEL_DIFFERS = ", ".join(
    f"CASE WHEN c.{name} IS DISTINCT FROM r.{name} THEN '{name}' END" for name in _LABEL_COLUMNS
)


_RULES: tuple[_Rule, ...] = (
    _unique("datasets", ("dataset",), "dataset {dataset!r}"),
    _unique("queries", ("dataset", "query_id"), "query {query_id!r} of {dataset!r}"),
    _unique("documents", ("dataset", "doc_id"), "document {doc_id!r} of {dataset!r}"),
    _unique("pairs", ("pair_id",), "pair {pair_id}"),
    _unique(
        "pairs",
        ("dataset", "query_id", "doc_id"),
        "the pair (query {query_id!r}, document {doc_id!r}) of {dataset!r}",
    ),
    _unique("label_events", ("event_id",), "event {event_id}"),
    _unique("current_labels", ("pair_id",), "the current label of pair {pair_id}"),
    _unique("judge_runs", ("run_id",), "run {run_id}"),
    _unique("judgments", ("run_id", "pair_id"), "the judgment of run {run_id} on pair {pair_id}"),
    _Rule(
        "datasets",
        "SELECT dataset, len(grades) AS g, len(grade_names) AS n FROM datasets "
        "WHERE len(grades) <> len(grade_names) OR len(grades) = 0 "
        "OR grades <> list_sort(list_distinct(grades)) ORDER BY dataset",
        "dataset {dataset!r}: its scale ({g} grades, {n} names) is not distinct ascending "
        "grades with one name each",
        ("datasets",),
    ),
    _Rule(
        "pairs",
        "SELECT pair_id, query_id FROM pairs ANTI JOIN queries USING (dataset, query_id) "
        "ORDER BY pair_id",
        "pair {pair_id}: query {query_id!r} does not exist",
        ("pairs", "queries"),
    ),
    _Rule(
        "pairs",
        "SELECT pair_id, doc_id FROM pairs ANTI JOIN documents USING (dataset, doc_id) "
        "ORDER BY pair_id",
        "pair {pair_id}: document {doc_id!r} does not exist",
        ("pairs", "documents"),
    ),
    _Rule(
        "pairs",
        "SELECT dataset, query_id, string_agg(DISTINCT split, ', ' ORDER BY split) AS splits "
        "FROM pairs WHERE split IS NOT NULL GROUP BY dataset, query_id "
        "HAVING count(DISTINCT split) > 1 ORDER BY dataset, query_id",
        "query {query_id!r} of {dataset!r} has pairs in several splits ({splits}); a query "
        "belongs to one split",
        ("pairs",),
    ),
    _Rule(
        "label_events",
        "SELECT r.event_id, r.reverts FROM label_events r "
        "LEFT JOIN label_events e ON e.event_id = r.reverts "
        "WHERE r.source = 'revert' AND (e.event_id IS NULL OR e.pair_id <> r.pair_id "
        "OR e.source NOT IN ('review', 'judge')) ORDER BY r.event_id",
        "event {event_id} reverts event {reverts}, which is not a review or judge event of "
        "the same pair",
        ("label_events",),
    ),
    _Rule(
        "label_events",
        "SELECT e.event_id, e.pair_id, e.grade, p.dataset, d.grades FROM label_events e "
        "JOIN pairs p USING (pair_id) JOIN datasets d USING (dataset) "
        "WHERE e.grade IS NOT NULL AND NOT list_contains(d.grades, e.grade) ORDER BY e.event_id",
        "event {event_id} (pair {pair_id}): grade {grade} is not on the scale of "
        "{dataset!r} {grades}",
        ("label_events", "pairs", "datasets"),
    ),
    _Rule(
        "current_labels",
        f"""
        SELECT * FROM (
            SELECT pair_id, c.grade AS cached, r.grade AS rebuilt,
                   CASE WHEN c.pair_id IS NULL THEN 'no cached row'
                        WHEN r.pair_id IS NULL THEN 'no event gives it'
                        ELSE 'differs in ' || concat_ws(', ', {_LABEL_DIFFERS}) END AS what
            FROM (SELECT DISTINCT * FROM current_labels) c
            FULL JOIN ({current_labels_from("SELECT * FROM label_events")}) r USING (pair_id)
        ) WHERE what <> 'differs in ' ORDER BY pair_id
        """,
        "pair {pair_id}: the current label is not a rebuild of its label events ({what}; "
        "cached grade {cached}, rebuilt {rebuilt})",
        ("current_labels", "label_events"),
    ),
    _Rule(
        "judgments",
        "SELECT j.run_id, j.pair_id, p.dataset AS theirs, r.dataset AS ours FROM judgments j "
        "JOIN pairs p USING (pair_id) JOIN judge_runs r USING (run_id) "
        "WHERE p.dataset <> r.dataset ORDER BY j.run_id, j.pair_id",
        "run {run_id}, pair {pair_id}: the pair is in {theirs!r}, the run is over {ours!r}",
        ("judgments", "pairs", "judge_runs"),
    ),
    _Rule(
        "judgments",
        "SELECT j.run_id, j.pair_id, j.grade, p.dataset, d.grades FROM judgments j "
        "JOIN pairs p USING (pair_id) JOIN datasets d USING (dataset) "
        "WHERE j.grade IS NOT NULL AND NOT list_contains(d.grades, j.grade) "
        "ORDER BY j.run_id, j.pair_id",
        "run {run_id}, pair {pair_id}: grade {grade} is not on the scale of {dataset!r} {grades}",
        ("judgments", "pairs", "datasets"),
    ),
)


_RANKED = "ranked_documents d JOIN rankings r USING (ranking_id)"
_RANKING_RULES: tuple[_Rule, ...] = (
    _unique("rankings", ("ranking_id",), "ranking run {ranking_id}"),
    _unique("rankings", ("dataset", "name"), "the ranking run name {name!r} of {dataset!r}"),
    _unique(
        "ranked_documents",
        ("ranking_id", "query_id", "doc_id"),
        "document {doc_id!r} in ranking run {ranking_id}'s list for query {query_id!r}",
    ),
    _unique("pooled_pairs", ("pair_id",), "pooled pair {pair_id}"),
    _unique("relabel_batches", ("batch_id",), "relabel batch {batch_id}"),
    _Rule(
        "ranked_documents",
        f"SELECT d.ranking_id, r.name, r.dataset, d.query_id FROM {_RANKED} "
        "WHERE NOT EXISTS (SELECT 1 FROM queries q "
        "WHERE q.dataset = r.dataset AND q.query_id = d.query_id) "
        "GROUP BY ALL ORDER BY d.ranking_id, d.query_id",
        "ranking run {ranking_id} ({name!r}): query {query_id!r} is not a query of {dataset!r}",
        ("ranked_documents", "rankings", "queries"),
    ),
    _Rule(
        "ranked_documents",
        f"SELECT d.ranking_id, r.name, r.dataset, d.doc_id, count(*) AS n FROM {_RANKED} "
        "WHERE NOT EXISTS (SELECT 1 FROM documents o "
        "WHERE o.dataset = r.dataset AND o.doc_id = d.doc_id) "
        "GROUP BY ALL ORDER BY d.ranking_id, d.doc_id",
        "ranking run {ranking_id} ({name!r}): document {doc_id!r} is not a document of "
        "{dataset!r} (ranked rows: {n})",
        ("ranked_documents", "rankings", "documents"),
    ),
    _Rule(
        "ranked_documents",
        "SELECT ranking_id, query_id, count(*) AS n, min(rank) AS lo, max(rank) AS hi "
        "FROM ranked_documents GROUP BY ALL "
        "HAVING count(DISTINCT rank) <> count(*) OR min(rank) <> 1 OR max(rank) <> count(*) "
        "ORDER BY ranking_id, query_id",
        "ranking run {ranking_id}, query {query_id!r}: {n} documents ranked {lo} to {hi}; "
        "ranks run 1, 2, 3 ... with no gap or repeat",
        ("ranked_documents",),
    ),
    _Rule(
        "ranked_documents",
        "SELECT ranking_id, query_id, min(rank) AS rank FROM ("
        "SELECT *, lag(score) OVER w AS above_score, lag(doc_id) OVER w AS above_doc "
        "FROM ranked_documents "
        "WINDOW w AS (PARTITION BY ranking_id, query_id ORDER BY rank)) "
        "WHERE above_score < score OR (above_score = score AND above_doc < doc_id) "
        "GROUP BY ALL ORDER BY ranking_id, query_id",
        "ranking run {ranking_id}, query {query_id!r}: rank {rank} is out of trec_eval's "
        "order (score descending, ties by document id descending)",
        ("ranked_documents",),
    ),
    _Rule(
        "pooled_pairs",
        "SELECT o.pair_id, o.dataset, p.dataset AS theirs FROM pooled_pairs o "
        "JOIN pairs p USING (pair_id) WHERE p.dataset <> o.dataset ORDER BY o.pair_id",
        "pooled pair {pair_id} of {dataset!r}: the pair is in {theirs!r}",
        ("pooled_pairs", "pairs"),
    ),
    _Rule(
        "relabel_batches",
        "SELECT batch_id, dataset FROM relabel_batches b WHERE NOT EXISTS ("
        "SELECT 1 FROM label_events e WHERE e.batch_id = b.batch_id AND e.source = 'judge') "
        "ORDER BY batch_id",
        "relabel batch {batch_id} of {dataset!r} has no judge label event: its events are "
        "gone, so it cannot be undone",
        ("relabel_batches", "label_events"),
    ),
    _Rule(
        "label_events",
        "SELECT event_id FROM label_events WHERE source = 'judge' AND batch_id IS NULL "
        "ORDER BY event_id",
        "event {event_id} is a judge event of no relabel batch; a judge writes labels only "
        "through one",
        ("label_events", "relabel_batches"),
    ),
    _Rule(
        "label_events",
        "SELECT e.event_id, e.pair_id, e.batch_id, b.dataset AS ours, p.dataset AS theirs "
        "FROM label_events e JOIN relabel_batches b USING (batch_id) JOIN pairs p "
        "USING (pair_id) WHERE p.dataset <> b.dataset ORDER BY e.event_id",
        "event {event_id} of relabel batch {batch_id} (over {ours!r}) labels pair {pair_id} "
        "of {theirs!r}",
        ("label_events", "relabel_batches", "pairs"),
    ),
)


def _older_than_dataset(table: str, made: str) -> _Rule:
    # Names are reused after a delete, ids are not: only a row made before its dataset
    # shows it was an earlier dataset's (what the delete before schema version 10 left).
    one, many = OWNED_BY_TABLE[table].noun or ("row", "rows")
    return _Rule(
        table,
        f"SELECT t.dataset, count(*) || CASE WHEN count(*) = 1 THEN ' {one}' ELSE ' {many}' "
        f"END AS rows FROM {table} t JOIN datasets d USING (dataset) "
        f"WHERE t.{made} < d.created_at GROUP BY ALL ORDER BY dataset",
        "{rows} of {dataset!r} made before the dataset was: left by a delete of an earlier "
        "dataset of that name",
        (table, "datasets"),
    )


_TEAM_RULES: tuple[_Rule, ...] = (
    _unique("reviewers", ("dataset", "name"), "reviewer {name!r} of {dataset!r}"),
    _unique("review_tasks", ("task_id",), "task {task_id}"),
    _unique("review_tasks", ("dataset", "name"), "the task name {name!r} of {dataset!r}"),
    _unique(
        "task_items",
        ("task_id", "pair_id", "reviewer"),
        "pair {pair_id} for {reviewer!r} in task {task_id}",
    ),
    _unique("guidelines", ("dataset", "version"), "guideline version {version} of {dataset!r}"),
    _Rule(
        "task_items",
        "SELECT i.task_id, i.pair_id, p.dataset AS theirs, t.dataset FROM task_items i "
        "JOIN review_tasks t USING (task_id) JOIN pairs p USING (pair_id) "
        "WHERE p.dataset <> t.dataset ORDER BY i.task_id, i.pair_id",
        "task {task_id} (of {dataset!r}), pair {pair_id}: the pair is in {theirs!r}",
        ("task_items", "review_tasks", "pairs"),
    ),
    _older_than_dataset("reviewers", "added_at"),
    _older_than_dataset("review_tasks", "created_at"),
    _older_than_dataset("guidelines", "created_at"),
    _Rule(
        "label_events",
        "SELECT event_id FROM label_events WHERE source = 'adjudication' "
        "AND (task_id IS NULL OR grade IS NULL) ORDER BY event_id",
        "event {event_id}: an adjudication names its task and gives a grade",
        ("label_events", "review_tasks"),  # an older store's events have no task column
    ),
)


_VERDICT_PAIRS = (
    "pairwise_judgments j JOIN pairwise_runs r USING (run_id) "
    "JOIN pairs f ON f.pair_id = j.first_pair_id "
    "JOIN pairs s ON s.pair_id = j.second_pair_id"
)
_PAIRWISE_RULES: tuple[_Rule, ...] = (
    _unique("pairwise_runs", ("run_id",), "pairwise run {run_id}"),
    _unique(
        "pairwise_judgments",
        ("run_id", "first_pair_id", "second_pair_id"),
        "the verdict of pairwise run {run_id} on the order {first_pair_id} then {second_pair_id}",
    ),
    _unique("preference_events", ("event_id",), "preference event {event_id}"),
    _Rule(
        "pairwise_runs",
        "SELECT run_id FROM pairwise_runs SEMI JOIN judge_runs USING (run_id) ORDER BY run_id",
        "run id {run_id} names a graded run too; run ids are shared, each names one run",
        ("pairwise_runs", "judge_runs"),
    ),
    _Rule(
        "pairwise_judgments",
        "SELECT j.run_id, j.first_pair_id AS first, j.second_pair_id AS second, CASE "
        "WHEN j.first_pair_id = j.second_pair_id THEN 'a pair is compared with itself' "
        "WHEN f.query_id <> s.query_id OR f.dataset <> s.dataset THEN "
        "'the pairs belong to different queries' "
        "ELSE 'the pairs are not of the run''s dataset ' || r.dataset END AS what "
        f"FROM {_VERDICT_PAIRS} WHERE j.first_pair_id = j.second_pair_id "
        "OR f.query_id <> s.query_id OR f.dataset <> s.dataset OR f.dataset <> r.dataset "
        "ORDER BY j.run_id, first, second",
        "pairwise run {run_id}, order {first} then {second}: {what}",
        ("pairwise_judgments", "pairwise_runs", "pairs"),
    ),
    _Rule(
        "pairwise_judgments",
        "SELECT j.run_id, j.first_pair_id AS first, j.second_pair_id AS second "
        "FROM pairwise_judgments j JOIN pairwise_runs r USING (run_id) "
        "WHERE r.status = 'done' AND NOT EXISTS (SELECT 1 FROM pairwise_judgments o "
        "WHERE o.run_id = j.run_id AND o.first_pair_id = j.second_pair_id "
        "AND o.second_pair_id = j.first_pair_id) ORDER BY j.run_id, first, second",
        "pairwise run {run_id} is done but has only the order {first} then {second} of its "
        "comparison; every comparison is judged in both orders",
        ("pairwise_judgments", "pairwise_runs"),
    ),
    _Rule(
        "pairwise_judgments",
        "SELECT run_id, first_pair_id AS first, second_pair_id AS second, "
        "p_first + p_second + coalesce(p_tie, 0) AS total FROM pairwise_judgments "
        "WHERE p_first IS NOT NULL AND (p_second IS NULL "
        f"OR abs(p_first + p_second + coalesce(p_tie, 0) - 1) > {_SUM_TOLERANCE} "
        "OR least(p_first, p_second, coalesce(p_tie, 0)) < 0) "
        "ORDER BY run_id, first, second",
        "pairwise run {run_id}, order {first} then {second}: P(first) + P(second) + P(tie) "
        "is {total}, not 1 (or one is missing or below 0)",
        ("pairwise_judgments",),
    ),
    _Rule(
        "preference_events",
        "SELECT e.event_id, e.pair_a, e.pair_b FROM preference_events e "
        "JOIN pairs a ON a.pair_id = e.pair_a JOIN pairs b ON b.pair_id = e.pair_b "
        "WHERE a.query_id <> b.query_id OR a.dataset <> b.dataset ORDER BY e.event_id",
        "preference event {event_id}: pairs {pair_a} and {pair_b} are not of one query",
        ("preference_events", "pairs"),
    ),
    _Rule(
        "preference_events",
        "SELECT r.event_id, r.reverts FROM preference_events r "
        "LEFT JOIN preference_events e ON e.event_id = r.reverts "
        "WHERE r.source = 'revert' AND (e.event_id IS NULL OR e.source <> 'review' "
        "OR e.pair_a <> r.pair_a OR e.pair_b <> r.pair_b) ORDER BY r.event_id",
        "preference event {event_id} reverts event {reverts}, which is not a review of the "
        "same two pairs",
        ("preference_events",),
    ),
)


def _orphans(owned: Owned, column: str, parent: str) -> _Rule:
    """The rows of `owned` whose link `column` names a row of `parent` that does not exist,
    counted by the missing row."""
    key = OWNED_BY_TABLE[parent].key
    noun = OWNED_BY_TABLE[parent].noun
    name = ROOT_KEY if parent == ROOT or noun is None else noun[0]
    one, many = owned.noun or ("row", "rows")
    return _Rule(
        owned.table,
        f"SELECT t.{column} AS missing, count(*) || "
        f"CASE WHEN count(*) = 1 THEN ' {one}' ELSE ' {many}' END AS rows "
        f"FROM {owned.table} t ANTI JOIN {parent} p ON p.{key} = t.{column} "
        f"WHERE t.{column} IS NOT NULL GROUP BY ALL ORDER BY missing",
        f"{{rows}} of {name} {{missing!r}}{'' if column == key else f' (by {column})'}, "
        "which does not exist",
        (owned.table, parent),
        column,
    )


# Every link of every owned table: a row whose dataset, pair, run, task, ranking run or
# batch is gone belongs to nothing (what an interrupted or older delete leaves).
_ORPHAN_RULES = tuple(_orphans(o, column, parent) for o in OWNED for column, parent in o.links)


def check_store(db: Db) -> CheckReport:
    """Read every table of the store at `db` in full and check its rules; change nothing.

    Raises `StoreOpenError` when the file cannot be opened as a store at all; everything
    found after opening (an unreadable table, a broken rule) is a `CheckProblem` in the report.
    """
    path = path_of(db).resolve()
    with connect(db, read_only=True) as con:
        rows: dict[str, int] = {}
        problems: list[CheckProblem] = []
        columns = set(
            con.execute(
                "SELECT table_name, column_name FROM duckdb_columns() "
                "WHERE database_name = current_database()"
            ).fetchall()
        )
        present = {table for table, _ in columns}
        if not present:
            raise StoreOpenError(path, "an empty DuckDB file, no store yet", "nothing to check")
        version = _version(con)
        expected = tables_at(version or 1)
        for table in expected:
            if table not in present:
                problems.append(CheckProblem(table, "the table is missing"))
                continue
            try:
                rows[table] = _read_all(con, table)
            except duckdb.Error as error:
                problems.append(CheckProblem(table, f"cannot be read ({shorten(str(error), 160)})"))
        for rule in _RULES + _RANKING_RULES + _PAIRWISE_RULES + _TEAM_RULES + _ORPHAN_RULES:
            needs = rule.column is None or (rule.table, rule.column) in columns
            if needs and all(table in rows for table in rule.reads):
                problems += _broken(con, rule)
        repaired = _repaired(con) if "repairs" in rows else ()
    return CheckReport(path, rows, tuple(problems), len(expected), repaired)


def _repaired(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """What migrations moved or removed, in words, e.g. "reviewers: removed 2 allowed
    reviewers of 'shop' when the store was brought to schema version 10 (left by a delete or
    rename of the dataset)"."""
    lines = []
    for version, table, dataset, n, moved_to, reason in con.execute(
        "SELECT version, table_name, dataset, rows, moved_to, reason FROM repairs "
        "ORDER BY version, moved_to IS NULL, table_name, dataset"
    ).fetchall():
        what = f"{plural(n, *(OWNED_BY_TABLE[table].noun or ('row', 'rows')))} of {dataset!r}"
        done = f"removed {what}" if moved_to is None else f"moved {what} to {moved_to!r}"
        lines.append(
            f"{table}: {done} when the store was brought to schema version {version} ({reason})"
        )
    return tuple(lines)


def probe_tables(db: Db, tables: Sequence[str]) -> None:
    """Read `tables` in full, as `check_store` reads every table, and raise `StoreIOError`
    naming the first that cannot be read (a damaged block): the quick probe a command that
    writes runs on the tables it uses, before it writes anything."""
    # A cursor of its own: the connection may have a result its last borrower left unread.
    with connect(db) as con, con.cursor() as cursor:
        for table in tables:
            try:
                _read_all(cursor, table)
            except duckdb.Error as error:
                raise StoreIOError(
                    path_of(db).resolve(),
                    f"table {table} cannot be read, so nothing was written: "
                    f"{shorten(str(error), 160)}",
                ) from None


def _version(con: duckdb.DuckDBPyConnection) -> int:
    """The store's schema version as `meta` states it (0 when it cannot be read: every
    table of the first version is still expected)."""
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    except duckdb.Error:
        return 0
    return int(rows[0][0]) if rows and str(rows[0][0]).isdigit() else 0


def _read_all(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Read every row and column of `table` (which makes DuckDB verify every block); the rows."""
    reader = con.sql(f"SELECT * FROM {table}").to_arrow_reader(_BATCH_ROWS)
    return sum(batch.num_rows for batch in reader)


def _broken(con: duckdb.DuckDBPyConnection, rule: _Rule) -> list[CheckProblem]:
    try:
        cursor = con.execute(
            f"SELECT *, count(*) OVER () AS _total FROM ({rule.query}) LIMIT {_SHOWN}"
        )
        names = [d[0] for d in cursor.description]
        found = [dict(zip(names, row)) for row in cursor.fetchall()]
    except duckdb.Error as error:
        return [CheckProblem(rule.table, f"cannot be checked ({shorten(str(error), 160)})")]
    problems = [CheckProblem(rule.table, rule.text.format_map(row)) for row in found]
    if found and found[0]["_total"] > len(found):
        more = found[0]["_total"] - len(found)
        problems.append(CheckProblem(rule.table, f"… and {more} more like these"))
    return problems
