"""`cli.py judge`: judge a dataset's pairs into a new run, or resume one, with a progress bar."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import jobs
import judge
import storage
from judge import JudgeError
from words import plural

from . import batch, pairwise
from ._common import confusion_cell, dataset_of, subcommand

# The remote limits' defaults, shown in --help; JudgeSettings owns them.
_REMOTE_DEFAULTS = judge.JudgeSettings()


def _read_by(setting: str) -> str:
    """The end of a flag's help: the backends whose declaration says they read its setting."""
    return f" [{', '.join(judge.backends_reading(setting))}]"


def _template_text(args: argparse.Namespace) -> tuple[str, tuple[int, ...]]:
    if args.template_file:
        return args.template_file.read_text(encoding="utf-8"), tuple(args.scale or (0, 1, 2))
    info = {t.name: t for t in judge.list_templates()}.get(args.template)
    if info is None:
        raise JudgeError(
            f"no template named {args.template!r}; choose one of "
            f"{', '.join(t.name for t in judge.list_templates())} "
            "or pass --template-file"
        )
    return judge.load_template(info.name), info.scale


class _ProgressBar:
    """The run's progress on one stderr line, ended before anything else is printed."""

    WIDTH = 30

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, progress: judge.Progress) -> None:
        self.shown = True
        filled = self.WIDTH * progress.done // max(progress.total, 1)
        eta = "" if progress.eta_s is None else f" ETA {progress.eta_s:.0f}s"
        print(
            f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {progress.done}/{progress.total} "
            f"{progress.pairs_per_s:.1f} pairs/s{eta} failures {progress.failures}"
            f"{jobs.endpoints_text(progress.per_endpoint)}  ",
            end="",
            file=sys.stderr,
            flush=True,
        )

    def end(self) -> None:
        if self.shown:
            print(file=sys.stderr)
            self.shown = False


def _settings(args: argparse.Namespace, template: str | None = None) -> judge.JudgeSettings:
    """The judge settings the options say; `template` replaces the template they name (a
    pairwise run's)."""
    template, scale = _template_text(args) if template is None else (template, (0, 1, 2))
    return judge.JudgeSettings(
        backend=args.backend,
        model=args.model,
        **judge.base_url_fields(args.base_url or ()),
        api_key_env=args.api_key_env,
        template=template,
        mode=args.mode,
        scale=storage.Scale.of(scale),
        n_ctx=args.ctx,
        n_threads=args.threads,
        n_gpu_layers=args.n_gpu_layers,
        concurrency=args.concurrency,
        endpoint=args.endpoint,
        timeout_s=args.timeout,
        max_tokens=args.max_tokens,
        max_retries=args.max_retries,
        max_answer_bytes=args.max_answer_bytes,
        max_consecutive_failures=args.max_consecutive_failures,
        reference=args.reference,
    )


def _on_dataset_scale(
    args: argparse.Namespace, settings: judge.JudgeSettings
) -> judge.JudgeSettings:
    """The settings with the template's scores mapped onto the dataset's grades when it
    scores on another scale (or --score-map says how); the map is printed on stderr."""
    scale = storage.dataset_scale(args.db, dataset_of(args))
    score_map = jobs.score_map_for(settings.scale.grades, scale.grades, args.score_map)
    if score_map is None:
        return settings
    print(f"scores read as grades: {score_map.describe(scale)}", file=sys.stderr)
    return dataclasses.replace(settings, scale=scale, score_map=score_map)


def _say_endpoint(choice: judge.EndpointChoice) -> None:
    settings = choice.settings
    asks = ""
    if settings.mode is judge.Mode.LOGPROBS:
        tokens = 1 if settings.endpoint is judge.Endpoint.COMPLETIONS else settings.max_tokens
        asks = f"; {tokens} token{'s' * (tokens > 1)}, top_logprobs {settings.top_logprobs}"
    print(f"endpoint {settings.endpoint} ({choice.reason}){asks}", file=sys.stderr)


