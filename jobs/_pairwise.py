"""Pairwise runs: plan comparisons from the labels, judge them in both orders, record every
verdict, and report the pairwise measures; the side-by-side card a reviewer decides on.

The judge compares, the store keeps, the metrics measure; they meet here. Verdicts are
written in batches, each batch in one store session, so a reviewer can label while a run
judges and a killed run resumes where it stopped (`resume_pairwise`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import judge
import metrics
import storage
from words import plural

from ._judging import PAIRWISE, OpenRun, RunControl, record_run

# What a generated verdict (no probabilities) says P(first wins) is: certain, or even for
# a tie; so its debiased preference is 1, 0 or 0.5 as the two orders agree.
_GENERATED_P_FIRST = {"first": 1.0, "second": 0.0, "tie": 0.5}

FIGURE_LABELS = {
    "accuracy": "Accuracy vs human order",
    "tie_rate": "Tie rate (orders)",
    "swap_consistency": "Swap consistency",
    "bias_first": "Bias toward first",
    "bias_second": "Bias toward second",
    "bias_difference": "Bias first - second",
    "score_consistent": "Score-comparison consistent",
    "score_inconsistent": "Score-comparison inconsistent",
    "score_tie": "Score-comparison tie",
    "cycles_per_query": "3-cycles per query",
    "bt_tau": "Bradley-Terry tau vs grades",
}
"""How the pairwise measures are named for people, in the order they are shown."""


@dataclass(frozen=True)
class PairwiseOutcome:
    """The run a pairwise job wrote to, how many comparisons it planned, how it ended
    (the summary counts orders: two per comparison)."""

    run_id: int
    comparisons: int
    summary: judge.RunSummary
    endpoint: judge.EndpointChoice | None = None
    """For a new remote run: the endpoint the probe picked, and why."""
    skipped_queries: int = 0
    """For a cell plan: queries whose targets had no reference to be compared with."""


@dataclass(frozen=True)
class CellTarget:
    """A targeted plan from the review loop: the pairs of one confusion cell of graded run
    `run_id` (humans graded them `human`, the run `judge`), each compared with a product
    the humans graded Exact (the top of the scale) for the same query
    (`judge.plan_references`)."""

    run_id: int
    human: int
    judge: int


def _judge(
    db: str | Path,
    open_run: OpenRun,
    comparisons: list[tuple[dict[str, Any], dict[str, Any]]],
    settings: judge.JudgeSettings,
    control: RunControl,
    skip: set[tuple[int, int]],
) -> tuple[int, judge.RunSummary]:
    def judge_all(
        on_result: Callable[[judge.PairwiseJudgment], None],
    ) -> judge.RunSummary:
        return judge.run_pairwise(
            comparisons,
            settings,
            on_result=on_result,
            on_progress=control.on_progress,
            cancel=control.cancel,
            skip=skip,
            backend=control.backend,
            api_key=control.api_key,
        )

    run_id, summary, _ = record_run(db, open_run, judge_all, PAIRWISE, control.on_run)
    return run_id, summary


def _plan(
    store: storage.Store,
    dataset: str,
    split: storage.Split | None,
    plan: judge.ComparisonPlan,
    max_queries: int | None,
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    pairs = storage.pairs_for_judging(store, dataset, split=split)
    if max_queries is not None:
        keep = sorted({p["query_id"] for p in pairs})[:max_queries]
        pairs = [p for p in pairs if p["query_id"] in keep]
    grades = storage.pairwise.current_grades(store, [p["pair_id"] for p in pairs])
    by_id = {p["pair_id"]: p for p in pairs}
    return [(by_id[a], by_id[b]) for a, b in judge.plan_comparisons(pairs, grades, plan)]


def _plan_cell(
    store: storage.Store, dataset: str, cell: CellTarget, seed: int
) -> tuple[list[tuple[dict[str, Any], dict[str, Any]]], dict[str, Any]]:
    """The comparisons of a cell plan, and what the run records of it."""
    graded = storage.get_run(store, cell.run_id)
    if graded.dataset != dataset:
        raise storage.StoreError(
            f"run {cell.run_id} judges dataset {graded.dataset!r}, not {dataset!r}: pick a "
            "run of the dataset to compare"
        )
    targets = storage.cell_pair_ids(store, cell.run_id, human=cell.human, judge=cell.judge)
    if not targets:
        raise storage.NotFoundError(
            f"run {cell.run_id} has no pair that humans graded {cell.human} and it graded "
            f"{cell.judge}: pick a cell with pairs on the Confusion page"
        )
    pairs = storage.pairs_for_judging(store, dataset)
    by_id = {p["pair_id"]: p for p in pairs}
    queries = {by_id[t]["query_id"] for t in targets}
    near = [p for p in pairs if p["query_id"] in queries]
    grades = storage.pairwise.current_grades(store, [p["pair_id"] for p in near])
    top = max(storage.dataset_scale(store, dataset).grades)
    planned = judge.plan_references(targets, near, grades, reference_grade=top, seed=seed)
    record = {
        "cell": {"run_id": cell.run_id, "human": cell.human, "judge": cell.judge},
        "seed": seed,
        "reference_grade": top,
        "targets": len(targets),
        "skipped_queries": planned.skipped_queries,
        "skipped_targets": planned.skipped_targets,
    }
    return [(by_id[t], by_id[r]) for t, r in planned.comparisons], record


def planned_comparisons(
    db: str | Path,
    *,
    dataset: str,
    plan: judge.ComparisonPlan,
    cell: CellTarget | None = None,
    split: storage.Split | None = None,
    max_queries: int | None = None,
) -> tuple[list[tuple[dict[str, Any], dict[str, Any]]], dict[str, Any]]:
    """The comparisons `judge_pairwise` makes with these arguments, and what its run records
    of the plan; an error when there is nothing to compare."""
    if max_queries is not None and max_queries < 1:
        raise judge.SettingsError(f"max_queries must be at least 1, got {max_queries}")
    plan_record: dict[str, Any] = {
        "per_product": plan.per_product,
        "same_grade_share": plan.same_grade_share,
        "seed": plan.seed,
    }
    with storage.session(db) as store:
        if cell is None:
            comparisons = _plan(store, dataset, split, plan, max_queries)
        else:
            comparisons, plan_record = _plan_cell(store, dataset, cell, plan.seed)
    if cell is not None and not comparisons:
        raise storage.NotFoundError(
            f"none of the {plan_record['targets']} pairs of the cell has another product "
            f"graded Exact for its query ({plural(len(plan_record['skipped_queries']), 'query')} "
            "skipped): grade a reference product Exact, or pick another cell"
        )
    if not comparisons:
        raise storage.NotFoundError(
            f"dataset {dataset!r} has no query with two products to compare"
            + (f" in split {str(split)!r}" if split else "")
        )
    return comparisons, plan_record


def judge_pairwise(
    db: str | Path,
    *,
    dataset: str,
    settings: judge.JudgeSettings,
    plan: judge.ComparisonPlan | None = None,
    cell: CellTarget | None = None,
    split: storage.Split | None = None,
    max_queries: int | None = None,
    name: str | None = None,
    control: RunControl | None = None,
) -> PairwiseOutcome:
    """Plan comparisons over `dataset` (one split, or its first `max_queries` queries by id)
    from the current labels, and judge each in both orders into a new pairwise run.

    With `cell`, the plan is targeted instead (see `CellTarget`; `plan` gives only its seed):
    each comparison is (target, reference), and the run records each target's reference
    (`params["references"]`) and the queries skipped for want of one. The plan (default
    `judge.ComparisonPlan()`) is stored with the run, so a resume judges the same
    comparisons."""
    plan = plan or judge.ComparisonPlan()
    control = control or RunControl()
    comparisons, plan_record = planned_comparisons(
        db, dataset=dataset, plan=plan, cell=cell, split=split, max_queries=max_queries
    )
    judge.validate_pairwise_template(settings.template, comparisons[0][0].keys())
    choice = None
    if settings.spec.remote and control.backend is None:
        # Probed before the run is recorded, as for graded runs: the run records the
        # endpoint it uses, and a server that cannot score leaves no run behind.
        choice = judge.choose_pairwise_settings(settings, *comparisons[0], api_key=control.api_key)
        settings = choice.settings
        if control.on_endpoint is not None:
            control.on_endpoint(choice)

    def create_run(store: storage.Store) -> int:
        provenance = settings.provenance(control.api_key)
        provenance.pop("scale")
        provenance["params"]["comparisons"] = [[a["pair_id"], b["pair_id"]] for a, b in comparisons]
        provenance["params"]["plan"] = plan_record
        if cell is not None:
            # JSON keys are text: the target's pair id, as a string, names its reference.
            provenance["params"]["references"] = {
                str(a["pair_id"]): b["pair_id"] for a, b in comparisons
            }
        model = Path(str(provenance["model"])).name
        aim = (
            "" if cell is None else f" · cell {cell.human},{cell.judge} of #{cell.run_id} vs Exact"
        )
        return storage.pairwise.create_pairwise_run(
            store,
            name=name or f"pairwise · {model} · {provenance['prompt_sha256'][:8]}{aim}",
            dataset=dataset,
            split=split,
            **provenance,
        )

    run_id, summary = _judge(db, create_run, comparisons, settings, control, skip=set())
    skipped = len(plan_record.get("skipped_queries", ()))
    return PairwiseOutcome(run_id, len(comparisons), summary, choice, skipped)


def pairwise_settings(run: storage.RunRecord) -> judge.JudgeSettings:
    """The judge settings a stored pairwise run was made with."""
    names = {f for f in judge.JudgeSettings.__dataclass_fields__}
    params = {k: v for k, v in run.params.items() if k in names}
    return judge.JudgeSettings(
        backend=judge.Backend(run.backend), model=run.model, template=run.prompt_template, **params
    )


def resume_pairwise(
    db: str | Path, run_id: int, *, control: RunControl | None = None
) -> PairwiseOutcome:
    """Judge the orders of `run_id`'s comparisons it has no answer for yet (and its failures)."""
    control = control or RunControl()
    with storage.session(db) as store:
        run = storage.pairwise.get_pairwise_run(store, run_id)
        settings = pairwise_settings(run)
        done = storage.pairwise.judged_orders(store, run_id)
        planned = [tuple(c) for c in run.params.get("comparisons", [])]
        ids = sorted({p for c in planned for p in c})
        by_id = {
            p["pair_id"]: p for p in storage.pairs_for_judging(store, run.dataset, pair_ids=ids)
        }
    comparisons = [(by_id[a], by_id[b]) for a, b in planned if a in by_id and b in by_id]

    def reopen(store: storage.Store) -> int:
        storage.pairwise.reopen_pairwise_run(store, run_id)
        return run_id

    _, summary = _judge(db, reopen, comparisons, settings, control, skip=done)
    return PairwiseOutcome(run_id, len(comparisons), summary)


