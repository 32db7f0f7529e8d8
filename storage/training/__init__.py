"""Training data: from labelled pairs to fine-tuning files a judge can learn from.

Splits by query (a held-out benchmark, train and validation), one set of curation rules
(`Curation`: cap per query, label rebalancing, validation share) shared by the split recipe
and the export, the JSONL record formats (each declared once in `EXPORT_FORMATS`,
`_registry.py`; how to add one: `README.md` here), the export with its manifest in a folder
replaced whole, and the seed's checks on a written file. Mostly pure pandas; the store is
read and written only by the split and export entry points.

It renders no prompt and spells no answer line: those are the judge's, handed in as a
`JudgeText` by `jobs.export_training`, the function a page or the CLI calls.
"""

from ._curate import Curation
from ._export import ExportPlan, ExportResult, plan_export, write_export
from ._export_curate import LEFT_OUT, split_words
from ._folder import export_folder, export_paths, read_manifest
from ._formats import JudgeText, TrainingFormat
from ._pairwise import PairwiseExportResult, PairwiseJudgeText, write_pairwise_export
from ._registry import (
    EITHER_STYLE,
    EXPORT_FORMATS,
    PAIRWISE_PREFERENCE,
    TRAINING_FORMATS,
    Answer,
    ExportFormat,
    export_format,
)
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
    "EXPORT_FORMATS",
    "LEFT_OUT",
    "PAIRWISE_PREFERENCE",
    "SELECTION_KINDS",
    "TRAINING_FORMATS",
    "Answer",
    "BenchmarkRecipe",
    "Curation",
    "ExportFormat",
    "ExportPlan",
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
    "export_folder",
    "export_format",
    "export_paths",
    "plan_benchmark",
    "plan_export",
    "plan_training",
    "read_manifest",
    "selected_dataset",
    "selection_count",
    "split_benchmark",
    "split_training",
    "split_warnings",
    "split_words",
    "validate_export_folder",
    "validate_training_file",
    "write_export",
    "write_pairwise_export",
]
