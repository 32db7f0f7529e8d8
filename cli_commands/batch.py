"""Batch files on the command line: `cli.py judge --batch-file` (and `--submit`),
`cli.py import batch-results`, and `cli.py batch status|fetch` for the OpenAI Batch API."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path

import jobs
import judge
import storage

from . import pairwise
from ._common import dataset_of, subcommand

Settings = Callable[..., judge.JudgeSettings]


def add_batch_flags(sub: argparse.ArgumentParser) -> None:
    """The `judge` options that write a request file instead of judging."""
    sub.add_argument(
        "--batch-file",
        type=Path,
        metavar="FILE",
        help="judge nothing now: record the run (or take --resume's) and write what it still "
        "lacks as OpenAI Batch API request lines to FILE, for `vllm run-batch` or the OpenAI "
        "Batch API; --backend openai, and --endpoint completions when no server can be probed",
    )
    sub.add_argument(
        "--submit",
        action="store_true",
        help="with --batch-file: upload it to the OpenAI Batch API at --base-url and create "
        "the batch; the batch id is kept with the run (`cli.py batch status|fetch --run N`)",
    )
    sub.add_argument(
        "--top-logprobs",
        type=int,
        metavar="N",
        help="with --batch-file and a named endpoint: alternatives per answer token (default "
        f"{judge.JudgeSettings().top_logprobs}; the probe picks the fewest holding the grades "
        "with --endpoint auto)",
    )


def write_batch_file(
    args: argparse.Namespace,
    settings_of: Settings,
    on_dataset_scale: Callable[[argparse.Namespace, judge.JudgeSettings], judge.JudgeSettings],
    on_endpoint: Callable[[judge.EndpointChoice], None],
) -> int:
    """`cli.py judge --batch-file FILE`: the run recorded (or resumed), its requests written."""
    if args.batch_file is None:
        raise judge.SettingsError("--submit uploads a request file: add --batch-file FILE")
    control = jobs.RunControl(on_endpoint=on_endpoint)
    if args.resume is not None:
        run_id = args.resume
    elif args.pairwise:
        later = jobs.batch_control(judge.Endpoint(args.endpoint), control)
        run_id = pairwise.judge_pairwise(args, _with_top(args, settings_of), later).run_id
    else:
        settings = on_dataset_scale(args, _with_top(args, settings_of)(args))
        run_id = jobs.open_batch_run(
            args.db,
            dataset=dataset_of(args),
            settings=settings,
            split=args.split,
            limit=args.limit,
            name=args.name,
            control=control,
        )
    written = jobs.write_batch_requests(args.db, run_id, args.batch_file)
    print(f"run {run_id}: {written.requests} requests to {written.url} in {written.path}")
    if args.submit:
        batch = jobs.submit_batch(args.db, written)
        print(f"batch {batch.remote_batch} submitted ({batch.status}) to {batch.base_url}")
        print(f"fetch with:  python cli.py batch fetch --run {run_id} --wait 86400")
    elif written.requests:
        print(f"then:        vllm run-batch -i {written.path} -o results.jsonl --model MODEL")
        print(f"and:         python cli.py import batch-results results.jsonl --run {run_id}")
    return 0


def _with_top(args: argparse.Namespace, settings_of: Settings) -> Settings:
    if args.top_logprobs is None:
        return settings_of

    def settings(*given: object) -> judge.JudgeSettings:
        return dataclasses.replace(settings_of(*given), top_logprobs=args.top_logprobs)

    return settings


def _import_results(args: argparse.Namespace) -> int:
    files = [args.file] + ([args.errors] if args.errors else [])
    print(jobs.import_batch_results(args.db, args.run, files).summary())
    return 0


def add_import_batch_results(forms: argparse._SubParsersAction) -> None:
    """`import batch-results`, beside the importers of labelled pairs and ranking runs."""
    sub = subcommand(
        forms,
        "batch-results",
        "The output of `vllm run-batch` or of the OpenAI Batch API (and its error file) for "
        "a run whose requests `cli.py judge --batch-file` wrote: each answer is recorded as "
        "the remote backend records it, each failed request as a failed judgment with its "
        "error; lines of another run, unknown pairs, repeats and unreadable lines are "
        "counted and skipped. A new request file then asks only for what is still missing.",
        "python cli.py import batch-results results.jsonl --run 12 --errors errors.jsonl",
        _import_results,
    )
    sub.add_argument("file", type=Path, help="the results file (JSONL)")
    sub.add_argument("--run", type=int, required=True, metavar="RUN_ID")
    sub.add_argument("--errors", type=Path, metavar="FILE", help="OpenAI's error file")


def _status(args: argparse.Namespace) -> int:
    batch = jobs.batch_status(args.db, args.run)
    files = ", ".join(
        f"{what} {file}"
        for what, file in (("output", batch.output_file_id), ("errors", batch.error_file_id))
        if file
    )
    print(
        f"run {args.run}: batch {batch.remote_batch} at {batch.base_url} is {batch.status}"
        + (f" ({files})" if files else "")
    )
    return 0


def _fetch(args: argparse.Namespace) -> int:
    def polled(batch: storage.RunBatch) -> None:
        print(f"batch {batch.remote_batch}: {batch.status}", file=sys.stderr, flush=True)

    imported = jobs.fetch_batch(
        args.db, args.run, wait_s=args.wait, poll_s=args.poll, on_poll=polled
    )
    print(imported.summary())
    if imported.missing:
        print(f"the rest:    python cli.py judge --resume {args.run} --batch-file more.jsonl")
    return 0


def add_batch(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "batch",
        "A run's batch on the OpenAI Batch API (submitted with `cli.py judge --batch-file F "
        "--submit`): `status` asks how it stands, `fetch` downloads its output and error "
        "files and imports them into the run. The batch id is kept with the run, so any "
        "later process goes on from it.",
        "python cli.py batch fetch --run 12 --wait 3600",
        lambda args: 0,
    )
    actions = sub.add_subparsers(dest="action", required=True, metavar="ACTION")
    status = subcommand(
        actions,
        "status",
        "Ask the Batch API how the run's last batch stands.",
        "python cli.py batch status --run 12",
        _status,
    )
    fetch = subcommand(
        actions,
        "fetch",
        "Download the output and error files of the run's last batch and import them.",
        "python cli.py batch fetch --run 12 --wait 3600",
        _fetch,
    )
    for action in (status, fetch):
        action.add_argument("--run", type=int, required=True, metavar="RUN_ID")
    fetch.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="poll a batch still at work for up to this long (default: do not wait)",
    )
    fetch.add_argument(
        "--poll", type=float, default=30.0, metavar="SECONDS", help="between polls (default 30)"
    )
