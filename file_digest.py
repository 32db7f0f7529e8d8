"""A file's sha256, the one way every room takes it: read in blocks, so a GGUF of gigabytes
or an export of hundreds of megabytes never sits in memory whole.

The model file a run records, the judgement-ai file an import records and each file of an
export with its manifest are all hashed here. Lines are counted in the same pass (newline
bytes: a JSONL record holds none of its own), for the export's manifest.

This module imports nothing of ours, so every room may use it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import NamedTuple

__all__ = ["FileDigest", "file_digest"]

_BLOCK = 1 << 20


class FileDigest(NamedTuple):
    """A file's newline count and the hex sha256 of its bytes."""

    lines: int
    sha256: str


def file_digest(path: str | Path) -> FileDigest:
    """The newlines in the file at `path` and the sha256 of its bytes, read in one pass.
    Raises OSError when it cannot be read."""
    digest = hashlib.sha256()
    lines = 0
    with open(path, "rb") as file:
        while block := file.read(_BLOCK):
            digest.update(block)
            lines += block.count(b"\n")
    return FileDigest(lines, digest.hexdigest())
