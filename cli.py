"""Headless workbench: the same operations as the app, over the same library functions.

Every command parses its arguments, calls one library function and prints the result.
Errors a user can fix print as one line on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import jobs
import judge
import metrics
import storage
from judge import JudgeError

DEFAULT_DB = Path(__file__).resolve().parent / "data" / "workbench.duckdb"

Command = Callable[[argparse.Namespace], int]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cli.py",
        description="Relevance-judge workbench: import labelled pairs, split them by query, "
        "judge them with a local or remote LLM, measure the judge, export training data.",
        epilog="example: python cli.py stats",
    )
    parser.add_argument(
        "--db", type=Path, default=DEFAULT_DB,
        help=f"DuckDB file (default: {DEFAULT_DB.relative_to(DEFAULT_DB.parents[1])}; "
        "created with the bundled sample data on first use)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in _COMMANDS:
        add(commands)
    return parser


def _subcommand(
    commands: argparse._SubParsersAction, name: str, summary: str, example: str, run: Command
) -> argparse.ArgumentParser:
    """A subcommand whose --help says what it does and ends with an example."""
    sub = commands.add_parser(
        name, help=summary, description=summary, epilog=f"example: {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub.set_defaults(handler=run)
    return sub


# Commands live below, one block each; _COMMANDS lists them in the order of the loop.

def _dataset_of(args: argparse.Namespace) -> str:
    """The dataset the user named, or the only one in the store."""
    if args.dataset:
        return args.dataset
    names = [d["dataset"] for d in storage.list_datasets(args.db)]
    if len(names) != 1:
        raise storage.StoreError(
            f"the store holds {len(names)} datasets ({', '.join(names) or 'none'}): "
            "name one with --dataset"
        )
    return names[0]


def _template_text(args: argparse.Namespace) -> tuple[str, tuple[int, ...]]:
    if args.template_file:
        return args.template_file.read_text(encoding="utf-8"), tuple(args.scale or (0, 1, 2))
    info = {t.name: t for t in judge.list_templates()}.get(args.template)
    if info is None:
        raise JudgeError(
            f"no template named {args.template!r}; choose one of {', '.join(t.name for t in judge.list_templates())} "
            "or pass --template-file"
        )
    return judge.load_template(info.name), info.scale


def _print_progress(progress: judge.Progress) -> None:
    width = 30
    filled = width * progress.done // max(progress.total, 1)
    eta = "" if progress.eta_s is None else f" ETA {progress.eta_s:.0f}s"
    print(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {progress.done}/{progress.total} "
        f"{progress.pairs_per_s:.1f} pairs/s{eta} failures {progress.failures}  ",
        end="", file=sys.stderr, flush=True,
    )


def _judge(args: argparse.Namespace) -> int:
    if args.resume is not None:
        outcome = jobs.resume_run(args.db, args.resume, on_progress=_print_progress)
    else:
        template, scale = _template_text(args)
        settings = judge.JudgeSettings(
            backend=args.backend, model=args.model, base_url=args.base_url,
            api_key_env=args.api_key_env, template=template, mode=args.mode, scale=scale,
            n_ctx=args.ctx, n_threads=args.threads, n_gpu_layers=args.n_gpu_layers,
            concurrency=args.concurrency, endpoint=args.endpoint,
        )
        outcome = jobs.judge_dataset(
            args.db, dataset=_dataset_of(args), settings=settings, split=args.split,
            limit=args.limit, name=args.name, on_progress=_print_progress,
        )
    summary = outcome.summary
    print(file=sys.stderr)
    state = "cancelled" if summary.cancelled else "finished"
    print(
        f"run {outcome.run_id} {state}: {summary.judged} judged, {summary.skipped} already done, "
        f"{summary.errors} errors, {summary.unparsed} unparsed, "
        f"{summary.pairs_per_s:.2f} pairs/s over {summary.elapsed_s:.1f} s"
    )
    if summary.errors:
        print(f"resume with: python cli.py judge --resume {outcome.run_id}")
    print(f"metrics:     python cli.py metrics {outcome.run_id}")
    return 0


def _add_judge(commands: argparse._SubParsersAction) -> None:
    sub = _subcommand(
        commands, "judge",
        "Judge the pairs of a dataset (or one split) with an LLM and record every judgment "
        "as a run. The default is the bundled GGUF model in-process, scoring from the "
        "next-token distribution; --backend openai|ollama calls a remote endpoint.",
        "python cli.py judge --split benchmark --template wands --n-gpu-layers -1",
        _judge,
    )
    sub.add_argument("--dataset", help="dataset name (default: the only one in the store)")
    sub.add_argument("--split", choices=["train", "validation", "benchmark"])
    sub.add_argument("--limit", type=int, help="judge only the first N pairs (by query)")
    sub.add_argument("--name", help="a name for the run")
    sub.add_argument("--template", default=judge.DEFAULT_TEMPLATE,
                     help="a shipped template: " + ", ".join(t.name for t in judge.list_templates()))
    sub.add_argument("--template-file", type=Path, help="your own template file instead")
    sub.add_argument("--scale", type=int, nargs="+", help="grades of --template-file (default 0 1 2)")
    sub.add_argument("--backend", default="llama_cpp", choices=[b.value for b in judge.Backend])
    sub.add_argument("--model", help="GGUF path (llama_cpp; default: the bundled model) or remote model name")
    sub.add_argument("--base-url", help="remote API root, e.g. http://127.0.0.1:8000/v1")
    sub.add_argument("--api-key-env", help="environment variable holding the API key")
    sub.add_argument("--endpoint", default="chat", choices=[e.value for e in judge.Endpoint])
    sub.add_argument("--mode", default="logprobs", choices=[m.value for m in judge.Mode])
    sub.add_argument("--ctx", type=int, default=2048, help="context size (tokens)")
    sub.add_argument("--threads", type=int, help="CPU threads (default: llama.cpp's choice)")
    sub.add_argument("--n-gpu-layers", type=int, default=0,
                     help="layers to offload to Metal/CUDA (-1: all); needs a GPU build")
    sub.add_argument("--concurrency", type=int, default=4, help="parallel remote requests")
    sub.add_argument("--resume", type=int, metavar="RUN_ID",
                     help="judge what RUN_ID has not judged yet (and its failures), same settings")


def _format_interval(row: Any) -> str:
    return f"{row.value:8.3f}  [{row.low:.3f}, {row.high:.3f}]"


def _calibration_json(calibration: jobs.Calibration | None) -> dict[str, Any] | None:
    if calibration is None:
        return None
    thresholds = calibration.thresholds
    return {
        "pairs": calibration.n_pairs, "queries": calibration.n_queries,
        "ece": calibration.ece, "brier": calibration.brier,
        "reliability": calibration.reliability.to_dict(orient="records"),
        "held_out_thresholds": None if thresholds is None else {
            "kappa_argmax": thresholds.kappa_argmax, "kappa_tuned": thresholds.kappa_tuned,
            "folds": thresholds.folds.to_dict(orient="records"),
        },
    }


def _agreement_json(agreement: metrics.RaterAgreement | None) -> dict[str, Any] | None:
    if agreement is None:
        return None
    return {
        "pairs": agreement.n_pairs, "human_human_kappa": agreement.human_human_kappa,
        "judge_human_kappa": agreement.judge_human_kappa,
        "pairwise": agreement.pairwise.to_dict(orient="records"),
    }


def _print_calibration(calibration: jobs.Calibration | None) -> None:
    """ECE, Brier, the reliability bins and the held-out thresholds, as the Overview shows them."""
    if calibration is None:
        print("calibration: none (no grade probabilities in this run: generation mode, or an "
              "endpoint without logprobs)")
        return
    print(f"calibration, on {calibration.n_pairs} graded pairs with probabilities "
          f"from {calibration.n_queries} queries:")
    print(f"  {'Expected calibration error':<28}{calibration.ece:8.3f}")
    print(f"  {'Brier score':<28}{calibration.brier:8.3f}")
    print("  reliability:  confidence      pairs  mean confidence  share right")
    for row in calibration.reliability.itertuples():
        print(f"  {'':14}({row.bin_low:.1f}, {row.bin_high:.1f}]  {row.count:>9}  "
              f"{row.confidence:15.3f}  {row.accuracy:11.3f}")
    result = calibration.thresholds
    if result is None:
        print(f"tuned thresholds: not tuned (needs {jobs.MIN_QUERIES_FOR_THRESHOLDS} queries "
              f"with probabilities, this run has {calibration.n_queries})")
        return
    print(f"tuned thresholds on the expected grade, {len(result.folds)}-fold cross-validation "
          "over queries (kappa on held-out queries only):")
    print(f"  {'Quadratic kappa, argmax':<28}{result.kappa_argmax:8.3f}")
    print(f"  {'Quadratic kappa, tuned':<28}{result.kappa_tuned:8.3f}")


def _print_agreement(agreement: metrics.RaterAgreement | None) -> None:
    """Human-human next to judge-human kappa, then each pair of raters."""
    if agreement is None:
        print("rater agreement: none (the dataset has fewer than two named annotators)")
        return
    print(f"rater agreement, quadratic kappa on {agreement.n_pairs} pairs graded by two or "
          "more annotators:")
    print(f"  {'Human-human kappa':<28}{agreement.human_human_kappa:8.3f}")
    print(f"  {'Judge-human kappa':<28}{agreement.judge_human_kappa:8.3f}")
    for row in agreement.pairwise.itertuples():
        print(f"  {row.rater_a} vs {row.rater_b}: {row.kappa_quadratic:.3f} "
              f"on {row.n_pairs} pairs")


def _json_ready(value: Any) -> Any:
    """`value` with NumPy scalars as Python numbers and undefined numbers (NaN, inf) as None."""
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def _print_json(value: Any) -> None:
    """Strict JSON on stdout: an undefined metric (kappa of one grade, say) is null, since a
    bare NaN is not JSON and strict parsers reject the whole document."""
    print(json.dumps(_json_ready(value), indent=2, allow_nan=False))


def _metrics(args: argparse.Namespace) -> int:
    if args.vs is not None:
        comparison = jobs.compare_runs(args.db, args.vs, args.run, n_boot=args.n_boot, seed=args.seed)
        if args.json:
            _print_json({
                "run_a": comparison.run_a, "run_b": comparison.run_b,
                "pairs": comparison.n_pairs,
                "differences": comparison.differences.to_dict(orient="records"),
                "disagreements": len(comparison.disagreements),
            })
            return 0
        print(f"run {args.run} minus run {args.vs} on {comparison.n_pairs} pairs both graded "
              f"({len(comparison.disagreements)} graded differently); 95% query-bootstrap intervals")
        for row in comparison.differences.itertuples():
            mark = "*" if row.excludes_zero else " "
            print(f"  {row.label:<20} {row.a:7.3f} -> {row.b:7.3f}  "
                  f"diff {row.difference:+.3f} [{row.low:+.3f}, {row.high:+.3f}] {mark}")
        print("  * the interval excludes 0")
        return 0
    report = jobs.run_report(args.db, args.run, n_boot=args.n_boot, seed=args.seed)
    if args.json:
        _print_json({
            "run_id": report.run_id, "pairs": report.n_pairs, "unjudged": report.n_unjudged,
            "stale": report.n_stale, "grades": report.grades, "grade_names": report.grade_names,
            "metrics": report.metrics.to_dict(orient="records"),
            "confusion": report.confusion.tolist(),
            "calibration": _calibration_json(report.calibration),
            "agreement": _agreement_json(report.agreement),
        })
        return 0
    print(f"run {report.run_id}: {report.n_pairs} labelled pairs graded, {report.n_unjudged} "
          f"without a grade, {report.n_stale} stale; 95% query-bootstrap intervals")
    for row in report.metrics.itertuples():
        print(f"  {row.label:<20}{_format_interval(row)}")
    names = report.grade_names
    print("confusion (rows human, columns judge):")
    print("  " + " " * 12 + "".join(f"{n[:10]:>11}" for n in names))
    for name, counts in zip(names, report.confusion):
        print(f"  {name[:12]:<12}" + "".join(f"{int(c):>11}" for c in counts))
    if report.n_pairs:
        _print_calibration(report.calibration)
        _print_agreement(report.agreement)
    return 0


def _add_metrics(commands: argparse._SubParsersAction) -> None:
    sub = _subcommand(
        commands, "metrics",
        "Judge-versus-human metrics of a run (accuracy, macro-F1, quadratic kappa, MAE, "
        "severe error rate, per-class precision and recall) with 95%% intervals from a "
        "bootstrap over queries; with --vs, the paired difference between two runs.",
        "python cli.py metrics 3 --vs 2",
        _metrics,
    )
    sub.add_argument("run", type=int, help="run id (see the Runs page or `stats`)")
    sub.add_argument("--vs", type=int, metavar="RUN", help="compare with this earlier run")
    sub.add_argument("--n-boot", type=int, default=1000, help="bootstrap draws")
    sub.add_argument("--seed", type=int, default=0)
    sub.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _grade_shares(text: str) -> dict[int, float]:
    """`0=0.3,1=0.4,2=0.3` as {grade: share}."""
    try:
        return {int(g): float(s) for g, s in (item.split("=") for item in text.split(","))}
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected grade=share pairs like 0=0.3,1=0.4,2=0.3, got {text!r}"
        ) from None


def _confusion_cell(text: str) -> tuple[int, int]:
    """`2,1` as (human grade 2, judge grade 1)."""
    try:
        human, judged = (int(g) for g in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected HUMAN,JUDGE grades like 2,1, got {text!r}"
        ) from None
    return human, judged


def _export(args: argparse.Namespace) -> int:
    render_prompt, prompt_name = None, None
    if args.format != "instruction":
        prompt_name = str(args.template_file or args.template)
        template = (args.template_file.read_text(encoding="utf-8") if args.template_file
                    else judge.load_template(args.template))
        render_prompt = functools.partial(judge.render_prompt, template)
    selection = storage.Selection(
        kind=args.select or ("judge_wrong" if args.run is not None else "labelled"),
        dataset=args.dataset, run_id=args.run, cell=args.cell, split=args.split,
        query_classes=tuple(args.query_class),
    )
    curation = storage.Curation(
        cap_per_query=args.cap_per_query or None, rebalance=args.rebalance,
        validation_share=args.validation_share, seed=args.seed,
    )
    result = storage.export_training(
        args.db, args.out, selection=selection, format=args.format, curation=curation,
        render_prompt=render_prompt, prompt_name=prompt_name,
    )
    print(result.summary())
    return 0


def _add_export(commands: argparse._SubParsersAction) -> None:
    sub = _subcommand(
        commands, "export",
        "Write labelled pairs as fine-tuning JSONL (instruction, chat or preference), curated "
        "(cap per query, label rebalancing, a train/validation split by query), with a "
        "manifest beside the files. Benchmark pairs are never exported.",
        "python cli.py export --format instruction --select corrected --out out/train.jsonl "
        "--cap-per-query 12 --rebalance 0=0.3,1=0.4,2=0.3 --validation-share 0.1",
        _export,
    )
    sub.add_argument("--out", type=Path, required=True,
                     help="training file; the validation file and manifest go beside it")
    sub.add_argument("--format", default="instruction", choices=storage.TRAINING_FORMATS)
    sub.add_argument("--select", choices=storage.SELECTION_KINDS,
                     help="which labelled pairs (default: labelled, or judge_wrong with --run)")
    sub.add_argument("--run", type=int, metavar="RUN_ID", help="the judge run for judge_wrong")
    sub.add_argument("--cell", type=_confusion_cell, metavar="HUMAN,JUDGE",
                     help="only this confusion cell of --run, e.g. 2,1: human Exact judged Partial")
    sub.add_argument("--dataset", help="dataset name (default: the run's, or the only one)")
    sub.add_argument("--split", choices=["train", "validation"], help="only this split")
    sub.add_argument("--query-class", action="append", default=[], metavar="CLASS",
                     help="only queries of this class (repeat for several)")
    sub.add_argument("--cap-per-query", type=int, metavar="N",
                     help="pairs per query at most (0 or absent: no cap)")
    sub.add_argument("--rebalance", type=_grade_shares, metavar="G=SHARE,...",
                     help="target label shares as weights, e.g. 0=0.3,1=0.4,2=0.3 or 0=3,1=4,2=3")
    sub.add_argument("--validation-share", type=float, default=0.0,
                     help="share of queries written to the validation file (default 0)")
    sub.add_argument("--seed", type=int, default=0, help="seed for sampling and the split")
    sub.add_argument("--template", default=judge.DEFAULT_TEMPLATE,
                     help="prompt template for chat and preference: "
                     + ", ".join(t.name for t in judge.list_templates()))
    sub.add_argument("--template-file", type=Path, help="your own template file instead")


def _validate(args: argparse.Namespace) -> int:
    report = storage.validate_training_file(args.file, args.against, grades=args.scale)
    print(report)
    return 0 if report.ok else 2


def _add_validate(commands: argparse._SubParsersAction) -> None:
    sub = _subcommand(
        commands, "validate",
        "Check a fine-tuning JSONL file: required fields, answers only SCORE: N of the scale, "
        "no duplicate (query_id, product_id), and with --against no query in both files. "
        "Lists every problem with its line; exit code 2 if there is any.",
        "python cli.py validate out/train.jsonl --against out/train.validation.jsonl",
        _validate,
    )
    sub.add_argument("file", type=Path)
    sub.add_argument("--against", type=Path, metavar="OTHER",
                     help="a file that must share no query with FILE (e.g. the validation file)")
    sub.add_argument("--scale", type=int, nargs="+", default=[0, 1, 2],
                     help="the allowed grades (default 0 1 2)")


def _import(args: argparse.Namespace) -> int:
    print(args.importer(args))
    return 0


def _scale_of(args: argparse.Namespace) -> storage.Scale | None:
    return storage.Scale.parse(args.scale) if args.scale else None


def _add_import(commands: argparse._SubParsersAction) -> None:
    sub = _subcommand(
        commands, "import",
        "Import labelled pairs into a dataset of the store, all or nothing: a bad file "
        "imports nothing and the error names its file, line and column. Importing the same "
        "file again changes nothing; a changed label is recorded as a new label event.",
        "python cli.py import wands ~/WANDS/dataset --dataset wands",
        _import,
    )
    forms = sub.add_subparsers(dest="import_format", required=True, metavar="FORMAT")
    scale_help = "the dataset's grades and names, e.g. 0=Irrelevant,1=Partial,2=Exact"

    wands = _subcommand(
        forms, "wands",
        "A WANDS folder (query.csv, product.csv, label.csv, tab-separated): the bundled "
        "sample or the full download. Grades: Irrelevant 0, Partial 1, Exact 2.",
        "python cli.py import wands ~/WANDS/dataset --dataset wands", _import,
    )
    wands.add_argument("folder", type=Path)
    wands.add_argument("--dataset", default="wands", help="dataset name (default: wands)")
    wands.set_defaults(importer=lambda a: storage.import_wands(a.db, a.folder, dataset=a.dataset))

    table = _subcommand(
        forms, "table",
        "A CSV, TSV, JSONL or Parquet file with one pair a row, read through a column "
        "mapping (our name=your column; query and doc_id required; query_id, query_class, "
        "title, doc_class, category, description, label optional). Other columns that read "
        "the same on every row of a document are kept with it.",
        "python cli.py import table pairs.csv --dataset shop "
        "--map query=search_term,doc_id=product_uid,title=name,label=relevance "
        "--labels Exact=2,Partial=1,Irrelevant=0", _import,
    )
    table.add_argument("file", type=Path)
    table.add_argument("--dataset", required=True)
    table.add_argument("--map", required=True, metavar="NAME=COLUMN,...", help="the column mapping")
    table.add_argument("--labels", metavar="LABEL=GRADE,...",
                       help="label values to grades (default: the scale's names or the grades themselves)")
    table.add_argument("--scale", help=scale_help + " (default: the WANDS scale)")
    table.add_argument("--format", choices=["csv", "tsv", "jsonl", "parquet"],
                       help="file format (default: from the extension)")
    table.set_defaults(importer=lambda a: storage.import_table(
        a.db, a.file, dataset=a.dataset, columns=storage.ColumnMap.parse(a.map),
        labels=storage.parse_label_map(a.labels) if a.labels else None,
        scale=_scale_of(a) or storage.WANDS_SCALE, format=a.format,
    ))

    instruction = _subcommand(
        forms, "instruction",
        "An instruction-tuning JSONL file in the seed's format (query_id, product_id, "
        "instruction, input{query, product_name, ...}, output 'SCORE: N'), such as a file "
        "`export` wrote.",
        "python cli.py import instruction out/train.jsonl --dataset curated", _import,
    )
    instruction.add_argument("file", type=Path)
    instruction.add_argument("--dataset", required=True)
    instruction.add_argument("--scale", help=scale_help + " (default: the WANDS scale)")
    instruction.set_defaults(importer=lambda a: storage.import_instruction_jsonl(
        a.db, a.file, dataset=a.dataset, scale=_scale_of(a) or storage.WANDS_SCALE,
    ))

    trec = _subcommand(
        forms, "trec",
        "TREC qrels (qid 0 docid grade) with a topics file (qid<TAB>text, or the classic "
        "<top><num>..<title>.. format) and optionally a documents file (docid<TAB>text or "
        "JSONL with docid, text, title). The scale is --scale or the qrels' lowest..highest grade.",
        "python cli.py import trec qrels.txt --topics topics.txt --documents docs.tsv --dataset robust04",
        _import,
    )
    trec.add_argument("qrels", type=Path)
    trec.add_argument("--topics", type=Path, required=True)
    trec.add_argument("--documents", type=Path)
    trec.add_argument("--dataset", required=True)
    trec.add_argument("--scale", help=scale_help)
    trec.set_defaults(importer=lambda a: storage.import_trec(
        a.db, a.qrels, topics=a.topics, documents=a.documents, dataset=a.dataset, scale=_scale_of(a),
    ))

    judgement = _subcommand(
        forms, "judgement-ai",
        "A judgement-ai results file (a JSON list of query, doc_id, score, reasoning, rank) "
        "as a judge run over an imported dataset, matched by query text and doc_id; then "
        "`metrics RUN` measures it against the human labels.",
        "python cli.py import judgement-ai results.json --dataset wands-sample --model gpt-5.5",
        _import,
    )
    judgement.add_argument("file", type=Path)
    judgement.add_argument("--dataset", help="dataset name (default: the only one in the store)")
    judgement.add_argument("--name", help="run name (default: the file name)")
    judgement.add_argument("--model", default="unknown", help="the model that judged")
    judgement.set_defaults(importer=lambda a: storage.import_judgement_ai(
        a.db, a.file, dataset=_dataset_of(a), name=a.name, model=a.model,
    ))


def _split(args: argparse.Namespace) -> int:
    print(args.splitter(args))
    return 0


def _add_split(commands: argparse._SubParsersAction) -> None:
    sub = _subcommand(
        commands, "split",
        "Assign pairs to splits, always by query (a query is never in two splits): "
        "`benchmark` holds out N queries x M pairs with every grade represented, `train` "
        "splits the remaining queries into train and validation.",
        "python cli.py split benchmark --queries 50 --per-query 10 --seed 0",
        _split,
    )
    recipes = sub.add_subparsers(dest="recipe", required=True, metavar="RECIPE")
    bench = _subcommand(
        recipes, "benchmark",
        "Pick the benchmark anew (the seed's recipe): N queries, M labelled pairs each, at "
        "least --min-per-label of every grade a query has; queries with every grade first. "
        "Clears every earlier split of the dataset. Unpicked pairs of a benchmark query stay "
        "unassigned.",
        "python cli.py split benchmark --queries 50 --per-query 10 --min-per-label 2 --seed 0",
        _split,
    )
    bench.add_argument("--dataset", help="dataset name (default: the only one in the store)")
    bench.add_argument("--queries", type=int, default=50, help="held-out queries (default 50)")
    bench.add_argument("--per-query", type=int, default=10, help="pairs per query (default 10)")
    bench.add_argument("--min-per-label", type=int, default=2, help="at least this many of each grade (default 2)")
    bench.add_argument("--seed", type=int, default=0)
    bench.set_defaults(splitter=lambda a: storage.split_benchmark(a.db, _dataset_of(a), storage.BenchmarkRecipe(
        queries=a.queries, per_query=a.per_query, min_per_label=a.min_per_label, seed=a.seed,
    )))

    train = _subcommand(
        recipes, "train",
        "Make the train and validation splits from the queries with no benchmark pair (the "
        "seed's recipe): a cap per query, optional rebalancing to target label shares, a "
        "share of the queries as validation. Reports what it left out.",
        "python cli.py split train --cap 12 --shares 0=0.3,1=0.45,2=0.25 --validation 0.1",
        _split,
    )
    train.add_argument("--dataset", help="dataset name (default: the only one in the store)")
    train.add_argument("--cap", type=int, default=12, help="pairs per query at most (0: no cap; default 12)")
    train.add_argument("--shares", type=_grade_shares, metavar="G=SHARE,...",
                       help="target label shares as weights, e.g. 0=0.3,1=0.45,2=0.25 "
                       "(default: as they come)")
    train.add_argument("--validation", type=float, default=0.1, help="share of queries for validation (default 0.1)")
    train.add_argument("--seed", type=int, default=0)
    train.set_defaults(splitter=lambda a: storage.split_training(a.db, _dataset_of(a), storage.TrainingRecipe(
        cap_per_query=a.cap or None, label_shares=a.shares, validation_share=a.validation, seed=a.seed,
    )))


def _stats(args: argparse.Namespace) -> int:
    names = [args.dataset] if args.dataset else [d["dataset"] for d in storage.list_datasets(args.db)]
    stats = [storage.dataset_stats(args.db, name) for name in names]
    if args.json:
        _print_json(stats)
        return 0
    if not stats:
        print("the store is empty: import a dataset with `python cli.py import`")
    for s in stats:
        print(f"{s['dataset']}: {s['queries']} queries ({s['queries_with_pairs']} with pairs), "
              f"{s['documents']} documents, {s['pairs']} pairs, "
              f"{s['labelled_pairs']} labelled, {s['reviewed_pairs']} corrected in review")
        total = max(sum(s["labels"].values()), 1)
        for grade, name in zip(s["grades"], s["grade_names"]):
            count = s["labels"][grade]
            print(f"  {grade} {name:<12} {count:>8}  {100 * count / total:5.1f}%")
        for split, counts in s["splits"].items():
            print(f"  split {split:<11} {counts['queries']:>6} queries {counts['pairs']:>8} pairs")
    return 0


def _add_stats(commands: argparse._SubParsersAction) -> None:
    sub = _subcommand(
        commands, "stats",
        "Show each dataset's counts (queries, documents, pairs, labelled and corrected "
        "pairs), its label distribution and its splits.",
        "python cli.py stats --dataset wands-sample --json",
        _stats,
    )
    sub.add_argument("--dataset", help="only this dataset")
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")


_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_import, _add_split, _add_stats, _add_judge, _add_metrics, _add_export, _add_validate,
]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.db.resolve() == DEFAULT_DB:
            storage.bootstrap_sample(args.db)
        return args.handler(args)
    except (storage.StoreError, JudgeError, metrics.MetricsInputError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a file named on the command line that cannot be read or written
        print(f"error: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
