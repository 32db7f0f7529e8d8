"""Which pairs a review task takes: a pair set (every pair, a split, a confusion cell of a
run, a list of queries, or pair ids found by a search or filter), ordered by a strategy,
the first `size` kept. One query, so a task drawn from a million judgments costs one scan.

Strategies, each over the pairs of the set (ties broken by a seeded shuffle):

- `severe`: the pairs where the judge disagrees with the human label, the severe ones first
  (human at the top of the scale, judge at the bottom, or the reverse), then by distance.
- `confident`: disagreements ordered by the judge's confidence times the grade distance: the
  judge is sure and far off.
- `uncertainty`: judged pairs by the entropy of the run's grade probabilities, highest first
  (active learning: where the judge knows least).
- `stratified`: by query class, taking one pair of each class in turn.
- `random`: a seeded shuffle.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .._db import Db, connect
from .._errors import StoreError


class Strategy(StrEnum):
    """How a task orders its pair set before taking the first `size` pairs."""

    SEVERE = "severe"
    CONFIDENT = "confident"
    UNCERTAINTY = "uncertainty"
    STRATIFIED = "stratified"
    RANDOM = "random"

    @property
    def needs_run(self) -> bool:
        return self in (Strategy.SEVERE, Strategy.CONFIDENT, Strategy.UNCERTAINTY)


class PairSetKind(StrEnum):
    ALL = "all"
    SPLIT = "split"
    CELL = "cell"  # value "human_judge", e.g. "2_0", over the task's run
    QUERIES = "queries"  # ids: the query ids
    PAIRS = "pairs"  # ids: pair ids (a search or filter's result); value says which


@dataclass(frozen=True)
class PairSet:
    """The pairs a task is drawn from. `spec` is how the task records it."""

    kind: PairSetKind = PairSetKind.ALL
    value: str = ""
    ids: tuple[str | int, ...] = ()

    @property
    def spec(self) -> str:
        if self.kind is PairSetKind.QUERIES:
            return f"queries:{','.join(map(str, self.ids))}"
        if self.kind is PairSetKind.PAIRS:
            return f"pairs:{self.value or len(self.ids)}"
        return self.kind.value if not self.value else f"{self.kind}:{self.value}"


_ORDER = {
    Strategy.SEVERE: (
        "human IS NOT NULL AND judged IS NOT NULL AND human <> judged",
        "((human = $top AND judged = $bottom) OR (human = $bottom AND judged = $top)) DESC, "
        "abs(human - judged) DESC, shuffle",
    ),
    Strategy.CONFIDENT: (
        "human IS NOT NULL AND judged IS NOT NULL AND human <> judged",
        "coalesce(confidence, 0) * abs(human - judged) DESC, shuffle",
    ),
    Strategy.UNCERTAINTY: (
        "probs IS NOT NULL",
        "list_sum(list_transform(probs, lambda p: CASE WHEN p > 0 THEN -p * ln(p) ELSE 0 END)) "
        "DESC, shuffle",
    ),
    Strategy.STRATIFIED: (
        "true",
        "row_number() OVER (PARTITION BY query_class ORDER BY shuffle), query_class, shuffle",
    ),
    Strategy.RANDOM: ("true", "shuffle"),
}


def _filter(pair_set: PairSet) -> str:
    if pair_set.kind is PairSetKind.ALL:
        return "true"
    if pair_set.kind is PairSetKind.SPLIT:
        return "p.split = $value"
    if pair_set.kind is PairSetKind.CELL:
        return "h.grade = $human AND j.grade = $judge"
    if pair_set.kind is PairSetKind.QUERIES:
        return "list_contains($ids, p.query_id)"
    return "list_contains($ids, p.pair_id)"


def _needs(strategy: Strategy, pair_set: PairSet) -> tuple[bool, bool, bool]:
    """Whether the draw reads (query classes, human labels, judgments): each join it can
    leave out is a scan of a million rows less."""
    cell = pair_set.kind is PairSetKind.CELL
    return (
        strategy is Strategy.STRATIFIED,
        cell or strategy in (Strategy.SEVERE, Strategy.CONFIDENT),
        cell or strategy.needs_run,
    )


def _columns(strategy: Strategy, pair_set: PairSet) -> str:
    classes, humans, judged = _needs(strategy, pair_set)
    return ", ".join(
        [
            "q.query_class" if classes else "NULL AS query_class",
            "h.grade AS human" if humans else "NULL AS human",
            "j.grade AS judged, j.probs, j.confidence"
            if judged
            else "NULL AS judged, NULL AS probs, NULL AS confidence",
        ]
    )


def _joins(strategy: Strategy, pair_set: PairSet) -> str:
    classes, humans, judged = _needs(strategy, pair_set)
    joins = []
    if classes:
        joins.append("LEFT JOIN queries q ON q.dataset = p.dataset AND q.query_id = p.query_id")
    if humans:
        joins.append("LEFT JOIN current_labels h ON h.pair_id = p.pair_id")
    if judged:
        joins.append("LEFT JOIN judgments j ON j.run_id = $run AND j.pair_id = p.pair_id")
    return " ".join(joins)


def draw_pairs(
    db: Db,
    dataset: str,
    pair_set: PairSet,
    strategy: Strategy,
    *,
    size: int | None,
    seed: int = 0,
    run_id: int | None = None,
) -> list[int]:
    """The pair ids of `pair_set` in `dataset` that `strategy` puts first, at most `size`
    (None: all of them), best first. A cell or a judge-based strategy needs `run_id`."""
    if run_id is None and (strategy.needs_run or pair_set.kind is PairSetKind.CELL):
        raise StoreError(f"the {strategy} strategy and a confusion cell need a run: give one")
    where, order = _ORDER[strategy]
    params: dict[str, object] = {"dataset": dataset, "run": run_id, "seed": seed}
    if pair_set.kind is PairSetKind.CELL:
        human, _, judged = pair_set.value.partition("_")
        try:
            params |= {"human": int(human), "judge": int(judged)}
        except ValueError:
            raise StoreError(
                f"a cell is HUMAN_JUDGE, two grades like 2_0, got {pair_set.value!r}"
            ) from None
    elif pair_set.kind is PairSetKind.SPLIT:
        params["value"] = pair_set.value
    elif pair_set.kind in (PairSetKind.QUERIES, PairSetKind.PAIRS):
        params["ids"] = list(pair_set.ids)
    with connect(db) as con:
        scale = con.execute("SELECT grades FROM datasets WHERE dataset = ?", [dataset]).fetchone()
        if scale is None:
            raise StoreError(f"dataset {dataset!r} does not exist")
        params |= {"top": max(scale[0]), "bottom": min(scale[0])}
        if size is not None:
            params["size"] = size
        sql = f"""
            WITH scored AS (
                SELECT p.pair_id, {_columns(strategy, pair_set)}, hash(p.pair_id, $seed) AS shuffle
                FROM pairs p {_joins(strategy, pair_set)}
                WHERE p.dataset = $dataset AND {_filter(pair_set)}
            )
            SELECT pair_id FROM scored WHERE {where} ORDER BY {order}
            {"" if size is None else "LIMIT $size"}
        """
        # DuckDB refuses a named parameter the statement does not use.
        rows = con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql}).fetchall()
    return [int(p) for (p,) in rows]
