"""An imported dataset for the words and widths tests: a CSV of a few labelled pairs, imported
as the user would, with a judged run, so each page has something of its own to show."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from app_fixtures import stored_run

import storage


def imported_dataset(db: Path, folder: Path, name: str, rows: Sequence[Sequence[str]]) -> int:
    """Import `rows` (query, doc_id, title, label) from a CSV in `folder` as dataset `name`,
    and record a run that judged every pair (grades 0, 1, 2 in turn); the run's id."""
    table = folder / f"{name}.csv"
    table.write_text("query,doc_id,title,label\n" + "".join(f"{','.join(r)}\n" for r in rows))
    storage.importers.import_table(
        db,
        table,
        dataset=name,
        columns=storage.importers.ColumnMap(
            query="query", doc_id="doc_id", title="title", label="label"
        ),
    )
    pairs = storage.pairs_for_judging(db, name)
    return stored_run(
        db,
        dataset=name,
        status="done",
        judgments=[
            {"pair_id": p["pair_id"], "grade": i % 3, "parse_status": "parsed", "raw_output": "1"}
            for i, p in enumerate(pairs)
        ],
    )
