"""`cli.py estimate`: what an audit task's reviewed queries and a judge on every query say
about the whole dataset, human-only, judge-only and prediction-powered, each with its 95%
interval (jobs/_estimate.py)."""

from __future__ import annotations

import argparse
import math
from typing import Any

import jobs
import storage
from words import plural

from ._common import print_json, subcommand


def _number(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.3f}"


def _line(row: dict[str, Any]) -> str:
    return (
        f"{row['method']} {_number(row['estimate'])} "
        f"[{_number(row['low'])}, {_number(row['high'])}]"
    )


def _print_three(title: str, rows: list[dict[str, Any]]) -> None:
    ppi = next(r for r in rows if r["method"] == jobs.METHODS[-1])
    print(
        f"  {title}: " + "; ".join(_line(r) for r in rows) + f"; "
        f"{plural(int(ppi['n']), 'audited query')} + the judge are worth "
        f"{ppi['effective_n']:.0f}"
    )


def _estimate(args: argparse.Namespace) -> int:
    task = storage.team.get_task(args.db, args.task, args.dataset)
    found = jobs.estimate_audit(args.db, task.task_id, args.run)
    if args.json:
        print_json(found.as_dict())
        return 0
    print(f"audit task {task.task_id} {task.name!r}: {found.basis.covers}")
    print(f"  {jobs.ASSUMES}")
    for figure, rows in found.labels.groupby("figure", sort=False):
        _print_three(str(figure), [dict(r) for r in rows.to_dict("records")])
    if not found.rankings.empty:
        for (run, measure), rows in found.rankings.groupby(["run", "measure"], sort=False):
            _print_three(f"{run} {measure}", [dict(r) for r in rows.to_dict("records")])
        for row in found.differences.to_dict("records"):
            verdict = "distinguishable" if row["distinguishable"] else "not distinguishable"
            print(
                f"  {row['measure']} {row['run_a']} - {row['run_b']}: prediction-powered "
                f"{_number(row['estimate'])} [{_number(row['low'])}, {_number(row['high'])}]: "
                f"{verdict}"
            )
    return 0


def add_estimate(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "estimate",
        "Estimates from an audit task (`task create --audit`): the judge's accuracy and each "
        "grade's share, each ranking run's measures and every two runs' difference, over the "
        "whole dataset: human-only (audited queries), judge-only (all queries) and "
        "prediction-powered (both, PPI++ weighted by the audit's design), with 95% intervals "
        "and the number of audited queries. Refuses a judge run made after the draw, or an "
        f"audit with fewer than {jobs.MIN_AUDITED_QUERIES} reviewed queries.",
        "python cli.py estimate audit1 --dataset wands-sample --json",
        _estimate,
    )
    sub.add_argument("task", metavar="TASK", help="the audit task (id or name)")
    sub.add_argument("--dataset", help="the dataset of a task named by name")
    sub.add_argument("--run", type=int, help="the judge run (default: the one the audit read)")
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")
