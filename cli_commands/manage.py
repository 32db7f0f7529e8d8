"""`cli.py datasets` and `cli.py runs`: list, rename and delete what the store holds.

A delete asks first: without --yes it prints what would go and exits 2, so a script that
forgets the flag changes nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import storage

from ._common import add_rename_delete, print_json, subcommand


def ask_for_yes(what: str) -> int:
    """Refuse an action that needs confirmation: say what it would do, exit code 2."""
    print(f"error: {what}; run again with --yes to go ahead", file=sys.stderr)
    return 2


def _list_datasets(args: argparse.Namespace) -> int:
    datasets = storage.list_datasets(args.db)
    if args.json:
        print_json(
            [
                {k: d[k] for k in ("dataset", "grade_names", "queries", "documents", "pairs")}
                for d in datasets
            ]
        )
        return 0
    if not datasets:
        print("the store is empty: import a dataset with `python cli.py import`")
    for d in datasets:
        counts = storage.Footprint(queries=d["queries"], documents=d["documents"], pairs=d["pairs"])
        print(f"{d['dataset']}: {counts}")
    return 0


def _rename_dataset(args: argparse.Namespace) -> int:
    storage.rename_dataset(args.db, args.dataset, args.name)
    print(f"renamed dataset {args.dataset!r} to {args.name.strip()!r}")
    return 0


def _delete_dataset(args: argparse.Namespace) -> int:
    if not args.yes:
        footprint = storage.dataset_footprint(args.db, args.dataset)
        return ask_for_yes(f"deleting dataset {args.dataset!r} removes {footprint}")
    print(f"deleted dataset {args.dataset!r}: {storage.delete_dataset(args.db, args.dataset)}")
    return 0


def add_datasets(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "datasets",
        "List the datasets of the store with their queries, documents and pairs; rename or "
        "delete one.",
        "python cli.py datasets rename wands-sample sample",
        _list_datasets,
    )
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_rename_delete(
        sub,
        "dataset",
        str,
        (
            "Rename a dataset; everything it owns follows (queries, pairs, labels, runs, "
            "review tasks, allowed reviewers, guideline, rubric).",
            "python cli.py datasets rename wands-sample sample",
            _rename_dataset,
        ),
        (
            "Delete a dataset and everything it owns (queries, documents, pairs, label history, "
            "runs of every kind with their results, review tasks, allowed reviewers, guideline, "
            "rubric) in one transaction; without --yes, say what would go.",
            "python cli.py datasets delete old-import --yes",
            _delete_dataset,
        ),
    )


def _list_runs(args: argparse.Namespace) -> int:
    runs = storage.list_all_runs(args.db, args.dataset)
    if runs.empty:
        print("no judge run yet: start one with `python cli.py judge`")
    for run in runs.itertuples():
        # A pairwise run says so, and counts orders: each comparison is judged twice.
        pairwise = run.kind == storage.RunKind.PAIRWISE
        print(
            f"#{run.run_id} {run.name} ({run.dataset}, {run.status}{', pairwise' * pairwise}): "
            f"{run.judged}{' orders' * pairwise} judged, {run.failed} failed, "
            f"model {Path(str(run.model)).name}"
        )
    return 0


def _rename_run(args: argparse.Namespace) -> int:
    storage.rename_run(args.db, args.run_id, args.name)
    print(f"renamed run #{args.run_id} to {args.name.strip()!r}")
    return 0


def _delete_run(args: argparse.Namespace) -> int:
    if not args.yes:
        footprint = storage.run_footprint(args.db, args.run_id)
        refusal = storage.why_run_cannot_be_deleted(args.db, args.run_id)
        if refusal:
            raise storage.StoreError(refusal)
        return ask_for_yes(f"deleting run #{args.run_id} removes {footprint}")
    print(f"deleted run #{args.run_id}: {storage.delete_run(args.db, args.run_id)}")
    return 0


def add_runs(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "runs",
        "List the judge runs, graded and pairwise, newest first, with their status and "
        "counts; rename or delete one.",
        "python cli.py runs --dataset wands-sample",
        _list_runs,
    )
    sub.add_argument("--dataset", help="only this dataset's runs (default: every dataset's)")
    add_rename_delete(
        sub,
        "run_id",
        int,
        (
            "Rename a judge run, graded or pairwise.",
            "python cli.py runs rename 3 'gemma few-shot'",
            _rename_run,
        ),
        (
            "Delete a judge run and its judgments (a pairwise run: its verdicts) in one "
            "transaction; the labels and preferences stay.",
            "python cli.py runs delete 3 --yes",
            _delete_run,
        ),
    )
