"""Batch files without a model: a run's requests as OpenAI Batch API lines, checked field by
field against the documented format, and results files (answers, failures, repeats, lines
of other runs, unreadable lines) read back into the run, which stays resumable."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

import cli
import jobs
import judge
import storage

BASE = "http://127.0.0.1:9/v1"  # never asked: the endpoint is named, so nothing is probed
REMOTE = ["--backend", "openai", "--model", "judge-4b", "--base-url", BASE]
# The fields of a request line (https://platform.openai.com/docs/api-reference/batch)
REQUEST_FIELDS = {"custom_id", "method", "url", "body"}


def write_requests(db: Path, path: Path, *flags: str) -> int:
    """`cli.py judge --batch-file` on the sample; the new run's id."""
    code = cli.main(["--db", str(db), "judge", *REMOTE, "--batch-file", str(path), *flags])
    assert code == 0
    return int(storage.list_runs(db)["run_id"].max())


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_request_file_for_50_pairs_is_valid_openai_batch_jsonl(sample_db, tmp_path, capsys):
    path = tmp_path / "requests.jsonl"
    flags = ["--endpoint", "completions", "--limit", "50", "--top-logprobs", "5"]
    run_id = write_requests(sample_db, path, *flags)
    assert f"run {run_id}: 50 requests to /v1/completions in {path}" in capsys.readouterr().out
    requests = lines_of(path)
    assert len(requests) == 50
    run = storage.get_run(sample_db, run_id)
    settings = jobs.settings_of(run)
    pairs = {p["pair_id"]: p for p in storage.pairs_for_judging(sample_db, run.dataset)}
    ids = [r["custom_id"] for r in requests]
    assert len(set(ids)) == 50
    for request in requests:
        assert set(request) == REQUEST_FIELDS
        assert request["method"] == "POST"
        assert request["url"] in judge.BATCH_URLS
        found = re.fullmatch(r"run-(\d+)-pair-(\d+)", request["custom_id"])
        assert found and int(found[1]) == run_id
        pair = pairs[int(found[2])]
        body = request["body"]
        # The prompt the remote backend sends: rendered, up to and with the answer prefix.
        prompt = judge.render_prompt(settings.template, pair)
        assert body["prompt"] == settings.answer_format().after(prompt)
        assert body["prompt"].endswith("SCORE: ")
        assert (body["model"], body["max_tokens"], body["logprobs"]) == ("judge-4b", 1, 5)
        assert (body["temperature"], body["seed"]) == (0.0, 0)
        assert "stream" not in body and "stream_options" not in body
    assert sorted(int(i.rsplit("-", 1)[1]) for i in ids) == sorted(run.params["pair_ids"])
    # Recorded, judged by nobody yet: resumable.
    assert run.status is storage.RunStatus.CANCELLED
    assert storage.run_judgments(sample_db, run_id) == {}


def test_chat_requests_carry_the_judges_messages(sample_db, tmp_path):
    path = tmp_path / "chat.jsonl"
    run_id = write_requests(
        sample_db, path, "--endpoint", "chat", "--mode", "generate", "--limit", "3"
    )
    settings = jobs.settings_of(storage.get_run(sample_db, run_id))
    pairs = {p["pair_id"]: p for p in storage.pairs_for_judging(sample_db, "wands-sample")}
    for request in lines_of(path):
        assert request["url"] == "/v1/chat/completions"
        pair = pairs[int(request["custom_id"].rsplit("-", 1)[1])]
        prompt = judge.render_prompt(settings.template, pair)
        assert request["body"]["messages"] == judge.chat_messages(prompt)
        assert request["body"]["max_tokens"] == settings.max_tokens


def completion(logprobs: dict[str, float]) -> dict:
    """An OpenAI completions answer of one token with these alternatives."""
    best = max(logprobs, key=logprobs.__getitem__)
    return {
        "object": "text_completion",
        "choices": [
            {"text": best, "index": 0, "logprobs": {"tokens": [best], "top_logprobs": [logprobs]}}
        ],
        "usage": {"prompt_tokens": 200, "completion_tokens": 1},
    }


