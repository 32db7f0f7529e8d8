"""The seed's instruction-tuning JSONL, so an exported training file can be read back.

One object a line: {"query_id", "product_id", "instruction", "input": {"query",
"product_name", "product_class", "category_hierarchy", "product_description"},
"output": "SCORE: N"}. The instruction text is not stored: it belongs to the prompt, not
to the pair. `output` is an answer line of the template the file was written with
(`SCORE: 2`, `[RESULT] 4`); the answer lines come in from the caller
(`jobs.import_instruction` takes them from the judge's template), as this room spells none.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from grade_scale import WANDS_SCALE, Scale

from .._db import Db
from .._errors import excerpt
from ._batch import ROW, ImportBatch, ImportSummary, Part, import_batch
from ._read import SourceTable, as_text, known_lines, read_jsonl

_INPUT_FIELDS = {
    "query": "query",
    "product_name": "title",
    "product_class": "doc_class",
    "category_hierarchy": "category",
    "product_description": "description",
}


def import_instruction_jsonl(
    db: Db,
    path: str | Path,
    *,
    dataset: str,
    answers: Mapping[str, int],
    scale: Scale = WANDS_SCALE,
    author: str | None = None,
) -> ImportSummary:
    """Import an instruction-tuning JSONL file (the seed's format) as `dataset`; `answers`
    maps each answer line an `output` may hold to its grade."""
    path = Path(path)
    records, lines = read_jsonl(path)
    table = SourceTable(path, pd.DataFrame(index=range(len(records))), known_lines(lines))
    flat = pd.DataFrame(
        [_flatten(table, i, record, answers) for i, record in enumerate(records)],
        columns=["query_id", "doc_id", "grade", *_INPUT_FIELDS.values()],
    )
    flat[ROW] = range(len(flat))
    flat["query_class"] = ""
    names = {
        "doc_id": "product_id",
        "grade": "output",
        **{ours: f"input.{theirs}" for theirs, ours in _INPUT_FIELDS.items()},
    }
    batch = ImportBatch(
        dataset=dataset,
        source=f"instruction JSONL {path.name}",
        scale=scale,
        queries=Part(table, flat[["query_id", "query", "query_class", ROW]], names, noun="query"),
        documents=Part(
            table,
            flat[["doc_id", "title", "doc_class", "category", "description", ROW]],
            names,
            noun="product",
        ),
        labels=Part(
            table,
            flat[["query_id", "doc_id", "grade", ROW]].astype({"grade": "Int64"}),
            names,
            noun="product",
        ),
        author=author,
    )
    return import_batch(db, batch)


def _flatten(
    table: SourceTable, row: int, record: dict[str, Any], answers: Mapping[str, int]
) -> list[Any]:
    """One line as [query_id, doc_id, grade, query, title, class, category, description]."""
    for key in ("query_id", "product_id", "input", "output"):
        if key not in record:
            raise table.error(row, key, f"missing key {key!r}")
    given = record["input"]
    if not isinstance(given, dict):
        raise table.error(
            row,
            "input",
            "expected an object with query, product_name, product_class, "
            f"category_hierarchy and product_description, got {type(given).__name__}",
        )
    if "query" not in given:
        raise table.error(row, "input.query", "missing key 'query'")
    grade = answers.get(str(record["output"]).strip())
    if grade is None:
        allowed = ", ".join(f"'{answer}'" for answer in answers)
        raise table.error(
            row, "output", f"expected one of {allowed}, got {excerpt(record['output'])}"
        )
    return [
        as_text(record["query_id"]).strip(),
        as_text(record["product_id"]).strip(),
        grade,
        *(as_text(given.get(key)) for key in _INPUT_FIELDS),
    ]
