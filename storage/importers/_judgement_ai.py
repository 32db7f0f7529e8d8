"""judgement-ai result files imported as a judge run, so its grades can be measured and
browsed like any run made here.

judgement-ai (https://github.com/MclPio/judgement-ai) writes two files per run:
- the results, a JSON list of {query, doc_id, score, reasoning, rank} (and `pass_scores`
  when it graded in several passes); the score becomes the judgment's grade and the
  reasoning its raw output;
- beside it, `<stem>-failures.json`, a JSON list of {query, doc_id, rank, failure_type,
  error, attempts} (and `raw_response` when the model answered out of format): the pairs it
  gave up on. They become failed judgments (no grade, the error kept), so a run's failures
  count against it instead of dropping out of the metrics. The side file is read when it is
  there, or named.

Matching: each item is a pair of the dataset by (query text, doc_id), the query text
compared with leading and trailing whitespace trimmed on both sides. A pair the dataset
does not have (the normal case when grading a live engine's results) is added as an
unlabelled pair (`unknown="add"`) or skipped and counted (`unknown="skip"`).

Scale: judgement-ai grades 0-3 by default. Scores are read on the dataset's own scale, or
through a scale map (`0=0,1=1,2=1,3=2`) onto it. The same results file imported twice
updates the same run.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd

from file_digest import file_digest
from grade_scale import ScaleError, parse_grade_map
from words import plural

from .._db import Db, connect, transaction
from .._errors import ImportFormatError, NotFoundError, StoreError, excerpt, shorten
from ._batch import ImportSummary
from ._read import as_text, no_rows, refuse_non_finite
from ._table import query_id_for

BACKEND = "judgement-ai"
UnknownPairs = Literal["add", "skip"]
UNKNOWN_PAIRS: tuple[UnknownPairs, ...] = ("add", "skip")
# judgement-ai's failure types; only a parse error means the model answered.
_ANSWERED = "parse_error"
_COLUMNS = ["file", "index", "line", "query", "doc_id", "score", "raw_output", "error", "status"]
# judgement-ai's `export-csv` writes this header; the file has no reasoning and no failures.
_CSV_EXPORT_HEADER = "query,docid,rating"
# A score is a grade: DuckDB's INTEGER holds every one, and nothing beyond is a grade.
_SCORE_LIMIT = 2**31
_JSON_SPACE = re.compile(r"[ \t\n\r]*")


class _OutOfRange(str):
    """A JSON number too large to read (an integer of more than 4,300 digits, which Python
    refuses to convert, or a float beyond 1e308): kept as its text, refused where read."""


def _integer(text: str) -> int | str:
    return int(text) if len(text) <= 40 else _OutOfRange(text)


def _float(text: str) -> float | str:
    value = float(text)
    return value if math.isfinite(value) else _OutOfRange(text)


@dataclass(frozen=True)
class _Item:
    """Where an item is: its file, its position in the file's list, the line it starts on."""

    path: Path
    index: int
    line: int

    def error(self, message: str, column: str | None = None) -> ImportFormatError:
        return ImportFormatError(
            self.path, f"item {self.index}: {message}", line=self.line, column=column
        )


def failures_beside(results: str | Path) -> Path:
    """Where judgement-ai writes the failures of a results file: `<stem>-failures.json`."""
    results = Path(results)
    return results.with_name(f"{results.stem}-failures.json")


def parse_scale_map(text: str) -> dict[int, int]:
    """'0=0,1=1,2=1,3=2' as judgement-ai score -> dataset grade (`grade_scale.parse_grade_map`)."""
    try:
        return parse_grade_map(text)
    except ScaleError as error:
        raise StoreError(str(error)) from None


