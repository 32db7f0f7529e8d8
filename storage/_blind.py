"""What a blind review card may show of a document, decided once: the table importer flags
by these rules and the review card filters by them.

A blind card shows the mapped fields (query, product name, class, category hierarchy,
description) and, of a document's extra fields (the other columns an import kept), only
those the dataset's guideline declares on a line of its own:

    Card fields: brand, color

An extra field that gives the label away is never shown on a blind card, declared or not:
- by its name, which reads like a judgement of the pair (grade, score, label, relevance,
  rating, judgement), whatever its values; this holds for stores imported before the flag
  was recorded too;
- by its values, found at import: a function of the label (every labelled row of a label
  has the same value) over at least two labels and two values. A column with one value
  everywhere gives nothing away and is not flagged.
What an import kept and flagged is recorded per dataset (`datasets.document_fields`, a JSON
object of field -> reason or null), so the card reads the flag instead of guessing again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import duckdb
import pandas as pd

NAMED_LIKE_A_LABEL = "named like a label"
SAME_VALUE_PER_LABEL = "the same value on every row of a label"
_LABEL_WORDS = re.compile(r"grade|score|label|relevan|rating|judge?ment", re.IGNORECASE)
_DECLARED = re.compile(r"^\s*card fields\s*:(.*)$", re.IGNORECASE | re.MULTILINE)


def revealing_name(name: str) -> str | None:
    """The reason a field's name gives the label away, or None."""
    return NAMED_LIKE_A_LABEL if _LABEL_WORDS.search(name) else None


def revealing_values(values: pd.Series, grades: pd.Series) -> str | None:
    """The reason a column's values give the label away (`grades`: each row's grade, NA
    when unlabelled), or None."""
    labelled = grades.notna().to_numpy(dtype=bool)
    seen, by = values[labelled].str.strip(), grades[labelled]
    if by.nunique() < 2 or seen.nunique() < 2:
        return None
    return SAME_VALUE_PER_LABEL if (seen.groupby(by).nunique() == 1).all() else None


def declared_fields(guideline: str | None) -> tuple[str, ...]:
    """The extra fields a guideline declares for the card (`Card fields: a, b` lines)."""
    names = (n.strip() for line in _DECLARED.findall(guideline or "") for n in line.split(","))
    return tuple(dict.fromkeys(n for n in names if n))


def blind_fields(
    fields: Mapping[str, Any], declared: tuple[str, ...], flagged: Mapping[str, str | None]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Of a document's extra `fields`, those a blind card shows, and those declared but
    withheld with the reason."""
    shown, withheld = {}, {}
    for name in declared:
        if name not in fields:
            continue
        reason = flagged.get(name) or revealing_name(name)
        if reason is None:
            shown[name] = fields[name]
        else:
            withheld[name] = reason
    return shown, withheld


def record_document_fields(
    con: duckdb.DuckDBPyConnection, dataset: str, fields: Mapping[str, str | None]
) -> None:
    """Add the extra fields an import kept, with their flags, to the dataset's record; a
    field flagged by any import stays flagged."""
    rows = con.execute(
        "SELECT document_fields FROM datasets WHERE dataset = ?", [dataset]
    ).fetchall()
    known: dict[str, str | None] = json.loads(rows[0][0] or "{}") if rows else {}
    for name, reason in fields.items():
        known[name] = known.get(name) or reason
    con.execute(
        "UPDATE datasets SET document_fields = ? WHERE dataset = ?", [json.dumps(known), dataset]
    )
