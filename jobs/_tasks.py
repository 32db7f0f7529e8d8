"""Review tasks built and measured: a pair set drawn by a strategy (`storage.team.draw_pairs`),
assigned round-robin to the reviewers with an overlap share given to two of them; and the
team's agreement, the store's long table of who graded what handed to
`metrics.team_agreement`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import metrics
import storage
from storage.team import PairSet, Strategy
from words import plural


def assign(
    pair_ids: Sequence[int], reviewers: Sequence[str], *, overlap: float, seed: int = 0
) -> list[tuple[int, str, int]]:
    """(pair id, reviewer, position) items giving each pair to one reviewer, round-robin,
    and round(`overlap` x pairs) of them, chosen by `seed`, to two consecutive reviewers.

    Position is the pair's place in `pair_ids`, so each queue keeps the strategy's order.
    Round-robin over assignment slots keeps the queues within one item of each other:

    >>> assign([10, 11, 12], ["a", "b"], overlap=0.0)
    [(10, 'a', 0), (11, 'b', 1), (12, 'a', 2)]
    """
    names = list(dict.fromkeys(r.strip() for r in reviewers if r and r.strip()))
    if not names:
        raise storage.StoreError("a task needs at least one reviewer: give their names")
    if not 0.0 <= overlap <= 1.0:
        raise storage.StoreError(f"the overlap is a share between 0 and 1, got {overlap}")
    if overlap > 0 and len(names) < 2:
        raise storage.StoreError("an overlap needs two reviewers or more: add one, or use 0")
    n_double = round(overlap * len(pair_ids))
    doubled = set(np.random.default_rng(seed).permutation(len(pair_ids))[:n_double].tolist())
    items, slot = [], 0
    for position, pair_id in enumerate(pair_ids):
        for _ in range(2 if position in doubled else 1):
            items.append((int(pair_id), names[slot % len(names)], position))
            slot += 1
    return items


@dataclass(frozen=True)
class TaskPlan:
    """What a new task is: its dataset and name, the pairs it draws from and how many, who
    reviews, the overlap share, whether it is blind, the run the strategy reads, and who
    creates it (`author`: the session's reviewer, or the CLI's --as)."""

    dataset: str
    name: str
    pair_set: PairSet
    strategy: Strategy
    size: int | None
    reviewers: tuple[str, ...]
    overlap: float = 0.0
    blind: bool = True
    seed: int = 0
    run_id: int | None = None
    author: str | None = None


def query_list(db: storage.Db, dataset: str, path: Path) -> PairSet:
    """The pair set of the queries listed in the file at `path`, one a line (blank lines
    skipped), each a query id or a query's exact text in `dataset`."""
    queries = storage.query_choices(db, dataset, limit=2**31 - 1)
    by_text = dict(zip(queries["query"], queries["query_id"]))
    known = set(queries["query_id"])
    ids: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        wanted = line.strip()
        if not wanted:
            continue
        query_id = wanted if wanted in known else by_text.get(wanted)
        if query_id is None:
            raise storage.StoreError(
                f"{path} line {number}, column 1: {wanted!r} is neither a query id nor a "
                f"query of {dataset!r}"
            )
        ids.append(str(query_id))
    if not ids:
        raise storage.StoreError(f"{path} lists no query: write one query id or text a line")
    return PairSet(storage.team.PairSetKind.QUERIES, ids=tuple(dict.fromkeys(ids)))


def search_set(db: storage.Db, dataset: str, text: str, *, run_id: int | None = None) -> PairSet:
    """The pair set of the pairs of `dataset` whose query, product name or description
    contains `text`: the search the Review queue's find box runs, in its order."""
    wanted = text.strip()
    if not wanted:
        raise storage.StoreError("a search needs words to find: --from search:TEXT")
    found = storage.search_pair_ids(
        db, dataset, run_id=run_id, filters=storage.PairFilters(text=wanted)
    )
    if not found:
        raise storage.StoreError(
            f"no pair of {dataset!r} has {wanted!r} in its query or product text: "
            "search for other words"
        )
    return PairSet(storage.team.PairSetKind.PAIRS, f"search:{wanted}", ids=tuple(found))