def output(custom_id: str, body: object, status: int = 200, error: object = None) -> str:
    response = {"status_code": status, "request_id": "req", "body": body}
    return json.dumps({"id": "b", "custom_id": custom_id, "response": response, "error": error})


def test_a_results_file_imports_what_is_valid_and_says_what_it_skipped(sample_db, tmp_path, capsys):
    requests = tmp_path / "requests.jsonl"
    flags = ["--endpoint", "completions", "--limit", "12", "--top-logprobs", "5"]
    run_id = write_requests(sample_db, requests, *flags)
    capsys.readouterr()
    ids = [r["custom_id"] for r in lines_of(requests)]
    answered, failed, missing = ids[:6], ids[6:8], ids[8:]
    # Another run's line for a pair of this run, before this run's own: refused, and no
    # reason to refuse this run's line as a repeat.
    lines, expected = [output(f"run-{run_id + 5}-{answered[1].split('-', 2)[2]}", "{}")], {}
    for n, custom_id in enumerate(answered):
        logprobs = {"0": -0.5 - n / 10, "1": -1.5, "2": -2.0 + n / 10, "x": -0.1}
        lines.append(output(custom_id, completion(logprobs)))
        mass = [math.exp(logprobs[g]) for g in "012"]
        expected[int(custom_id.rsplit("-", 1)[1])] = [m / sum(mass) for m in mass]
    lines.append(output(failed[0], {"error": {"message": "overloaded"}}, status=503))
    errors_file = tmp_path / "errors.jsonl"
    error = {"code": "context_length_exceeded", "message": "too long"}
    errors_file.write_text(output(failed[1], None, error=error) + "\n")
    lines += [
        output(answered[0], completion({"2": -0.1})),  # a repeat: the first line counts
        output(f"run-{run_id}-pair-999999", completion({"1": -0.1})),  # no such pair
        "{not json",
        json.dumps({"custom_id": ids[0]}),  # neither a response nor an error
        "",
    ]
    results = tmp_path / "results.jsonl"
    results.write_text("\n".join(lines) + "\n")
    args = ["import", "batch-results", str(results), "--run", str(run_id)]
    code = cli.main(["--db", str(sample_db), *args, "--errors", str(errors_file)])
    assert code == 0
    assert capsys.readouterr().out.strip() == (
        f"run {run_id}: 6 answers imported, 2 failed (recorded with their error), 5 lines "
        "refused (2 malformed, 1 other run, 1 unknown pair, 1 duplicate); 6 still to judge"
    )
    stored = storage.run_judgments(sample_db, run_id)
    assert len(stored) == 8
    for pair_id, probs in expected.items():
        judgment = stored[pair_id]
        assert judgment["parse_status"] == "logprobs"
        assert judgment["probs"] == pytest.approx(probs, rel=1e-6)
        assert judgment["grade"] == max(range(3), key=probs.__getitem__)
        assert judgment["latency_ms"] is None
    by_id = {int(i.rsplit("-", 1)[1]): i for i in failed}
    outcomes = {by_id[p]: stored[p] for p in by_id}
    assert outcomes[failed[0]]["parse_status"] == "error"
    assert "HTTP 503" in outcomes[failed[0]]["error"]
    assert "context_length_exceeded: too long" in outcomes[failed[1]]["error"]
    assert storage.get_run(sample_db, run_id).status is storage.RunStatus.CANCELLED

    # A second request file asks for the missing and the failed pairs, and nothing else.
    more = tmp_path / "more.jsonl"
    resume = ["judge", "--resume", str(run_id), "--batch-file", str(more)]
    assert cli.main(["--db", str(sample_db), *resume]) == 0
    assert {r["custom_id"] for r in lines_of(more)} == set(missing + failed)

    # Importing the same file again adds nothing: what it answers is judged already.
    assert cli.main(["--db", str(sample_db), *args]) == 0
    assert "0 answers imported, 1 failed" in capsys.readouterr().out


