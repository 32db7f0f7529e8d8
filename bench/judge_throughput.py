"""Judge throughput on the WANDS sample, each figure against a baseline measured in this run.

(a) pairs/s of the in-process logprob judge against a judgement-ai-style baseline: the same
    model behind llama-cpp-python's server, one request at a time, 2-3 sentences of reasoning
    then ``SCORE: N`` (the reasoning_0_3 template), parsed. Target: at least 5x.
(b) prompt tokens/s the judge evaluates (tokens reused from the KV cache not counted) against
    llama.cpp evaluating the same number of the same tokens as one long sequence. Target: at
    least 0.9x.
(c) pairs/s of the remote backend at concurrency 16 against a local server that answers
    after a fixed delay, relative to the ideal 16 / delay. Target: at least 0.8x.
(d) the baseline judge (lexical features + logistic regression, no LLM) on a WANDS-sized
    dataset (233k pairs, built as bench/import_scale.py builds its folder): features,
    training with 5-fold cross-fitting by query and judging every pair, in memory, against
    the in-process judge's pairs/s of (a). Target: under 30 s. Also timed end to end as
    ``jobs.baseline_run`` does it, reading the pairs and labels from the store and writing
    233k judgments back.
(e) pairs/s of remote logprob judging through llama-cpp-python's own server on the same
    model and pairs (endpoint probed as ``cli.py judge`` does it, concurrency 4), against the
    in-process judge's pairs/s of (a); also how many grades agree. Target: at least 0.5x
    (the server does the same work plus HTTP). Beside it, what the server computes per
    request without HTTP or our client: llama-cpp-python completing the same prompts in
    this process with the model opened as its server opens it (``logits_all=True``, which
    any logprobs request needs there: every prompt token then gets its full-vocabulary
    row of logits, where the in-process judge computes the last one only).
(f) pairwise comparisons/s (each judged in both orders) of the in-process logprob judge
    (P(A), P(B), P(tie) from one forward pass per order) against the same comparisons
    generated and parsed one at a time, the judgement-ai way (reasoning, then the answer
    line ``[RESULT] A|B|tie``, same model, same template). Target: at least 5x.
(g) pairwise comparisons/s through llama-cpp-python's own server (endpoint and top_logprobs
    probed as ``cli.py judge --pairwise`` does, concurrency 4) against the in-process
    comparisons/s of (f) on the same comparisons; also how many orders name the same winner
    and the largest gap in P(A). Target: at least 0.5x, as (e).
    ``--only-pairwise`` runs (f) and (g) alone; ``--only-remote`` runs (e) with the
    in-process judge it is measured against.

Each line is printed as its part finishes. Run: ``.venv/bin/python bench/judge_throughput.py``
(about six minutes on 2 cores). ``--quick`` prints the same lines on fewer pairs, turns and
comparisons, and (d) on the WANDS sample itself rather than a WANDS-sized copy (its 30 s
target is for the full size).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from judge_fault_server import FaultServer  # noqa: E402
from judge_fixtures import llama_server, make_pair, sample_pairs  # noqa: E402

import jobs  # noqa: E402
import storage  # noqa: E402
from bench.import_scale import build_folder  # noqa: E402
from judge import (  # noqa: E402
    JudgeSettings,
    Mode,
    choose_endpoint,
    choose_pairwise_settings,
    cross_fit_baseline,
    default_model_path,
    list_pairwise_templates,
    load_backend,
    load_template,
    render_prompt,
    run_judge,
    run_pairwise,
)
from judge._templates import logprob_prompt  # noqa: E402

LEXICAL_TARGET_S = 30.0
REMOTE_TARGET = 0.5


def timed_run(pairs, settings, **kwargs):
    """Judge the pairs; the judgments and the wall time."""
    results = []
    started = time.perf_counter()
    run_judge(pairs, settings, on_result=results.append, **kwargs)
    return results, time.perf_counter() - started


def long_batch_tokens_per_s(backend, texts: list[str], n_tokens: int) -> float:
    """llama.cpp's prompt evaluation speed on the prompts' tokens laid end to end, in
    context-sized sequences from an empty cache, ``n_tokens`` tokens in all."""
    llm = backend.llm
    stream: list[int] = []
    for text in texts:
        stream += llm.tokenize(text.encode(), add_bos=not stream, special=True)
    stream = (stream * (n_tokens // len(stream) + 1))[:n_tokens]
    n_ctx = llm.n_ctx()
    started = time.perf_counter()
    for start in range(0, len(stream), n_ctx):
        llm.n_tokens = 0
        llm.eval(stream[start : start + n_ctx])
    elapsed = time.perf_counter() - started
    llm.n_tokens = 0
    return n_tokens / elapsed


def lexical_judge_seconds(full_size: bool) -> tuple[int, float, float]:
    """Pairs of a WANDS-sized store (or of the sample, when not ``full_size``), seconds the
    baseline takes on them in memory (features, 5-fold cross-fitted training, judging) and
    seconds of ``jobs.baseline_run`` end to end."""
    with tempfile.TemporaryDirectory() as tmp:
        folder, db = Path(tmp) / "wands", Path(tmp) / "scale.duckdb"
        if full_size:
            folder.mkdir()
            build_folder(folder)
        else:
            folder = REPO / "sample_data"
        storage.importers.import_wands(db, folder, dataset="wands-scale")
        grades = storage.dataset_scale(db, "wands-scale").grades
        pairs = pd.DataFrame(storage.pairs_for_judging(db, "wands-scale"), dtype=object)
        rows = storage.search_pairs(db, "wands-scale", run_id=None, limit=len(pairs)).rows
        labels = pairs["pair_id"].map(rows.set_index("pair_id")["human"])
        started = time.perf_counter()
        cross_fit_baseline(pairs, labels, grades=grades)
        in_memory = time.perf_counter() - started
        started = time.perf_counter()
        jobs.baseline_run(db, "wands-scale")
        end_to_end = time.perf_counter() - started
    return len(pairs), in_memory, end_to_end


def pairwise_throughput(
    n_logprob: int, n_generate: int, max_tokens: int
) -> tuple[str, list, float, dict]:
    """(f): comparisons/s in logprob mode against generate-and-parse, on the same model and
    template, comparisons of products of the same query from the WANDS sample; with the
    comparisons, the logprob comparisons/s and verdicts, for (g)."""
    by_query: dict[str, list[dict]] = {}
    for pair in sample_pairs():
        by_query.setdefault(pair["query_id"], []).append(pair)
    comparisons = [
        (ps[i], ps[j]) for ps in by_query.values() for i in range(len(ps)) for j in (i + 1,)
        if j < len(ps)
    ][:n_logprob]  # fmt: skip
    settings = JudgeSettings(n_threads=2, n_ctx=2048, template=list_pairwise_templates()[0].text)
    backend = load_backend(settings)
    run_pairwise(comparisons[:1], settings, on_result=lambda v: None, backend=backend)  # warm
    backend.llm.n_tokens = 0
    verdicts: list = []
    started = time.perf_counter()
    run_pairwise(comparisons, settings, on_result=verdicts.append, backend=backend)
    logprob_cps = len(comparisons) / (time.perf_counter() - started)
    generate = JudgeSettings(
        n_threads=2, n_ctx=2048, template=settings.template, mode=Mode.GENERATE,
        max_tokens=max_tokens,
    )  # fmt: skip
    generated: list = []
    started = time.perf_counter()
    for comparison in comparisons[:n_generate]:  # one by one: no batching, no shared prefix
        backend.llm.n_tokens = 0
        run_pairwise([comparison], generate, on_result=generated.append, backend=backend)
    generate_cps = n_generate / (time.perf_counter() - started)
    backend.close()
    parsed = {s: sum(v.parse_status == s for v in generated) for s in ("strict", "fallback")}
    line = (
        f"(f) pairwise, both orders: in-process logprob {len(comparisons)} comparisons "
        f"{logprob_cps:.3f}/s | generate-and-parse one by one (reasoning up to {max_tokens} "
        f"tokens, then [RESULT]), {n_generate} comparisons {generate_cps:.3f}/s, parsed "
        f"{parsed} | ratio {logprob_cps / generate_cps:.1f}x (target >= 5x)"
    )
    in_process = {(v.first_pair_id, v.second_pair_id): v for v in verdicts}
    return line, comparisons, logprob_cps, in_process


def pairwise_remote_line(url: str, comparisons: list, in_process_cps: float, in_process) -> str:
    """(g): the comparisons of (f) judged through the server at ``url``."""
    settings = JudgeSettings(
        backend="openai", model="default", base_url=url, timeout_s=600,
        template=list_pairwise_templates()[0].text,
    )  # fmt: skip
    started = time.perf_counter()
    choice = choose_pairwise_settings(settings, *comparisons[0])
    probe_s = time.perf_counter() - started
    verdicts: list = []
    started = time.perf_counter()
    run_pairwise(comparisons, choice.settings, on_result=verdicts.append)
    remote_cps = len(comparisons) / (time.perf_counter() - started)
    same = sum(v.winner == in_process[(v.first_pair_id, v.second_pair_id)].winner for v in verdicts)
    gap = max(
        abs(v.p_first - in_process[(v.first_pair_id, v.second_pair_id)].p_first)
        for v in verdicts
        if v.p_first is not None
    )
    ratio = remote_cps / in_process_cps
    return (
        f"(g) pairwise through llama_cpp.server, endpoint {choice.settings.endpoint}, "
        f"top_logprobs {choice.settings.top_logprobs} (probe {probe_s:.1f} s), concurrency "
        f"{choice.settings.concurrency}: {remote_cps:.3f} comparisons/s, {same}/{len(verdicts)} "
        f"orders with the in-process winner, largest P(A) gap {gap:.3f} | in-process of (f) "
        f"{in_process_cps:.3f}/s | ratio {ratio:.2f}x (target >= {REMOTE_TARGET}x: "
        f"{'ok' if ratio >= REMOTE_TARGET else 'MISSED'})"
    )


def in_process_judge(pairs: list[dict], turns: int) -> tuple[float, dict[int, int | None]]:
    """Pairs/s of the in-process logprob judge (best of ``turns``) and its grades."""
    settings = JudgeSettings(n_threads=2, n_ctx=2048)
    backend = load_backend(settings)
    timed_run(pairs[:4], settings, backend=backend)  # page the weights in
    best = float("inf")
    for _ in range(turns):
        backend.llm.n_tokens = 0
        judged, seconds = timed_run(pairs, settings, backend=backend)
        best = min(best, seconds)
    backend.close()
    return len(pairs) / best, {j.pair_id: j.grade for j in judged}


def server_work_pps(pairs: list[dict], top_logprobs: int) -> float:
    """Pairs/s of llama-cpp-python's own work for a remote logprob pair, without HTTP: the
    model opened as its server opens it, each prompt up to the answer prefix completed by
    one streamed token with ``top_logprobs`` alternatives."""
    from llama_cpp import Llama

    llm = Llama(
        str(default_model_path()), n_ctx=2048, n_threads=2, n_threads_batch=2,
        logits_all=True, verbose=False,
    )  # fmt: skip
    texts = [logprob_prompt(JudgeSettings().template, p) for p in pairs]

    def complete(text: str) -> None:
        stream = llm.create_completion(
            text, max_tokens=1, logprobs=top_logprobs, temperature=0.0, stream=True
        )
        for _ in stream:
            pass

    complete(texts[0])  # page the weights in
    started = time.perf_counter()
    for text in texts:
        complete(text)
    elapsed = time.perf_counter() - started
    llm.close()
    return len(texts) / elapsed


def remote_logprob_throughput(
    url: str, pairs: list[dict], judge_pps: float, in_process_grades: dict[int, int | None]
) -> str:
    """(e): pairs/s of remote logprob judging through the server at ``url``, endpoint probed
    as ``cli.py judge`` does it, against the in-process judge's ``judge_pps`` and against
    the server's own work (``server_work_pps``)."""
    served = JudgeSettings(backend="openai", model="default", base_url=url, timeout_s=600)
    started = time.perf_counter()
    choice = choose_endpoint(served, render_prompt(served.template, pairs[0]))
    probe_s = time.perf_counter() - started
    remote_judged, remote_s = timed_run(pairs, choice.settings)
    remote_pps = len(remote_judged) / remote_s
    work_pps = server_work_pps(pairs, choice.settings.top_logprobs)
    agree = sum(j.grade == in_process_grades[j.pair_id] for j in remote_judged)
    scored = sum(j.parse_status == "logprobs" for j in remote_judged)
    ratio = remote_pps / judge_pps
    return (
        f"(e) remote logprob judge, llama_cpp.server, endpoint {choice.settings.endpoint} "
        f"(probe {probe_s:.1f} s: {choice.reason}), concurrency {choice.settings.concurrency}: "
        f"{remote_pps:.2f} pairs/s, {scored}/{len(remote_judged)} scored, "
        f"{agree}/{len(pairs)} grades as in-process | in-process judge "
        f"{judge_pps:.2f} pairs/s | ratio {ratio:.2f}x (target >= {REMOTE_TARGET}x: "
        f"{'ok' if ratio >= REMOTE_TARGET else 'MISSED'}) | the server's own work without "
        f"HTTP (llama-cpp-python, logits_all=True) {work_pps:.2f} pairs/s: remote judging "
        f"runs at {remote_pps / work_pps:.2f}x of it, in-process judging at "
        f"{judge_pps / work_pps:.1f}x"
    )


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # each part's line as it finishes, piped too
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-pairs", type=int, default=8)
    parser.add_argument(
        "--baseline-max-tokens",
        type=int,
        default=128,
        help="cap on the baseline's reasoning; judgement-ai sets none",
    )
    parser.add_argument("--delay", type=float, default=0.25, help="fixed server delay for (c)")
    parser.add_argument("--turns", type=int, default=2, help="turns of (a) and (b), best kept")
    parser.add_argument("--pairwise-comparisons", type=int, default=12, help="for (f)")
    parser.add_argument("--pairwise-generated", type=int, default=3, help="for (f)")
    parser.add_argument("--only-pairwise", action="store_true", help="run (f) and (g) alone")
    parser.add_argument("--only-remote", action="store_true", help="run (e) alone")
    parser.add_argument(
        "--remote-pairs", type=int, help="judge the first N pairs of the sample (default all)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the same lines in a few minutes: 24 pairs, one turn, 2 baseline pairs of up to "
        "64 tokens, 4 comparisons (1 generated), (d) on the sample",
    )
    args = parser.parse_args()
    if args.quick:
        args.turns, args.baseline_pairs, args.baseline_max_tokens = 1, 2, 64
        args.pairwise_comparisons, args.pairwise_generated = 4, 1
        args.remote_pairs = args.remote_pairs or 24
    if args.only_remote:
        pairs = sample_pairs(args.remote_pairs)
        judge_pps, grades = in_process_judge(pairs, args.turns)
        with llama_server(default_model_path()) as url:
            print(remote_logprob_throughput(url, pairs, judge_pps, grades))
        return
    pairs = sample_pairs(args.remote_pairs)
    if not args.only_pairwise:
        print(
            f"judge throughput, WANDS sample ({len(pairs)} pairs), {default_model_path().name}, "
            "2 threads"
        )
    pairwise, compared, pairwise_cps, pairwise_verdicts = pairwise_throughput(
        args.pairwise_comparisons, args.pairwise_generated, args.baseline_max_tokens
    )
    print(pairwise)
    if args.only_pairwise:
        with llama_server(default_model_path()) as url:
            print(pairwise_remote_line(url, compared, pairwise_cps, pairwise_verdicts))
        return
    settings = JudgeSettings(n_threads=2, n_ctx=2048)
    backend = load_backend(settings)
    timed_run(pairs[:4], settings, backend=backend)  # page the weights in
    backend.llm.n_tokens = 0

    # The machine is shared: the judge and llama.cpp's long-sequence speed are measured in
    # turns, and each keeps its best turn, so both see the same quiet moments.
    texts = [logprob_prompt(settings.template, p) for p in pairs]
    judge_s = llama_tps = 0.0
    for turn in range(args.turns):
        backend.llm.n_tokens = 0
        evaluated_before = backend.evaluated_tokens
        judged, seconds = timed_run(pairs, settings, backend=backend)
        evaluated = backend.evaluated_tokens - evaluated_before
        judge_s = seconds if turn == 0 else min(judge_s, seconds)
        llama_tps = max(llama_tps, long_batch_tokens_per_s(backend, texts, evaluated))
    prompt_tokens = sum(j.prompt_tokens for j in judged)
    judge_pps = len(judged) / judge_s
    in_process_grades = {j.pair_id: j.grade for j in judged}
    backend.close()
    print(
        f"(b) judge evaluated {evaluated} of {prompt_tokens} prompt tokens (the rest reused from "
        f"the KV cache): {evaluated / judge_s:.0f} tokens/s | llama.cpp, same tokens as one long "
        f"sequence: {llama_tps:.0f} tokens/s | ratio {evaluated / judge_s / llama_tps:.2f}x "
        f"(target >= 0.9x); prompt tokens covered per second {prompt_tokens / judge_s:.0f}"
    )

    with llama_server(default_model_path()) as url:
        baseline_settings = JudgeSettings(
            backend="openai",
            model="default",
            base_url=url,
            template=load_template("reasoning_0_3"),
            scale=(0, 1, 2, 3),
            mode="generate",
            concurrency=1,
            max_tokens=args.baseline_max_tokens,
            timeout_s=600,
        )
        timed_run(pairs[:1], baseline_settings)  # the server loads lazily
        baseline, baseline_s = timed_run(pairs[: args.baseline_pairs], baseline_settings)
        baseline_pps = len(baseline) / baseline_s
        statuses = {
            s: sum(j.parse_status == s for j in baseline)
            for s in ("strict", "fallback", "unparsed", "error")
        }
        print(
            f"(a) in-process logprob judge {judge_pps:.2f} pairs/s | baseline: llama_cpp.server, "
            f"one request at a time, reasoning then SCORE (max_tokens={args.baseline_max_tokens}"
            f"), {len(baseline)} pairs {baseline_pps:.3f} pairs/s, parsed {statuses} | "
            f"ratio {judge_pps / baseline_pps:.1f}x (target >= 5x)"
        )
        print(remote_logprob_throughput(url, pairs, judge_pps, in_process_grades))
        print(pairwise_remote_line(url, compared, pairwise_cps, pairwise_verdicts))

    concurrency = 16
    with FaultServer(slow_s=args.delay) as server:
        remote = JudgeSettings(
            backend="openai",
            model="delay",
            base_url=server.url,
            mode="generate",
            template="{product_name} SCORE: N",
            concurrency=concurrency,
        )
        rounds = 2 if args.quick else 10
        delayed = [
            make_pair(i, product_name=f"pair={i} fault=slow") for i in range(rounds * concurrency)
        ]
        remote_results, remote_s = timed_run(delayed, remote)
    remote_pps = len(remote_results) / remote_s
    ideal_pps = concurrency / args.delay
    print(
        f"(c) remote backend, concurrency {concurrency}, server delay {args.delay}s: "
        f"{remote_pps:.1f} pairs/s | ideal {ideal_pps:.1f} pairs/s | ratio "
        f"{remote_pps / ideal_pps:.2f}x (target >= 0.8x)"
    )

    lexical_pairs, lexical_s, lexical_run_s = lexical_judge_seconds(full_size=not args.quick)
    lexical_pps = lexical_pairs / lexical_s
    target = (
        f"target < {LEXICAL_TARGET_S:.0f} s: {'ok' if lexical_s < LEXICAL_TARGET_S else 'MISSED'}"
        if not args.quick
        else "the sample: the target is for the WANDS size"
    )
    print(
        f"(d) baseline judge (lexical features + logistic regression), {lexical_pairs} pairs, "
        f"5-fold cross-fitting: features + training + judging in memory {lexical_s:.1f} s "
        f"({target}), {lexical_pps:,.0f} pairs/s | in-process GGUF judge of (a) "
        f"{judge_pps:.2f} pairs/s | ratio {lexical_pps / judge_pps:,.0f}x; end to end with the "
        f"store (read pairs and labels, write the judgments) {lexical_run_s:.1f} s"
    )


if __name__ == "__main__":
    main()
