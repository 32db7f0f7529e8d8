"""An export folder that is replaced whole: a reader finds the old export or the new one,
never a mix of the two, whatever moment the writer is killed at.

The new export is written into a fresh hidden sibling (``.training.<random>.new``), each
file flushed to disk, then swapped in by renames:

1. the sibling's files and the sibling itself are flushed (`fsync`);
2. on Linux the two folders are exchanged in one atomic step (``renameat2`` with
   ``RENAME_EXCHANGE``): the target path holds the old folder until the step and the new
   one after it. Where that call is missing, the old folder is renamed aside
   (``.training.<random>.old``) and the new one renamed in; a kill between the two renames
   leaves no folder at the target, and the next export puts the old one back first;
3. the parent folder is flushed (the renames are durable), and the old folder, now under
   the hidden name, is removed.

What a killed export leaves behind (a half-written sibling, the old folder under a hidden
name) is removed by the next export to the same folder, before it writes anything.

One export writes a folder at a time: each holds a lock beside it (``.training.lock``, naming
its process) from the clean-up to the swap, and a second export to the same folder is refused
at once with one line naming the folder and the export that holds it, nothing written (it
would otherwise remove the first one's half-written sibling as a killed export's leftover).

An export replaces a folder only when everything in it is an export's own: its manifest and
the files that manifest lists (and the temporary files of earlier versions). Anything else
(a file of the user's, a second ``.jsonl`` that `datasets.load_dataset(folder)` would read
as data) makes the export refuse, and nothing is written.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no lock; two exports to one folder at once are not told apart
    fcntl = None  # type: ignore[assignment]

from .._errors import StoreError
from .._queue import process_label

# The file names of an export folder. `train` and `validation` are the split names Hugging
# Face's `load_dataset(folder)` infers from file names; the manifest's name holds no split
# keyword, so no loader reads it as data.
EXPORT_FILES = {
    "train": "train.jsonl",
    "validation": "validation.jsonl",
    "manifest": "manifest.json",
}
MANIFEST = EXPORT_FILES["manifest"]

# The hidden siblings an export makes beside its folder, and the temporary files that
# earlier versions made inside it.
_SIBLING = r"\.{name}\.[0-9a-f]{{12}}\.(new|old)"
_OLD_TEMPORARY = re.compile(r"\..+\.[0-9a-f]{12}\.tmp")
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def export_paths(folder: str | Path) -> dict[str, Path]:
    """Where an export to `folder` writes: `train.jsonl`, `validation.jsonl` and
    `manifest.json` inside it."""
    folder = Path(folder)
    if folder.suffix.lower() in (".jsonl", ".json") and not folder.is_dir():
        files = ", ".join(EXPORT_FILES.values())
        raise StoreError(
            f"{folder} names a file, but an export writes a folder ({files}): give a "
            f"folder, for example {folder.with_suffix('')}"
        )
    return {part: folder / name for part, name in EXPORT_FILES.items()}


def fsync_directory(directory: Path) -> None:
    """Make the entries of `directory` (a rename into it) durable; a platform that cannot
    open a directory has nothing to flush this way."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2``); False where the system
    cannot (another platform, an old kernel or C library, a file system without it)."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    done = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(first))


def _siblings(target: Path) -> list[tuple[Path, str]]:
    """The hidden siblings earlier exports to `target` left, with their kind (new, old)."""
    pattern = re.compile(_SIBLING.format(name=re.escape(target.name)))
    found = []
    for entry in target.parent.iterdir() if target.parent.is_dir() else ():
        match = pattern.fullmatch(entry.name)
        if match:
            found.append((entry, match.group(1)))
    return found


