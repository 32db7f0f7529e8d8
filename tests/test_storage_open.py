"""Opening a file that cannot be a store: one `StoreOpenError` that names the file and says
what to do, and not a byte written to the file (nor a file added beside it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from store_damage import BAD_FILES, damage_table, execute

import storage
from storage._schema import SCHEMA_VERSION

REFUSED = "nothing was written to it; "


def beside(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in path.parent.iterdir() if p.is_file()}


@pytest.mark.parametrize("make", BAD_FILES, ids=lambda make: make.__name__)
def test_a_file_that_cannot_be_a_store_is_refused_untouched(tmp_path, make):
    path = tmp_path / "store.duckdb"
    make(path)
    problem = BAD_FILES[make]
    before, mtime = beside(path), path.stat().st_mtime_ns
    for read_only in (False, True):
        with (
            pytest.raises(storage.StoreOpenError) as refused,
            storage.connect(path, read_only=read_only),
        ):
            pass
        assert str(refused.value).startswith(f"{path}: {problem}")
        assert REFUSED in str(refused.value) and "\n" not in str(refused.value)
    with pytest.raises(storage.StoreError):
        storage.list_datasets(path)
    assert beside(path) == before and path.stat().st_mtime_ns == mtime


def test_a_folder_or_a_missing_file_read_only(tmp_path):
    with pytest.raises(storage.StoreOpenError, match="a folder, not a store file; name a .duckdb"):
        storage.list_datasets(tmp_path)
    with (
        pytest.raises(storage.StoreOpenError, match="no such file; check the path"),
        storage.connect(tmp_path / "none.duckdb", read_only=True),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


def test_an_empty_duckdb_file_becomes_a_store(tmp_path):
    path = tmp_path / "new.duckdb"
    execute(path)
    assert storage.list_datasets(path) == []
    assert storage.schema_version(path) == SCHEMA_VERSION


def test_a_store_with_a_pending_log_of_its_own_is_opened_whole(sample_db):
    """Killed after a commit, before its connection closed: the write is in the log only,
    and the store's first open (read-only, to look) must not refuse or lose it."""
    code = (
        "import os, sys; sys.path.insert(0, sys.argv[2]); import storage\n"
        "with storage.connect(sys.argv[1]) as con:\n"
        '    con.execute("INSERT INTO label_events (pair_id, grade, source, author) '
        "VALUES (1, 0, 'review', 'ana')\")\n"
        "    os._exit(0)\n"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(sample_db), str(Path(__file__).parents[1])], check=True
    )
    assert sample_db.with_name(sample_db.name + ".wal").exists()
    assert [e["author"] for e in storage.label_history(sample_db, 1)] == [None, "ana"]


def test_damage_met_after_opening_is_a_store_error(sample_db):
    storage.record_review(sample_db, 1, author="ana", grade=0)
    damage_table(sample_db, "label_events")
    assert storage.current_label(sample_db, 1).grade == 0  # the cache is still readable
    with pytest.raises(storage.StoreIOError) as failed:
        storage.label_history(sample_db, 1)
    assert str(failed.value).startswith(
        f"{sample_db}: the store could not be read or written (Corrupt database file: "
    )
    assert str(failed.value).endswith(
        "; if it is damaged, `python cli.py check` lists what is wrong"
    )
