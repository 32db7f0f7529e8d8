"""The queries the review dashboard pages need: a run's confusion counts, one cell's pairs a
page at a time, and small counts for the Overview.

Everything is computed in DuckDB and only a page of rows crosses into Python, so the screens
stay fast with a million judgments in the store (see bench/ui_latency.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from ._db import Db, connect, path_of
from ._errors import NotFoundError, StoreError
from ._pairs import STALENESS
from ._reviewed import review_condition, reviewed_by
from ._vocab import Split
from ._warm import file_version
from .team import OWED_BLIND

# Joins to add to judgments x current_labels, each only when a column of it is used: with a
# million judgments the narrow join is several times faster than joining the text for all.
_JOINS = {
    "p": "JOIN pairs p USING (pair_id)",
    "q": "JOIN queries q ON q.dataset = p.dataset AND q.query_id = p.query_id",
    "d": "JOIN documents d ON d.dataset = p.dataset AND d.doc_id = p.doc_id",
}


def _run_pairs(tables: set[str]) -> str:
    """FROM + WHERE over the judged, labelled pairs of $run_id, joining `tables` (aliases)."""
    if tables & {"q", "d"}:
        tables = tables | {"p"}
    joins = "".join(f" {_JOINS[t]}" for t in _JOINS if t in tables)
    return (
        f"FROM judgments j JOIN current_labels c USING (pair_id){joins} "
        "WHERE j.run_id = $run_id AND c.grade IS NOT NULL AND j.grade IS NOT NULL"
    )


# Sort key -> (column, the join it needs).
SORT_COLUMNS = {
    "confidence": ("j.confidence", set()),
    "query": ("q.query", {"q"}),
    "product_name": ("d.title", {"d"}),
    "pair_id": ("j.pair_id", set()),
}
SortKey = Literal["confidence", "query", "product_name", "pair_id"]


def contains_pattern(text: str) -> str:
    """An ILIKE pattern (escape character backslash) that matches `text` literally anywhere:
    a user's `50%` or `a_b` is text to find, not wildcards."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# The text search: the query, the product title or its description contains the text.
_TEXT_MATCH = " OR ".join(
    f"{column} ILIKE $text ESCAPE '\\'" for column in ("q.query", "d.title", "d.description")
)


@dataclass(frozen=True)
class PairFilters:
    """Filters over pairs; None means "any". Hashable, so a cache can key on it.

    text: the query, product title or description contains it (case-insensitive, literal).
    unsure / has_note: the current label is marked unsure / has a note.
    reviewer: the pair has a review event in force by this author.
    reviewed: the pair is reviewed (True) or not yet (False), as `_reviewed` defines it.
    min/max_confidence, stale: the judgment in the run (so they need a run).
    blind_to: leave out the pairs this reviewer still owes their grade in a blind task
    (`storage.team.owed_blind_pairs`): their labels are not the viewer's to see until then.
    """

    query_class: str | None = None
    split: Split | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    stale: bool | None = None
    text: str | None = None
    unsure: bool | None = None
    has_note: bool | None = None
    reviewer: str | None = None
    reviewed: bool | None = None
    blind_to: str | None = None

    def needs_run(self) -> bool:
        """Whether a filter reads the run's judgment."""
        return (self.min_confidence, self.max_confidence, self.stale) != (None, None, None)

    def sql(self, pair_id: str = "j.pair_id") -> tuple[str, dict[str, Any], set[str]]:
        """The AND-ed conditions over pairs `p`, current labels `c` and judgments `j` (whose
        pair id is the column `pair_id`), their parameters, and the joins they need."""
        clauses: list[str] = []
        params: dict[str, Any] = {}
        tables: set[str] = set()
        if self.query_class is not None:
            clauses.append("q.query_class = $query_class")
            params["query_class"] = self.query_class
            tables.add("q")
        if self.split is not None:
            clauses.append("p.split = $split")
            params["split"] = self.split
            tables.add("p")
        if self.min_confidence is not None:
            clauses.append("j.confidence >= $min_confidence")
            params["min_confidence"] = float(self.min_confidence)
        if self.max_confidence is not None:
            clauses.append("j.confidence <= $max_confidence")
            params["max_confidence"] = float(self.max_confidence)
        if self.stale is not None:
            # A semi-join on the run's few stale judgments: joining every judgment with the
            # staleness view took three times as long (seven for "fresh only").
            stale = "SELECT pair_id FROM judgment_staleness WHERE run_id = $run_id AND stale"
            not_ = "" if self.stale else "NOT "
            clauses.append(f"j.pair_id IS NOT NULL AND j.pair_id {not_}IN ({stale})")
        if self.text is not None and self.text.strip():
            clauses.append(f"({_TEXT_MATCH})")
            params["text"] = contains_pattern(self.text.strip())
            tables |= {"q", "d"}
        if self.unsure is not None:
            clauses.append("coalesce(c.unsure, false) = $unsure")
            params["unsure"] = self.unsure
        if self.has_note is not None:
            clauses.append("(coalesce(c.note, '') <> '') = $has_note")
            params["has_note"] = self.has_note
        if self.reviewer is not None:
            clauses.append(reviewed_by(pair_id, "reviewer"))
            params["reviewer"] = self.reviewer
        if self.reviewed is not None:
            clauses.append(f"{review_condition('reviewed', pair_id)} = $reviewed")
            params["reviewed"] = self.reviewed
        if self.blind_to:
            clauses.append(f"{pair_id} NOT IN (SELECT pair_id FROM ({OWED_BLIND}))")
            params["blind_to"] = self.blind_to
        return "".join(f" AND {c}" for c in clauses), params, tables