def _p_first(p_first: Any, winner: Any) -> float:
    if p_first is not None and not pd.isna(p_first):
        return float(p_first)
    if isinstance(winner, str):
        return _GENERATED_P_FIRST[winner]
    return float("nan")


def with_preferences(comparisons: pd.DataFrame) -> pd.DataFrame:
    """The store's comparisons with the judge's debiased ``preference`` (P(a better than
    b), NaN when an order has no answer), ``swap_gap`` (|P(a wins shown first) - P(a wins
    shown second)|), ``verdict`` ('a', 'b' or 'tie') and ``swap_consistent`` (both orders
    name the same product or both a tie)."""
    frame = comparisons.copy()
    ab = [_p_first(p, w) for p, w in zip(frame.p_first_ab, frame.winner_ab)]
    ba = [_p_first(p, w) for p, w in zip(frame.p_first_ba, frame.winner_ba)]
    frame["preference"] = [judge.debiased_preference(x, y) for x, y in zip(ab, ba)]
    # How far apart the two orders are on a: P(a wins shown first) against P(a wins shown
    # second), 0 for a judge that ignores the position.
    frame["swap_gap"] = [abs(x - (1.0 - y)) for x, y in zip(ab, ba)]
    frame["verdict"] = [_verdict(p) for p in frame.preference]
    agreement = metrics.order_agreement(frame.winner_ab, frame.winner_ba)
    frame["swap_consistent"] = np.where(agreement.answered, agreement.consistent, None)
    return frame