def _learned_run(args: argparse.Namespace) -> int:
    """--backend baseline or --stack RUN: train on the labels and record a run (no LLM)."""
    if args.split or args.limit or args.resume is not None:
        raise JudgeError(
            "--backend baseline and --stack grade every pair, cross-fitted by query: "
            "leave out --split, --limit and --resume"
        )
    if args.stack is not None:
        run_id = jobs.stack_run(args.db, args.stack, name=args.name)
    else:
        run_id = jobs.baseline_run(args.db, dataset_of(args), name=args.name)
    print(f"run {run_id} finished: every pair graded by a model that did not learn from its query")
    print(f"metrics:     python cli.py metrics {run_id}")
    return 0


def _judge(args: argparse.Namespace) -> int:
    if args.stack is not None or not judge.backend_spec(args.backend).reads_prompts:
        return _learned_run(args)
    if args.batch_file is not None or args.submit:
        return batch.write_batch_file(args, _settings, _on_dataset_scale, _say_endpoint)
    # Run ids are shared by graded and pairwise runs: `--resume N` resumes either kind.
    compare = args.pairwise or (
        args.resume is not None and storage.pairwise.is_pairwise_run(args.db, args.resume)
    )
    bar = _ProgressBar()
    runs: list[int] = []
    control = jobs.RunControl(on_progress=bar, on_run=runs.append, on_endpoint=_say_endpoint)
    if args.resume is not None:
        print(jobs.resume_price(args.db, args.resume), file=sys.stderr)
    try:
        if compare:
            compared = pairwise.judge_pairwise(args, _settings, control)
        elif args.resume is not None:
            outcome = jobs.resume_run(args.db, args.resume, control=control)
        else:
            settings = _on_dataset_scale(args, _settings(args))
            price = jobs.graded_price(
                args.db,
                dataset=dataset_of(args),
                backend=settings.backend.value,
                model=settings.model,
                split=args.split,
                limit=args.limit,
            )
            print(price, file=sys.stderr)
            outcome = jobs.judge_dataset(
                args.db,
                dataset=dataset_of(args),
                settings=settings,
                split=args.split,
                limit=args.limit,
                name=args.name,
                control=control,
            )
    except judge.EndpointDownError as error:
        # The run holds what was judged; say how to go on from there.
        raise judge.EndpointDownError(f"{error}: python cli.py judge --resume {runs[0]}") from None
    except KeyboardInterrupt:
        bar.end()
        if not runs:
            raise
        # The job stored the run as cancelled, with every judgment made before Ctrl-C.
        print(
            f"run {runs[0]} cancelled (Ctrl-C): python cli.py judge --resume {runs[0]}",
            file=sys.stderr,
        )
        return 130
    finally:
        bar.end()
    if compare:
        pairwise.print_outcome(compared)
        return 0
    summary = outcome.summary
    state = "cancelled" if summary.cancelled else "finished"
    print(
        f"run {outcome.run_id} {state}: {summary.judged:,} judged, {summary.skipped:,} already "
        f"done, {plural(summary.errors, 'error')}, {summary.unparsed:,} unparsed, "
        f"{summary.pairs_per_s:.2f} pairs/s over {summary.elapsed_s:.1f} s"
    )
    if outcome.without_reference:
        print(
            f"{plural(outcome.without_reference, 'pair')} judged without a reference: their "
            "query has no other pair the humans graded Exact"
        )
    if summary.errors:
        print(f"resume with: python cli.py judge --resume {outcome.run_id}")
    print(f"metrics:     python cli.py metrics {outcome.run_id}")
    return 0


