"""`cli.py export` and `cli.py validate`: curated fine-tuning JSONL out, and checked."""

from __future__ import annotations

import argparse
from pathlib import Path

import jobs
import judge
import storage

from ._common import confusion_cell, grade_shares, subcommand


def template_args(args: argparse.Namespace) -> dict[str, str | None]:
    """--template or --template-file as `jobs` takes them."""
    if args.template_file is not None:
        return {"template_text": args.template_file.read_text(encoding="utf-8")}
    return {"template_name": args.template}


def add_template(sub: argparse.ArgumentParser, what: str) -> None:
    chosen = sub.add_mutually_exclusive_group()
    chosen.add_argument(
        "--template",
        help=f"the judge template {what} (default {judge.DEFAULT_TEMPLATE}; "
        "prometheus_1_5 for --format prometheus): "
        + ", ".join(t.name for t in judge.list_templates()),
    )
    chosen.add_argument("--template-file", type=Path, help="your own template file instead")


def _export(args: argparse.Namespace) -> int:
    selection = storage.training.Selection(
        kind=storage.training.SelectionKind(
            args.select or ("judge_wrong" if args.run is not None else "labelled")
        ),
        dataset=args.dataset,
        run_id=args.run,
        cell=args.cell,
        split=args.split,
        query_classes=tuple(args.query_class),
    )
    curation = storage.training.Curation(
        cap_per_query=args.cap_per_query or None,
        label_shares=args.rebalance,
        validation_share=args.validation_share,
        seed=args.seed,
    )
    result = jobs.export_training(
        args.db,
        args.out,
        selection=selection,
        format=args.format,
        conversational=args.conversational,
        curation=curation,
        **template_args(args),
    )
    print(result.summary())
    return 0


def add_export(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "export",
        "Write labelled pairs as a folder of fine-tuning JSONL: train.jsonl, validation.jsonl "
        "(a split by query: the dataset's own train/validation split when it has one, else "
        "--validation-share) and manifest.json, which datasets.load_dataset(folder) reads as "
        "exactly the two splits. The folder is replaced whole (an interrupted export leaves "
        "the earlier one); a folder holding files no export wrote is refused. Formats: "
        + "; ".join(f"{f.name}: {f.help}" for f in storage.training.EXPORT_FORMATS.values())
        + ". Curated by cap per query and label rebalancing. Every record holds the prompt "
        "the judge reads with the template, in the messages the judge sends, and the answer "
        "line it writes; the template must grade on the dataset's scale. Benchmark pairs are "
        "never exported.",
        "python cli.py export --format prompt-completion --conversational --select corrected "
        "--out out/judge-sft --cap-per-query 12 --rebalance 0=0.3,1=0.4,2=0.3 "
        "--validation-share 0.1",
        _export,
    )
    sub.add_argument(
        "--out",
        type=Path,
        required=True,
        help="the export folder: train.jsonl, validation.jsonl and manifest.json go in it",
    )
    sub.add_argument(
        "--format",
        default="instruction",
        choices=list(storage.training.EXPORT_FORMATS),
        help="the record format (default instruction; each is described above)",
    )
    sub.add_argument(
        "--conversational",
        action="store_true",
        help=f"{', '.join(storage.training.EITHER_STYLE)} records as TRL's conversational messages "
        "(the prompt as the judge's chat messages, answers as assistant messages); chat "
        "records are always messages",
    )
    sub.add_argument(
        "--select",
        choices=storage.training.SELECTION_KINDS,
        help="which labelled pairs: labelled (all), reviewed (a review in force), "
        "corrected (a review changed the imported grade), judge_wrong (--run graded "
        "them otherwise); default: labelled, or judge_wrong with --run",
    )
    sub.add_argument("--run", type=int, metavar="RUN_ID", help="the judge run for judge_wrong")
    sub.add_argument(
        "--cell",
        type=confusion_cell,
        metavar="HUMAN,JUDGE",
        help="only this confusion cell of --run, e.g. 2,1: human Exact judged Partial",
    )
    sub.add_argument("--dataset", help="dataset name (default: the run's, or the only one)")
    sub.add_argument("--split", choices=["train", "validation"], help="only this split")
    sub.add_argument(
        "--query-class",
        action="append",
        default=[],
        metavar="CLASS",
        help="only queries of this class (repeat for several)",
    )
    sub.add_argument(
        "--cap-per-query",
        type=int,
        metavar="N",
        help="pairs per query at most (0 or absent: no cap)",
    )
    sub.add_argument(
        "--rebalance",
        type=grade_shares,
        metavar="G=SHARE,...",
        help="target label shares as weights, e.g. 0=0.3,1=0.4,2=0.3 or 0=3,1=4,2=3",
    )
    sub.add_argument(
        "--validation-share",
        type=float,
        default=0.0,
        help="share of queries written to the validation file when the dataset has no "
        "train/validation split of its own (default 0)",
    )
    sub.add_argument("--seed", type=int, default=0, help="seed for sampling and the split")
    add_template(sub, "whose prompt and answer line the records hold")


def _validate(args: argparse.Namespace) -> int:
    if args.file.is_dir():
        if args.against is not None:
            raise storage.StoreError(
                f"{args.file} is an export folder, checked against its own validation.jsonl: "
                "drop --against"
            )
        reports = jobs.validate_export(args.file, scale=args.scale, **template_args(args))
    else:
        reports = [
            jobs.validate_training(args.file, args.against, scale=args.scale, **template_args(args))
        ]
    for report in reports:
        print(report)
    return 0 if all(report.ok for report in reports) else 2


def add_validate(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "validate",
        "Check an export folder (train.jsonl against validation.jsonl) or one fine-tuning "
        "JSONL file in any export format: required fields, answers only the template's answer "
        "lines on its scale (SCORE: N, [RESULT] N), no duplicate (query_id, product_id), and "
        "no query in both files (a folder's two files, or FILE and --against). Lists every "
        "problem with its line; exit code 2 if there is any.",
        "python cli.py validate out/judge-sft",
        _validate,
    )
    sub.set_defaults(store=False)  # it reads files only: no store is opened, nor created
    sub.add_argument("file", type=Path, help="an export folder or one JSONL file")
    sub.add_argument(
        "--against",
        type=Path,
        metavar="OTHER",
        help="a file that must share no query with FILE (e.g. the validation file)",
    )
    add_template(sub, "the file was exported with")
    sub.add_argument(
        "--scale",
        type=int,
        nargs="+",
        help="the allowed grades (default: the template's scale; needed with --template-file)",
    )
