"""`cli.py metrics`: a run's judge-versus-human report, or two runs' paired difference, as
text a person reads or as JSON."""

from __future__ import annotations

import argparse
from typing import Any

import jobs
import metrics
import storage

from . import pairwise
from ._common import print_json, subcommand


def _format_interval(row: Any) -> str:
    return f"{row.value:8.3f}  [{row.low:.3f}, {row.high:.3f}]"


def _calibration_json(calibration: jobs.Calibration | None) -> dict[str, Any] | None:
    if calibration is None:
        return None
    thresholds = calibration.thresholds
    return {
        "pairs": calibration.n_pairs,
        "queries": calibration.n_queries,
        "ece": calibration.ece,
        "brier": calibration.brier,
        "reliability": calibration.reliability.to_dict(orient="records"),
        "held_out_thresholds": None
        if thresholds is None
        else {
            "kappa_argmax": thresholds.kappa_argmax,
            "kappa_tuned": thresholds.kappa_tuned,
            "folds": thresholds.folds.to_dict(orient="records"),
        },
    }


def _agreement_json(agreement: metrics.RaterAgreement | None) -> dict[str, Any] | None:
    if agreement is None:
        return None
    return {
        "pairs": agreement.n_pairs,
        "human_human_kappa": agreement.human_human_kappa,
        "judge_human_kappa": agreement.judge_human_kappa,
        "pairwise": agreement.pairwise.to_dict(orient="records"),
    }


def _print_calibration(calibration: jobs.Calibration | None) -> None:
    """ECE, Brier, the reliability bins and the held-out thresholds, as the Overview shows them."""
    if calibration is None:
        print(
            "calibration: none (no grade probabilities in this run: generation mode, or an "
            "endpoint without logprobs)"
        )
        return
    print(
        f"calibration, on {calibration.n_pairs} graded pairs with probabilities "
        f"from {calibration.n_queries} queries:"
    )
    print(f"  {'Expected calibration error':<28}{calibration.ece:8.3f}")
    print(f"  {'Brier score':<28}{calibration.brier:8.3f}")
    print("  reliability:  confidence      pairs  mean confidence  share right")
    for row in calibration.reliability.itertuples():
        print(
            f"  {'':14}({row.bin_low:.1f}, {row.bin_high:.1f}]  {row.count:>9}  "
            f"{row.confidence:15.3f}  {row.accuracy:11.3f}"
        )
    result = calibration.thresholds
    if result is None:
        print(
            f"tuned thresholds: not tuned (needs {jobs.MIN_QUERIES_FOR_THRESHOLDS} queries "
            f"with probabilities, this run has {calibration.n_queries})"
        )
        return
    print(
        f"tuned thresholds on the expected grade, {len(result.folds)}-fold cross-validation "
        "over queries (kappa on held-out queries only):"
    )
    print(f"  {'Quadratic kappa, argmax':<28}{result.kappa_argmax:8.3f}")
    print(f"  {'Quadratic kappa, tuned':<28}{result.kappa_tuned:8.3f}")


def _print_agreement(agreement: metrics.RaterAgreement | None) -> None:
    """Human-human next to judge-human kappa, then each pair of raters."""
    if agreement is None:
        print("rater agreement: none (the dataset has fewer than two named annotators)")
        return
    print(
        f"rater agreement, quadratic kappa on {agreement.n_pairs} pairs graded by two or "
        "more annotators:"
    )
    print(f"  {'Human-human kappa':<28}{agreement.human_human_kappa:8.3f}")
    print(f"  {'Judge-human kappa':<28}{agreement.judge_human_kappa:8.3f}")
    for row in agreement.pairwise.itertuples():
        print(f"  {row.rater_a} vs {row.rater_b}: {row.kappa_quadratic:.3f} on {row.n_pairs} pairs")


def _metrics(args: argparse.Namespace) -> int:
    if storage.pairwise.is_pairwise_run(args.db, args.run):
        return pairwise.print_pairwise_metrics(args)
    if args.vs is not None:
        comparison = jobs.compare_runs(
            args.db, args.vs, args.run, n_boot=args.n_boot, seed=args.seed
        )
        if args.json:
            print_json(
                {
                    "run_a": comparison.run_a,
                    "run_b": comparison.run_b,
                    "pairs": comparison.n_pairs,
                    "coverage": comparison.coverage.as_dict(),
                    "differences": comparison.differences.to_dict(orient="records"),
                    "disagreements": len(comparison.disagreements),
                }
            )
            return 0
        covered = comparison.coverage
        print("labelled pairs judged by " + covered.describe(f"run {args.vs}", f"run {args.run}"))
        if not covered.comparable:
            print(f"not comparable: {covered.reason}; no difference is computed")
            return 0
        print(
            f"run {args.run} minus run {args.vs} on {comparison.n_pairs} pairs both graded "
            f"({len(comparison.disagreements)} graded differently); 95% query-bootstrap intervals"
        )
        for row in comparison.differences.itertuples():
            mark = "*" if row.excludes_zero else " "
            print(
                f"  {row.label:<20} {row.a:7.3f} -> {row.b:7.3f}  "
                f"diff {row.difference:+.3f} [{row.low:+.3f}, {row.high:+.3f}] {mark}"
            )
        print("  * the interval excludes 0")
        return 0
    report = jobs.run_report(args.db, args.run, n_boot=args.n_boot, seed=args.seed)
    if args.json:
        print_json(
            {
                "run_id": report.run_id,
                "pairs": report.n_pairs,
                "unjudged": report.n_unjudged,
                "stale": report.n_stale,
                "grades": list(report.scale.grades),
                "grade_names": list(report.scale.names),
                "metrics": report.metrics.to_dict(orient="records"),
                "confusion": report.confusion.tolist(),
                "calibration": _calibration_json(report.calibration),
                "agreement": _agreement_json(report.agreement),
            }
        )
        return 0
    print(
        f"run {report.run_id}: {report.n_pairs} labelled pairs graded, {report.n_unjudged} "
        f"without a grade, {report.n_stale} stale; 95% query-bootstrap intervals"
    )
    for row in report.metrics.itertuples():
        print(f"  {row.label:<20}{_format_interval(row)}")
    names = report.scale.names
    print("confusion (rows human, columns judge):")
    print("  " + " " * 12 + "".join(f"{n[:10]:>11}" for n in names))
    for name, counts in zip(names, report.confusion):
        print(f"  {name[:12]:<12}" + "".join(f"{int(c):>11}" for c in counts))
    if report.n_pairs:
        _print_calibration(report.calibration)
        _print_agreement(report.agreement)
    return 0


def add_metrics(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "metrics",
        "Judge-versus-human metrics of a run (accuracy, macro-F1, quadratic kappa, MAE, "
        "severe error rate, per-class precision and recall) with 95% intervals from a "
        "bootstrap over queries; with --vs, the paired difference between two runs.",
        "python cli.py metrics 3 --vs 2",
        _metrics,
    )
    sub.add_argument("run", type=int, help="run id (see the Runs page or `stats`)")
    sub.add_argument(
        "--vs",
        type=int,
        metavar="RUN",
        help="compare with this earlier run (for a pairwise run: the graded run whose "
        "expected grades the score-comparison consistency is measured against)",
    )
    sub.add_argument("--n-boot", type=int, default=1000, help="bootstrap draws")
    sub.add_argument("--seed", type=int, default=0)
    sub.add_argument("--json", action="store_true", help="print JSON instead of a table")
