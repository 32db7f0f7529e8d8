"""Headless workbench: the same operations as the app, over the same library functions.

Every command parses its arguments, calls one library function and prints the result
(`cli_commands/`, one module per group), in one store session. This file holds the one error
boundary: anything that goes wrong prints as one line on stderr (exit code 2 for what a user
can fix, 1 for a fault of the workbench itself), never a traceback unless `--debug` asks.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path

import jobs
import metrics
import storage
from cli_commands import COMMANDS
from judge import JudgeError, LogRedaction

DEFAULT_DB = storage.DEFAULT_STORE
DB_VARIABLE = "WORKBENCH_DB"
# What a user can cause or meet and fix: a bad file, a bad store, a bad --scale, a missing
# model, a dead endpoint, a full disk.
USER_ERRORS = (
    storage.StoreError,
    storage.ScaleError,
    JudgeError,
    metrics.MetricsInputError,
    OSError,
)
# 128 + SIGPIPE: what a shell reports for a program whose reader went away (`| head`).
CLOSED_PIPE_EXIT = 141


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cli.py",
        description="Relevance-judge workbench: import labelled pairs, split them by query, "
        "judge them with a local or remote LLM, measure the judge, export training data.",
        epilog="example: python cli.py stats",
    )
    parser.add_argument(
        "--db",
        type=Path,
        help=f"DuckDB file (default: ${DB_VARIABLE}, else "
        f"{DEFAULT_DB.relative_to(DEFAULT_DB.parents[1])}, which is created with the bundled "
        "sample data on first use)",
    )
    parser.add_argument("--debug", action="store_true", help="on an error, print the traceback too")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log what the workbench does on stderr (-vv: also llama.cpp's own log lines)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(commands)
    return parser


def _store_path(flag: Path | None) -> tuple[Path, str | None]:
    """The store file: --db, else $WORKBENCH_DB, else the default; and, when the user did
    not name it on the command line, where it came from."""
    if flag is not None:
        return flag, None
    if os.environ.get(DB_VARIABLE):
        return Path(os.environ[DB_VARIABLE]), f"from ${DB_VARIABLE}"
    return DEFAULT_DB, "the default"


def _log_to_stderr(verbosity: int) -> None:
    """-v: the workbench's own log (runs, waits, first start); -vv: llama.cpp's too, and
    the HTTP libraries'. The API key is masked in every line (`judge.LogRedaction`)."""
    if verbosity:
        logging.basicConfig(
            level=logging.DEBUG if verbosity > 1 else logging.INFO,
            format="%(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        LogRedaction.install(*logging.getLogger().handlers)


@contextlib.contextmanager
def _store_session(args: argparse.Namespace) -> Iterator[None]:
    """One store session for the command: its storage calls share one connection (a job
    that judges lets go of it while the model works; see jobs/_judging.py). A command that
    reads files only (`validate`, `store=False`) opens no store, so it creates none."""
    if not getattr(args, "store", True):
        yield
        return
    args.db, origin = _store_path(args.db)
    if origin is not None:  # on stderr, so that --json output stays clean
        print(f"store: {args.db.resolve()} ({origin})", file=sys.stderr)
    read_only = getattr(args, "read_only", False)
    with (
        storage.on_store_wait(lambda wait: print(wait, file=sys.stderr)),
        storage.session(args.db, read_only=read_only),
    ):
        if args.db.resolve() == DEFAULT_DB and not read_only:
            jobs.first_start(args.db)
        yield


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _log_to_stderr(args.verbose)
    try:
        with _store_session(args):
            code = args.handler(args)
        sys.stdout.flush()  # a reader that went away shows here, inside the boundary
        return code
    except BrokenPipeError:
        return _stdout_closed()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            traceback.print_exc()
        if isinstance(error, USER_ERRORS):
            print(f"error: {_one_line(error)}", file=sys.stderr)
            return 2
        print(
            f"error: the workbench failed ({type(error).__name__}: {_one_line(error)}); "
            "run again with --debug for the traceback and report it",
            file=sys.stderr,
        )
        return 1


def _one_line(error: Exception) -> str:
    if isinstance(error, OSError) and error.strerror:
        # A file named on the command line that cannot be read or written.
        text = f"{error.filename}: {error.strerror}" if error.filename else error.strerror
    elif isinstance(error, JudgeError):
        # The judge bounds what it quotes (a server's answer, a model's output), so its
        # sentences come whole: a cut in the middle lost the cause they name.
        return " ".join(str(error).split())
    else:
        text = str(error)
    return storage.shorten(text, storage.MESSAGE_LIMIT)


def _stdout_closed() -> int:
    """The reader of stdout went away (`cli.py metrics 1 --json | head`): end quietly. As
    Python's documentation advises, stdout is pointed at /dev/null, so the interpreter's
    last flush at exit does not fail a second time."""
    try:
        stdout = sys.stdout.fileno()
    except (OSError, ValueError):
        return CLOSED_PIPE_EXIT  # stdout is no file (captured by a test): nothing to redirect
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, stdout)
    os.close(devnull)
    return CLOSED_PIPE_EXIT


if __name__ == "__main__":
    sys.exit(main())
