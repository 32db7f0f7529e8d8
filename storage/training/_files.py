"""The files of an export: written once, flushed to disk, then counted and hashed
(`_folder` makes the folder that holds them appear whole).

A file is made with the mode any new file of the user gets (0666 less their umask), so
every export format is as readable as the user's other files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from file_digest import file_digest as digest_of

# Hundreds of megabytes go to a file in one pass; large writes spare most system calls.
_WRITE_BUFFER = 1 << 20


@dataclass(frozen=True)
class Written:
    """A file as written: its lines and the hex sha256 of its bytes."""

    rows: int
    sha256: str


def write_lines(path: Path, lines: Iterable[str]) -> Written:
    """Write `lines` (each with its newline) as UTF-8 to the new file `path`, flushed to
    disk before returning.

    The file is counted and hashed by reading it back, from the page cache: measured on
    a 117 MB export, the text writer and one read cost half as much as joining, encoding
    and hashing each batch of lines on the way out."""
    with open(path, "x", encoding="utf-8", newline="", buffering=_WRITE_BUFFER) as file:
        file.writelines(lines)
        file.flush()
        os.fsync(file.fileno())
    return file_digest(path)


def file_digest(path: str | Path) -> Written:
    """A file's lines (its newlines: a JSONL record holds none of its own) and the hex
    sha256 of its bytes, read in one pass."""
    lines, sha256 = digest_of(path)
    return Written(lines, sha256)
