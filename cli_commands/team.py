"""`cli.py task`, `cli.py agreement`, `cli.py guideline` and `cli.py reviewers`: team review
headless. Build a review task (pairs drawn by a strategy, assigned to reviewers with an
overlap for double labelling), follow its progress, measure the team's agreement, and keep
the dataset's guideline and its list of allowed reviewers."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import jobs
import storage
from words import span

from ._common import print_json, subcommand

_FROM_HELP = (
    "the pairs to draw from: all (default), split NAME, cell HUMAN_JUDGE (a confusion cell of "
    "the run, e.g. 2_0), query-list FILE (one query id or query text a line), search TEXT "
    "(the pairs whose query or product text contains TEXT, as the Review queue finds them); "
    "split:NAME, cell:2_0 and search:TEXT work too"
)

_AS_HELP = "who you are: the acting reviewer (names on the command line are self-declared)"


def _pair_set(args: argparse.Namespace) -> storage.team.PairSet:
    words = [w for part in args.pairs_from for w in part.split(":", 1)]
    kind, value = words[0], " ".join(words[1:])
    if kind == "all" and not value:
        return storage.team.PairSet()
    if kind == "split" and value:
        return storage.team.PairSet(storage.team.PairSetKind.SPLIT, value)
    if kind == "cell" and value:
        return storage.team.PairSet(storage.team.PairSetKind.CELL, value)
    if kind == "query-list" and value:
        return jobs.query_list(args.db, args.dataset, Path(value))
    if kind == "search" and value:
        return jobs.search_set(args.db, args.dataset, value, run_id=args.run)
    raise storage.StoreError(f"--from {' '.join(args.pairs_from)!r}: expected {_FROM_HELP}")


def _create_audit(args: argparse.Namespace) -> int:
    if args.size is None:
        raise storage.StoreError("an audit needs --size: the number of queries to draw")
    made = jobs.create_audit(
        args.db,
        jobs.AuditPlan(
            dataset=args.dataset,
            name=args.name,
            size=args.size,
            reviewers=tuple(r for r in args.reviewers.split(",") if r.strip()),
            design=storage.team.Design(args.audit),
            seed=args.seed,
            run_id=args.run,
            blind=args.blind,
            author=args.actor,
        ),
    )
    print(made.summary)
    print(f"  estimate with `python cli.py estimate {made.task_id}` once the queries are reviewed")
    return 0


def _create(args: argparse.Namespace) -> int:
    if args.audit is not None:
        return _create_audit(args)
    plan = jobs.TaskPlan(
        dataset=args.dataset,
        name=args.name,
        pair_set=_pair_set(args),
        strategy=storage.team.Strategy(args.strategy),
        size=args.size,
        reviewers=tuple(r for r in args.reviewers.split(",") if r.strip()),
        overlap=args.overlap,
        blind=args.blind,
        seed=args.seed,
        run_id=args.run,
        author=args.actor,
    )
    made = jobs.create_task(args.db, plan)
    task = storage.team.get_task(args.db, made.task_id)
    progress = storage.team.task_progress(args.db, made.task_id)
    print(made.summary)
    print(
        f"  over {task.pair_set}{'' if task.run_id is None else f' (run {task.run_id})'}, "
        f"{'blind' if task.blind else 'not blind'}: "
        + ", ".join(f"{r.reviewer} {r.items} items" for r in progress.itertuples())
    )
    return 0


def _seconds(value: float) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.1f} s"


def _status(args: argparse.Namespace) -> int:
    if args.task is None:
        datasets = [args.dataset] if args.dataset else storage.dataset_names(args.db)
        tables = [storage.team.list_tasks(args.db, d).assign(dataset=d) for d in datasets]
        rows = [r for t in tables for r in t.to_dict("records")]
        if args.json:
            print_json(rows)
            return 0
        if not rows:
            print("no review task yet: create one with `python cli.py task create`")
        for r in rows:
            print(
                f"task {r['task_id']} {r['name']!r} ({r['dataset']}): {r['pairs']} pairs, "
                f"{r['done']}/{r['items']} items done, {r['to_adjudicate']} to adjudicate, "
                f"{r['adjudicated']} adjudicated"
            )
        return 0
    task = storage.team.get_task(args.db, args.task, args.dataset)
    progress = storage.team.task_progress(args.db, task.task_id)
    disputes = storage.team.adjudication_queue(args.db, task.task_id)
    if args.json:
        print_json(
            {
                "task": task.__dict__ | {"created_at": str(task.created_at)},
                "reviewers": progress.drop(columns="task_id").to_dict("records"),
                "disputed": len(disputes),
                "to_adjudicate": int(disputes["final_grade"].isna().sum()),
            }
        )
        return 0
    print(
        f"task {task.task_id} {task.name!r} ({task.dataset}, {task.pair_set}, {task.strategy}, "
        f"overlap {task.overlap:.0%}, {'blind' if task.blind else 'not blind'})"
    )
    for r in progress.itertuples():
        print(
            f"  {r.reviewer}: {r.done} done, {r.left} left of {r.items}, "
            f"median {_seconds(r.median_seconds)} per pair"
        )
    print(
        f"  {len(disputes)} overlap pairs disputed, "
        f"{int(disputes['final_grade'].isna().sum())} waiting for adjudication"
    )
    return 0


def _number(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.3f}"


def _agreement(args: argparse.Namespace) -> int:
    task_id = None if args.task is None else storage.team.get_task(args.db, args.task, args.dataset)
    result = jobs.team_agreement(
        args.db,
        args.dataset,
        task_id=None if task_id is None else task_id.task_id,
        run_id=args.run,
        n_resamples=args.resamples,
    )
    if args.json:
        print_json(
            {
                "alpha_ordinal": result.alpha_ordinal,
                "alpha_ordinal_ci": list(result.alpha_ordinal_ci),
                "alpha_nominal": result.alpha_nominal,
                "alpha_nominal_ci": list(result.alpha_nominal_ci),
                "n_units": result.n_units,
                "n_raters": result.n_raters,
                "human_range": list(result.human_range),
                "judge_in_human_range": result.judge_in_human_range,
                "pairwise": result.pairwise.to_dict("records"),
            }
        )
        return 0
    low, high = result.alpha_ordinal_ci
    nlow, nhigh = result.alpha_nominal_ci
    print(
        f"{result.n_raters} reviewers, {result.n_units} pairs graded by two or more: "
        f"Krippendorff's alpha ordinal {_number(result.alpha_ordinal)} "
        f"[{_number(low)}, {_number(high)}], nominal {_number(result.alpha_nominal)} "
        f"[{_number(nlow)}, {_number(nhigh)}]"
    )
    for r in result.pairwise.to_dict("records"):
        print(
            f"  {r['kind']}: {r['rater_a']} vs {r['rater_b']} on {r['n_pairs']} pairs: "
            f"kappa {_number(r['kappa'])}, quadratic {_number(r['kappa_quadratic'])}, "
            f"agreement {_number(r['agreement'])}"
        )
    if result.judge_in_human_range is not None:
        low, high = result.human_range
        verdict = "reaches" if result.judge_in_human_range else "is below"
        print(
            f"  the judge's quadratic kappa {result.judge_kappa:.3f} {verdict} the humans' "
            f"with each other, {span(low, high, 3)}"
        )
    return 0


def _guideline_show(args: argparse.Namespace) -> int:
    found = storage.team.guideline(args.db, args.dataset, args.version)
    if found is None:
        print(f"{args.dataset!r} has no guideline yet: `python cli.py guideline set` writes one")
        return 0
    print(f"# version {found.version}, by {found.author or 'unknown'}, {found.created_at:%Y-%m-%d}")
    print(found.text, end="" if found.text.endswith("\n") else "\n")
    return 0


def _guideline_set(args: argparse.Namespace) -> int:
    version = storage.team.save_guideline(
        args.db, args.dataset, Path(args.file).read_text(encoding="utf-8"), author=args.author
    )
    print(f"guideline of {args.dataset!r} is version {version}")
    return 0


def _reviewers(args: argparse.Namespace) -> int:
    if args.allow is not None:
        storage.team.set_allowed_reviewers(
            args.db, args.dataset, args.allow.split(","), actor=args.actor
        )
    if args.adjudicators is not None:
        storage.team.set_adjudicators(
            args.db, args.dataset, args.adjudicators.split(","), actor=args.actor
        )
    names = storage.team.allowed_reviewers(args.db, args.dataset)
    judges = storage.team.adjudicators(args.db, args.dataset)
    owner = storage.team.dataset_owner(args.db, args.dataset)
    print(", ".join(names) if names else f"anyone may review {args.dataset!r}")
    print(f"adjudicators: {', '.join(judges) if judges else 'any reviewer not party to it'}")
    print(f"owner: {owner or 'nobody yet (the first to set a list)'}")
    return 0


def add_task(commands: argparse._SubParsersAction) -> None:
    task = subcommand(
        commands,
        "task",
        "Review tasks: create one (pairs drawn by a strategy, assigned to reviewers), or see "
        "their progress.",
        "python cli.py task status",
        _status,
    )
    task.set_defaults(task=None, dataset=None, json=False)
    actions = task.add_subparsers(dest="action", metavar="ACTION")
    create = subcommand(
        actions,
        "create",
        "Draw pairs of DATASET by a strategy and assign them round-robin to the reviewers; "
        "the overlap share of them goes to two reviewers each (double labelling). Severe, "
        "confident and uncertainty read a judge run (--run, default the newest finished one). "
        "With --audit, whole queries are drawn for `cli.py estimate`.",
        "python cli.py task create wands-sample --name week1 --from cell:2_0 "
        "--strategy severe --size 100 --reviewers ana,bob,cy --overlap 0.3 --blind --as ana",
        _create,
    )
    create.add_argument("dataset", metavar="DATASET")
    create.add_argument("--name", required=True, help="the task's name, unique in the dataset")
    create.add_argument(
        "--from", dest="pairs_from", nargs="+", default=["all"], metavar="SET", help=_FROM_HELP
    )
    create.add_argument(
        "--strategy", choices=[s.value for s in storage.team.Strategy], default="random"
    )
    create.add_argument(
        "--size", type=int, help="pairs to take (default: every pair drawn); queries with --audit"
    )
    create.add_argument(
        "--audit",
        choices=[d.value for d in storage.team.Design],
        help="draw --size whole queries for an audit instead (uniform, or active: where the "
        "judge run expects to err), recording each query's inclusion probability; --from, "
        "--strategy and --overlap do not apply",
    )
    create.add_argument(
        "--reviewers", required=True, help="comma-separated reviewer names, e.g. ana,bob,cy"
    )
    create.add_argument(
        "--overlap", type=float, default=0.0, help="share of pairs given to two reviewers"
    )
    create.add_argument(
        "--blind",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="hide the judge and the other labels until the reviewer has graded (default)",
    )
    create.add_argument("--run", type=int, help="the judge run the strategy or cell reads")
    create.add_argument("--seed", type=int, default=0, help="seed of the draw and the overlap")
    create.add_argument("--as", dest="actor", metavar="NAME", help=_AS_HELP)
    status = subcommand(
        actions,
        "status",
        "Progress of every task, or of TASK (id or name) per reviewer: done, left, median "
        "seconds per pair; and its overlap pairs waiting for adjudication.",
        "python cli.py task status week1 --dataset wands-sample",
        _status,
    )
    status.add_argument("task", nargs="?", metavar="TASK")
    status.add_argument("--dataset", help="the dataset of a task named by name, or to list")
    status.add_argument("--json", action="store_true", help="print JSON instead of text")


def add_agreement(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "agreement",
        "How far the reviewers of DATASET agree: Krippendorff's alpha (ordinal, nominal) with "
        "bootstrap intervals over pairs, Cohen's kappa per reviewer pair and against the "
        "adjudicated grades, and the judge of --run beside the humans' range.",
        "python cli.py agreement wands-sample --task week1 --run 3",
        _agreement,
    )
    sub.add_argument("dataset", metavar="DATASET")
    sub.add_argument("--task", help="only this task's independent labels (id or name)")
    sub.add_argument("--run", type=int, help="a judge run to set against the reviewers")
    sub.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")


def add_guideline(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "guideline",
        "The dataset's labelling guideline (markdown), versioned: every set is a new version "
        "and each label event records the version in force.",
        "python cli.py guideline set wands-sample guideline.md --author ana",
        _guideline_show,
    )
    actions = sub.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = subcommand(
        actions,
        "show",
        "Print the guideline.",
        "python cli.py guideline show wands-sample",
        _guideline_show,
    )
    show.add_argument("dataset", metavar="DATASET")
    show.add_argument("--version", type=int, help="an older version (default: the newest)")
    save = subcommand(
        actions,
        "set",
        "Save FILE as the guideline's next version.",
        "python cli.py guideline set wands-sample guideline.md --author ana",
        _guideline_set,
    )
    save.add_argument("dataset", metavar="DATASET")
    save.add_argument("file", metavar="FILE")
    save.add_argument("--author", help="who wrote this version")


def add_reviewers(commands: argparse._SubParsersAction) -> None:
    sub = subcommand(
        commands,
        "reviewers",
        "The reviewers allowed on DATASET (none listed: anyone), its adjudicators and its "
        "owner; --allow sets the list, --allow '' clears it, --adjudicators sets who settles "
        "disputes. Only the owner changes them: the first who set a list (--as NAME).",
        "python cli.py reviewers wands-sample --allow ana,bob,cy --as ana",
        _reviewers,
    )
    sub.add_argument("dataset", metavar="DATASET")
    sub.add_argument("--allow", help="comma-separated names allowed from now on")
    sub.add_argument(
        "--adjudicators", help="comma-separated allowed reviewers who adjudicate disputes"
    )
    sub.add_argument("--as", dest="actor", metavar="NAME", help=_AS_HELP)