def _verdict(preference: float) -> str | None:
    if np.isnan(preference):
        return None
    if abs(preference - 0.5) <= metrics.TIE_TOLERANCE:
        return "tie"
    return "a" if preference > 0.5 else "b"


@dataclass(frozen=True)
class PairwiseReport:
    """A pairwise run's measures with 95% query-bootstrap intervals, its comparisons and
    the cycles among its verdicts."""

    run: storage.RunRecord
    figures: pd.DataFrame
    """Columns metric, label, value, low, high, n (see `metrics.pairwise_figures`); empty
    when the run has no comparison yet."""
    comparisons: pd.DataFrame
    """`storage.pairwise.pairwise_comparisons` with `with_preferences`'s columns."""
    cycles: pd.DataFrame
    """query_id, cycle (three pair ids, x > y > z > x), margin; strongest first."""
    vs_run: int | None = None
    worst: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Comparisons whose two orders disagree, worst first: the largest gap between what the
    two orders say about pair a."""


def pairwise_report(
    db: str | Path, run_id: int, *, vs: int | None = None, n_boot: int = 1000, seed: int = 0
) -> PairwiseReport:
    """The measures of pairwise run `run_id` against the current labels; with `vs`, a graded
    run of the same dataset, the score-comparison consistency against its expected grades."""
    with storage.session(db) as store:
        run = storage.pairwise.get_pairwise_run(store, run_id)
        stored = storage.pairwise.pairwise_comparisons(store, run_id)
        scores: Mapping[int, Any] = {}
        if vs is not None:
            other = storage.get_run(store, vs)
            if other.dataset != run.dataset:
                raise storage.StoreError(
                    f"run {vs} judges dataset {other.dataset!r}, pairwise run {run_id} "
                    f"{run.dataset!r}: compare runs of one dataset"
                )
            scores = {
                pair_id: _score_of(j) for pair_id, j in storage.run_judgments(store, vs).items()
            }
    frame = with_preferences(stored)
    frame["reference"] = _references(run, frame)
    if vs is not None:
        frame["score_a"] = frame.pair_a.map(scores).astype(float)
        frame["score_b"] = frame.pair_b.map(scores).astype(float)
    figures = pd.DataFrame(columns=["metric", "label", "value", "low", "high", "n"])
    if not frame.empty:
        measured = metrics.pairwise_figures(frame, n_boot=n_boot, seed=seed)
        figures = (
            measured.rename(columns={"estimate": "value"})
            .reindex([m for m in FIGURE_LABELS if m in measured.index])
            .rename_axis("metric")
            .reset_index()
        )
        figures.insert(1, "label", figures.metric.map(FIGURE_LABELS))
    cycles = metrics.preference_cycles(
        frame.query_id.astype(str), frame.pair_a, frame.pair_b, frame.preference
    )
    disagree = frame[frame.swap_consistent.eq(False)]
    worst = disagree.sort_values("swap_gap", ascending=False, kind="stable").reset_index(drop=True)
    return PairwiseReport(run, figures, frame, cycles, vs, worst)


def _references(run: storage.RunRecord, frame: pd.DataFrame) -> list[int | None]:
    """Per comparison, the pair a cell plan compared the other with (None: no reference)."""
    refs = {int(t): int(r) for t, r in run.params.get("references", {}).items()}
    return [
        b if refs.get(a) == b else a if refs.get(b) == a else None
        for a, b in zip(frame.pair_a, frame.pair_b)
    ]


def _score_of(judgment: Mapping[str, Any]) -> float | None:
    """A graded run's score of a pair: its expected grade, else its grade."""
    expected = judgment.get("expected_grade")
    if expected is not None and not pd.isna(expected):
        return float(expected)
    grade = judgment.get("grade")
    return None if grade is None or pd.isna(grade) else float(grade)


