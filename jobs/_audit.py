"""Audit tasks built: whole queries drawn for human review by a stored design (uniform, or
active: where the judge expects to err), so that an estimate can combine the few audited
queries with the judge's grades on all of them (`jobs.estimate_audit`).

The draw reads a finished judge run fixed before it; the estimate later refuses any run
made or finished after the draw, so the judge cannot have seen the audit's labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import metrics
import storage
from storage.team import Design
from words import plural

from ._tasks import assign

MIN_AUDITED_QUERIES = 10
"""Fewer audited queries than this and the normal intervals of the estimates are not to be
trusted (bench/ppi_coverage.py measures their coverage from 10 up)."""

_FINISHED = (storage.RunStatus.DONE, storage.RunStatus.IMPORTED)


@dataclass(frozen=True)
class AuditPlan:
    """A new audit: `size` queries of `dataset` drawn by `design` with `seed`, reviewed by
    `reviewers` (blind by default); `run_id` is the judge run it reads (default: the
    dataset's newest finished one; an active draw needs one with grade probabilities)."""

    dataset: str
    name: str
    size: int
    reviewers: tuple[str, ...]
    design: Design = Design.UNIFORM
    seed: int = 0
    run_id: int | None = None
    blind: bool = True
    author: str | None = None


@dataclass(frozen=True)
class CreatedAudit:
    task_id: int
    name: str
    design: Design
    queries: int
    population: int
    pairs: int
    run_id: int | None
    reviewers: tuple[str, ...]

    @property
    def summary(self) -> str:
        judge = "" if self.run_id is None else f", judge run #{self.run_id} fixed before it"
        return (
            f"Audit task {self.task_id} “{self.name}”: {plural(self.queries, 'query')} of "
            f"{self.population:,} drawn {self.design}ly ({plural(self.pairs, 'pair')}{judge}), "
            f"assigned to {', '.join(self.reviewers)}"
        )


def finished_run(store: storage.Store, dataset: str, run_id: int | None) -> int | None:
    """`run_id` when it is a finished run of `dataset`, else the newest finished run (None
    when there is none)."""
    if run_id is not None:
        run = storage.get_run(store, run_id)
        if run.dataset != dataset:
            raise storage.NotFoundError(f"dataset {dataset!r} has no judge run {run_id}")
        if run.status not in _FINISHED:
            raise storage.StoreError(
                f"judge run #{run_id} is {run.status}: an audit reads a finished run, fixed "
                "before the draw; let it finish first"
            )
        return run_id
    runs = storage.list_runs(store, dataset)
    done = runs[runs["status"].isin([str(s) for s in _FINISHED])]
    return None if done.empty else int(done["run_id"].iloc[0])


def _probabilities(errors: pd.DataFrame, plan: AuditPlan, run_id: int | None) -> np.ndarray:
    if plan.design is Design.UNIFORM:
        return metrics.inclusion_probabilities(None, plan.size, population=len(errors))
    if run_id is None:
        raise storage.StoreError(
            f"an active audit reads a judge run's grade probabilities and {plan.dataset!r} "
            "has no finished run: judge it first, or draw uniformly"
        )
    missing = errors[errors["expected_error"].isna()]
    if len(missing):
        raise storage.StoreError(
            f"judge run #{run_id} gives no grade probabilities on every pair of "
            f"{plural(len(missing), 'query')} (e.g. {missing['query_id'].iloc[0]!r}): an "
            "active audit draws by them; judge with logprob scoring, or draw uniformly"
        )
    return metrics.inclusion_probabilities(errors["expected_error"].to_numpy(float), plan.size)


def create_audit(db: str | Path, plan: AuditPlan) -> CreatedAudit:
    """Draw the plan's queries, give their pairs to the reviewers (query by query, in draw
    order) and store the task with its design."""
    if plan.size < MIN_AUDITED_QUERIES:
        raise storage.StoreError(
            f"an audit draws at least {MIN_AUDITED_QUERIES} queries (its intervals need "
            f"them), got {plan.size}"
        )
    with storage.session(db) as store:
        run_id = finished_run(store, plan.dataset, plan.run_id)
        errors = storage.team.query_errors(store, plan.dataset, run_id)
        if plan.size > len(errors):
            raise storage.StoreError(
                f"{plan.dataset!r} has {plural(len(errors), 'query')} with pairs: an audit "
                f"cannot draw {plan.size}"
            )
        pi = _probabilities(errors, plan, run_id)
        order = metrics.systematic_draw(pi, np.random.default_rng(plan.seed))
        drawn_ids = errors["query_id"].iloc[order].tolist()
        pairs = storage.team.pairs_of_queries(store, plan.dataset, drawn_ids)
        rank = {q: i for i, q in enumerate(drawn_ids)}
        pairs = pairs.assign(rank=pairs["query_id"].map(rank)).sort_values(["rank", "pair_id"])
        items = assign(pairs["pair_id"].tolist(), plan.reviewers, overlap=0.0, seed=plan.seed)
        population = errors.assign(
            inclusion_probability=pi, drawn=errors["query_id"].isin(set(drawn_ids))
        )
        task_id = storage.team.create_task(
            store,
            plan.dataset,
            plan.name,
            pair_set=storage.team.PairSet(storage.team.PairSetKind.QUERIES, ids=tuple(drawn_ids)),
            strategy=storage.team.Strategy.RANDOM,
            items=items,
            overlap=0.0,
            blind=plan.blind,
            seed=plan.seed,
            run_id=run_id,
            author=plan.author,
            audit=storage.team.AuditSpec(plan.design, plan.seed, run_id, plan.size, population),
        )
    return CreatedAudit(
        task_id=task_id,
        name=plan.name.strip(),
        design=plan.design,
        queries=len(drawn_ids),
        population=len(errors),
        pairs=len(pairs),
        run_id=run_id,
        reviewers=tuple(dict.fromkeys(r for _, r, _ in items)),
    )
