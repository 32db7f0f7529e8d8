"""The seed's checks on a fine-tuning JSONL file, every problem reported with its line.

A file, or an export folder (its train file checked against its validation file, and
every file against the manifest).
Rules: each line is a JSON object with the fields its format requires (the format's check,
declared in `_registry`); answers are only the allowed answer lines (the judge's, for the
template and scale the file was exported with: `SCORE: 2`, `[RESULT] 4`); no record's ids
(query_id, product_id) appear twice; and, given a second file, no query_id is in both (a
query-level split leaks nothing). The format is the manifest's, or read from the first
object's keys, and every line is held to it.

In a folder, each file the manifest lists must have the rows and sha256 it records, and no
other data file may sit beside them: `datasets.load_dataset(folder)` would read it as part
of a split.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import NotFoundError
from ._checks import Found
from ._files import file_digest
from ._folder import MANIFEST, export_paths, read_manifest
from ._formats import TrainingFormat
from ._registry import EXPORT_FORMATS, export_format


@dataclass(frozen=True)
class ValidationProblem:
    """One broken rule: 1-based line (None for a folder's file as a whole, then `field` is
    the file's name), the field (dotted path, or None for the whole line)."""

    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        if self.line is None:  # a file as a whole: `field` names the file, if any
            return f"{self.field}: {self.message}" if self.field else self.message
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


def _detect_format(record: dict[str, Any], allowed: set[str]) -> TrainingFormat:
    if "product_a" in record:
        return "pairwise-preference"
    if "messages" in record:
        return "chat"
    if "chosen" in record or "rejected" in record:
        return "preference"
    if "completion" in record:
        return "prompt-completion"
    output = record.get("output")
    if not isinstance(output, str) or output in allowed:
        return "instruction"
    if any(output.endswith(" " + answer) for answer in allowed):
        return "prometheus"  # feedback before the answer line
    return "instruction"


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


def _ids(record: dict[str, Any], names: tuple[str, ...], found: Found) -> tuple[str, ...] | None:
    ids = tuple(_key(record.get(name)) for name in names)
    found += [
        (name, "required id (text or integer) is missing")
        for name, value in zip(names, ids)
        if value is None
    ]
    return None if None in ids else ids  # type: ignore[return-value]


def _read(
    path: Path, answers: Collection[str], format: TrainingFormat | None = None
) -> tuple[ValidationReport, dict[tuple[str, ...], int]]:
    """The file's report and the first line of each record's ids (query_id first)."""
    if not path.is_file():
        raise NotFoundError(f"no such file: {path}")
    allowed = set(answers)
    problems: list[ValidationProblem] = []
    seen: dict[tuple[str, ...], int] = {}
    rows = 0
    with open(path, "rb") as file:
        for number, raw in enumerate(file, start=1):
            rows += 1
            record = _parse(raw)
            if isinstance(record, str):
                problems.append(ValidationProblem(number, None, record))
                continue
            format = format or _detect_format(record, allowed)
            declared = EXPORT_FORMATS[format]
            found: Found = []
            ids = _ids(record, declared.ids, found)
            declared.check(record, allowed, found)
            if ids in seen:
                shown = ", ".join(f"{n.removesuffix('_id')} {v}" for n, v in zip(declared.ids, ids))
                found.append((declared.ids[-1], f"duplicate of line {seen[ids]}: {shown}"))
            elif ids is not None:
                seen[ids] = number
            problems += [ValidationProblem(number, name, message) for name, message in found]
    return ValidationReport(path, format, rows, problems), seen


def _first_lines(seen: dict[tuple[str, ...], int]) -> dict[str, int]:
    first: dict[str, int] = {}
    for (query, *_), number in seen.items():
        first[query] = min(number, first.get(query, number))
    return first


def validate_training_file(
    path: str | Path,
    other: str | Path | None = None,
    *,
    answers: Collection[str],
    format: TrainingFormat | None = None,
) -> ValidationReport:
    """Check `path` line by line and, with `other`, that no query is in both files (the
    other file's own problems are its own report's business).

    `answers` are the allowed answer lines, every grade of the scale in the judge's answer
    format (`jobs.validate_training` takes them from a template). `format` holds every line
    to that format; by default it is read from the first record.
    """
    if format is not None:
        export_format(format)
    report, seen = _read(Path(path), answers, format)
    if other is not None:
        _, other_seen = _read(Path(other), answers, format)
        theirs = _first_lines(other_seen)
        name = Path(other).name
        report.problems.extend(
            ValidationProblem(
                number, "query_id", f"query {query} is also in {name} line {theirs[query]}"
            )
            for query, number in _first_lines(seen).items()
            if query in theirs
        )
        report.problems.sort(key=lambda p: p.line or 0)
    return report


def _check_against_manifest(folder: Path, manifest: dict[str, Any] | None) -> ValidationReport:
    """The folder as the manifest describes it: each listed file there with its rows and
    sha256, and no other data file beside them."""
    path = folder / MANIFEST
    if manifest is None:
        problem = f"no readable {MANIFEST}: the files cannot be checked against their export"
        return ValidationReport(path, None, 0, [ValidationProblem(None, None, problem)])
    problems = []
    files = [f for f in manifest.get("files", []) if isinstance(f, dict)]
    for entry in files:
        name = str(entry.get("name"))
        file = folder / name
        if not file.is_file():
            problems.append(ValidationProblem(None, name, "is listed but missing"))
            continue
        found = file_digest(file)
        if found.rows != entry.get("rows"):
            said = f"has {found.rows} rows, the manifest says {entry.get('rows')}"
            problems.append(ValidationProblem(None, name, said))
        if found.sha256 != entry.get("sha256"):
            problems.append(
                ValidationProblem(
                    None, name, "sha256 differs from the manifest's: it changed since"
                )
            )
    listed = {MANIFEST, *(str(f.get("name")) for f in files)}
    problems += [
        ValidationProblem(
            None,
            other.name,
            "is not part of this export: datasets.load_dataset(folder) would read it as data; "
            "move it out of the folder",
        )
        for other in sorted(folder.iterdir())
        if other.name not in listed and not other.name.startswith(".")
    ]
    rows = sum(f.get("rows", 0) for f in files if isinstance(f.get("rows"), int))
    return ValidationReport(path, manifest.get("format"), rows, problems)


def validate_export_folder(
    folder: str | Path, *, answers: Collection[str]
) -> list[ValidationReport]:
    """Check an export folder: `train.jsonl` (against `validation.jsonl`, so no query is in
    both), `validation.jsonl` when there is one, then the folder against its manifest."""
    paths = export_paths(folder)
    if not paths["train"].is_file():
        raise NotFoundError(f"{folder} has no {paths['train'].name}: is it an export folder?")
    manifest = read_manifest(folder)
    named = manifest.get("format") if manifest else None
    format = named if named in EXPORT_FORMATS else None
    validation = paths["validation"] if paths["validation"].is_file() else None
    reports = [validate_training_file(paths["train"], validation, answers=answers, format=format)]
    if validation is not None:
        reports.append(validate_training_file(validation, answers=answers, format=format))
    return [*reports, _check_against_manifest(Path(folder), manifest)]