def _run_for(store: storage.Store, plan: TaskPlan) -> int | None:
    """The run the plan reads: its own, else (when its strategy or cell needs one) the
    dataset's newest finished run."""
    needs = plan.strategy.needs_run or plan.pair_set.kind is storage.team.PairSetKind.CELL
    if plan.run_id is not None or not needs:
        return plan.run_id
    runs = storage.list_runs(store, plan.dataset)
    done = runs[runs["status"] == storage.RunStatus.DONE]
    if done.empty:
        raise storage.StoreError(
            f"the {plan.strategy} strategy reads a judge run and {plan.dataset!r} has no "
            "finished one: judge it first, or use the random or stratified strategy"
        )
    return int(done["run_id"].iloc[0])


@dataclass(frozen=True)
class CreatedTask:
    """A task just stored: its id and name, the pairs drawn against the size asked (None:
    every pair of the source), the strategy that drew them and the reviewers given them."""

    task_id: int
    name: str
    pairs: int
    size: int | None
    strategy: Strategy
    reviewers: tuple[str, ...]

    @property
    def short(self) -> bool:
        """Whether fewer pairs were drawn than asked: the source holds fewer, or its
        strategy gives no more (severe draws only pairs the judge and the humans differ on)."""
        return self.size is not None and self.pairs < self.size

    @property
    def summary(self) -> str:
        """One line saying what was made, and why it holds fewer pairs than asked."""
        drawn = (
            f"{plural(self.pairs, 'pair')} of the {self.size:,} asked (every pair its source "
            f"can give with the {self.strategy} strategy)"
            if self.short
            else f"{plural(self.pairs, 'pair')} drawn by the {self.strategy} strategy"
        )
        return (
            f"Task {self.task_id} “{self.name}”: {drawn}, assigned to {', '.join(self.reviewers)}"
        )


def create_task(db: str | Path, plan: TaskPlan) -> CreatedTask:
    """Draw the plan's pairs, assign them, and store the task."""
    if plan.size is not None and plan.size < 1:
        raise storage.StoreError(f"a task takes at least one pair, got size {plan.size}")
    with storage.session(db) as store:
        run_id = _run_for(store, plan)
        pair_ids = storage.team.draw_pairs(
            store,
            plan.dataset,
            plan.pair_set,
            plan.strategy,
            size=plan.size,
            seed=plan.seed,
            run_id=run_id,
        )
        items = assign(pair_ids, plan.reviewers, overlap=plan.overlap, seed=plan.seed)
        task_id = storage.team.create_task(
            store,
            plan.dataset,
            plan.name,
            pair_set=plan.pair_set,
            strategy=plan.strategy,
            items=items,
            overlap=plan.overlap,
            blind=plan.blind,
            seed=plan.seed,
            run_id=run_id,
            author=plan.author,
        )
    return CreatedTask(
        task_id=task_id,
        name=plan.name.strip(),
        pairs=len(pair_ids),
        size=plan.size,
        strategy=plan.strategy,
        reviewers=tuple(dict.fromkeys(reviewer for _, reviewer, _ in items)),
    )


def team_agreement(
    db: str | Path,
    dataset: str,
    *,
    task_id: int | None = None,
    run_id: int | None = None,
    n_resamples: int = 1000,
) -> metrics.TeamAgreement:
    """Agreement among the reviewers of `dataset` (of one task, with `task_id`), each
    reviewer against the adjudicated grades, and the judge of `run_id` against each reviewer."""
    with storage.session(db) as store:
        table = storage.team.agreement_labels(store, dataset, task_id=task_id, run_id=run_id)
        scale = storage.dataset_scale(store, dataset)
    raters = set(table["rater"])
    return metrics.team_agreement(
        table["unit"].to_numpy(),
        table["rater"].to_numpy(),
        table["grade"].to_numpy(),
        list(scale.grades),
        judge=storage.team.JUDGE_RATER if storage.team.JUDGE_RATER in raters else None,
        adjudicated=storage.team.ADJUDICATED_RATER
        if storage.team.ADJUDICATED_RATER in raters
        else None,
        n_resamples=n_resamples,
    )