NO_FILTERS = PairFilters()


@dataclass(frozen=True)
class CellPage:
    """One page of a confusion cell's pairs and the number of pairs in the whole cell."""

    rows: pd.DataFrame
    total: int


def _run_scale(con: Any, run_id: int) -> list[int]:
    row = con.execute("SELECT scale FROM judge_runs WHERE run_id = ?", [run_id]).fetchone()
    if row is None:
        raise NotFoundError(f"no judge run {run_id}")
    return list(row[0])


def confusion_counts(db: Db, run_id: int, *, filters: PairFilters = NO_FILTERS) -> pd.DataFrame:
    """Pairs of `run_id` per (human grade, judge grade): a k x k frame over the run's scale,
    rows human, columns judge. Pairs without a human label or a judge grade are left out."""
    where, params, tables = filters.sql()
    with connect(db) as con:
        scale = _run_scale(con, run_id)
        cells = con.execute(
            f"SELECT c.grade AS human, j.grade AS judge, count(*) AS pairs "
            f"{_run_pairs(tables)}{where} "
            "GROUP BY ALL",
            {"run_id": run_id, **params},
        ).fetchall()
    matrix = pd.DataFrame(
        0, index=pd.Index(scale, name="human"), columns=pd.Index(scale, name="judge"), dtype="int64"
    )
    for human, judge, pairs in cells:
        if human in matrix.index and judge in matrix.columns:
            matrix.loc[human, judge] = pairs
    return matrix


def _cell_where(human: int | None, judge: int | None, disagreeing: bool) -> tuple[str, dict]:
    clauses, params = [], {}
    if human is not None:
        clauses.append("c.grade = $human")
        params["human"] = int(human)
    if judge is not None:
        clauses.append("j.grade = $judge")
        params["judge"] = int(judge)
    if disagreeing:
        clauses.append("c.grade <> j.grade")
    return "".join(f" AND {c}" for c in clauses), params


def confusion_cell_pairs(
    db: Db,
    run_id: int,
    *,
    human: int,
    judge: int,
    filters: PairFilters = NO_FILTERS,
    sort: SortKey = "confidence",
    descending: bool = True,
    offset: int = 0,
    limit: int = 50,
) -> CellPage:
    """One page of the pairs humans graded `human` and the judge graded `judge` in `run_id`.

    Columns: pair_id, query, query_class, product_name, product_class, split, human, judge,
    confidence, stale. Sorted by `sort` (ties by pair_id), `limit` rows from `offset`.
    """
    if sort not in SORT_COLUMNS:
        raise StoreError(f"sort must be one of {sorted(SORT_COLUMNS)}, got {sort!r}")
    cell, cell_params = _cell_where(human, judge, disagreeing=False)
    where, params, tables = filters.sql()
    params = {"run_id": run_id, **cell_params, **params}
    order, order_tables = SORT_COLUMNS[sort]
    direction = "DESC" if descending else "ASC"
    with connect(db) as con:
        total = con.execute(
            f"SELECT count(*) {_run_pairs(tables)}{cell}{where}", params
        ).fetchall()[0][0]
        # Pick the page's pair ids on the narrow join, then fetch the text for those rows only.
        rows = con.execute(
            f"""
            WITH page AS (
                SELECT j.pair_id {_run_pairs(tables | order_tables)}{cell}{where}
                ORDER BY {order} {direction} NULLS LAST, j.pair_id
                LIMIT $limit OFFSET $offset
            )
            SELECT j.pair_id, q.query, q.query_class, d.title AS product_name,
                   d.doc_class AS product_class, p.split, c.grade AS human, j.grade AS judge,
                   j.confidence, s.stale
            FROM page
            JOIN judgments j ON j.run_id = $run_id AND j.pair_id = page.pair_id
            JOIN current_labels c ON c.pair_id = page.pair_id
            JOIN pairs p ON p.pair_id = page.pair_id
            {_JOINS["q"]} {_JOINS["d"]} {STALENESS}
            ORDER BY {order} {direction} NULLS LAST, j.pair_id
            """,
            {**params, "limit": int(limit), "offset": int(offset)},
        ).df()
    return CellPage(rows=rows, total=int(total))


