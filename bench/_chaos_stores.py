"""Damaged store files for bench/chaos.py: fifteen ways a store can be broken or not be a
store at all.

Eight come from tests/store_damage.py and start from a new, empty store or none (a text
file, an empty file, a truncated store, a damaged header, three foreign DuckDB files, one
with a write-ahead log still to replay, a store of a newer schema). Seven start from a copy
of the judged store the bench made, so that the damage meets real data: cut at a random
byte, overwritten with random bytes, its main header zeroed, and one data block flipped in
each of four tables (DuckDB's block checksum catches it only when the block is read).
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path

import store_damage

_HEADER_BYTES = 4096  # DuckDB's main header: magic bytes and version
DAMAGED_TABLES = ("label_events", "judgments", "documents", "pairs")

Damage = Callable[[Path, Path, random.Random], None]  # (judged store, file to write, rng)


def _cut(judged: Path, path: Path, rng: random.Random) -> None:
    data = judged.read_bytes()
    path.write_bytes(data[: rng.randrange(_HEADER_BYTES, len(data))])


def _random_bytes(judged: Path, path: Path, rng: random.Random) -> None:
    path.write_bytes(rng.randbytes(judged.stat().st_size))


def _zeroed_header(judged: Path, path: Path, rng: random.Random) -> None:
    data = judged.read_bytes()
    path.write_bytes(bytes(_HEADER_BYTES) + data[_HEADER_BYTES:])


def _block_of(table: str) -> Damage:
    def damage(judged: Path, path: Path, rng: random.Random) -> None:
        shutil.copyfile(judged, path)
        store_damage.damage_table(path, table)

    return damage


def _from_scratch(make: Callable[[Path], None]) -> Damage:
    return lambda judged, path, rng: make(path)


DAMAGES: dict[str, Damage] = {
    **{make.__name__.replace("_", " "): _from_scratch(make) for make in store_damage.BAD_FILES},
    "judged store cut at a random byte": _cut,
    "random bytes": _random_bytes,
    "judged store, main header zeroed": _zeroed_header,
    **{f"judged store, a {table} block flipped": _block_of(table) for table in DAMAGED_TABLES},
}


def write_damaged(name: str, judged: Path, folder: Path, seed: int) -> Path:
    """The damaged file `name` of DAMAGES, written as `folder`/store.duckdb."""
    folder.mkdir(parents=True)
    path = folder / "store.duckdb"
    DAMAGES[name](judged, path, random.Random(f"{seed}:{name}"))
    return path
