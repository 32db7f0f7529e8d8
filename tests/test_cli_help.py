"""Every --help of the CLI renders (argparse %-formats help strings, so a bare "95%" once
ended `cli.py --help` in a traceback) and ends with an example; `validate` opens no store."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator

import pytest

import cli


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*path, name))


COMMANDS = [path for path, _ in _commands(cli._parser())]


def test_the_walk_reaches_every_level():
    assert () in COMMANDS and ("import", "judgement-ai") in COMMANDS
    assert ("split", "benchmark") in COMMANDS and ("metrics",) in COMMANDS
    assert len(COMMANDS) > 30


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "root")
def test_help_renders_and_ends_with_an_example(path, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main([*path, "--help"])
    out, err = capsys.readouterr()
    assert (exited.value.code, err) == (0, "")
    assert out.rstrip().splitlines()[-1].startswith("example: python cli.py ")
    assert "%%" not in out


def test_the_root_help_lists_a_percent_sign_as_written(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "95% intervals" in capsys.readouterr().out


def test_validate_touches_no_store(tmp_path, monkeypatch, capsys):
    default = tmp_path / "data" / "workbench.duckdb"
    named = tmp_path / "named.duckdb"
    monkeypatch.setattr(cli, "DEFAULT_DB", default)
    record = {"instruction": "x", "input": {}, "output": "SCORE: 1"}
    train = tmp_path / "train.jsonl"
    train.write_text(json.dumps(record) + "\n")
    for argv in (["validate", str(train)], ["--db", str(named), "validate", str(train)]):
        monkeypatch.delenv(cli.DB_VARIABLE, raising=False)
        cli.main(argv)
        monkeypatch.setenv(cli.DB_VARIABLE, str(named))
        cli.main(argv)
    out, err = capsys.readouterr()
    assert "store:" not in err
    assert not default.exists() and not default.parent.exists() and not named.exists()