def cell_pair_ids(
    db: Db,
    run_id: int,
    *,
    human: int | None = None,
    judge: int | None = None,
    filters: PairFilters = NO_FILTERS,
    disagreeing: bool = False,
) -> list[int]:
    """The pair ids of a confusion cell (None: any grade on that side), or of every pair where
    human and judge disagree, most confident judgments first: the order of a review queue."""
    cell, cell_params = _cell_where(human, judge, disagreeing)
    where, params, tables = filters.sql()
    with connect(db) as con:
        rows = con.execute(
            f"SELECT j.pair_id {_run_pairs(tables)}{cell}{where} "
            "ORDER BY j.confidence DESC NULLS LAST, j.pair_id",
            {"run_id": run_id, **cell_params, **params},
        ).fetchall()
    return [int(r[0]) for r in rows]


def stale_pair_ids(db: Db, run_id: int) -> list[int]:
    """Pairs whose judgment in `run_id` is stale: their document changed after it, or their
    current grade differs from the grade in force when it was made (`judgment_staleness`)."""
    return cell_pair_ids(db, run_id, filters=PairFilters(stale=True))


def label_distribution(db: Db, dataset: str) -> pd.DataFrame:
    """Pairs of `dataset` per split ('unassigned' when none) and current grade (None: no
    label): columns split, grade, pairs."""
    with connect(db) as con:
        return con.execute(
            """
            SELECT coalesce(p.split, 'unassigned') AS split, c.grade, count(*) AS pairs
            FROM pairs p LEFT JOIN current_labels c USING (pair_id)
            WHERE p.dataset = ? GROUP BY ALL ORDER BY split, grade
            """,
            [dataset],
        ).df()


def query_classes(db: Db, dataset: str) -> list[str]:
    """The distinct query classes of `dataset`, sorted, for a filter's choices."""
    with connect(db) as con:
        rows = con.execute(
            "SELECT DISTINCT query_class FROM queries "
            "WHERE dataset = ? AND query_class IS NOT NULL ORDER BY 1",
            [dataset],
        ).fetchall()
    return [r[0] for r in rows]


def pair_choices(db: Db, dataset: str, *, limit: int = 50) -> pd.DataFrame:
    """The first `limit` pairs of `dataset` by query (pair_id, query, product_name), to pick
    one for a prompt preview without loading the dataset."""
    with connect(db) as con:
        return con.execute(
            """
            SELECT p.pair_id, q.query, d.title AS product_name
            FROM pairs p
            JOIN queries q USING (dataset, query_id)
            JOIN documents d USING (dataset, doc_id)
            WHERE p.dataset = ? ORDER BY p.query_id, p.pair_id LIMIT ?
            """,
            [dataset, int(limit)],
        ).df()


def data_version(db: Db) -> tuple[Any, ...]:
    """A value that changes whenever labels, judgments, documents or splits change, from any
    process: the key that keeps cached frames of the dashboard fresh."""
    with connect(db) as con:
        return tuple(
            con.execute(
                """
                SELECT (SELECT max(event_id) FROM label_events),
                       (SELECT max(created_at) FROM judgments),
                       (SELECT count(*) FROM judgments),
                       (SELECT max(updated_at) FROM documents),
                       (SELECT max(run_id) FROM judge_runs),
                       (SELECT sum(hash(pair_id, split)) FROM pairs)
                """
            ).fetchall()[0]
        )


def write_version(db: Db) -> tuple[int, ...]:
    """A value that changes with every write to the store, from any process, read from the
    file system without opening the store (`_warm.file_version`): the key that keeps the
    app's cached reads fresh. It also changes at a checkpoint of writes already seen, which
    costs a cache one entry, never shows an old one."""
    return file_version(path_of(db).resolve())
