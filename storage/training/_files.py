"""The files of an export: written once, flushed to disk, counted and hashed as they are
written (`_folder` makes the folder that holds them appear whole).

A file is made with the mode any new file of the user gets (0666 less their umask), so
every export format is as readable as the user's other files.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 20
# Lines joined and encoded per write: large writes spare most system calls, and the hash
# is fed the same bytes, so no file is read back to be hashed.
_LINES_PER_WRITE = 2_000


@dataclass(frozen=True)
class Written:
    """A file as written: its lines and the hex sha256 of its bytes."""

    rows: int
    sha256: str


def write_lines(path: Path, lines: Iterable[str]) -> Written:
    """Write `lines` (each with its newline) as UTF-8 to the new file `path`, flushed to
    disk before returning."""
    digest = hashlib.sha256()
    rows = 0
    iterator = iter(lines)
    with open(path, "xb") as file:
        while batch := list(itertools.islice(iterator, _LINES_PER_WRITE)):
            data = "".join(batch).encode("utf-8")
            digest.update(data)
            file.write(data)
            rows += len(batch)
        file.flush()
        os.fsync(file.fileno())
    return Written(rows, digest.hexdigest())


def file_sha256(path: str | Path) -> str:
    """The hex sha256 of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