def import_judgement_ai(
    db: Db,
    path: str | Path,
    *,
    dataset: str,
    name: str | None = None,
    model: str = "unknown",
    scale_map: Mapping[int, int] | None = None,
    failures: str | Path | None = None,
    unknown: UnknownPairs = "add",
) -> ImportSummary:
    """Import a judgement-ai results file (and its failures file: `failures`, else the
    side file beside it if there is one) as a run over `dataset` (status 'imported').

    `scale_map` sends each judgement-ai score to a grade of the dataset (default: scores
    are grades). `unknown` says what becomes of pairs the dataset lacks: added unlabelled,
    or skipped and counted.
    """
    if unknown not in UNKNOWN_PAIRS:
        raise StoreError(
            f"unknown pairs: choose one of {', '.join(UNKNOWN_PAIRS)}, not {unknown!r}"
        )
    path = Path(path)
    side = Path(failures) if failures is not None else failures_beside(path)
    if failures is not None and not side.is_file():
        raise ImportFormatError(side, f"no such file: {side}")
    failed = _read_list(side, _failure) if side.is_file() else _frame([])
    items = _read_list(path, _result, allow_empty=len(failed) > 0)
    judged = pd.concat([items, failed], ignore_index=True)
    params = {"file": path.name, "sha256": file_digest(path).sha256}
    if len(failed):
        params |= {"failures_file": side.name, "failures_sha256": file_digest(side).sha256}
    if scale_map is not None:
        params["scale_map"] = ",".join(f"{s}={g}" for s, g in sorted(scale_map.items()))
    with connect(db) as con, transaction(con):
        grades = _dataset_grades(con, dataset)
        judged = _on_scale(judged, dataset, grades, scale_map)
        matched, added, skipped = _match_pairs(con, dataset, judged, unknown)
        run_id = _run_for(con, dataset, name or path.stem, model, grades, params)
        con.register("_imported_judgments", matched)
        con.execute(
            """
            INSERT OR REPLACE INTO judgments
                (run_id, pair_id, grade, raw_output, parse_status, error, created_at)
            SELECT ?, pair_id, score::INTEGER, raw_output, status, error, current_timestamp
            FROM _imported_judgments
            """,
            [run_id],
        )
        con.unregister("_imported_judgments")
    notes = []
    if len(failed):
        notes.append(f"{plural(len(failed), 'failed judgment')} from {side.name}")
    if added:
        notes.append(f"{plural(added, 'pair')} not in {dataset!r} added unlabelled")
    if skipped:
        notes.append(f"{plural(skipped, 'pair')} not in {dataset!r} skipped")
    return ImportSummary(
        dataset=dataset,
        queries=int(matched["query"].nunique()),
        documents=int(matched["doc_id"].nunique()),
        pairs=len(matched),
        new_pairs=added,
        skipped=skipped,
        run_id=run_id,
        notes=tuple(notes),
    )