def recover(target: Path) -> None:
    """Undo what a killed export left: with no folder at `target` and an old folder renamed
    aside, the old one goes back; every other hidden sibling is removed."""
    leftovers = _siblings(target)
    if not target.exists():
        for path, kind in leftovers:
            if kind == "old":
                os.rename(path, target)
                fsync_directory(target.parent)
                break
    for path, _ in _siblings(target):
        shutil.rmtree(path, ignore_errors=True)


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    """The manifest of an export folder, or None when it has none that reads as one."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _listed(folder: Path) -> set[str]:
    """The names the folder's manifest says an export wrote (itself included); none when
    there is no readable manifest."""
    files = (read_manifest(folder) or {}).get("files")
    if not isinstance(files, list):
        return set()
    return {
        MANIFEST,
        *(f["name"] for f in files if isinstance(f, dict) and isinstance(f.get("name"), str)),
    }


def foreign_entries(folder: Path) -> list[str]:
    """What in `folder` no export wrote, sorted: anything its manifest does not list."""
    if not folder.is_dir():
        return []
    ours = _listed(folder)
    return sorted(
        entry.name
        for entry in folder.iterdir()
        if not (entry.name in ours and entry.is_file())
        and not (_OLD_TEMPORARY.fullmatch(entry.name) and entry.is_file())
    )


def check_replaceable(target: Path) -> None:
    """Refuse a target an export must not replace: a file, or a folder holding files an
    export did not write."""
    if target.exists() and not target.is_dir():
        raise StoreError(f"{target} is a file, not an export folder: give a folder")
    foreign = foreign_entries(target)
    if foreign:
        shown = ", ".join(foreign[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        )
        raise StoreError(
            f"{target} holds {len(foreign)} file(s) an export did not write ({shown}); "
            "an export replaces the whole folder: move them elsewhere or export to another "
            "folder (nothing was written)"
        )


def _swap_in(staging: Path, target: Path) -> None:
    """Put the finished `staging` folder at `target` (see the module docstring)."""
    parent = target.parent
    if not target.exists():
        os.rename(staging, target)
        fsync_directory(parent)
        return
    if exchange(staging, target):
        old = staging  # the exchange left the old folder under the staging name
    else:
        old = staging.with_name(f".{target.name}.{secrets.token_hex(6)}.old")
        os.rename(target, old)
        os.rename(staging, target)
    fsync_directory(parent)
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _only_export(target: Path) -> Iterator[None]:
    """Hold `target`'s export lock while the block runs; refuse when another export holds it.
    The lock file is removed on the way out: a process that opened it meanwhile finds, once
    it holds the lock, that the path names another file, and opens again."""
    if fcntl is None:
        yield
        return
    lock = target.with_name(f".{target.name}.lock")
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "starting"
            os.close(fd)
            raise StoreError(
                f"another export is writing {target} right now ({holder}): wait for it to "
                "finish, or export to another folder (nothing was written)"
            ) from None
        try:
            if os.stat(lock).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, {process_label()}".encode(), 0)
        yield
    finally:
        lock.unlink(missing_ok=True)
        os.close(fd)


@contextmanager
def staged_folder(target: str | Path) -> Iterator[Path]:
    """Yield a fresh empty folder beside `target` to write an export into; when the block
    ends without error, it replaces `target` whole. On error it is removed and `target` is
    left as it was. Another export to `target` meanwhile is refused (`_only_export`)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _only_export(target), _staged(target) as staging:
        yield staging


@contextmanager
def _staged(target: Path) -> Iterator[Path]:
    recover(target)
    check_replaceable(target)
    staging = target.with_name(f".{target.name}.{secrets.token_hex(6)}.new")
    staging.mkdir()
    try:
        yield staging
        fsync_directory(staging)
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def export_folder(root: str | Path, name: str) -> Path:
    """The folder `name` inside `root`: a plain folder name, so an export named on a page
    stays inside `root` (no separator, no `..`, no leading dot, which hidden siblings use)."""
    plain = name.strip()
    if not plain or plain.startswith(".") or Path(plain).name != plain or "\\" in plain:
        raise StoreError(
            f"folder name {name!r}: give a plain name such as training (letters, digits, "
            f"- or _; no / or \\, not starting with a dot), so the export stays in {root}"
        )
    return Path(root) / plain
