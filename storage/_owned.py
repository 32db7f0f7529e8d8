"""What a dataset owns: for every table of the schema, how its rows are reached from their
dataset, declared once, beside the schema.

A table is either global (`GLOBAL`: the store's own rows, no dataset's) or owned (`OWNED`).
An owned row belongs to a dataset through its *links*: a column naming the dataset
(`dataset`), or a column naming a row of another owned table that belongs to it (a pair, a
run, a task, a ranking run, a relabel batch). A row with several links belongs to the
dataset any of them leads to; a link whose row is gone leaves an orphan, which `check`
names. A column that names another row without making this one belong to it is *loose*:
it may outlive that row (a review task drawn from a run that was deleted since). A column
naming a run of either kind, graded or pairwise (their ids come from one sequence), is its
`run` column: the row goes with that run when the run is deleted, and outlives nothing.

Everything that must treat a dataset's rows as one set reads this declaration and nothing
else: delete (children before parents), rename (every `dataset` link is rewritten), the
delete footprint and its words, and `check` (the tables it reads per schema version, its
orphan rules). The tests' snapshot reads DuckDB's catalog, and a test walks that catalog so
a table or id column that declares nothing here fails it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

ROOT = "datasets"
ROOT_KEY = "dataset"


@dataclass(frozen=True)
class Owned:
    """One owned table: the migration that added it, the column other tables link to it by
    (`key`), its links as (column, parent table), its loose id columns, the column naming a
    run of either kind it goes with (`run`), and its rows in words (singular, plural), or
    None when a delete's words leave them out."""

    table: str
    since: int
    links: tuple[tuple[str, str], ...]
    noun: tuple[str, str] | None
    key: str | None = None
    loose: tuple[str, ...] = ()
    run: str | None = None


_BY_DATASET = ((ROOT_KEY, ROOT),)
_RUN_TABLES = ("judge_runs", "pairwise_runs")

# In the order a delete's words list them.
OWNED: tuple[Owned, ...] = (
    # The dataset itself, named in every delete's words, so not counted in them.
    Owned(ROOT, 1, (), None, key=ROOT_KEY),
    Owned("queries", 1, _BY_DATASET, ("query", "queries")),
    Owned("documents", 1, _BY_DATASET, ("document", "documents")),
    Owned("pairs", 1, _BY_DATASET, ("pair", "pairs"), key="pair_id"),
    Owned(
        "label_events",
        1,
        (("pair_id", "pairs"), ("batch_id", "relabel_batches"), ("task_id", "review_tasks")),
        ("label event", "label events"),
    ),
    # A cache of label_events, one row per labelled pair: the events are what the words count.
    Owned("current_labels", 1, (("pair_id", "pairs"),), None),
    Owned("judge_runs", 1, _BY_DATASET, ("judge run", "judge runs"), key="run_id"),
    Owned(
        "judgments",
        1,
        (("run_id", "judge_runs"), ("pair_id", "pairs"), ("reference_pair_id", "pairs")),
        ("judgment", "judgments"),
    ),
    Owned("pairwise_runs", 6, _BY_DATASET, ("pairwise run", "pairwise runs"), key="run_id"),
    Owned(
        "pairwise_judgments",
        6,
        (("run_id", "pairwise_runs"), ("first_pair_id", "pairs"), ("second_pair_id", "pairs")),
        ("pairwise verdict", "pairwise verdicts"),
    ),
    Owned(
        "preference_events",
        6,
        (("pair_a", "pairs"), ("pair_b", "pairs")),
        ("preference event", "preference events"),
    ),
    Owned("rankings", 5, _BY_DATASET, ("ranking run", "ranking runs"), key="ranking_id"),
    Owned(
        "ranked_documents",
        5,
        (("ranking_id", "rankings"),),
        ("ranked document", "ranked documents"),
    ),
    # Marks on pairs that pooling added: the pairs themselves are counted.
    Owned("pooled_pairs", 5, (*_BY_DATASET, ("pair_id", "pairs")), None),
    # A batch's judge run may be deleted once the batch is undone: the batch stays as the
    # history of its label events.
    Owned(
        "relabel_batches",
        5,
        _BY_DATASET,
        ("relabel batch", "relabel batches"),
        key="batch_id",
        loose=("run_id",),
    ),
    Owned("reviewers", 7, _BY_DATASET, ("allowed reviewer", "allowed reviewers")),
    # A task keeps the run it was drawn from by id only: deleting the run leaves the task.
    Owned(
        "review_tasks",
        7,
        _BY_DATASET,
        ("review task", "review tasks"),
        key="task_id",
        loose=("run_id",),
    ),
    Owned(
        "task_items",
        7,
        (("task_id", "review_tasks"), ("pair_id", "pairs")),
        ("task item", "task items"),
    ),
    Owned("guidelines", 7, _BY_DATASET, ("guideline version", "guideline versions")),
    Owned("rubrics", 8, _BY_DATASET, ("rubric version", "rubric versions")),
    # The dataset's owner and adjudicators.
    Owned("team_roles", 11, _BY_DATASET, ("team role", "team roles")),
    # A run's batch jobs on the OpenAI Batch API; the run (graded or pairwise) by id only.
    Owned("run_batches", 14, _BY_DATASET, ("batch job", "batch jobs"), run="run_id"),
    # An audit task's design (migration 15): the judge run it read is
    # kept by id only, as a task's run is.
    Owned("audit_draws", 15, (("task_id", "review_tasks"),), None, loose=("run_id",)),
    # Every query of the population at draw time, with its inclusion probability.
    Owned("audit_queries", 15, (("task_id", "review_tasks"),), ("audit query", "audit queries")),
)

