"""The CLI's one error boundary and its choice of store: one line on stderr and exit code 2
for what a user can fix (1 for a fault of the workbench), a traceback only with --debug, a
quiet end when stdout's reader goes away, and --db > $WORKBENCH_DB > the default file."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from store_damage import BAD_FILES, foreign, newer_store

import cli
import storage
from storage._schema import SCHEMA_VERSION

REPO = Path(__file__).resolve().parents[1]


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("make", BAD_FILES, ids=lambda make: make.__name__)
@pytest.mark.parametrize("command", ["stats", "check"])
def test_a_file_that_cannot_be_a_store_is_one_line_and_exit_code_2(capsys, tmp_path, make, command):
    path = tmp_path / "store.duckdb"
    make(path)
    before = path.read_bytes()
    code, out, err = run(capsys, "--db", path, command)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {path}: {BAD_FILES[make]}") and err.count("\n") == 1
    assert path.read_bytes() == before


def test_debug_adds_the_traceback(capsys, tmp_path):
    path = tmp_path / "store.duckdb"
    newer_store(path)
    code, _, err = run(capsys, "--debug", "--db", path, "stats")
    assert code == 2
    assert err.startswith("Traceback (most recent call last):")
    assert err.splitlines()[-1] == (
        f"error: {path}: written by a newer workbench (schema version 99; this one reads up "
        f"to {SCHEMA_VERSION}); nothing was written to it; upgrade the workbench to open it"
    )


def test_a_fault_of_the_workbench_is_one_line_and_exit_code_1(capsys, db, monkeypatch):
    def broken(db):
        raise KeyError("dataset")

    monkeypatch.setattr(storage, "list_datasets", broken)
    assert run(capsys, "--db", db, "stats") == (
        1,
        "",
        (
            "error: the workbench failed (KeyError: 'dataset'); run again with --debug for the "
            "traceback and report it\n"
        ),
    )


def test_a_long_error_is_capped(capsys, tmp_path):
    path = tmp_path / ("x" * 200) / ("y" * 200) / "store.duckdb"
    path.parent.mkdir(parents=True)
    foreign(path)
    code, _, err = run(capsys, "--db", path, "stats")
    assert code == 2 and len(err) == len("error: ") + storage.MESSAGE_LIMIT + 1
    assert "…" in err and err.endswith("or a new file name to start a store\n")


class ClosedPipe:
    """A stdout whose reader went away."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno")


def test_a_closed_stdout_ends_quietly(capsys, sample_db, monkeypatch):
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert cli.main(["--db", str(sample_db), "stats", "--json"]) == cli.CLOSED_PIPE_EXIT
    assert capsys.readouterr().err == ""


def test_a_closed_pipe_in_a_real_process(sample_db):
    process = subprocess.Popen(
        [sys.executable, str(REPO / "cli.py"), "--db", str(sample_db), "stats", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # long before the process starts writing
    _, err = process.communicate()
    assert (process.returncode, err) == (cli.CLOSED_PIPE_EXIT, b"")


@pytest.fixture
def default_db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "data" / "workbench.duckdb"
    monkeypatch.setattr(cli, "DEFAULT_DB", path)
    monkeypatch.delenv(cli.DB_VARIABLE, raising=False)
    return path


def test_the_store_is_the_flag_then_the_variable_then_the_default(
    capsys, tmp_path, default_db, monkeypatch
):
    chosen = tmp_path / "chosen.duckdb"
    named = tmp_path / "named.duckdb"
    code, out, err = run(capsys, "stats")
    assert (code, err) == (0, f"store: {default_db} (the default)\n")
    assert out.startswith("wands-sample: 480 queries")  # the default file gets the sample
    monkeypatch.setenv(cli.DB_VARIABLE, str(chosen))
    assert run(capsys, "stats", "--json") == (0, "[]\n", f"store: {chosen} (from $WORKBENCH_DB)\n")
    assert run(capsys, "--db", named, "stats") == (
        0,
        "the store is empty: import a dataset with `python cli.py import`\n",
        "",
    )
    assert chosen.exists() and named.exists()


def test_check_never_creates_the_default_store(capsys, default_db):
    code, out, err = run(capsys, "check")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"store: {default_db} (the default)",
        f"error: {default_db}: no such file; check the path",
    ]
    assert not default_db.parent.exists()


def test_a_command_that_waits_says_for_whom(capsys, sample_db):
    holder = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "store_worker.py"), str(sample_db), "hold"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "holding\n"
        release = threading.Timer(1.0, holder.communicate, kwargs={"input": "\n"})
        release.start()
        code, out, err = run(capsys, "--db", sample_db, "stats")
        release.join()
    finally:
        holder.kill()
        holder.wait()
    assert code == 0 and out.startswith("wands-sample: ")
    assert err == f"waiting for pid {holder.pid} to finish with store.duckdb…\n"
