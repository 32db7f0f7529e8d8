"""`cli.py import run`, `rankings`, `rank-metrics`, `leaderboard` and `relabel`: ranking runs
in, scored under qrels from the labels or a judge, two leaderboards compared, and the
relabelling what-if (applied and undone as one batch)."""

from __future__ import annotations

import argparse
from pathlib import Path

import jobs
import metrics
import storage

from ._common import add_rename_delete, dataset_of, print_json, subcommand
from .manage import ask_for_yes

QRELS_HELP = (
    "qrels source: human (current labels), imported (before any review), judge:RUN (the "
    "run's grades), judge-expected:RUN (expected grade at tuned thresholds), human+judge:RUN"
)


def _run_summary(args: argparse.Namespace) -> storage.rankings.RankingImport:
    dataset = dataset_of(args)
    if args.map:
        return storage.rankings.import_run_table(
            args.db,
            args.file,
            dataset=dataset,
            columns=storage.rankings.RunColumns.parse(args.map),
            name=args.name,
            format=args.format,
        )
    return storage.rankings.import_run_trec(args.db, args.file, dataset=dataset)


def _import_run(args: argparse.Namespace) -> int:
    print(_run_summary(args))
    return 0


def add_import_run(forms: argparse._SubParsersAction) -> None:
    """`import run`, beside the importers of labelled pairs."""
    sub = subcommand(
        forms,
        "run",
        "Ranking runs of a search system over the dataset's queries and documents: a TREC run "
        "file (qid Q0 docid rank score tag; each tag is one run), or with --map a CSV, TSV, "
        "JSONL or Parquet table (query_id or query, doc_id, score or rank, optionally run). "
        "Documents are ranked by score as trec_eval ranks them. Importing a run name again "
        "replaces its documents.",
        "python cli.py import run runs.trec --dataset wands-sample",
        _import_run,
    )
    sub.add_argument("file", type=Path)
    sub.add_argument("--dataset", help="the dataset ranked (default: the only one)")
    sub.add_argument(
        "--map",
        metavar="NAME=COLUMN,...",
        help="a table's columns, e.g. query_id=qid,doc_id=product_id,score=bm25,run=system",
    )
    sub.add_argument("--name", help="run name for a table without a run column (default: file)")
    sub.add_argument("--format", choices=["csv", "tsv", "jsonl", "parquet"])
    sub.set_defaults(importer=_run_summary)  # the `import` command prints what it returns


def _list_rankings(args: argparse.Namespace) -> int:
    runs = storage.rankings.list_rankings(args.db, dataset_of(args))
    if runs.empty:
        print("no ranking run yet: import one with `python cli.py import run`")
    for run in runs.itertuples():
        print(
            f"#{run.ranking_id} {run.name}: {run.documents:,} ranked documents over "
            f"{run.queries:,} queries, depth {run.depth}"
        )
    return 0


def _rename_ranking(args: argparse.Namespace) -> int:
    storage.rankings.rename_ranking(args.db, dataset_of(args), args.ranking_id, args.name)
    print(f"renamed ranking run #{args.ranking_id} to {args.name.strip()!r}")
    return 0


def _delete_ranking(args: argparse.Namespace) -> int:
    dataset = dataset_of(args)
    if not args.yes:
        runs = storage.rankings.list_rankings(args.db, dataset)
        found = runs[runs["ranking_id"] == args.ranking_id]
        if found.empty:
            raise storage.NotFoundError(f"dataset {dataset!r} has no ranking run {args.ranking_id}")
        return ask_for_yes(
            f"deleting ranking run #{args.ranking_id} removes its "
            f"{int(found['documents'].iloc[0]):,} ranked documents"
        )
    removed = storage.rankings.delete_ranking(args.db, dataset, args.ranking_id)
    print(f"deleted ranking run #{args.ranking_id}: {removed:,} ranked documents")
    return 0


def add_rankings(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "rankings",
        "List the ranking runs of a dataset; rename or delete one.",
        "python cli.py rankings --dataset wands-sample",
        _list_rankings,
    )
    sub.add_argument("--dataset", help="default: the only one")
    add_rename_delete(
        sub,
        "ranking_id",
        int,
        ("Rename a ranking run.", "python cli.py rankings rename 2 bm25", _rename_ranking),
        (
            "Delete a ranking run and its ranked documents in one transaction (pooled pairs "
            "and labels stay).",
            "python cli.py rankings delete 2 --yes",
            _delete_ranking,
        ),
    )


def _settings(args: argparse.Namespace) -> jobs.RankSettings:
    measures = tuple(m.strip() for m in args.measures.split(",") if m.strip())
    return jobs.RankSettings(
        measures=measures or jobs.DEFAULT_MEASURES, threshold=args.threshold, n_boot=args.n_boot
    )


def _measure_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--dataset", help="default: the only one")
    sub.add_argument(
        "--measures",
        default=",".join(jobs.DEFAULT_MEASURES),
        help=f"comma-separated: {metrics.measure_forms()} (default: %(default)s)",
    )
    sub.add_argument(
        "--threshold",
        type=int,
        default=1,
        help="lowest relevance level RR, P and R count (levels start at 0; default: 1)",
    )
    sub.add_argument("--n-boot", type=int, default=1000, help="bootstrap draws (default: 1000)")
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")


