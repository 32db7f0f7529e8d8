"""`cli.py judge` on bad input and bad endpoints: one line on stderr, exit 2, and no run left
in the store unless pairs were judged (then it can be resumed)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from judge_fault_server import FaultServer

import cli
import storage

REPO = Path(__file__).resolve().parents[1]


def judge_cli(db: Path, *args: str) -> int:
    return cli.main(["--db", str(db), "judge", *args])


def remote_args(server: FaultServer, *extra: str) -> list[str]:
    return [
        "--backend",
        "openai",
        "--model",
        "m",
        "--base-url",
        server.url,
        "--mode",
        "generate",
        "--concurrency",
        "1",
        *extra,
    ]


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The error the command printed; asserts it is one line of its own."""
    err = capsys.readouterr().err
    assert err.endswith("\n") and err.count("error: ") == 1
    line = err.splitlines()[-1]
    assert line.startswith("error: ")
    return line


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"hello, not a model",
            r"error: .*notes\.txt is not a GGUF model file \(it starts with "
            r"b'hell', not b'GGUF'\): give the path of a \.gguf file",
        ),
        (b"GGUF" + bytes(60), r"error: llama\.cpp cannot load .*notes\.txt \(gguf_init_from_"),
    ],
    ids=["not a gguf", "damaged gguf"],
)
def test_a_model_file_that_cannot_load_is_one_error_and_no_run(
    sample_db: Path, tmp_path: Path, capsys, content: bytes, message: str
) -> None:
    model = tmp_path / "notes.txt"
    model.write_bytes(content)
    assert judge_cli(sample_db, "--model", str(model), "--limit", "2") == 2
    assert re.match(message, error_line(capsys))
    assert storage.list_runs(sample_db).empty


@pytest.mark.parametrize("limit", ["-5", "0"])
def test_a_limit_below_one_is_refused(sample_db: Path, capsys, limit: str) -> None:
    assert judge_cli(sample_db, "--limit", limit) == 2
    assert (
        error_line(capsys) == f"error: limit must be a number of pairs of at least 1, got {limit}"
    )
    assert storage.list_runs(sample_db).empty


def test_a_dead_endpoint_stops_the_run_which_resumes_later(sample_db: Path, capsys) -> None:
    with FaultServer(default_fault="hang") as server:
        # The resumed run keeps this timeout for a server that answers again: a slow machine
        # must not turn its answers into timeouts.
        limits = ["--timeout", "3", "--max-retries", "1", "--max-consecutive-failures", "2"]
        assert judge_cli(sample_db, *remote_args(server, *limits, "--limit", "5")) == 2
        assert error_line(capsys) == (
            f"error: 2 pairs in a row got no answer from {server.url}, so the run stopped (the "
            f"last: no answer within timeout_s=3.0s from {server.url}: raise timeout_s or lower "
            "concurrency (gave up after 2 attempts)); check that the server is up, then resume "
            "the run: python cli.py judge --resume 1"
        )
        run = storage.get_run(sample_db, 1)
        assert run.status == "failed"
        assert (run.params["timeout_s"], run.params["max_retries"]) == (3.0, 1)
        assert run.params["max_consecutive_failures"] == 2
        failed = storage.run_judgments(sample_db, 1)
        assert [j["parse_status"] for j in failed.values()] == ["error", "error"]
        assert sum(server.requests.values()) == 4  # two pairs, two attempts each

        server.default_fault = "ok2"  # the server is back
        assert judge_cli(sample_db, "--resume", "1") == 0
        assert "run 1 finished: 5 judged, 0 already done, 0 errors" in capsys.readouterr().out
    judged = storage.run_judgments(sample_db, 1)
    assert len(judged) == 5 and {j["grade"] for j in judged.values()} == {2}
    assert storage.get_run(sample_db, 1).status == "done"


def test_max_answer_bytes_caps_what_is_stored(sample_db: Path, capsys) -> None:
    with FaultServer(default_fault="huge") as server:
        args = remote_args(server, "--max-answer-bytes", "1000", "--limit", "2")
        assert judge_cli(sample_db, *args) == 0
    assert "2 judged, 0 already done, 0 errors, 2 unparsed" in capsys.readouterr().out
    for record in storage.run_judgments(sample_db, 1).values():
        assert (record["parse_status"], len(record["raw_output"])) == ("unparsed", 1000)
        assert record["error"].startswith("the answer was cut at 1000 bytes (max_answer_bytes)")


