"""Headless workbench: the same operations as the app, over the same library functions.

Every command parses its arguments, calls one library function and prints the result
(`cli_commands/`, one module per group). Errors a user can fix print as one line on stderr
with exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import metrics
import storage
from cli_commands import COMMANDS
from judge import JudgeError

DEFAULT_DB = Path(__file__).resolve().parent / "data" / "workbench.duckdb"


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
    for add in COMMANDS:
        add(commands)
    return parser


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
