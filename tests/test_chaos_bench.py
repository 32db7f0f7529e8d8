"""The chaos bench's own teeth, on real files and processes: a store compared before and after
a command is byte-identical, logically identical (other bytes, the same rows) or changed, and
a change counts against a command that failed or only reads; the worst writer wait fails
over the issue's 5 s or a ratio to the lone writer's longest write, whichever is more, and on
any write that gave up."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import chaos  # noqa: E402

from storage._connection import LOCK_WAIT_S  # noqa: E402


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


def _review(waits: list[float], gave_up_after: float | None = None) -> chaos.Review:
    """A reviewer's output as the bench reads it: one acknowledged write per wait, then a
    write that gave up after `gave_up_after` seconds."""
    lines = [f"event {n} {n} 1 {wait:.3f}" for n, wait in enumerate(waits, 1)]
    if gave_up_after is not None:
        lines.append(f"gave-up 7 1 {gave_up_after:.3f}")
    return chaos.review_of("r", chaos.Outcome("r", 0, False, "\n".join(lines), ""))


@pytest.mark.parametrize(
    ("lone", "worst", "over"),
    [
        (0.1, 0.9 * chaos.WORST_WAIT_S, False),  # idle: the floor binds
        (0.1, 1.1 * chaos.WORST_WAIT_S, True),
        (1.0, 0.9 * chaos.WAIT_RATIO, False),  # loaded: the lone writer's writes scale it
        (1.0, 1.1 * chaos.WAIT_RATIO, True),
    ],
    ids=["idle-under", "idle-over", "loaded-under", "loaded-over"],
)
def test_the_wait_target_is_the_floor_or_a_ratio_to_the_lone_writer(capsys, lone, worst, over):
    tally = chaos.Tally()
    chaos.report_wait(_review([lone / 2, lone]), [_review([lone, worst, lone])], 60.0, tally)
    assert tally.failures == (["the worst writer wait is over its target"] if over else [])
    line = capsys.readouterr().out
    assert f"worst writer wait {worst:.2f} s ({worst / lone:.1f}x the lone writer's" in line
    assert f"= {max(chaos.WORST_WAIT_S, chaos.WAIT_RATIO * lone):.1f} s" in line


def test_a_write_that_gave_up_fails_the_wait_target_however_slow_the_machine(capsys):
    """A writer blocked until it gives up (storage's LOCK_WAIT_S) fails even when the lone
    writer was so slow that the ratio alone would let its wait through."""
    blocked = LOCK_WAIT_S
    lone = 2 * blocked / chaos.WAIT_RATIO
    tally = chaos.Tally()
    chaos.report_wait(_review([lone]), [_review([lone], gave_up_after=blocked)], 60.0, tally)
    assert tally.failures == ["the worst writer wait is over its target"]
    assert "writes that gave up 1" in capsys.readouterr().out
