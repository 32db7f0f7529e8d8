"""`cli.py rubric show|set DATASET`: the score rubric a Prometheus template shows for a
dataset, and a new version of it."""

from __future__ import annotations

import argparse

import jobs
import judge
import storage

from ._common import subcommand


def _show(args: argparse.Namespace) -> int:
    rubric, version = jobs.dataset_rubric(args.db, args.dataset)
    source = "the default rubric" if version == jobs.DEFAULT_RUBRIC_VERSION else "its own rubric"
    print(f"dataset {args.dataset!r} uses {source}, version {version}:")
    print(rubric.text())
    history = storage.rubric_history(args.db, args.dataset)
    if len(history) > 1:
        print("history:")
        for saved in history:
            by = f" by {saved.author}" if saved.author else ""
            print(f"  version {saved.version}, {saved.created_at:%Y-%m-%d %H:%M}{by}")
    return 0


def _score_text(text: str) -> tuple[int, str]:
    score, sep, description = text.partition("=")
    if not sep or not score.strip().isdigit() or int(score) not in judge.RUBRIC_SCORES:
        raise argparse.ArgumentTypeError(
            f"expected SCORE=TEXT with SCORE one of {judge.RUBRIC_SCORES}, got {text!r}"
        )
    return int(score), description


def _set(args: argparse.Namespace) -> int:
    current, _ = jobs.dataset_rubric(args.db, args.dataset)
    descriptions = dict(zip(judge.RUBRIC_SCORES, current.descriptions, strict=True))
    descriptions.update(dict(args.score or ()))
    rubric = judge.Rubric(
        args.criterion if args.criterion is not None else current.criterion,
        tuple(descriptions[s] for s in judge.RUBRIC_SCORES),
    )
    version = jobs.save_dataset_rubric(args.db, args.dataset, rubric, author=args.author)
    print(f"dataset {args.dataset!r} rubric is now version {version}:")
    print(rubric.text())
    return 0


def add_rubric(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "rubric",
        "Show or change the score rubric (criterion and a description per score 1-5) a "
        "template with {rubric}, such as prometheus_1_5, shows for a dataset. Every change "
        "is a new version; a run records the version it used.",
        "python cli.py rubric show wands-sample",
        _show,  # an action is required: `show` and `set` name their own
    )
    actions = sub.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = subcommand(
        actions,
        "show",
        "Print the dataset's rubric in force (the default one when it has none) and its versions.",
        "python cli.py rubric show wands-sample",
        _show,
    )
    show.add_argument("dataset")
    change = subcommand(
        actions,
        "set",
        "Save a new version of the dataset's rubric: the criterion and the scores given, "
        "the rest as in the version in force.",
        "python cli.py rubric set wands-sample --score '3=Right product type, wrong size or "
        "colour' --author ana",
        _set,
    )
    change.add_argument("dataset")
    change.add_argument("--criterion", help="the question the rubric grades")
    change.add_argument(
        "--score",
        type=_score_text,
        action="append",
        metavar="N=TEXT",
        help="what score N means (repeat for several scores)",
    )
    change.add_argument("--author", help="who changed the rubric")
