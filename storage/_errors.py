"""Errors raised by the store: each carries the facts a user needs to fix the problem."""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """Base class for every error the store raises."""


class StoreLockedError(StoreError):
    """Another process held the DuckDB file for longer than the retry budget."""

    def __init__(self, path: Path, waited_s: float) -> None:
        self.path = path
        self.waited_s = waited_s
        super().__init__(
            f"{path}: the database is locked by another process (waited {waited_s:.1f} s). "
            "Close the other writer (a running CLI judge, another app) or try again."
        )


class NotFoundError(StoreError):
    """A dataset, pair or run that the caller named does not exist."""


class ImportFormatError(StoreError):
    """A file could not be imported; names the file, line and column where it went wrong.

    `line` is 1-based as an editor shows it (the header of a CSV is line 1); `column` is the
    column name for tabular files or the JSON key for JSONL.
    """

    def __init__(
        self,
        path: str | Path,
        message: str,
        *,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.column = column
        self.reason = message
        where = self.path.name
        if line is not None:
            where += f" line {line}"
        if column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {message}")