def _rank_metrics(args: argparse.Namespace) -> int:
    board = jobs.leaderboard(
        args.db, dataset_of(args), jobs.QrelsSource.parse(args.qrels), _settings(args)
    )
    if args.json:
        print_json(board.table.to_dict("records"))
        return 0
    print(
        f"qrels: {board.source.describe()} ({board.judged_pairs:,} graded pairs over "
        f"{board.queries:,} queries); 95% intervals over queries"
    )
    for run, rows in board.table.groupby("run", sort=False):
        cells = [
            f"{r.measure} {r.estimate:.3f} [{r.low:.3f}, {r.high:.3f}]" for r in rows.itertuples()
        ]
        print(f"{run}: " + ", ".join(cells))
    return 0


def add_rank_metrics(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "rank-metrics",
        "Score every ranking run of a dataset under one qrels: "
        + ", ".join(m.name for m in metrics.MEASURES)
        + " as trec_eval defines them, with query-bootstrap intervals (95 percent).",
        "python cli.py rank-metrics --qrels human --measures nDCG@10,RR",
        _rank_metrics,
    )
    sub.add_argument("--qrels", default="human", help=QRELS_HELP + " (default: human)")
    _measure_options(sub)


def _leaderboard(args: argparse.Namespace) -> int:
    a, b = jobs.QrelsSource.parse(args.qrels), jobs.QrelsSource.parse(args.vs)
    found = jobs.compare_leaderboards(args.db, dataset_of(args), a, b, _settings(args))
    if args.json:
        print_json(found.as_dict())
        return 0
    print(f"leaderboard under {a.describe()} (a) against {b.describe()} (b)")
    print("graded " + found.coverage.describe("a", "b"))
    if not found.coverage.comparable:
        print(f"not comparable: {found.coverage.reason}; no tau is computed")
        return 0
    for row in found.summary.itertuples():
        winner = (
            f"winner changes: {row.winner_a} -> {row.winner_b}"
            if row.winner_changes
            else f"same winner ({row.winner_a})"
        )
        print(
            f"{row.measure}: tau {_span(row.tau, row.tau_low, row.tau_high)}, "
            f"tau-AP {_span(row.tau_ap, row.tau_ap_low, row.tau_ap_high)}, "
            f"{row.flipped_pairs} flipped pair(s), {winner}"
        )
        for flip in found.by_measure[row.measure].flips.itertuples():
            print(f"  flips: {flip.system} / {flip.other} (in {flip.flip_share:.0%} of draws)")
    return 0


def _span(estimate: float, low: float, high: float) -> str:
    """'0.816 [0.700, 0.900]', or 'undefined' where every run ties (tau is then NaN)."""
    if estimate != estimate:
        return "undefined (every run ties)"
    return f"{estimate:.3f} [{low:.3f}, {high:.3f}]"


def add_leaderboard(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "leaderboard",
        "Compare the leaderboards two qrels give the ranking runs: Kendall's tau and tau-AP "
        "with 95% query-bootstrap intervals per measure, the pairs of runs whose order flips, "
        "and whether the winner changes.",
        "python cli.py leaderboard --qrels human --vs judge:1",
        _leaderboard,
    )
    sub.add_argument("--qrels", default="human", help=QRELS_HELP + " (default: human)")
    sub.add_argument("--vs", required=True, help="the qrels compared with --qrels, e.g. judge:1")
    _measure_options(sub)


def _relabel(args: argparse.Namespace) -> int:
    dataset = dataset_of(args)
    if args.undo is not None:
        reverted = storage.rankings.undo_relabel(args.db, dataset, args.undo, author=args.author)
        print(f"undid relabel batch {args.undo}: {reverted:,} label events reverted")
        return 0
    if args.run is None:
        raise storage.StoreError("name the judge run with --run RUN (or undo with --undo BATCH)")
    what_if = jobs.relabel_what_if(args.db, dataset, args.run, args.min_confidence)
    if args.json:
        print_json(
            {
                "transitions": what_if.transitions.to_dict(),
                "newly_labelled": what_if.newly_labelled,
                "changes": len(what_if.changes),
                "impact": what_if.impact.to_dict("records"),
            }
        )
    else:
        print(f"adopting judge run #{args.run}'s grade where confidence >= {args.min_confidence}:")
        print(what_if.transitions.to_string())
        print(
            f"{len(what_if.changes):,} pairs change grade ({what_if.newly_labelled:,} unlabelled)"
        )
        for row in what_if.impact.itertuples():
            print(
                f"{row.run} {row.measure}: {row.before:.3f} -> {row.after:.3f} "
                f"({row.difference:+.3f} [{row.low:+.3f}, {row.high:+.3f}])"
            )
    if args.apply:
        batch = jobs.apply_relabel(
            args.db, dataset, args.run, args.min_confidence, author=args.author
        )
        print(f"applied as relabel batch {batch}; undo with `cli.py relabel --undo {batch}`")
    return 0


def add_relabel(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "relabel",
        "What adopting a judge run's grade where its confidence is at least C would do: the "
        "grade transitions and each ranking run's change in nDCG@10 and RR, with intervals. "
        "--apply writes it as one batch of judge label events; --undo BATCH reverts a batch.",
        "python cli.py relabel --run 1 --min-confidence 0.8 --apply",
        _relabel,
    )
    sub.add_argument("--dataset", help="default: the only one")
    sub.add_argument("--run", type=int, help="the judge run whose grades are adopted")
    sub.add_argument("--min-confidence", type=float, default=0.8, help="default: 0.8")
    sub.add_argument("--apply", action="store_true", help="write the label events")
    sub.add_argument("--undo", type=int, metavar="BATCH", help="undo relabel batch BATCH")
    sub.add_argument("--author", default="relabel", help="who the events are by")
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")
