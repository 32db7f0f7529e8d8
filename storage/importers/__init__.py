"""Importers: labelled pairs from files into the store, all or nothing.

Each format (a WANDS folder, any table through a column mapping, TREC qrels, instruction
JSONL, judgement-ai results) reads its file(s) into one normalised batch; every batch is
checked against the rules no format may break, then written in one transaction, so a bad
file changes nothing and the same file imported twice changes nothing the second time. An
error names the file, the line and the column. A table's mapping is suggested from its
header (`suggest_mapping`, from the one list of headers we read, `HEADERS`) and previewed
before it imports (`preview_table`).
"""

from ._batch import ImportSummary
from ._columns import HEADERS, REQUIRED, MappingSuggestion, suggest_mapping
from ._instruction import import_instruction_jsonl
from ._judgement_ai import UNKNOWN_PAIRS, failures_beside, import_judgement_ai, parse_scale_map
from ._preview import TablePreview, preview_table
from ._read import SourceTable, first_row, read_fields, read_table
from ._table import ColumnMap, ExtraColumns, import_table, parse_label_map, query_id_for
from ._trec import import_trec
from ._wands import import_wands

__all__ = [
    "HEADERS",
    "REQUIRED",
    "UNKNOWN_PAIRS",
    "ColumnMap",
    "ExtraColumns",
    "ImportSummary",
    "MappingSuggestion",
    "SourceTable",
    "TablePreview",
    "failures_beside",
    "first_row",
    "import_instruction_jsonl",
    "import_judgement_ai",
    "import_table",
    "import_trec",
    "import_wands",
    "parse_label_map",
    "parse_scale_map",
    "preview_table",
    "query_id_for",
    "read_fields",
    "read_table",
    "suggest_mapping",
]
