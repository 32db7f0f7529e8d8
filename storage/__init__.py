"""The store: one DuckDB file holding datasets, labels with their history, and judge runs.

Every public function takes the store first: the file's path, or the `Store` that
`session(db)` yields, which holds one connection for a unit of work (a script rerun, a
command, a batch of judgments). Inside `with session(db):`, a function given the same path
uses the session's connection too. Connections are short-lived, so the app and the CLI can
share one file. Nothing here calls a model.

This module is the core's surface: opening the store, datasets, pairs, labels, judge runs,
browsing and search, the check, rename and delete, the errors. Each sub-room has its own
surface and callers name it: importers (`storage.importers.import_wands`), ranking runs
(`storage.rankings`), pairwise runs and preferences (`storage.pairwise`), team review
(`storage.team`: tasks, queues, adjudication, guidelines, who may write) and training data
(`storage.training`: splits, curation, the export-format registry, validation). A sub-room
builds on the core's modules; nothing imports another room's private module
(tests/test_surface.py walks every import).
"""

from grade_scale import WANDS_SCALE, Scale, ScaleError

from . import importers, pairwise, rankings, team, training
from ._batches import (
    RunBatch,
    latest_run_batch,
    record_run_batch,
    run_scope_pair_ids,
    update_run_batch,
)
from ._browse import (
    CellPage,
    PairFilters,
    cell_pair_ids,
    confusion_cell_pairs,
    confusion_counts,
    data_version,
    label_distribution,
    pair_choices,
    query_classes,
    stale_pair_ids,
    write_version,
)
from ._card import CardJudgment, ReviewCard, review_card
from ._check import CheckProblem, CheckReport, check_store, probe_tables
from ._datasets import (
    DatasetStats,
    SplitCounts,
    dataset_names,
    dataset_scale,
    dataset_stats,
    list_datasets,
)
from ._db import DEFAULT_STORE, Db, connect, released, schema_version, transaction
from ._errors import (
    MESSAGE_LIMIT,
    ImportFormatError,
    NotFoundError,
    StoreError,
    StoreIOError,
    StoreLockedError,
    StoreOpenError,
    shorten,
)
from ._labels import (
    CurrentLabel,
    current_label,
    label_history,
    rater_labels,
    record_review,
    undo_last_review,
)
from ._manage import (
    Footprint,
    dataset_footprint,
    delete_dataset,
    delete_run,
    list_all_runs,
    rename_dataset,
    rename_run,
    run_footprint,
    why_run_cannot_be_deleted,
)
from ._owned import GLOBAL, OWNED, Owned
from ._pairs import DOCUMENT_FIELDS, pairs_for_judging, run_labels
from ._queue import StoreWait, on_store_wait
from ._reviewed import reviewers
from ._rubrics import StoredRubric, current_rubric, rubric_history, save_rubric, top_grade_pairs
from ._runs import (
    JUDGMENT_COLUMNS,
    Run,
    RunRecord,
    RunTally,
    create_run,
    endpoint_counts,
    finish_run,
    get_run,
    judged_pair_ids,
    list_runs,
    record_judgments,
    reopen_run,
    run_judgments,
    run_tallies,
)
from ._sample import SAMPLE_DATASET, bootstrap_sample
from ._search import pair_dataset, query_choices, query_pairs, search_pair_ids, search_pairs
from ._speed import Speed, measured_speed
from ._store import Store, session
from ._vocab import RESUMABLE, RunKind, RunStatus, Split
from ._warm import KEEP_WARM_S, keep_warm

__all__ = [
    "DEFAULT_STORE",
    "DOCUMENT_FIELDS",
    "GLOBAL",
    "JUDGMENT_COLUMNS",
    "KEEP_WARM_S",
    "MESSAGE_LIMIT",
    "OWNED",
    "RESUMABLE",
    "SAMPLE_DATASET",
    "WANDS_SCALE",
    "CardJudgment",
    "CellPage",
    "CheckProblem",
    "CheckReport",
    "CurrentLabel",
    "DatasetStats",
    "Db",
    "Footprint",
    "ImportFormatError",
    "NotFoundError",
    "Owned",
    "PairFilters",
    "ReviewCard",
    "Run",
    "RunBatch",
    "RunKind",
    "RunRecord",
    "RunStatus",
    "RunTally",
    "Scale",
    "ScaleError",
    "Speed",
    "Split",
    "SplitCounts",
    "Store",
    "StoreError",
    "StoreIOError",
    "StoreLockedError",
    "StoreOpenError",
    "StoreWait",
    "StoredRubric",
    "bootstrap_sample",
    "cell_pair_ids",
    "check_store",
    "confusion_cell_pairs",
    "confusion_counts",
    "connect",
    "create_run",
    "current_label",
    "current_rubric",
    "data_version",
    "dataset_footprint",
    "dataset_names",
    "dataset_scale",
    "dataset_stats",
    "delete_dataset",
    "delete_run",
    "endpoint_counts",
    "finish_run",
    "get_run",
    "importers",
    "judged_pair_ids",
    "keep_warm",
    "label_distribution",
    "label_history",
    "latest_run_batch",
    "list_all_runs",
    "list_datasets",
    "list_runs",
    "measured_speed",
    "on_store_wait",
    "pair_choices",
    "pair_dataset",
    "pairs_for_judging",
    "pairwise",
    "probe_tables",
    "query_choices",
    "query_classes",
    "query_pairs",
    "rankings",
    "rater_labels",
    "record_judgments",
    "record_review",
    "record_run_batch",
    "released",
    "rename_dataset",
    "rename_run",
    "reopen_run",
    "review_card",
    "reviewers",
    "rubric_history",
    "run_footprint",
    "run_judgments",
    "run_labels",
    "run_scope_pair_ids",
    "run_tallies",
    "save_rubric",
    "schema_version",
    "search_pair_ids",
    "search_pairs",
    "session",
    "shorten",
    "stale_pair_ids",
    "team",
    "top_grade_pairs",
    "training",
    "transaction",
    "undo_last_review",
    "update_run_batch",
    "why_run_cannot_be_deleted",
    "write_version",
]
