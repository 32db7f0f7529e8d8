"""The seed's checks on a fine-tuning JSONL file, every problem reported with its line.

Rules: each line is a JSON object with the fields its format requires; answers are only the
allowed answer lines (the judge's, for the template and scale the file was exported with:
`SCORE: 2`, `[RESULT] 4`); no (query_id, product_id) appears twice; and, given a second
file, no query_id is in both (a query-level split leaks nothing). The format is read from
the first object's keys, and every line is held to it.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import NotFoundError
from ._formats import INPUT_FIELDS, TrainingFormat

_CHAT_ROLES = ("system", "user", "assistant")

# (field, message) pairs a record check appends to; the reader adds the line number.
Found = list[tuple[str, str]]


@dataclass(frozen=True)
class ValidationProblem:
    """One broken rule: 1-based line, the field (dotted path, or None for the whole line)."""

    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", field {self.field}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ValidationReport:
    """Every problem found in `path`, in line order; `ok` when there is none."""

    path: Path
    format: TrainingFormat | None
    rows: int
    problems: list[ValidationProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        head = f"{self.path}: {self.rows} rows, format {self.format or 'unknown'}"
        if self.ok:
            return f"{head}, no problems"
        return "\n".join(
            [f"{head}, {len(self.problems)} problems:", *(f"  {p}" for p in self.problems)]
        )


def _detect_format(record: dict[str, Any]) -> TrainingFormat:
    if "messages" in record:
        return "chat"
    if "chosen" in record or "rejected" in record:
        return "preference"
    return "instruction"


def _text(record: dict[str, Any], key: str, name: str, problems: Found) -> Any:
    if key not in record:
        problems.append((name, "required field is missing"))
        return None
    value = record[key]
    if not isinstance(value, str):
        problems.append((name, f"must be text, got {type(value).__name__}"))
        return None
    return value


def _answer(
    record: dict[str, Any], key: str, name: str, allowed: set[str], problems: Found
) -> str | None:
    value = _text(record, key, name, problems)
    if value is not None and value not in allowed:
        problems.append((name, f"{value!r} is not one of {sorted(allowed)}"))
        return None
    return value


def _check_instruction(record: dict[str, Any], allowed: set[str], problems: Found) -> None:
    if _text(record, "instruction", "instruction", problems) == "":
        problems.append(("instruction", "is empty"))
    inputs = record.get("input")
    if not isinstance(inputs, dict):
        missing = "input" not in record
        problems.append(("input", "required object is missing" if missing else "must be an object"))
    else:
        for name in INPUT_FIELDS:
            _text(inputs, name, f"input.{name}", problems)
    _answer(record, "output", "output", allowed, problems)


def _check_chat(record: dict[str, Any], allowed: set[str], problems: Found) -> None:
    messages = record.get("messages")
    if not isinstance(messages, list) or len(messages) != len(_CHAT_ROLES):
        roles = ", ".join(_CHAT_ROLES)
        problems.append(("messages", f"must be a list of {len(_CHAT_ROLES)} messages: {roles}"))
        return
    for index, (message, role) in enumerate(zip(messages, _CHAT_ROLES)):
        name = f"messages[{index}]"
        if not isinstance(message, dict):
            problems.append((name, "must be an object with role and content"))
            continue
        if message.get("role") != role:
            problems.append((f"{name}.role", f"must be {role!r}, got {message.get('role')!r}"))
        if role == "assistant":
            _answer(message, "content", f"{name}.content", allowed, problems)
        else:
            _text(message, "content", f"{name}.content", problems)


def _check_preference(record: dict[str, Any], allowed: set[str], problems: Found) -> None:
    _text(record, "prompt", "prompt", problems)
    chosen = _answer(record, "chosen", "chosen", allowed, problems)
    rejected = _answer(record, "rejected", "rejected", allowed, problems)
    if chosen is not None and chosen == rejected:
        problems.append(("rejected", f"is the same answer as chosen ({chosen!r})"))


_CHECKS = {"instruction": _check_instruction, "chat": _check_chat, "preference": _check_preference}


def _key(value: Any) -> str | None:
    # Ids are exported as text; a hand-made file may hold numbers, which name the same query.
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return str(value)


def _parse(raw: bytes) -> dict[str, Any] | str:
    """One line as a JSON object, or why it is not one."""
    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        return f"not UTF-8 text: byte {error.start + 1} is {raw[error.start]:#04x}"
    except json.JSONDecodeError as error:
        return f"not valid JSON: {error.msg} at column {error.colno}"
    if not isinstance(record, dict):
        return "must be a JSON object"
    return record


def _ids(record: dict[str, Any], found: Found) -> tuple[str, str] | None:
    query, product = (_key(record.get(key)) for key in ("query_id", "product_id"))
    found += [
        (key, "required id (text or integer) is missing")
        for key, value in (("query_id", query), ("product_id", product))
        if value is None
    ]
    return None if query is None or product is None else (query, product)


def _read(
    path: Path, answers: Collection[str]
) -> tuple[ValidationReport, dict[tuple[str, str], int]]:
    """The file's report and the first line of each (query_id, product_id)."""
    if not path.is_file():
        raise NotFoundError(f"no such file: {path}")
    allowed = set(answers)
    problems: list[ValidationProblem] = []
    format: TrainingFormat | None = None
    seen: dict[tuple[str, str], int] = {}
    rows = 0
    with open(path, "rb") as file:
        for number, raw in enumerate(file, start=1):
            rows += 1
            record = _parse(raw)
            if isinstance(record, str):
                problems.append(ValidationProblem(number, None, record))
                continue
            format = format or _detect_format(record)
            found: Found = []
            pair = _ids(record, found)
            _CHECKS[format](record, allowed, found)
            if pair in seen:
                found.append(
                    (
                        "product_id",
                        f"duplicate of line {seen[pair]}: query {pair[0]}, product {pair[1]}",
                    )
                )
            elif pair is not None:
                seen[pair] = number
            problems += [ValidationProblem(number, name, message) for name, message in found]
    return ValidationReport(path, format, rows, problems), seen


def _first_lines(seen: dict[tuple[str, str], int]) -> dict[str, int]:
    first: dict[str, int] = {}
    for (query, _), number in seen.items():
        first[query] = min(number, first.get(query, number))
    return first


def validate_training_file(
    path: str | Path, other: str | Path | None = None, *, answers: Collection[str]
) -> ValidationReport:
    """Check `path` line by line and, with `other`, that no query is in both files (the
    other file's own problems are its own report's business).

    `answers` are the allowed answer lines, every grade of the scale in the judge's answer
    format (`jobs.validate_training` takes them from a template).
    """
    report, seen = _read(Path(path), answers)
    if other is not None:
        _, other_seen = _read(Path(other), answers)
        theirs = _first_lines(other_seen)
        name = Path(other).name
        report.problems.extend(
            ValidationProblem(
                number, "query_id", f"query {query} is also in {name} line {theirs[query]}"
            )
            for query, number in _first_lines(seen).items()
            if query in theirs
        )
        report.problems.sort(key=lambda p: p.line)
    return report
