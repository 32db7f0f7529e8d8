"""The README's remote judging commands, run as written against llama-cpp-python's own
server on the bundled model (a GGUF with no chat template), compared with the in-process
judge on the same pairs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

import cli
import storage

pytestmark = pytest.mark.model

REPO = Path(__file__).resolve().parents[1]
README_URL = "http://127.0.0.1:8000/v1"


def readme_judge_commands(section: str = "Judging") -> list[list[str]]:
    """The `$py cli.py judge --backend ...` lines of a README section (continuations
    joined, comments dropped), as arguments after `cli.py`."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    text = readme.split(f"\n## {section}\n")[1].split("\n## ")[0].replace("\\\n", " ")
    lines = re.findall(r"^\s*\$py cli\.py (judge --backend .*)$", text, re.MULTILINE)
    return [shlex.split(line, comments=True) for line in lines]


def test_every_remote_command_of_the_readme_is_one_this_module_runs() -> None:
    commands = readme_judge_commands()
    assert len(commands) == 2
    assert all(README_URL in command for command in commands)
    assert {"--timeout", "--max-tokens", "--retries"} <= set(commands[1])
    remote = [c for c in readme_judge_commands("Command line") if c[2] != "baseline"]
    assert remote == commands[:1]


@pytest.fixture(scope="module")
def benchmark_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("readme") / "store.duckdb"
    storage.import_wands(db, REPO / "sample_data", dataset="wands-sample")
    split = ["split", "benchmark", "--queries", "2", "--per-query", "4", "--min-per-label", "1"]
    assert cli.main(["--db", str(db), *split]) == 0
    return db


def run_cli(db: Path, args: list[str], server_url: str) -> int:
    return cli.main(["--db", str(db), *[a.replace(README_URL, server_url) for a in args]])


def test_readme_commands_judge_every_pair_as_the_in_process_judge(
    benchmark_db: Path, llama_server_url: str, capsys
) -> None:
    auto, completions = readme_judge_commands()
    assert run_cli(benchmark_db, auto, llama_server_url) == 0
    err = capsys.readouterr().err
    # No chat template: the probe says so and judges through completions.
    assert (
        "endpoint completions (chat: the model did not write SCORE: N within 8 tokens (it wrote "
        in err
    )
    assert "llama-cpp-python's server uses a llama-2 template for a GGUF without one" in err
    assert run_cli(benchmark_db, completions, llama_server_url) == 0
    assert "endpoint completions (completions: the grade digits" in capsys.readouterr().err
    assert cli.main(["--db", str(benchmark_db), "judge", "--split", "benchmark"]) == 0

    runs = storage.list_runs(benchmark_db).sort_values("run_id")["run_id"].tolist()
    assert len(runs) == 3
    judged = [storage.run_judgments(benchmark_db, run) for run in runs]
    in_process = judged[2]
    assert len(in_process) == 8
    for run, remote in zip(runs[:2], judged[:2], strict=True):
        assert storage.get_run(benchmark_db, run).params["endpoint"] == "completions"
        assert remote.keys() == in_process.keys()
        for pair_id, judgment in remote.items():
            assert judgment["parse_status"] == "logprobs"
            assert judgment["grade"] == in_process[pair_id]["grade"]
            # The server keeps llama.cpp's repacked weights, whose kernels round differently.
            assert judgment["probs"] == pytest.approx(in_process[pair_id]["probs"], abs=0.08)
    params = storage.get_run(benchmark_db, runs[1]).params
    assert (params["timeout_s"], params["max_retries"], params["concurrency"]) == (120, 2, 2)


def test_chat_named_on_the_server_without_a_chat_template_is_one_clear_line(
    benchmark_db: Path, llama_server_url: str, capsys
) -> None:
    before = len(storage.list_runs(benchmark_db))
    auto, _ = readme_judge_commands()
    assert run_cli(benchmark_db, [*auto, "--endpoint", "chat"], llama_server_url) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"error: {llama_server_url} cannot score 'my-judge' by logprobs: chat: ")
    assert "the model did not write SCORE: N within 8 tokens" in err
    assert err.endswith("use --endpoint auto (or pick the other API) to try both")
    assert len(storage.list_runs(benchmark_db)) == before
