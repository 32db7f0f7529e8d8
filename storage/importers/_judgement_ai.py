"""judgement-ai result files imported as a judge run, so its grades can be measured and
browsed like any run made here.

The file is a JSON list of {query, doc_id, score, reasoning, rank}. Each item is matched to
a pair of the dataset by (query text, doc_id); the score becomes the judgment's grade and
the reasoning its raw output. The same file imported twice updates the same run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .._db import Db, connect, transaction
from .._errors import ImportFormatError, NotFoundError, excerpt
from ._batch import ImportSummary
from ._read import as_text, no_rows, refuse_non_finite

BACKEND = "judgement-ai"


def import_judgement_ai(
    db: Db,
    path: str | Path,
    *,
    dataset: str,
    name: str | None = None,
    model: str = "unknown",
) -> ImportSummary:
    """Import a judgement-ai results file as a run over `dataset` (status 'imported')."""
    path = Path(path)
    items = _read_items(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with connect(db) as con, transaction(con):
        grades = _dataset_grades(con, dataset)
        judged = _match_pairs(con, path, dataset, items, grades)
        run_id = _run_for(
            con, dataset, name or path.stem, model, grades, {"file": path.name, "sha256": digest}
        )
        con.register("_imported_judgments", judged)
        con.execute(
            """
            INSERT OR REPLACE INTO judgments
                (run_id, pair_id, grade, raw_output, parse_status, created_at)
            SELECT ?, pair_id, score::INTEGER, reasoning, 'strict', current_timestamp
            FROM _imported_judgments
            """,
            [run_id],
        )
        con.unregister("_imported_judgments")
    return ImportSummary(
        dataset=dataset,
        queries=int(judged["query"].nunique()),
        documents=int(judged["doc_id"].nunique()),
        pairs=len(judged),
        run_id=run_id,
    )


def _read_items(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ImportFormatError(path, f"no such file: {path}")
    try:
        items = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as error:
        raise ImportFormatError(
            path, f"invalid JSON at character {error.colno}: {error.msg}", line=error.lineno
        ) from None
    except UnicodeDecodeError as error:
        raise ImportFormatError(path, f"not UTF-8 text ({error.reason})") from None
    if not isinstance(items, list):
        raise ImportFormatError(
            path, f"expected a JSON list of results, got {type(items).__name__}"
        )
    if not items:
        raise no_rows(path)
    rows = [_item(path, index, item) for index, item in enumerate(items)]
    return pd.DataFrame(rows, columns=["index", "query", "doc_id", "score", "reasoning"])


def _item(path: Path, index: int, item: Any) -> list[Any]:
    if not isinstance(item, dict):
        raise ImportFormatError(
            path, f"item {index}: expected an object, got {type(item).__name__}"
        )
    refuse_non_finite(path, item, where=f"item {index}: ")
    for key in ("query", "doc_id", "score"):
        if key not in item:
            raise ImportFormatError(path, f"item {index}: missing key {key!r}", column=key)
    score = item["score"]
    if isinstance(score, bool) or not isinstance(score, (int, float)) or float(score) != int(score):
        raise ImportFormatError(
            path, f"item {index}: expected an integer score, got {excerpt(score)}", column="score"
        )
    return [
        index,
        as_text(item["query"]),
        as_text(item["doc_id"]).strip(),
        int(score),
        as_text(item.get("reasoning")) or None,
    ]


def _dataset_grades(con: duckdb.DuckDBPyConnection, dataset: str) -> list[int]:
    rows = con.execute("SELECT grades FROM datasets WHERE dataset = ?", [dataset]).fetchall()
    if not rows:
        raise NotFoundError(f"no dataset named {dataset!r}; import its pairs first")
    return list(rows[0][0])


def _refuse_first(
    path: Path,
    bad: pd.DataFrame,
    *,
    reason: Callable[[pd.Series], str],
    column: str | None = None,
) -> None:
    """Raise for the first item of `bad` (if any), naming its index in the file's list."""
    if len(bad):
        item = bad.iloc[0]
        raise ImportFormatError(path, f"item {item['index']}: {reason(item)}", column=column)


def _pair(item: pd.Series) -> str:
    return f"(query {excerpt(item['query'])}, doc_id {excerpt(item['doc_id'])})"


def _match_pairs(
    con: duckdb.DuckDBPyConnection, path: Path, dataset: str, items: pd.DataFrame, grades: list[int]
) -> pd.DataFrame:
    """Each item with its pair_id, or an error naming the first item that matches none."""
    _refuse_first(
        path,
        items[~items["score"].isin(grades)],
        column="score",
        reason=lambda item: (
            f"score {item['score']} is not on the scale of {dataset!r} "
            f"({', '.join(map(str, grades))})"
        ),
    )
    pairs = con.execute(
        "SELECT p.pair_id, q.query, p.doc_id FROM pairs p JOIN queries q USING (dataset, query_id) "
        "WHERE p.dataset = ?",
        [dataset],
    ).df()
    matched = items.merge(pairs, on=["query", "doc_id"], how="left")
    _refuse_first(
        path,
        matched[matched["index"].duplicated()],
        reason=lambda item: (
            f"{_pair(item)} matches several pairs (the query text has several query ids)"
        ),
    )
    _refuse_first(
        path,
        matched[matched["pair_id"].isna()],
        reason=lambda item: f"no pair {_pair(item)} in dataset {dataset!r}",
    )
    _refuse_first(
        path,
        matched[matched.duplicated("pair_id", keep="first")],
        reason=lambda item: f"the pair {_pair(item)} is judged twice in this file",
    )
    return matched.astype({"pair_id": "int64"})


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
