"""What a table import would do, shown before it runs: the file's columns, where the first
rows' values land under a mapping, and which other columns become document fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .._blind import revealing_name
from ._columns import MappingSuggestion, suggest_mapping
from ._read import SourceTable, read_table
from ._table import ExtraColumns


@dataclass(frozen=True)
class TablePreview:
    """A table file read for the mapping form (see `preview_table`)."""

    table: SourceTable
    rows: int

    @property
    def headers(self) -> list[str]:
        return [str(c) for c in self.table.frame.columns]

    def suggestion(self) -> MappingSuggestion:
        return suggest_mapping(self.headers)

    def landing(self, named: Mapping[str, str]) -> pd.DataFrame:
        """The first rows as they would land: one column per our name (`named`: our name
        -> the file's column), the file's text as it is."""
        head = self.table.frame.head(self.rows)
        return pd.DataFrame(
            {ours: head[theirs] for ours, theirs in named.items() if theirs in head}
        ).reset_index(drop=True)

    def extra_fields(self, named: Mapping[str, str], extra: ExtraColumns) -> pd.DataFrame:
        """The columns `named` leaves out, each kept as a document field or not, and flagged
        when its name gives the label away (the import also checks the values, and leaves
        out a column that differs between rows of one document)."""
        kept = set(extra.chosen(self.table, named))
        others = [c for c in self.headers if c not in named.values()]
        return pd.DataFrame(
            {
                "column": others,
                "kept as a field": [c in kept for c in others],
                "on a blind card": [
                    "never: " + reason if (reason := revealing_name(c)) else "if declared"
                    for c in others
                ],
            }
        )


def preview_table(path: str | Path, format: str | None = None, rows: int = 3) -> TablePreview:
    """Read a table file (CSV, TSV, JSONL or Parquet) to preview its import; the errors are
    the import's own (no file, no rows, a broken line)."""
    return TablePreview(read_table(path, format), rows)