@dataclass(frozen=True)
class PairwiseCard:
    """Everything the side-by-side card shows for one comparison of a run."""

    run_id: int
    query: str
    pair_a: dict[str, Any]
    pair_b: dict[str, Any]
    comparison: dict[str, Any]
    """The comparison's row of `with_preferences`: both orders' verdicts and probabilities,
    the human grades, the current preference."""
    history: list[dict[str, Any]]
    reference: int | None = None
    """The pair a cell plan compared the other with, a human Exact; None otherwise."""


def pairwise_card(db: str | Path, run_id: int, pair_a: int, pair_b: int) -> PairwiseCard:
    """The card of one comparison of `run_id` (the pairs in either order)."""
    a, b = sorted((int(pair_a), int(pair_b)))
    with storage.session(db) as store:
        run = storage.pairwise.get_pairwise_run(store, run_id)
        frame = with_preferences(storage.pairwise.pairwise_comparisons(store, run_id))
        row = frame[(frame.pair_a == a) & (frame.pair_b == b)]
        if row.empty:
            raise storage.NotFoundError(f"pairwise run {run_id} did not compare pairs {a} and {b}")
        texts = {
            p["pair_id"]: p for p in storage.pairs_for_judging(store, run.dataset, pair_ids=[a, b])
        }
        history = storage.pairwise.preference_history(store, a, b)
    comparison = row.iloc[0].to_dict()
    reference = _references(run, row)[0]
    return PairwiseCard(
        run_id, str(comparison["query"]), texts[a], texts[b], comparison, history, reference
    )
