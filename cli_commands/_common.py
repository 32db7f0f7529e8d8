"""What the commands share: a subcommand whose --help ends with an example, the dataset a
command works on, strict JSON on stdout, and the grade=share and confusion-cell argument
types."""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

import storage

Command = Callable[[argparse.Namespace], int]
_NEGATIVE_VALUE = re.compile(r"^-\.?\d")


def subcommand(
    commands: argparse._SubParsersAction, name: str, summary: str, example: str, run: Command
) -> argparse.ArgumentParser:
    """A subcommand whose --help says what it does and ends with an example. `summary` is
    plain text: argparse %-formats a help string (not a description), so "95%" is escaped
    there."""
    sub = commands.add_parser(
        name,
        help=summary.replace("%", "%%"),
        description=summary,
        epilog=f"example: {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # argparse (before Python 3.13) reads a value such as `-2,0,1,2,3,4` as an unknown
    # option, so `--scale -2,0,1,2,3,4`, the form our errors suggest, failed; no option of
    # ours looks like a negative number, so any "-digit" argument is a value.
    sub._negative_number_matcher = _NEGATIVE_VALUE
    sub.set_defaults(handler=run)
    return sub


def add_rename_delete(
    sub: argparse.ArgumentParser,
    key: str,
    key_type: Callable[[str], Any],
    rename: tuple[str, str, Command],
    delete: tuple[str, str, Command],
) -> None:
    """`rename KEY NAME` and `delete KEY [--yes]` under the listing command `sub`; each
    tuple is the action's summary, example and handler. A delete without --yes only says
    what would go."""
    actions = sub.add_subparsers(dest="action", metavar="ACTION")
    renaming = subcommand(actions, "rename", *rename)
    renaming.add_argument(key, type=key_type, metavar=key.upper())
    renaming.add_argument("name")
    summary, example, run = delete
    deleting = subcommand(
        actions,
        "delete",
        f"{summary} Without --yes, print what would go and change nothing.",
        example,
        run,
    )
    deleting.add_argument(key, type=key_type, metavar=key.upper())
    deleting.add_argument("--yes", action="store_true", help="delete without asking")


def confusion_cell(text: str) -> tuple[int, int]:
    """`2,1` or `2_1` as (human grade 2, judge grade 1)."""
    try:
        human, judged = (int(g) for g in text.replace("_", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected HUMAN,JUDGE grades like 2,1, got {text!r}"
        ) from None
    return human, judged


def dataset_of(args: argparse.Namespace) -> str:
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


def print_json(value: Any) -> None:
    """Strict JSON on stdout: an undefined metric (kappa of one grade, say) is null, since a
    bare NaN is not JSON and strict parsers reject the whole document."""
    print(json.dumps(_json_ready(value), indent=2, allow_nan=False))


def grade_shares(text: str) -> dict[int, float]:
    """`0=0.3,1=0.4,2=0.3` as {grade: share}."""
    try:
        return {int(g): float(s) for g, s in (item.split("=") for item in text.split(","))}
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected grade=share pairs like 0=0.3,1=0.4,2=0.3, got {text!r}"
        ) from None