def test_endpoint_auto_probes_and_the_run_records_the_endpoint_it_used(
    sample_db: Path, capsys
) -> None:
    with FaultServer(default_fault="nochat2") as server:
        args = [*remote_args(server, "--limit", "3")]
        args[args.index("generate")] = "logprobs"
        assert judge_cli(sample_db, *args) == 0
    err = capsys.readouterr().err
    assert "endpoint completions (chat: the server refused it with HTTP 400 (it said " in err
    assert err.count("completions: the grade digits come back as logprobs); 1 token") == 1
    run = storage.get_run(sample_db, 1)
    assert (run.params["endpoint"], run.params["top_logprobs"]) == ("completions", 6)
    judged = storage.run_judgments(sample_db, 1)
    assert {(j["grade"], j["parse_status"]) for j in judged.values()} == {(2, "logprobs")}


def test_chat_on_a_server_without_a_chat_template_is_one_line_and_no_run(
    sample_db: Path, capsys
) -> None:
    with FaultServer(default_fault="nochat1") as server:
        args = remote_args(server, "--mode", "logprobs", "--endpoint", "chat", "--limit", "3")
        assert judge_cli(sample_db, *args) == 2
    line = error_line(capsys)
    assert line.startswith(f"error: {server.url} cannot score 'm' by logprobs: chat: the server")
    assert line.endswith("use --endpoint auto (or pick the other API) to try both")
    assert storage.list_runs(sample_db).empty


