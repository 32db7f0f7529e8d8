"""Errors raised by the store: each carries the facts a user needs to fix the problem.

Every message is one line of at most `MESSAGE_LIMIT` characters: a value quoted from a file
or a database error is shortened in the middle (`shorten`), so a 4,000-character cell or a
long DuckDB message cannot bury what went wrong.
"""

from __future__ import annotations

from pathlib import Path

MESSAGE_LIMIT = 300
_EXCERPT_LIMIT = 60


def shorten(text: str, limit: int) -> str:
    """`text` on one line and at most `limit` characters, cut in the middle with an ellipsis
    so both its start and its end still show."""
    return _cut(" ".join(line.strip() for line in text.splitlines() if line.strip()), limit)


def excerpt(value: object) -> str:
    """`value` quoted as `repr` quotes it, its middle cut out when it is long."""
    if isinstance(value, str):
        return repr(_cut(value, _EXCERPT_LIMIT))
    return _cut(repr(value), _EXCERPT_LIMIT)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    return text[:head] + "…" + text[len(text) - (limit - 1 - head) :]


class StoreError(Exception):
    """Base class for every error the store raises; its message is one capped line."""

    def __init__(self, message: str = "") -> None:
        super().__init__(shorten(message, MESSAGE_LIMIT))


class StoreLockedError(StoreError):
    """Another process held the DuckDB file for longer than the retry budget."""

    def __init__(self, path: Path, waited_s: float) -> None:
        self.path = path
        self.waited_s = waited_s
        super().__init__(
            f"{path}: the database is locked by another process (waited {waited_s:.1f} s). "
            "Close the other writer (a running CLI judge, another app) or try again."
        )


class StoreOpenError(StoreError):
    """The file cannot be opened as a store: missing, unreadable, damaged, not a workbench
    store, or written by a newer workbench. Nothing was written to it."""

    def __init__(self, path: Path, problem: str, remedy: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}; {remedy}")


class StoreIOError(StoreError):
    """DuckDB could not read or write the open store (a damaged block, a full disk)."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"{path}: the store could not be read or written ({reason}); if it is damaged, "
            "`python cli.py check` lists what is wrong"
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
            where += f", column {shorten(column, _EXCERPT_LIMIT)}"
        super().__init__(f"{where}: {message}")
