"""The chaos bench's own teeth, on real files and processes: a store compared before and after
a command is byte-identical, logically identical (other bytes, the same rows) or changed, and
a change counts against a command that failed or only reads."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import chaos  # noqa: E402


def _store(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT range AS x FROM range(1000)")
    return path


def test_content_is_the_rows_not_the_bytes(tmp_path):
    db = _store(tmp_path / "a.duckdb")
    copy = tmp_path / "b.duckdb"
    with duckdb.connect(str(copy)) as con:  # the same rows, written another way
        con.execute("CREATE TABLE t (x BIGINT)")
        con.execute("INSERT INTO t SELECT range FROM range(999, -1, -1)")
    assert chaos.fingerprint(db) != chaos.fingerprint(copy)
    assert chaos.content(db) == chaos.content(copy) is not None
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE t SET x = -1 WHERE x = 5")
    assert chaos.content(db) != chaos.content(copy)
    text = tmp_path / "c.duckdb"
    text.write_text("not a store")
    assert chaos.content(text) is None


@pytest.mark.parametrize(
    ("script", "state"),
    [
        ("pass", chaos.SAME_BYTES),
        ("con.execute('CHECKPOINT'); con.execute('VACUUM t')", None),  # bytes may move
        ("con.execute('DELETE FROM t WHERE x = 3')", chaos.CHANGED),
    ],
)
def test_attempt_compares_the_store_whatever_the_exit(tmp_path, script, state):
    db = _store(tmp_path / "store.duckdb")
    logs = tmp_path / "run" / "logs"
    logs.mkdir(parents=True)
    procs = chaos.Processes(logs)
    command = (
        f"import duckdb, sys; con = duckdb.connect({str(db)!r}); {script}; con.close(); sys.exit(2)"
    )
    fake = tmp_path / "cli.py"
    fake.write_text(command)
    chaos.CLI, saved = fake, chaos.CLI
    try:
        done = chaos.attempt(procs, "refused", db, [])
    finally:
        chaos.CLI = saved
    assert done.outcome.code == 2
    if state is None:
        assert done.store in (chaos.SAME_BYTES, chaos.SAME_CONTENT)
        assert not done.wrongly_changed
    else:
        assert done.store == state
        assert done.wrongly_changed == (state == chaos.CHANGED)
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["logs"]  # the copy went
