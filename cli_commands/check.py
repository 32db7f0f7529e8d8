"""`cli.py check`: read the whole store and report what breaks its rules, changing nothing."""

from __future__ import annotations

import argparse

import storage

from ._common import print_json, subcommand


def _check(args: argparse.Namespace) -> int:
    report = storage.check_store(args.db)
    if args.json:
        print_json(
            {
                "path": str(report.path),
                "rows": dict(report.rows),
                "problems": [{"table": p.table, "text": p.text} for p in report.problems],
                "repaired": list(report.repaired),
            }
        )
    else:
        for line in report.repaired:
            print(f"repaired: {line}")
        for problem in report.problems:
            print(problem)
        print(report)
    return 0 if report.ok else 1


def add_check(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "check",
        "Read every table of the store in full (DuckDB verifies each block as it reads it) "
        "and check its rules: unique keys, references between tables, current labels equal "
        "to a rebuild from the label events, grades on their dataset's scale, splits by "
        "query, no row left by a dataset it belonged to. Prints one line per problem, after "
        "a line for each repair made when the store was brought forward (`repaired: ...`); "
        "exit code 0 when clean, 1 when problems were found, 2 when the file cannot be "
        "opened as a store. Opens the file read-only.",
        "python cli.py check",
        _check,
    )
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")
    sub.set_defaults(read_only=True)