def test_ctrl_c_stores_the_run_as_cancelled_and_it_resumes(sample_db: Path, capsys) -> None:
    with FaultServer(default_fault="slow", slow_s=0.3) as server:
        command = [sys.executable, str(REPO / "cli.py"), "--db", str(sample_db), "judge"]
        command += remote_args(server, "--limit", "20")
        # A shell's background job starts with SIGINT ignored, and Python then never raises
        # KeyboardInterrupt: give the CLI the terminal's default, as a user's shell would.
        judging = subprocess.Popen(
            command,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        try:
            while sum(server.requests.values()) < 3:  # pairs judged, so the run is recorded
                time.sleep(0.05)
            judging.send_signal(signal.SIGINT)
            _, err = judging.communicate(timeout=60)
        finally:
            if judging.poll() is None:
                judging.kill()
        assert judging.returncode == 130
        assert "run 1 cancelled (Ctrl-C): python cli.py judge --resume 1" in err
        assert "Traceback" not in err
        run = storage.get_run(sample_db, 1)
        assert run.status == "cancelled"
        kept = len(storage.run_judgments(sample_db, 1))
        assert 2 <= kept < 20

        assert judge_cli(sample_db, "--resume", "1") == 0
    assert f"run 1 finished: {20 - kept} judged, {kept} already done, 0 errors" in (
        capsys.readouterr().out
    )
    assert storage.get_run(sample_db, 1).status == "done"


def test_a_wrong_url_or_model_is_one_whole_sentence_that_says_so(sample_db: Path, capsys) -> None:
    """A 404 with a long page as its body: the cause is named, nothing is cut mid-sentence
    and no chat template or --mode generate is suggested."""
    with FaultServer(default_fault="404") as server:
        args = remote_args(server, "--limit", "3")
        args[args.index("generate")] = "logprobs"
        assert judge_cli(sample_db, *args) == 2
    assert error_line(capsys) == (
        f"error: {server.url} answered HTTP 404 for 'm' (chat, completions): the server has no "
        "such path or model: check base_url (OpenAI-compatible roots usually end in /v1) and "
        "the model name."
    )
    assert storage.list_runs(sample_db).empty


def test_a_404_while_generating_keeps_the_cause_before_the_servers_words(
    sample_db: Path, capsys
) -> None:
    with FaultServer(default_fault="404") as server:
        assert judge_cli(sample_db, *remote_args(server, "--limit", "1")) == 0
    error = storage.run_judgments(sample_db, 1)
    (record,) = error.values()
    assert record["error"].startswith(
        f"HTTP 404 from {server.url}/chat/completions: the server has no such path or model: "
        "check base_url (OpenAI-compatible roots usually end in /v1) and the model name. The "
        "server said '<html><body><h1>404 Not Found</h1><p>nothing here</p>"
    )
    assert record["error"].endswith("…'.")


def test_a_long_judge_error_is_printed_whole(sample_db: Path, capsys) -> None:
    """A server that fails every request with a long page: the run stops with a message
    longer than a store error's cap, printed whole (the server's words are what is cut)."""
    with FaultServer(default_fault="503") as server:
        limits = ["--max-retries", "0", "--max-consecutive-failures", "2", "--limit", "5"]
        assert judge_cli(sample_db, *remote_args(server, *limits)) == 2
    line = error_line(capsys)
    assert line.startswith(
        f"error: 2 pairs in a row got no answer from {server.url}, so the run stopped (the "
        f"last: HTTP 503 from {server.url}/chat/completions: the server failed. The server said "
        "'<html><body><h1>503 Service Unavailable</h1><p>busy</p>"
    )
    assert line.endswith(
        "…'. (gave up after 1 attempts)); check that the server is up, then resume the run: "
        "python cli.py judge --resume 1"
    )
    assert len(line) > len("error: ") + storage.MESSAGE_LIMIT


def test_rejudge_replaces_the_stale_or_named_judgments_and_says_what_changed(
    sample_db: Path, capsys
) -> None:
    with FaultServer(default_fault="ok2") as server:
        assert judge_cli(sample_db, *remote_args(server, "--limit", "5")) == 0
        judged = sorted(storage.run_judgments(sample_db, 1))
        stale = judged[0]
        graded = storage.current_label(sample_db, stale).grade
        storage.record_review(sample_db, stale, author="ana", grade=(graded + 1) % 3)
        assert storage.stale_pair_ids(sample_db, 1) == [stale]
        capsys.readouterr()

        server.default_fault = "ok0"  # the judge now answers otherwise
        assert cli.main(["--db", str(sample_db), "rejudge", "1", "--stale"]) == 0
        out, err = capsys.readouterr()
        assert out.splitlines() == [
            f"pair {stale}: Exact -> Irrelevant",
            "run 1: 1 pair re-judged, 1 grade changed",
        ]
        assert "1 pair" in err  # the price, before the work
        grades = {p: j["grade"] for p, j in storage.run_judgments(sample_db, 1).items()}
        assert grades == {p: 0 if p == stale else 2 for p in judged}

        cell = storage.cell_pair_ids(sample_db, 1, judge=2)
        assert cli.main(["--db", str(sample_db), "rejudge", "1", "--pair", *map(str, cell)]) == 0
        assert capsys.readouterr().out.endswith(
            f"run 1: {len(cell)} pairs re-judged, {len(cell)} grades changed\n"
        )
        assert {j["grade"] for j in storage.run_judgments(sample_db, 1).values()} == {0}
        assert cli.main(["--db", str(sample_db), "rejudge", "1", "--cell", "2,2"]) == 0
        assert capsys.readouterr().out == "run 1 has no pairs in cell 2,2: nothing to re-judge\n"
        assert storage.get_run(sample_db, 1).status == "done"


def test_rejudge_of_a_pair_outside_the_runs_dataset_is_one_line(sample_db: Path, capsys) -> None:
    with FaultServer(default_fault="ok2") as server:
        assert judge_cli(sample_db, *remote_args(server, "--limit", "2")) == 0
        before = storage.run_judgments(sample_db, 1)
        assert cli.main(["--db", str(sample_db), "rejudge", "1", "--pair", "99999"]) == 2
        assert error_line(capsys) == (
            "error: 1 pair (99999) not in dataset 'wands-sample' of run 1: name pairs of "
            "that dataset"
        )
        assert storage.run_judgments(sample_db, 1) == before
        assert cli.main(["--db", str(sample_db), "rejudge", "7", "--stale"]) == 2
        assert error_line(capsys) == "error: no judge run 7"
