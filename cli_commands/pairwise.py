"""`cli.py judge --pairwise` and the pairwise block of `cli.py metrics RUN`: the flags the
`judge` and `metrics` commands add for pairwise runs, and what they call."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import jobs
import judge
import storage
from words import plural

from ._common import confusion_cell, dataset_of, print_json


def add_pairwise_flags(sub: argparse.ArgumentParser) -> None:
    """The `judge` options of a pairwise run."""
    sub.add_argument(
        "--pairwise",
        action="store_true",
        help="compare two products of a query in both orders instead of grading pairs "
        "(template 'pairwise' unless --template names another pairwise template)",
    )
    sub.add_argument(
        "--per-product",
        type=float,
        default=judge.ComparisonPlan().per_product,
        help="pairwise: comparisons per product of a query (default %(default)s)",
    )
    sub.add_argument(
        "--max-queries", type=int, help="pairwise: compare within the first N queries only"
    )
    sub.add_argument(
        "--cell",
        type=confusion_cell,
        metavar="HUMAN_JUDGE",
        help="pairwise: compare each pair of this confusion cell of --run (e.g. 2_1: humans "
        "Exact, judged Partial) with a product humans graded Exact for its query",
    )
    sub.add_argument("--run", type=int, metavar="RUN_ID", help="pairwise --cell: the graded run")


def _template(args: argparse.Namespace) -> str:
    if args.template_file:
        return str(args.template_file.read_text(encoding="utf-8"))
    shipped = {t.name: t for t in judge.list_pairwise_templates()}
    name = args.template if args.template in shipped else "pairwise"
    if args.template not in shipped and args.template != judge.DEFAULT_TEMPLATE:
        raise judge.TemplateError(
            f"{args.template!r} is not a pairwise template: choose one of {', '.join(shipped)}"
        )
    return shipped[name].text


def judge_pairwise(
    args: argparse.Namespace,
    settings_of: Callable[[argparse.Namespace, str], judge.JudgeSettings],
    control: jobs.RunControl,
) -> jobs.PairwiseOutcome:
    """Start a pairwise run (or resume one with --resume) as the `judge` options say."""
    if args.resume is not None:
        return jobs.resume_pairwise(args.db, args.resume, control=control)
    if (args.cell is None) != (args.run is None):
        raise judge.SettingsError(
            "--cell and --run go together: --cell 2_1 --run 3 compares the pairs run 3 "
            "graded 1 and humans 2 with an Exact of their query"
        )
    cell = None if args.cell is None else jobs.CellTarget(args.run, *args.cell)
    # A cell plan compares within the graded run's dataset unless --dataset names another.
    in_run = cell is not None and args.dataset is None
    dataset = storage.get_run(args.db, args.run).dataset if in_run else dataset_of(args)
    settings = settings_of(args, _template(args))
    plan = judge.ComparisonPlan(per_product=args.per_product)
    planned = {"cell": cell, "split": args.split, "max_queries": args.max_queries}
    price = jobs.pairwise_price(
        args.db,
        dataset=dataset,
        backend=settings.backend.value,
        model=settings.model,
        plan=plan,
        **planned,
    )
    print(price, file=sys.stderr)
    return jobs.judge_pairwise(
        args.db,
        dataset=dataset,
        settings=settings,
        plan=plan,
        name=args.name,
        control=control,
        **planned,
    )


def print_outcome(outcome: jobs.PairwiseOutcome) -> None:
    summary = outcome.summary
    state = "cancelled" if summary.cancelled else "finished"
    print(
        f"pairwise run {outcome.run_id} {state}: {plural(outcome.comparisons, 'comparison')}, "
        f"{plural(summary.judged, 'order')} judged, {summary.skipped:,} already done, "
        f"{plural(summary.errors, 'error')}, {summary.unparsed:,} unparsed, "
        f"{summary.pairs_per_s:.2f} orders/s"
    )
    if outcome.skipped_queries:
        print(
            f"{plural(outcome.skipped_queries, 'query')} skipped: no other product graded Exact "
            "to compare with"
        )
    if summary.errors:
        print(f"resume with: python cli.py judge --resume {outcome.run_id}")
    print(f"metrics:     python cli.py metrics {outcome.run_id}")


def print_pairwise_metrics(args: argparse.Namespace) -> int:
    """`metrics RUN` for a pairwise run; `--vs` names a graded run for score-comparison."""
    report = jobs.pairwise_report(args.db, args.run, vs=args.vs, n_boot=args.n_boot, seed=args.seed)
    records: list[dict[str, Any]] = report.figures.to_dict(orient="records")
    if args.json:
        print_json(
            {
                "run_id": report.run.run_id,
                "pairwise": True,
                "comparisons": len(report.comparisons),
                "vs": report.vs_run,
                "figures": records,
                "cycles": [
                    {"query_id": c.query_id, "cycle": list(c.cycle), "margin": c.margin}
                    for c in report.cycles.itertuples()
                ],
            }
        )
        return 0
    print(
        f"pairwise run {report.run.run_id}: {len(report.comparisons)} comparisons, each in "
        "both orders; 95% query-bootstrap intervals"
    )
    for row in records:
        print(
            f"  {row['label']:<32}{row['value']:8.3f}  [{row['low']:.3f}, {row['high']:.3f}]"
            f"  n={row['n']}"
        )
    print(f"swap-inconsistent comparisons: {len(report.worst)}; 3-cycles: {len(report.cycles)}")
    for cycle in report.cycles.head(10).itertuples():
        x, y, z = cycle.cycle
        print(f"  query {cycle.query_id}: {x} > {y} > {z} > {x} (margin {cycle.margin:.3f})")
    return 0