def test_a_run_with_every_pair_answered_ends_done(sample_db, tmp_path):
    requests = tmp_path / "requests.jsonl"
    run_id = write_requests(sample_db, requests, "--endpoint", "completions", "--limit", "3")
    results = tmp_path / "results.jsonl"
    results.write_text(
        "".join(output(r["custom_id"], completion({"1": -0.2})) + "\n" for r in lines_of(requests))
    )
    imported = jobs.import_batch_results(sample_db, run_id, [results])
    assert (imported.scored, imported.missing) == (3, 0)
    assert storage.get_run(sample_db, run_id).status is storage.RunStatus.DONE
    again = tmp_path / "again.jsonl"
    assert jobs.write_batch_requests(sample_db, run_id, again).requests == 0
    assert again.read_text() == ""


def test_pairwise_orders_go_out_and_come_back(sample_db, tmp_path, capsys):
    requests = tmp_path / "pairwise.jsonl"
    flags = ["--pairwise", "--max-queries", "1", "--endpoint", "completions"]
    code = cli.main(
        ["--db", str(sample_db), "judge", *REMOTE, "--batch-file", str(requests), *flags]
    )
    assert code == 0
    run_id = int(re.search(r"run (\d+):", capsys.readouterr().out)[1])
    run = storage.pairwise.get_pairwise_run(sample_db, run_id)
    sent = lines_of(requests)
    assert len(sent) == 2 * len(run.params["comparisons"])
    for request in sent:
        assert request["body"]["prompt"].endswith("[RESULT]")
        assert request["body"]["max_tokens"] == 1
    results = tmp_path / "results.jsonl"
    results.write_text(
        "".join(output(r["custom_id"], completion({" A": -0.2, " B": -1.8})) + "\n" for r in sent)
    )
    imported = jobs.import_batch_results(sample_db, run_id, [results])
    assert (imported.scored, imported.failed, imported.missing) == (len(sent), 0, 0)
    verdicts = storage.pairwise.pairwise_comparisons(sample_db, run_id)
    assert len(verdicts) == len(run.params["comparisons"])
    # Whichever product was shown first, the answer said A: the first shown won.
    p_a = math.exp(-0.2) / (math.exp(-0.2) + math.exp(-1.8))
    for order in ("ab", "ba"):
        assert verdicts[f"p_first_{order}"].tolist() == pytest.approx([p_a] * len(verdicts))
        assert set(verdicts[f"status_{order}"]) == {"logprobs"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["judge", "--batch-file", "{tmp}/r.jsonl"],
            "batch files are OpenAI's format, read by vLLM and the OpenAI Batch API: use "
            "--backend openai, not llama_cpp",
        ),
        (["import", "batch-results", "{tmp}/none.jsonl", "--run", "77"], "no judge run 77"),
        (["batch", "status", "--run", "77"], "run 77 has no batch job"),
        (["judge", *REMOTE, "--submit"], "--submit uploads a request file: add --batch-file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(sample_db, tmp_path, capsys, args, says):
    before = storage.list_runs(sample_db)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert cli.main(["--db", str(sample_db), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and says in err
    assert storage.list_runs(sample_db).equals(before)


def test_a_missing_results_file_is_one_line(sample_db, tmp_path, capsys):
    run_id = write_requests(
        sample_db, tmp_path / "r.jsonl", "--endpoint", "completions", "--limit", "2"
    )
    missing = tmp_path / "nothing.jsonl"
    args = ["import", "batch-results", str(missing), "--run", str(run_id)]
    assert cli.main(["--db", str(sample_db), *args]) == 2
    assert f"error: {missing}: No such file or directory" in capsys.readouterr().err