def add_judge(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "judge",
        "Judge the pairs of a dataset (or one split) with an LLM and record every judgment "
        "as a run. The default is the bundled GGUF model in-process, scoring from the "
        "next-token distribution; --backend openai|ollama calls a remote endpoint. "
        "--backend baseline trains lexical features + logistic regression on the labels "
        "instead (no LLM), --stack RUN a learned head over RUN's grade probabilities; both "
        "cross-fitted by query, so no pair is graded by a model that learned from its query.",
        "python cli.py judge --split benchmark --template wands --n-gpu-layers -1",
        _judge,
    )
    sub.add_argument("--dataset", help="dataset name (default: the only one in the store)")
    sub.add_argument("--split", type=storage.Split, choices=list(storage.Split))
    pairwise.add_pairwise_flags(sub)
    batch.add_batch_flags(sub)
    sub.add_argument("--limit", type=int, help="judge only the first N pairs (by query)")
    sub.add_argument("--name", help="a name for the run")
    sub.add_argument(
        "--template",
        default=judge.DEFAULT_TEMPLATE,
        help="a shipped template: " + ", ".join(t.name for t in judge.list_templates()),
    )
    sub.add_argument("--template-file", type=Path, help="your own template file instead")
    sub.add_argument(
        "--scale", type=int, nargs="+", help="grades of --template-file (default 0 1 2)"
    )
    sub.add_argument(
        "--score-map",
        metavar="SCORE=GRADE,...",
        help="how the template's scores become the dataset's grades, e.g. 1=0,2=0,3=1,4=1,5=2 "
        "(default for a template on another scale: its scores cut into as many even runs as "
        "the dataset has grades, the same map as this example on 1-5 and 0-2)",
    )
    sub.add_argument(
        "--reference",
        action="store_true",
        help="show each pair a product of its query the humans graded Exact (never the pair "
        "itself; a query with no other Exact is judged without); the template needs "
        "{reference}, as prometheus_1_5 has",
    )
    sub.add_argument(
        "--backend",
        default=judge.DEFAULT_BACKEND.value,
        choices=[spec.name.value for spec in judge.BACKENDS],
        help=" ".join(f"{spec.name}: {spec.help}." for spec in judge.BACKENDS)
        + f" (default {judge.DEFAULT_BACKEND})",
    )
    sub.add_argument(
        "--stack",
        type=int,
        metavar="RUN",
        help="train a logistic regression over RUN's grade probabilities plus "
        "the baseline's features, and record it as a new run",
    )
    sub.add_argument(
        "--model",
        help="GGUF path (default: the bundled model) or remote model name" + _read_by("model"),
    )
    remote = _REMOTE_DEFAULTS
    sub.add_argument(
        "--base-url",
        action="append",
        metavar="URL",
        help="remote API root, e.g. http://127.0.0.1:8000/v1; give it again for a fleet of "
        "servers with the same model: each request goes to the least busy one that is up, "
        "a dead one is taken out and tried again later" + _read_by("base_url"),
    )
    sub.add_argument(
        "--api-key-env",
        help="environment variable holding the API key" + _read_by("api_key_env"),
    )
    sub.add_argument(
        "--endpoint",
        default=remote.endpoint.value,
        choices=[e.value for e in judge.Endpoint],
        help="remote API: chat, completions (the raw prompt, as in-process), or auto: a probe "
        "on the first pair picks one and says why (default auto)" + _read_by("endpoint"),
    )
    sub.add_argument("--mode", default="logprobs", choices=[m.value for m in judge.Mode])
    sub.add_argument(
        "--ctx", type=int, default=2048, help="context size (tokens)" + _read_by("n_ctx")
    )
    sub.add_argument(
        "--threads",
        type=int,
        help="CPU threads (default: llama.cpp's choice)" + _read_by("n_threads"),
    )
    sub.add_argument(
        "--n-gpu-layers",
        type=int,
        default=0,
        help="layers to offload to Metal/CUDA (-1: all); needs a GPU build"
        + _read_by("n_gpu_layers"),
    )
    sub.add_argument(
        "--concurrency",
        type=int,
        default=4,
        help="parallel remote requests" + _read_by("concurrency"),
    )
    sub.add_argument(
        "--timeout",
        type=float,
        default=remote.timeout_s,
        metavar="SECONDS",
        help=f"seconds one remote request may take, retries apart (default {remote.timeout_s:g})"
        + _read_by("timeout_s"),
    )
    sub.add_argument(
        "--max-tokens",
        type=int,
        default=remote.max_tokens,
        metavar="N",
        help="tokens a generating model may write (logprob mode over chat: the probe sets "
        f"it to the tokens the model takes to reach its grade) (default {remote.max_tokens})"
        + _read_by("max_tokens"),
    )
    sub.add_argument(
        "--max-retries",
        "--retries",
        type=int,
        default=remote.max_retries,
        help=f"retries of a request that timed out or got 429/5xx (default {remote.max_retries})"
        + _read_by("max_retries"),
    )
    sub.add_argument(
        "--max-answer-bytes",
        type=int,
        default=remote.max_answer_bytes,
        metavar="BYTES",
        help="read a remote answer up to this size; the rest is "
        f"dropped and the judgment marked (default {remote.max_answer_bytes})"
        + _read_by("max_answer_bytes"),
    )
    sub.add_argument(
        "--max-consecutive-failures",
        type=int,
        default=remote.max_consecutive_failures,
        metavar="N",
        help="stop the run, resumable, after N pairs in a row got no answer "
        f"(default {remote.max_consecutive_failures})" + _read_by("max_consecutive_failures"),
    )
    sub.add_argument(
        "--resume",
        type=int,
        metavar="RUN_ID",
        help="judge what RUN_ID has not judged yet (and its failures) with the "
        "settings it was started with; the options above apply to new runs only",
    )


