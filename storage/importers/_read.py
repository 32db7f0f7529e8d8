"""Reading import files into string tables that remember where each row came from.

Every reader returns a `SourceTable`: all values as text ('' for missing), so importers
validate one representation, plus a way back from a row to its line in the file, so every
error can name the file, the line and the column.

Rules every format shares, decided here once:
- a file with no rows (empty, blank lines only, or a header alone) is an error: an empty
  dataset or run is never what an import was for (`no_rows`);
- NaN and Infinity are not missing values: JSON has neither, so a JSON file holding one is
  refused at that key (`refuse_non_finite`), and a Parquet NaN reads as the text 'NaN',
  which no grade or id matches.
"""

from __future__ import annotations

import csv
import json
import math
import mmap
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pa_parquet

from .._errors import ImportFormatError, excerpt, shorten

TABLE_FORMATS = ("csv", "tsv", "jsonl", "parquet")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass(frozen=True)
class SourceTable:
    """Rows of one file as text, with the line each row starts on (None for Parquet)."""

    path: Path
    frame: pd.DataFrame
    line_of: Callable[[int], int | None]
    has_header: bool = False
    # Per column, the first row whose value was not text in the file (a JSON object, list
    # or boolean) and what it was: such a value reads as text here but is no id.
    not_text: Mapping[str, tuple[int, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.frame) == 0:
            raise no_rows(self.path)

    def error(self, row: int | None, column: str | None, message: str) -> ImportFormatError:
        """An error at `row` (position in `frame`) and `column`, as the user sees the file."""
        line = None if row is None else self.line_of(row)
        if row is not None and line is None:
            message = f"row {row + 1}: {message}"
        return ImportFormatError(self.path, message, line=line, column=column)

    def require_text(self, columns: Sequence[str]) -> None:
        """Fail at the first value of `columns` that was not text in the file (an id)."""
        for column in columns:
            if column in self.not_text:
                row, kind = self.not_text[column]
                raise self.error(row, column, f"expected text, got {kind}")

    def header_error(self, message: str) -> ImportFormatError:
        return ImportFormatError(self.path, message, line=1 if self.has_header else None)

    def require(self, columns: Sequence[str]) -> None:
        """Fail on the header when a column the importer needs is missing."""
        missing = [c for c in columns if c not in self.frame.columns]
        if missing:
            have = shorten(", ".join(self.frame.columns), 120)
            raise self.header_error(
                f"missing column {', '.join(excerpt(c) for c in missing)} (the file has: {have})"
            )


def no_rows(path: Path) -> ImportFormatError:
    """The one error for a file with nothing to import."""
    return ImportFormatError(
        path, "no rows: the file is empty or has only a header; an import needs at least one row"
    )


def refuse_non_finite(
    path: Path, value: Any, *, line: int | None = None, where: str = "", key: str = ""
) -> None:
    """Raise at the first NaN or Infinity inside a parsed JSON `value` (Python's parser
    accepts them, JSON does not), naming its key; `where` prefixes the message."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ImportFormatError(
            path,
            f"{where}{json.dumps(value)} is not a number JSON allows; write null for a "
            "missing value",
            line=line,
            column=key or None,
        )
    if isinstance(value, dict):
        for name, item in value.items():
            inner = f"{key}.{name}" if key else name
            refuse_non_finite(path, item, line=line, where=where, key=inner)
    elif isinstance(value, list):
        for item in value:
            refuse_non_finite(path, item, line=line, where=where, key=key)


def first_row(mask: pd.Series | np.ndarray) -> int | None:
    """Position of the first True in `mask`, or None."""
    hits = np.flatnonzero(np.asarray(mask, dtype=bool))
    return int(hits[0]) if len(hits) else None


def table_format(path: Path, format: str | None = None) -> str:
    """The format named, or the one the file extension implies."""
    if format is not None:
        if format not in TABLE_FORMATS:
            raise ImportFormatError(path, f"unknown format {format!r}; use one of {TABLE_FORMATS}")
        return format
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise ImportFormatError(
            path,
            f"cannot tell the format from the extension {path.suffix!r}; "
            f"name it (one of {', '.join(TABLE_FORMATS)})",
        )
    return found


def read_table(path: str | Path, format: str | None = None) -> SourceTable:
    """Read a CSV, TSV, JSONL or Parquet file with a header into a `SourceTable`."""
    path = Path(path)
    _require_file(path)
    kind = table_format(path, format)
    if kind == "parquet":
        return _read_parquet(path)
    if kind == "jsonl":
        records, lines = read_jsonl(path)
        return jsonl_table(path, records, lines)
    return read_delimited(path, "," if kind == "csv" else "\t")


def read_delimited(path: str | Path, delimiter: str) -> SourceTable:
    """A delimited file with a header line, quoted as pandas and WANDS quote (a field may be
    wrapped in double quotes; a quote inside an unquoted field is an ordinary character)."""
    path = Path(path)
    _require_file(path)
    header = _header(path, delimiter)
    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, newlines_in_values=_has_quotes(path)
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in header}, strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid as error:
        raise _locate_parse_error(path, delimiter, len(header), error) from None
    frame = table.to_pandas()
    return SourceTable(path, frame, _csv_lines(path, delimiter, len(frame)), has_header=True)


def _has_quotes(path: Path) -> bool:
    """Whether the file has a double quote anywhere. A newline can only be part of a value
    inside quotes, and Arrow splits a file without them into blocks about twice as fast when
    told so (0.04 s -> 0.015 s on a WANDS-sized label.csv)."""
    with path.open("rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return False
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return data.find(b'"') != -1


def read_jsonl(path: str | Path) -> tuple[list[dict[str, Any]], list[int]]:
    """One JSON object a line (blank lines skipped), with the line number of each."""
    path = Path(path)
    _require_file(path)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    with _open_text(path) as handle:
        for number, text in _numbered(path, handle):
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as error:
                raise ImportFormatError(
                    path, f"invalid JSON at character {error.colno}: {error.msg}", line=number
                ) from None
            except ValueError:  # Python refuses to read an integer of over 4,300 digits
                raise ImportFormatError(
                    path,
                    "a number of more than 4,300 digits: no id or grade is that long",
                    line=number,
                ) from None
            if not isinstance(record, dict):
                raise ImportFormatError(
                    path, f"expected a JSON object, got {type(record).__name__}", line=number
                )
            refuse_non_finite(path, record, line=number)
            records.append(record)
            lines.append(number)
    return records, lines


def jsonl_table(path: Path, records: list[dict[str, Any]], lines: list[int]) -> SourceTable:
    """JSONL records as text columns ('' where a record lacks the key); nested values stay
    JSON text."""
    columns = list(dict.fromkeys(key for record in records for key in record))
    frame = pd.DataFrame(
        {c: [as_text(record.get(c)) for record in records] for c in columns},
        index=range(len(records)),
        dtype=str,
    )
    not_text: dict[str, tuple[int, str]] = {}
    for row, record in enumerate(records):
        for key, value in record.items():
            if key not in not_text and isinstance(value, (dict, list, bool)):
                not_text[key] = (row, _json_kind(value))
    return SourceTable(path, frame, known_lines(lines), not_text=not_text)


def _json_kind(value: dict | list | bool) -> str:
    if isinstance(value, dict):
        return "a JSON object"
    return "a JSON list" if isinstance(value, list) else json.dumps(value)


def as_text(value: Any) -> str:
    """A JSON or Parquet value as the text importers compare and store: '' for null; NaN
    and Infinity as JSON would spell them, never as missing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def line_table(
    path: Path, rows: list[list[str]], lines: list[int], columns: Sequence[str]
) -> SourceTable:
    """Rows split by an importer's own reader (TREC files), with their line numbers."""
    frame = pd.DataFrame(rows, columns=list(columns), dtype=str)
    return SourceTable(path, frame, known_lines(lines))


def read_fields(path: str | Path, columns: Sequence[str]) -> SourceTable:
    """A file of whitespace-separated fields, `len(columns)` on every line that is not
    blank (TREC qrels and run files), as `str.split()` reads a line.

    Read in blocks, never whole: a run file has millions of lines, and a Python string per
    field would take about 1.3 GB for a million of them. Arrow reads each block as lines
    (the one delimiter it is given, the unit separator U+001F, is whitespace to
    `str.split()`, so a line holding it is refused rather than split differently) and
    splits them; only the fields, as Arrow strings, are kept.
    """
    path = Path(path)
    _require_file(path)
    if path.stat().st_size == 0:
        raise no_rows(path)  # Arrow refuses an empty file outright
    width = len(columns)
    kept: list[list[pa.Array]] = [[] for _ in columns]
    lines: list[np.ndarray] = []
    first = 1
    try:
        for block in _line_blocks(path):
            fields, counts = _split_whitespace(block)
            bad = first_row((counts != 0) & (counts != width))
            if bad is not None:
                raise ImportFormatError(
                    path,
                    f"expected {width} fields ({' '.join(columns)}), got {counts[bad]}",
                    line=first + bad,
                )
            for index, column in enumerate(kept):
                column.append(fields.take(np.arange(index, len(fields), width)))
            lines.append(np.flatnonzero(counts) + first)
            first += len(block)
    except pa.ArrowInvalid:
        raise _unreadable_lines(path) from None
    # One contiguous array per column, then the pool's free pages back to the system: the
    # blocks' intermediates shared the allocator's pages with the kept fields and, freed,
    # still held about 50 MB of a million-line run's peak. The columns stay Arrow strings
    # (pandas' own str dtype would copy them to 64-bit offsets, 20 MB more).
    frame = pd.DataFrame(
        {
            name: pa.concat_arrays(column).to_pandas(types_mapper=pd.ArrowDtype)
            for name, column in zip(columns, kept)
        }
    )
    del kept
    pa.default_memory_pool().release_unused()
    return SourceTable(path, frame, known_lines(np.concatenate(lines)))


_LINE_BLOCK_BYTES = 1 << 22
_UNIT_SEPARATOR = "\x1f"


def _line_blocks(path: Path) -> Iterator[pa.Array]:
    """The file's lines (blank ones included, so positions are line numbers), a block of
    about `_LINE_BLOCK_BYTES` at a time."""
    reader = pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(
            column_names=["line"], block_size=_LINE_BLOCK_BYTES, use_threads=False
        ),
        parse_options=pa_csv.ParseOptions(
            delimiter=_UNIT_SEPARATOR, quote_char=False, escape_char=False, ignore_empty_lines=False
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types={"line": pa.string()},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    for batch in reader:
        yield batch.column(0)


def _split_whitespace(lines: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Every field of `lines` in order, and how many each line has (0: blank)."""
    split = pc.utf8_split_whitespace(pc.utf8_trim_whitespace(lines))
    values = pc.list_flatten(split)
    # A run of whitespace splits into empty strings, which str.split() never yields.
    filled = pc.not_equal(values, "").to_numpy(zero_copy_only=False)
    owner = pc.list_parent_indices(split).to_numpy()[filled]
    return values.filter(pa.array(filled)), np.bincount(owner, minlength=len(lines))


def _unreadable_lines(path: Path) -> ImportFormatError:
    # Arrow refuses a block without saying which line broke it; find it (only on this
    # failure path) as a text reader sees the file.
    for number, text in text_lines(path):
        if _UNIT_SEPARATOR in text:
            return ImportFormatError(
                path,
                "the line holds the control character U+001F; separate fields with spaces or tabs",
                line=number,
            )
    return ImportFormatError(path, "cannot read the file as lines of text")


def text_lines(path: str | Path) -> list[tuple[int, str]]:
    """Every line of a text file without its newline, numbered from 1."""
    path = Path(path)
    _require_file(path)
    with _open_text(path) as handle:
        return [(n, text.rstrip("\r\n")) for n, text in _numbered(path, handle)]


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise ImportFormatError(path, f"no such file: {path}")


def _open_text(path: Path) -> IO[str]:
    return path.open(encoding="utf-8-sig", newline="")


def _numbered(path: Path, handle: IO[str]) -> Iterator[tuple[int, str]]:
    try:
        yield from enumerate(handle, start=1)
    except UnicodeDecodeError:
        raise _not_utf8(path) from None


def _not_utf8(path: Path) -> ImportFormatError:
    # A text stream decodes in chunks, so its error cannot say where; the bytes can.
    data = path.read_bytes()
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return ImportFormatError(
            path,
            f"not UTF-8 text (byte {data[error.start]:#04x}); save the file as UTF-8",
            line=line,
        )
    return ImportFormatError(path, "not UTF-8 text; save the file as UTF-8")


def _header(path: Path, delimiter: str) -> list[str]:
    with _open_text(path) as handle:
        rows = csv.reader(handle, delimiter=delimiter)
        try:
            header = next(rows)
        except StopIteration:
            raise no_rows(path) from None
        except UnicodeDecodeError:
            raise _not_utf8(path) from None
    names = [name.strip() for name in header]
    duplicate = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if duplicate is not None:
        raise ImportFormatError(path, f"the header names column {excerpt(duplicate)} twice", line=1)
    if "" in names:
        raise ImportFormatError(
            path, f"the header has an empty column name (column {names.index('') + 1})", line=1
        )
    return names


def _records(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(start line, fields) of every record after the header, read as pandas would."""
    with _open_text(path) as handle:
        rows = csv.reader(handle, delimiter=delimiter)
        end = 0
        try:
            for fields in rows:
                start, end = end + 1, rows.line_num
                if start > 1 and fields:  # blank lines are skipped, as Arrow skips them
                    yield start, fields
        except UnicodeDecodeError:
            raise _not_utf8(path) from None
        except csv.Error as error:
            raise ImportFormatError(
                path, f"cannot split the line into fields: {error}", line=end + 1
            ) from None


def _locate_parse_error(
    path: Path, delimiter: str, width: int, error: Exception
) -> ImportFormatError:
    # Arrow does not say which line broke; find it (only on this failure path) with the
    # csv module, which splits records the same way.
    for line, fields in _records(path, delimiter):
        if fields and len(fields) != width:
            return ImportFormatError(
                path, f"expected {width} fields as in the header, got {len(fields)}", line=line
            )
    return ImportFormatError(path, f"cannot read the file: {shorten(str(error), 160)}")


def _csv_lines(path: Path, delimiter: str, rows: int) -> Callable[[int], int | None]:
    # Row n starts on line n + 2 unless a quoted value spans lines; the exact number is
    # worked out only when an error needs it.
    def line_of(row: int) -> int | None:
        for number, (line, _) in enumerate(_records(path, delimiter)):
            if number == row:
                return line
        return row + 2 if row < rows else None

    return line_of


def known_lines(lines: Sequence[int] | np.ndarray) -> Callable[[int], int | None]:
    """Row -> line for rows whose lines the reader recorded."""
    return lambda row: int(lines[row]) if 0 <= row < len(lines) else None


def _read_parquet(path: Path) -> SourceTable:
    try:
        table = pa_parquet.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise ImportFormatError(
            path, f"not a readable Parquet file: {shorten(str(error), 160)}"
        ) from None
    frame = pd.DataFrame(
        {name: [as_text(v) for v in table.column(name).to_pylist()] for name in table.column_names},
        dtype=str,
    )
    return SourceTable(path, frame, lambda row: None)
