"""The README's remote judging commands, run as written against llama-cpp-python's own
server on the bundled model (a GGUF with no chat template), started as the README's server
lines start it (without and with `--chat_format gemma`), compared with the in-process judge
on the same pairs. The README's Ollama line is checked to parse, not run: there is no Ollama
here."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from judge_fixtures import llama_server

import cli
import judge
import storage

pytestmark = pytest.mark.model

REPO = Path(__file__).resolve().parents[1]
README_URL = "http://127.0.0.1:8000/v1"


def readme_lines(pattern: str, section: str = "Judging") -> list[list[str]]:
    """The lines of a README section that match `pattern` (its one group is what is kept),
    continuations joined, comments dropped, split as a shell splits them."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    text = readme.split(f"\n## {section}\n")[1].split("\n## ")[0].replace("\\\n", " ")
    return [shlex.split(line, comments=True) for line in re.findall(pattern, text, re.M)]


def readme_judge_commands(section: str = "Judging") -> list[list[str]]:
    """The `$py cli.py judge --backend ...` lines of a README section, as arguments after
    `cli.py`."""
    return readme_lines(r"^\s*\$py cli\.py (judge --backend .*)$", section)


def readme_server_options() -> list[list[str]]:
    """The options of the README's `$py -m llama_cpp.server` lines besides the model and
    the port, which the test chooses."""
    options = []
    for line in readme_lines(r"^\s*\$py -m llama_cpp\.server (.*)$"):
        assert line[:2] == ["--model", "~/models/my-judge.gguf"]
        assert line[2:4] == ["--port", "8000"]
        options.append(line[4:])
    return options


def test_every_remote_command_of_the_readme_is_one_this_module_runs() -> None:
    commands = readme_judge_commands()
    served = [c for c in commands if README_URL in c]
    assert len(served) == 2
    assert {"--timeout", "--max-tokens", "--retries"} <= set(served[1])
    remote = [c for c in readme_judge_commands("Command line") if c[2] != "baseline"]
    assert remote == served[:1]
    assert readme_server_options() == [[], ["--chat_format", "gemma"]]
    # The Ollama line is the one command not run: it must still be one the CLI accepts.
    (ollama,) = [c for c in commands if README_URL not in c]
    assert ollama[:3] == ["judge", "--backend", "ollama"]
    assert cli._parser().parse_args(ollama).backend == "ollama"


@pytest.fixture(scope="module")
def benchmark_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("readme") / "store.duckdb"
    storage.importers.import_wands(db, REPO / "sample_data", dataset="wands-sample")
    split = ["split", "benchmark", "--queries", "2", "--per-query", "4", "--min-per-label", "1"]
    assert cli.main(["--db", str(db), *split]) == 0
    return db


@pytest.fixture(scope="module")
def in_process(benchmark_db: Path) -> dict[int, dict]:
    """The in-process judge's judgments of the benchmark pairs, by pair."""
    assert cli.main(["--db", str(benchmark_db), "judge", "--split", "benchmark"]) == 0
    runs = storage.list_runs(benchmark_db)
    (run_id,) = runs[runs["backend"] == "llama_cpp"]["run_id"].tolist()
    judged = storage.run_judgments(benchmark_db, run_id)
    assert len(judged) == 8
    return judged


@pytest.fixture(scope="module")
def gemma_template_url() -> Iterator[str]:
    """The server as the README's second server line starts it: Gemma's chat template."""
    with llama_server(judge.default_model_path(), options=readme_server_options()[1]) as url:
        yield url


def run_cli(db: Path, args: list[str], server_url: str) -> int:
    return cli.main(["--db", str(db), *[a.replace(README_URL, server_url) for a in args]])


def served_commands() -> list[list[str]]:
    return [c for c in readme_judge_commands() if README_URL in c]


def assert_as_in_process(db: Path, run_id: int, in_process: dict[int, dict]) -> None:
    remote = storage.run_judgments(db, run_id)
    assert remote.keys() == in_process.keys()
    for pair_id, judgment in remote.items():
        assert judgment["parse_status"] == "logprobs"
        assert judgment["grade"] == in_process[pair_id]["grade"]
        # The server keeps llama.cpp's repacked weights, whose kernels round differently.
        assert judgment["probs"] == pytest.approx(in_process[pair_id]["probs"], abs=0.08)


def newest_run(db: Path) -> int:
    return int(storage.list_runs(db)["run_id"].max())


def test_readme_commands_judge_every_pair_as_the_in_process_judge(
    benchmark_db: Path, in_process: dict[int, dict], llama_server_url: str, capsys
) -> None:
    auto, completions = served_commands()
    assert run_cli(benchmark_db, auto, llama_server_url) == 0
    err = capsys.readouterr().err
    # No chat template: the probe says so and judges through completions.
    assert (
        "endpoint completions (chat: the model did not write SCORE: N within 8 tokens (it wrote "
        in err
    )
    assert "llama-cpp-python's server uses a llama-2 template for a GGUF without one" in err
    auto_run = newest_run(benchmark_db)
    assert run_cli(benchmark_db, completions, llama_server_url) == 0
    assert "endpoint completions (completions: the grade digits" in capsys.readouterr().err
    completions_run = newest_run(benchmark_db)

    for run in (auto_run, completions_run):
        assert storage.get_run(benchmark_db, run).params["endpoint"] == "completions"
        assert_as_in_process(benchmark_db, run, in_process)
    params = storage.get_run(benchmark_db, completions_run).params
    assert (params["timeout_s"], params["max_retries"], params["concurrency"]) == (120, 2, 2)


def test_readme_command_on_a_server_with_gemmas_chat_template(
    benchmark_db: Path, in_process: dict[int, dict], gemma_template_url: str, capsys
) -> None:
    """With Gemma's template the chat prompt is what a Gemma chat model reads, but the bundled
    base model does not answer it with the answer line (it goes on with the instructions):
    the probe tries chat, says what the model wrote, and the run scores every pair through
    completions, as the in-process judge grades them. A model tuned on chat records would
    pass the chat probe; none ships with the workbench."""
    auto, _ = served_commands()
    assert run_cli(benchmark_db, auto, gemma_template_url) == 0
    err = capsys.readouterr().err
    wrote = r"chat: the model did not write SCORE: N within 8 tokens \(it wrote (.*?)\): "
    reason = re.search(wrote + "it does not answer in the server's chat template", err)
    assert reason, err
    assert "[INST]" not in reason.group(1)  # Gemma's template, not the llama-2 fallback
    assert "completions: the grade digits come back as logprobs" in err
    run = newest_run(benchmark_db)
    assert storage.get_run(benchmark_db, run).params["endpoint"] == "completions"
    assert_as_in_process(benchmark_db, run, in_process)


def test_chat_named_on_the_server_without_a_chat_template_is_one_clear_line(
    benchmark_db: Path, llama_server_url: str, capsys
) -> None:
    before = len(storage.list_runs(benchmark_db))
    auto, _ = served_commands()
    assert run_cli(benchmark_db, [*auto, "--endpoint", "chat"], llama_server_url) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"error: {llama_server_url} cannot score 'my-judge' by logprobs: chat: ")
    assert "the model did not write SCORE: N within 8 tokens" in err
    assert err.endswith("use --endpoint auto (or pick the other API) to try both")
    assert len(storage.list_runs(benchmark_db)) == before