def _rejudge(args: argparse.Namespace) -> int:
    # The run first: a pairwise run's id (or none) is refused, not "nothing stale".
    scale = storage.get_run(args.db, args.run).scale
    if args.stale:
        pair_ids = storage.stale_pair_ids(args.db, args.run)
    elif args.cell is not None:
        human, judged = args.cell
        pair_ids = storage.cell_pair_ids(args.db, args.run, human=human, judge=judged)
    else:
        pair_ids = list(dict.fromkeys(args.pair))
    if not pair_ids:
        which = "stale pairs" if args.stale else f"pairs in cell {args.cell[0]},{args.cell[1]}"
        print(f"run {args.run} has no {which}: nothing to re-judge")
        return 0
    print(jobs.rejudge_price(args.db, args.run, pair_ids), file=sys.stderr)
    bar = _ProgressBar()
    try:
        results = jobs.rejudge_pairs(
            args.db, args.run, pair_ids, control=jobs.RunControl(on_progress=bar)
        )
    finally:
        bar.end()

    def name(grade: int | None) -> str:
        return "no grade" if grade is None else scale.name_of(grade)

    changed = [r for r in results if r.old_grade != r.new_grade]
    for result in changed:
        print(f"pair {result.pair_id}: {name(result.old_grade)} -> {name(result.new_grade)}")
    print(
        f"run {args.run}: {plural(len(results), 'pair')} re-judged, "
        f"{plural(len(changed), 'grade')} changed"
    )
    return 0


def add_rejudge(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "rejudge",
        "Judge some pairs of a graded run again with the run's own settings, replacing their "
        "judgments (the Review page's re-judge buttons): after a relabel or a fixed product "
        "text made a judgment stale. Prints the price first, then each grade that changed.",
        "python cli.py rejudge 3 --stale",
        _rejudge,
    )
    sub.add_argument("run", type=int, metavar="RUN_ID", help="the graded run")
    which = sub.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--pair", type=int, nargs="+", metavar="PAIR_ID", help="these pairs of the run's dataset"
    )
    which.add_argument(
        "--stale",
        action="store_true",
        help="every pair whose judgment is stale: its product changed after it, or its grade "
        "in force differs from the one when it was judged",
    )
    which.add_argument(
        "--cell",
        type=confusion_cell,
        metavar="HUMAN,JUDGE",
        help="every pair of this confusion cell of the run, e.g. 2,1: human Exact judged Partial",
    )
