"""Training data: from labelled pairs to fine-tuning files a judge can learn from.

Splits by query (a held-out benchmark, train and validation), one set of curation rules
(`Curation`: cap per query, label rebalancing, validation share) shared by the split recipe
and the export, the JSONL record formats, the export with its manifest, and the seed's
checks on a written file. Mostly pure pandas; the store is read and written only by the
split and export entry points.

It renders no prompt and spells no answer line: those are the judge's, handed in as a
`JudgeText` by `jobs.export_training`, the function a page or the CLI calls.
"""

from ._curate import Curation
from ._export import ExportResult, export_paths, write_export
from ._formats import (
    EITHER_STYLE,
    PAIRWISE_PREFERENCE,
    TRAINING_FORMATS,
    JudgeText,
    TrainingFormat,
)
from ._pairwise import PairwiseExportResult, PairwiseJudgeText, write_pairwise_export
from ._select import SELECTION_KINDS, Selection, SelectionKind, selected_dataset, selection_count
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
from ._validate import (
    ValidationProblem,
    ValidationReport,
    validate_export_folder,
    validate_training_file,
)

__all__ = [
    "EITHER_STYLE",
    "PAIRWISE_PREFERENCE",
    "SELECTION_KINDS",
    "TRAINING_FORMATS",
    "BenchmarkRecipe",
    "Curation",
    "ExportResult",
    "JudgeText",
    "PairwiseExportResult",
    "PairwiseJudgeText",
    "Selection",
    "SelectionKind",
    "SplitPlan",
    "SplitReport",
    "TrainingFormat",
    "TrainingRecipe",
    "ValidationProblem",
    "ValidationReport",
    "export_paths",
    "plan_benchmark",
    "plan_training",
    "selected_dataset",
    "selection_count",
    "split_benchmark",
    "split_training",
    "split_warnings",
    "validate_export_folder",
    "validate_training_file",
    "write_export",
    "write_pairwise_export",
]