# Tables that hold no dataset's rows, and the migration that added them.
GLOBAL: dict[str, int] = {
    "meta": 1,  # the schema version
    "repairs": 10,  # what bringing the store forward removed or moved, for `check` to say
}

OWNED_BY_TABLE: dict[str, Owned] = {o.table: o for o in OWNED}


def tables_at(version: int) -> tuple[str, ...]:
    """Every table a store at schema `version` has: owned ones in declaration order, then
    global ones."""
    return tuple(
        [o.table for o in OWNED if o.since <= version]
        + [t for t, since in GLOBAL.items() if since <= version]
    )


def renamed_columns() -> tuple[tuple[str, str], ...]:
    """(table, column) of every column that names a dataset: what a rename rewrites."""
    return ((ROOT, ROOT_KEY),) + tuple(
        (o.table, column) for o in OWNED for column, parent in o.links if parent == ROOT
    )


def _members(table: str, root: str, param: str, seen: frozenset[str]) -> str | None:
    """A condition on `table`'s rows: they belong to the row of `root` whose key is the
    parameter `$param` (None when no link leads there)."""
    if table == root:
        return f"{OWNED_BY_TABLE[root].key} = ${param}"
    tests = []
    owned = OWNED_BY_TABLE[table]
    if owned.run is not None and root in _RUN_TABLES:
        tests.append(f"{owned.run} = ${param}")
    for column, parent in owned.links:
        if parent == root:
            tests.append(f"{column} = ${param}")  # no subquery: DuckDB skips row groups
        elif parent not in seen:
            inner = _members(parent, root, param, seen | {parent})
            if inner is not None:
                key = OWNED_BY_TABLE[parent].key
                tests.append(f"{column} IN (SELECT {key} FROM {parent} WHERE {inner})")
    return " OR ".join(tests) or None


@cache
def rows_under(root: str, param: str) -> dict[str, str]:
    """Every row that belongs to the row of `root` whose key is the parameter `$param`
    (a dataset, a run): table -> condition, children before parents, so deleting in this
    order never leaves a row whose parent went first."""
    found = {}
    for owned in OWNED:
        condition = _members(owned.table, root, param, frozenset({owned.table}))
        if condition is not None:
            found[owned.table] = condition
    return {table: found[table] for table in _children_first() if table in found}


@cache
def _children_first() -> tuple[str, ...]:
    order: list[str] = []

    def visit(table: str) -> None:
        if table in order:
            return
        for child in OWNED:
            if any(parent == table for _, parent in child.links) and child.table != table:
                visit(child.table)
        order.append(table)

    for owned in OWNED:
        visit(owned.table)
    return tuple(order)