def _frame(rows: list[list[Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=_COLUMNS).astype({"score": "Int64"})


def _read_list(
    path: Path,
    read_item: Callable[[_Item, dict[str, Any]], list[Any]],
    allow_empty: bool = False,
) -> pd.DataFrame:
    """The file's JSON list, each item read by `read_item` into a row of _COLUMNS."""
    if not path.is_file():
        raise ImportFormatError(path, f"no such file: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFormatError(path, f"not UTF-8 text ({error.reason})") from None
    if text.lstrip().startswith(_CSV_EXPORT_HEADER):
        raise ImportFormatError(
            path,
            f"this is judgement-ai's CSV export ({_CSV_EXPORT_HEADER}), which keeps no "
            "reasoning and no failures: pass the results JSON it was exported from (the "
            "--input of judgement-ai export-csv)",
            line=1,
        )
    try:
        items = json.loads(text, parse_int=_integer, parse_float=_float)
    except json.JSONDecodeError as error:
        raise ImportFormatError(
            path, f"invalid JSON at character {error.colno}: {error.msg}", line=error.lineno
        ) from None
    if not isinstance(items, list):
        raise ImportFormatError(path, f"expected a JSON list, got {type(items).__name__}")
    if not items and not allow_empty:
        raise no_rows(path)
    rows = []
    for index, (item, line) in enumerate(zip(items, _item_lines(text, len(items)))):
        at = _Item(path, index, line)
        if not isinstance(item, dict):
            raise at.error(f"expected an object, got {type(item).__name__}")
        refuse_non_finite(path, item, line=line, where=f"item {index}: ")
        rows.append(read_item(at, item))
    return _frame(rows)


def _item_lines(text: str, count: int) -> list[int]:
    """The line each of the `count` items of the valid JSON list `text` starts on."""
    decoder = json.JSONDecoder(parse_int=_integer, parse_float=_float)
    lines = []
    position, line, counted = text.index("[") + 1, 1, 0
    for _ in range(count):
        position = _JSON_SPACE.match(text, position).end()  # type: ignore[union-attr]
        line += text.count("\n", counted, position)
        counted = position
        lines.append(line)
        _, position = decoder.raw_decode(text, position)
        position = _JSON_SPACE.match(text, position).end() + 1  # type: ignore[union-attr]
    return lines


def _require(at: _Item, item: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if key not in item:
            raise at.error(f"missing key {key!r}", column=key)


def _result(at: _Item, item: dict[str, Any]) -> list[Any]:
    """A graded item: [file, index, line, query, doc_id, score, reasoning, None, 'strict']."""
    if "score" not in item and "failure_type" in item:
        raise at.error(
            "has a failure_type and no score, so this is judgement-ai's failures file: pass "
            "the results file, and this one with --failures (or beside the results as "
            "<results>-failures.json)"
        )
    _require(at, item, ("query", "doc_id", "score"))
    score = _score(at, item["score"])
    reasoning = as_text(item.get("reasoning")) or None
    return [*_where(at), *_pair_of(at, item), score, reasoning, None, "strict"]


def _score(at: _Item, score: Any) -> int:
    if isinstance(score, _OutOfRange) or (
        isinstance(score, (int, float))
        and not isinstance(score, bool)
        and not -_SCORE_LIMIT < score < _SCORE_LIMIT
    ):
        raise at.error(
            f"score {shorten(str(score), 40)} is out of range: a score is a grade, a small integer",
            column="score",
        )
    if isinstance(score, bool) or not isinstance(score, (int, float)) or score != int(score):
        raise at.error(f"expected an integer score, got {excerpt(score)}", column="score")
    return int(score)


def _failure(at: _Item, item: dict[str, Any]) -> list[Any]:
    """A failed item: no score; the error said as judgement-ai said it, with its attempts.
    A parse error is final (the model answered out of format, its answer kept); any other
    failure is an error of the endpoint."""
    if "score" in item:
        raise at.error(
            "has a score, so this is a judgement-ai results file, not its failures file: "
            "pass it as the results file, and the failures file (<results>-failures.json) "
            "with --failures",
            column="score",
        )
    _require(at, item, ("query", "doc_id", "failure_type", "error"))
    kind = as_text(item["failure_type"])
    attempts = item.get("attempts")
    tries = f" after {attempts} attempts" if isinstance(attempts, int) else ""
    error = f"judgement-ai {kind}{tries}: {as_text(item['error'])}"
    status = "unparsed" if kind == _ANSWERED else "error"
    raw = as_text(item.get("raw_response")) or None
    return [*_where(at), *_pair_of(at, item), None, raw, error, status]


def _where(at: _Item) -> list[Any]:
    return [at.path, at.index, at.line]


def _pair_of(at: _Item, item: dict[str, Any]) -> list[str]:
    """The item's (query, doc_id), trimmed as they are matched: a query is text that is
    not blank; a doc_id is text or an integer (JSON ids often are), not empty."""
    query, doc_id = item["query"], item["doc_id"]
    if not isinstance(query, str):
        raise at.error(f"expected the query as text, got {_kind(query)}", column="query")
    if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)):
        raise at.error(
            f"expected the doc_id as text or an integer, got {_kind(doc_id)}", column="doc_id"
        )
    pair = [query.strip(), as_text(doc_id).strip()]
    for key, value in zip(("query", "doc_id"), pair):
        if not value:
            raise at.error(f"empty {key}", column=key)
    return pair


def _kind(value: Any) -> str:
    """A JSON value's kind as the file spells it: an object, a list, true, null, 1.5."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return excerpt(json.dumps(value))


def _dataset_grades(con: duckdb.DuckDBPyConnection, dataset: str) -> list[int]:
    rows = con.execute("SELECT grades FROM datasets WHERE dataset = ?", [dataset]).fetchall()
    if not rows:
        raise NotFoundError(f"no dataset named {dataset!r}; import its pairs first")
    return list(rows[0][0])


def _refuse_first(
    bad: pd.DataFrame, *, reason: Callable[[pd.Series], str], column: str | None = None
) -> None:
    """Raise for the first item of `bad` (if any), naming its file and index in the list."""
    if len(bad):
        item = bad.iloc[0]
        raise ImportFormatError(
            item["file"], f"item {item['index']}: {reason(item)}", line=item["line"], column=column
        )


def _on_scale(
    judged: pd.DataFrame, dataset: str, grades: list[int], scale_map: Mapping[int, int] | None
) -> pd.DataFrame:
    """Scores as grades of the dataset: through `scale_map` when given."""
    on_scale = ", ".join(map(str, grades))
    if scale_map is not None:
        off = sorted(g for g in set(scale_map.values()) if g not in grades)
        if off:
            raise StoreError(
                f"the scale map sends scores to {', '.join(map(str, off))}, not on the scale "
                f"of {dataset!r} ({on_scale})"
            )
        scored = judged["score"].notna()
        _refuse_first(
            judged[scored & ~judged["score"].isin(list(scale_map))],
            column="score",
            reason=lambda item: (
                f"score {item['score']} is not in the scale map "
                f"({', '.join(map(str, sorted(scale_map)))}): add it to the map"
            ),
        )
        judged = judged.assign(score=judged["score"].map(scale_map, na_action="ignore"))
        return judged.astype({"score": "Int64"})
    _refuse_first(
        judged[judged["score"].notna() & ~judged["score"].isin(grades)],
        column="score",
        reason=lambda item: (
            f"score {item['score']} is not on the scale of {dataset!r} ({on_scale}); map "
            "the file's scale onto it, e.g. --scale-map 0=0,1=1,2=1,3=2"
        ),
    )
    return judged


def _pair_text(item: pd.Series) -> str:
    return f"(query {excerpt(item['query'])}, doc_id {excerpt(item['doc_id'])})"


def _stored_pairs(con: duckdb.DuckDBPyConnection, dataset: str) -> pd.DataFrame:
    """Every pair of the dataset with its query text trimmed, as items are matched."""
    pairs = con.execute(
        "SELECT p.pair_id, q.query_id, q.query, p.doc_id FROM pairs p "
        "JOIN queries q USING (dataset, query_id) WHERE p.dataset = ?",
        [dataset],
    ).df()
    return pairs.assign(query=pairs["query"].str.strip())


def _match_pairs(
    con: duckdb.DuckDBPyConnection, dataset: str, judged: pd.DataFrame, unknown: UnknownPairs
) -> tuple[pd.DataFrame, int, int]:
    """Each item with its pair_id; and how many pairs were added and items skipped."""
    _refuse_first(
        judged[judged.duplicated(["query", "doc_id"], keep="first")],
        reason=lambda item: f"the pair {_pair_text(item)} is judged twice in these files",
    )
    pairs = _stored_pairs(con, dataset)
    keys = ["query", "doc_id"]
    matched = judged.merge(pairs[["pair_id", *keys]], on=keys, how="left")
    _refuse_first(
        matched[matched.duplicated(["file", "index"], keep="first")],
        reason=lambda item: (
            f"{_pair_text(item)} matches several pairs (the query text has several query ids)"
        ),
    )
    missing = matched["pair_id"].isna()
    if not missing.any():
        return matched.astype({"pair_id": "int64"}), 0, 0
    if unknown == "skip":
        return matched[~missing].astype({"pair_id": "int64"}), 0, int(missing.sum())
    added = _add_pairs(con, dataset, matched[missing], pairs)
    matched = judged.merge(_stored_pairs(con, dataset)[["pair_id", *keys]], on=keys, how="left")
    return matched.astype({"pair_id": "int64"}), added, 0


def _add_pairs(
    con: duckdb.DuckDBPyConnection, dataset: str, items: pd.DataFrame, pairs: pd.DataFrame
) -> int:
    """Add the items' pairs to the dataset, unlabelled: a query text the dataset has keeps
    its id, a new one gets the id a table import would give it; a new document is an id
    with no text until a file brings it."""
    known = pairs.drop_duplicates("query").set_index("query")["query_id"]
    new = items[["query", "doc_id"]].assign(
        query_id=[known.get(q, query_id_for(q)) for q in items["query"]]
    )
    con.register("_new_pairs", new)
    con.execute(
        """
        INSERT INTO queries (dataset, query_id, query)
        SELECT DISTINCT $dataset, query_id, query FROM _new_pairs
        ANTI JOIN (SELECT query_id FROM queries WHERE dataset = $dataset) USING (query_id)
        """,
        {"dataset": dataset},
    )
    con.execute(
        """
        INSERT INTO documents (dataset, doc_id)
        SELECT DISTINCT $dataset, doc_id FROM _new_pairs
        ANTI JOIN (SELECT doc_id FROM documents WHERE dataset = $dataset) USING (doc_id)
        """,
        {"dataset": dataset},
    )
    con.execute(
        """
        INSERT INTO pairs (pair_id, dataset, query_id, doc_id)
        SELECT nextval('pair_id_seq'), $dataset, query_id, doc_id FROM _new_pairs
        """,
        {"dataset": dataset},
    )
    con.unregister("_new_pairs")
    return len(new)


def _run_for(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    name: str,
    model: str,
    grades: list[int],
    params: dict[str, str],
) -> int:
    """The run this file was imported as before, or a new one."""
    rows = con.execute(
        "SELECT run_id FROM judge_runs WHERE dataset = ? AND backend = ? "
        "AND json_extract_string(params, '$.sha256') = ? ORDER BY run_id LIMIT 1",
        [dataset, BACKEND, params["sha256"]],
    ).fetchall()
    if rows:
        con.execute(
            "UPDATE judge_runs SET params = ? WHERE run_id = ?", [json.dumps(params), rows[0][0]]
        )
        return int(rows[0][0])
    # No prompt is known for an imported run: the template is empty and hashed as such.
    return int(
        con.execute(
            """
        INSERT INTO judge_runs (name, dataset, backend, model, prompt_template, prompt_sha256,
            scale, params, status, finished_at)
        VALUES (?, ?, ?, ?, '', ?, ?, ?, 'imported', current_timestamp) RETURNING run_id
        """,
            [
                name,
                dataset,
                BACKEND,
                model,
                hashlib.sha256(b"").hexdigest(),
                grades,
                json.dumps(params),
            ],
        ).fetchall()[0][0]
    )
