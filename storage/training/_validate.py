"""The seed's checks on a fine-tuning JSONL file, every problem reported with its line.

A file, or an export folder (its train file checked against its validation file).
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
from ._export import export_paths
from ._formats import INPUT_FIELDS, TrainingFormat

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
    if "completion" in record:
        return "prompt-completion"
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
    """The answer line at `key`; a standard completion may start with the line break that
    puts the answer on its own line."""
    value = _text(record, key, name, problems)
    if value is not None and value.lstrip("\n") not in allowed:
        problems.append((name, f"{value!r} is not one of {sorted(allowed)}"))
        return None
    return None if value is None else value.lstrip("\n")


def _messages(
    value: Any, name: str, roles: tuple[tuple[str, ...], ...], problems: Found
) -> list[dict[str, Any]] | None:
    """A list of {role, content} messages whose roles are one of `roles`, or None (and
    the problem noted)."""
    shapes = " or ".join(", ".join(r) for r in roles)
    if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
        problems.append((name, f"must be a list of messages ({shapes})"))
        return None
    found = tuple(m.get("role") for m in value)
    if found not in roles:
        problems.append((name, f"roles must be {shapes}, got {', '.join(map(str, found))}"))
        return None
    for index, message in enumerate(value):
        _text(message, "content", f"{name}[{index}].content", problems)
    return value


# The judge sends its prompt as one user message; a system message before it is accepted,
# as files from other tools (and this tool's earlier exports) carry one.
_PROMPT_ROLES = (("user",), ("system", "user"))
_ANSWER_ROLES = (("assistant",),)


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
    roles = tuple((*prompt, "assistant") for prompt in _PROMPT_ROLES)
    messages = _messages(record.get("messages"), "messages", roles, problems)
    if messages:
        last = f"messages[{len(messages) - 1}].content"
        _answer(messages[-1], "content", last, allowed, problems)


def _check_prompt(record: dict[str, Any], problems: Found) -> bool | None:
    """Check `prompt`, text or the judge's messages; whether it is messages (None when it
    is neither)."""
    prompt = record.get("prompt")
    if isinstance(prompt, list):
        return _messages(prompt, "prompt", _PROMPT_ROLES, problems) is not None
    if _text(record, "prompt", "prompt", problems) == "":
        problems.append(("prompt", "is empty"))
    return False if isinstance(prompt, str) else None


def _check_completion(
    record: dict[str, Any], key: str, conversational: bool | None, allowed: set[str], found: Found
) -> str | None:
    """The answer line a completion holds: text, or one assistant message when the prompt
    is messages (TRL reads both sides in the same form)."""
    value = record.get(key)
    if conversational and isinstance(value, list):
        messages = _messages(value, key, _ANSWER_ROLES, found)
        return (
            _answer(messages[0], "content", f"{key}[0].content", allowed, found)
            if messages
            else None
        )
    if conversational and key in record:
        found.append((key, "must be a list with one assistant message, as the prompt is messages"))
        return None
    return _answer(record, key, key, allowed, found)


def _check_prompt_completion(record: dict[str, Any], allowed: set[str], problems: Found) -> None:
    conversational = _check_prompt(record, problems)
    _check_completion(record, "completion", conversational, allowed, problems)


def _check_preference(record: dict[str, Any], allowed: set[str], problems: Found) -> None:
    conversational = _check_prompt(record, problems)
    chosen = _check_completion(record, "chosen", conversational, allowed, problems)
    rejected = _check_completion(record, "rejected", conversational, allowed, problems)
    if chosen is not None and chosen == rejected:
        problems.append(("rejected", f"is the same answer as chosen ({chosen!r})"))


_CHECKS = {
    "instruction": _check_instruction,
    "chat": _check_chat,
    "prompt-completion": _check_prompt_completion,
    "preference": _check_preference,
}


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


def validate_export_folder(
    folder: str | Path, *, answers: Collection[str]
) -> list[ValidationReport]:
    """Check an export folder: `train.jsonl` (against `validation.jsonl`, so no query is in
    both) and `validation.jsonl` when there is one."""
    paths = export_paths(folder)
    if not paths["train"].is_file():
        raise NotFoundError(f"{folder} has no {paths['train'].name}: is it an export folder?")
    if not paths["validation"].is_file():
        return [validate_training_file(paths["train"], answers=answers)]
    return [
        validate_training_file(paths["train"], paths["validation"], answers=answers),
        validate_training_file(paths["validation"], answers=answers),
    ]
