"""The store: one DuckDB file holding datasets, labels with their history, and judge runs.

Every public function takes the store first: the file's path, or a `Store` from
`session(db)`, which holds one connection for a unit of work (a script rerun, a command, a
batch of judgments) and has the same functions as methods. Inside `with session(db):`, a
function given the same path uses the session's connection too. Connections are short-lived,
so the app and the CLI can share one file. Nothing here calls a model.

Importers (`storage.importers`) and training data are rooms of their own; what callers use
of them is re-exported here.
"""

from grade_scale import WANDS_SCALE, Scale, ScaleError

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
)
from ._card import CardJudgment, ReviewCard, review_card
from ._check import CheckProblem, CheckReport, check_store
from ._datasets import DatasetStats, SplitCounts, dataset_scale, dataset_stats, list_datasets
from ._db import Db, connect, released, schema_version, transaction
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
from ._export import ExportResult, export_paths, export_training
from ._export_curate import Curation
from ._export_select import SELECTION_KINDS, Selection, selection_count
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
    rename_dataset,
    rename_run,
    run_footprint,
)
from ._pairs import DOCUMENT_FIELDS, pairs_for_judging, run_labels
from ._queue import StoreWait, on_store_wait
from ._reviewed import reviewers
from ._runs import (
    JUDGMENT_COLUMNS,
    Run,
    RunTally,
    create_run,
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
from ._split_warnings import split_warnings
from ._splits import (
    BenchmarkRecipe,
    SplitPlan,
    SplitReport,
    TrainingRecipe,
    plan_benchmark,
    plan_training,
    split_benchmark,
    split_training,
)
from ._store import Store, session
from ._training_formats import TRAINING_FORMATS, TrainingFormat
from ._validate_training import ValidationProblem, ValidationReport, validate_training_file
from ._vocab import RunStatus, Split
from .importers import (
    ColumnMap,
    ImportSummary,
    import_instruction_jsonl,
    import_judgement_ai,
    import_table,
    import_trec,
    import_wands,
    parse_label_map,
    query_id_for,
)

__all__ = [
    "Db",
    "Store",
    "session",
    "released",
    "DatasetStats",
    "CardJudgment",
    "CurrentLabel",
    "ReviewCard",
    "Run",
    "RunStatus",
    "Split",
    "reopen_run",
    "SplitCounts",
    "ScaleError",
    "Curation",
    "ExportResult",
    "SELECTION_KINDS",
    "Selection",
    "TRAINING_FORMATS",
    "TrainingFormat",
    "ValidationProblem",
    "ValidationReport",
    "export_paths",
    "export_training",
    "validate_training_file",
    "CellPage",
    "PairFilters",
    "cell_pair_ids",
    "confusion_cell_pairs",
    "confusion_counts",
    "data_version",
    "label_distribution",
    "pair_choices",
    "query_classes",
    "review_card",
    "stale_pair_ids",
    "pair_dataset",
    "query_choices",
    "query_pairs",
    "reviewers",
    "search_pair_ids",
    "search_pairs",
    "Footprint",
    "dataset_footprint",
    "delete_dataset",
    "delete_run",
    "rename_dataset",
    "rename_run",
    "run_footprint",
    "selection_count",
    "split_warnings",
    "BenchmarkRecipe",
    "CheckProblem",
    "CheckReport",
    "ColumnMap",
    "DOCUMENT_FIELDS",
    "ImportFormatError",
    "ImportSummary",
    "JUDGMENT_COLUMNS",
    "MESSAGE_LIMIT",
    "NotFoundError",
    "RunTally",
    "SAMPLE_DATASET",
    "Scale",
    "SplitPlan",
    "SplitReport",
    "StoreError",
    "StoreIOError",
    "StoreLockedError",
    "StoreOpenError",
    "StoreWait",
    "TrainingRecipe",
    "WANDS_SCALE",
    "bootstrap_sample",
    "check_store",
    "connect",
    "create_run",
    "current_label",
    "dataset_scale",
    "dataset_stats",
    "finish_run",
    "get_run",
    "import_instruction_jsonl",
    "import_judgement_ai",
    "import_table",
    "import_trec",
    "import_wands",
    "judged_pair_ids",
    "label_history",
    "list_datasets",
    "list_runs",
    "on_store_wait",
    "pairs_for_judging",
    "parse_label_map",
    "plan_benchmark",
    "plan_training",
    "query_id_for",
    "record_judgments",
    "rater_labels",
    "record_review",
    "run_judgments",
    "run_labels",
    "run_tallies",
    "schema_version",
    "shorten",
    "split_benchmark",
    "split_training",
    "transaction",
    "undo_last_review",
]
