"""Export curated, labelled pairs as a folder of fine-tuning JSONL files and their manifest.

Selection, curation and writing happen in one read transaction, so the files and the
manifest describe one snapshot of the labels. One writer serves every format: the chosen
pairs come from DuckDB in batches, each becomes its record (`_formats`) with the judge's
prompt and answer line (`JudgeText`), and the records go to the file as JSONL lines.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd

from words import plural

from .._db import connect, transaction
from .._errors import NotFoundError, StoreError
from .._pairs import _PAIR_TEXT, _with_extra_fields
from ._curate import PARTS, Curation, label_counts
from ._export_curate import CuratedExport, curate_export
from ._files import atomic_path, file_sha256
from ._formats import (
    EITHER_STYLE,
    PAIRWISE_PREFERENCE,
    TRAINING_FORMATS,
    JudgeText,
    RecordMaker,
    TrainingFormat,
    is_conversational,
    jsonl_line,
    record_maker,
)
from ._prometheus import PROMETHEUS, prometheus_maker, with_notes
from ._select import Selection, resolve_dataset, selected_pairs, why_nothing_selected

_V = TypeVar("_V")

_BATCH = 5_000
# Hundreds of megabytes go to a file in one pass; large writes spare most system calls.
_WRITE_BUFFER = 1 << 20

# The curated pairs of one part joined with their text; `position` is the export order.
_CHOSEN_TEXT = f"""
    SELECT t.*, c.grade, c.judge_grade, c.note, c.position
    FROM ({_PAIR_TEXT}) AS t JOIN _chosen AS c USING (pair_id)
    WHERE c.part = $part
"""


# The file names of an export folder. `train` and `validation` are the split names Hugging
# Face's `load_dataset(folder)` infers from file names; the manifest's name holds no split
# keyword, so no loader reads it as data.
EXPORT_FILES = {
    "train": "train.jsonl",
    "validation": "validation.jsonl",
    "manifest": "manifest.json",
}


def export_paths(folder: str | Path) -> dict[str, Path]:
    """Where an export to `folder` writes: `train.jsonl`, `validation.jsonl` and
    `manifest.json` inside it."""
    folder = Path(folder)
    if folder.suffix.lower() in (".jsonl", ".json") and not folder.is_dir():
        files = ", ".join(EXPORT_FILES.values())
        raise StoreError(
            f"{folder} names a file, but an export writes a folder ({files}): give a "
            f"folder, for example {folder.with_suffix('')}"
        )
    return {part: folder / name for part, name in EXPORT_FILES.items()}


@dataclass(frozen=True)
class ExportResult:
    """The files an export wrote and the manifest it wrote beside them."""

    files: tuple[Path, ...]
    manifest_path: Path
    manifest: dict[str, Any]

    def labels_by_name(self, file: Mapping[str, Any]) -> str:
        """'Irrelevant 26, Partial 33, Exact 12': the labels of one of the manifest's files."""
        names = self.manifest["scale"]
        return ", ".join(f"{names.get(g, g)} {n:,}" for g, n in file["labels"].items())

    def left_out(self) -> dict[str, int]:
        """Pairs selected but not exported, per reason that has any (rebalancing, counted
        per grade in the manifest, as one total)."""
        dropped = {
            reason: sum(n.values()) if isinstance(n, dict) else n
            for reason, n in self.manifest["counts"]["dropped"].items()
        }
        return {reason: n for reason, n in dropped.items() if n}

    def summary(self) -> str:
        """A few lines for a terminal: rows and labels (by name) per file, and what was left
        out and why."""
        m = self.manifest
        lines = [
            f"{self.headline()} from dataset {m['dataset']!r}, prompt template "
            f"{m['prompt_template'] or 'of your own'} (sha256 {m['prompt_sha256'][:12]})"
        ]
        lines += [
            f"  {f['name']}: {self.file_line(f)}, sha256 {f['sha256'][:12]}" for f in m["files"]
        ]
        left_out = ", ".join(f"{reason} {n:,}" for reason, n in self.left_out().items())
        lines.append(f"  left out: {left_out or 'none'}")
        lines.append(f"  manifest: {self.manifest_path}")
        lines.append(
            f'  load: datasets.load_dataset("json", data_dir={str(self.manifest_path.parent)!r})'
        )
        return "\n".join(lines)

    def headline(self) -> str:
        """What was exported, in how many records: the summary's first words."""
        m = self.manifest
        form = " (conversational)" if m["conversational"] and m["format"] != "chat" else ""
        return (
            f"{m['format']}{form} export of {plural(m['counts']['exported'], 'pair')} "
            f"({m['counts']['selected']:,} selected)"
        )

    def file_line(self, file: Mapping[str, Any]) -> str:
        """One file's rows, queries and labels, for the summary."""
        return (
            f"{plural(file['rows'], 'pair')}, {plural(file['queries'], 'query')}, "
            f"labels {self.labels_by_name(file)}"
        )


def _chosen_pairs(con: duckdb.DuckDBPyConnection, part: str) -> Iterator[dict[str, Any]]:
    """The registered `_chosen` pairs of `part` with every text field, in export order."""
    cursor = con.execute(f"{_CHOSEN_TEXT} ORDER BY position", {"part": part})
    names = [c[0] for c in cursor.description]
    while batch := cursor.fetchmany(_BATCH):
        for row in batch:
            yield _with_extra_fields(dict(zip(names, row)))


def _write_part(
    con: duckdb.DuckDBPyConnection, part: str, path: Path, make_record: RecordMaker
) -> None:
    with open(path, "w", encoding="utf-8", newline="", buffering=_WRITE_BUFFER) as file:
        file.writelines(jsonl_line(make_record(pair)) for pair in _chosen_pairs(con, part))


def _source_run(con: duckdb.DuckDBPyConnection, run_id: int | None) -> dict[str, Any] | None:
    if run_id is None:
        return None
    cursor = con.execute(
        "SELECT run_id, name, backend, model, model_sha256, prompt_template, prompt_sha256, "
        "started_at, finished_at FROM judge_runs WHERE run_id = ?",
        [run_id],
    )
    row = cursor.fetchone()
    if row is None:
        raise NotFoundError(f"no judge run {run_id}")
    run = dict(zip([c[0] for c in cursor.description], row))
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in run.items()}


def _by_grade(values: Mapping[int, _V]) -> dict[str, _V]:
    """Keyed by grade as JSON keys are: text."""
    return {str(g): v for g, v in values.items()}


def _check_request(selection: Selection, format: str, conversational: bool) -> None:
    if format not in TRAINING_FORMATS:
        raise StoreError(f"format {format!r}: choose one of {TRAINING_FORMATS}")
    if format == PAIRWISE_PREFERENCE:
        raise StoreError(
            "pairwise preferences are reviewers' decisions, not labelled pairs: "
            "write_pairwise_export writes them"
        )
    if conversational and format not in EITHER_STYLE:
        raise StoreError(
            f"the {format} format has one form only; the conversational form is for "
            f"{' and '.join(EITHER_STYLE)} (chat records are conversational always)"
        )
    if selection.split == "benchmark":
        raise StoreError(
            "the benchmark split is held out to measure judges and is never exported as "
            "training data: select the train or validation split, or no split"
        )
    if format == "preference" and selection.kind != "judge_wrong":
        raise StoreError(
            "the preference format needs the judge's wrong answer as `rejected`: "
            "select judge_wrong with a run"
        )


def write_export(
    db: str | Path,
    out: str | Path,
    *,
    judge: JudgeText,
    selection: Selection = Selection(),
    format: TrainingFormat = "instruction",
    conversational: bool = False,
    curation: Curation = Curation(),
) -> ExportResult:
    """Write the selected, curated pairs to the folder `out` (`train.jsonl`, and
    `validation.jsonl` when `curation.validation_share` > 0) in `format`, then the manifest.

    `conversational` asks for TRL's conversational form of the formats that have both
    (prompt-completion, preference); chat records are conversational always.

    `judge` gives each record its prompt, the messages the judge sends (no system message)
    and the answer lines; `jobs.export_training` builds it from a judge template, after
    checking the template grades on the dataset's scale. Benchmark queries are never
    exported: asking for the benchmark split is an error, and pairs of a benchmark query
    met otherwise are dropped and counted in the manifest.
    """
    _check_request(selection, format, conversational)
    paths = export_paths(out)
    with connect(db) as con, transaction(con):
        snapshot_at = datetime.now(UTC)
        dataset, grades, names = resolve_dataset(con, selection)
        selected = selected_pairs(con, selection, dataset)
        if format == PROMETHEUS:
            selected = with_notes(selected)
        curated = curate_export(selected, curation, grades)
        if selected.empty:
            reason = why_nothing_selected(con, selection, dataset, dict(zip(grades, names)))
            raise StoreError(f"nothing to export: {reason}")
        if curated.rows.empty:
            why = _why_all_dropped(len(selected), curated.dropped)
            raise StoreError(f"nothing to export: {why}")
        make_record = (
            prometheus_maker(judge)
            if format == PROMETHEUS
            else record_maker(format, judge, conversational=conversational)
        )
        con.register("_chosen", curated.rows.assign(position=range(len(curated.rows))))
        files = []
        for part in PARTS:
            rows = curated.rows[curated.rows["part"] == part]
            if rows.empty:
                # An earlier export's file under this name would pass for part of this one.
                paths[part].unlink(missing_ok=True)
                continue
            with atomic_path(paths[part]) as temporary:
                _write_part(con, part, temporary, make_record)
            files.append(_file_entry(paths[part], part, rows, grades))
        con.unregister("_chosen")
        source_run = _source_run(con, selection.run_id)
    manifest = _manifest(
        format=format,
        conversational=is_conversational(format, conversational),
        dataset=dataset,
        grades=grades,
        names=names,
        selection=selection,
        curation=curation,
        judge=judge,
        source_run=source_run,
        snapshot_at=snapshot_at,
        selected=len(selected),
        curated=curated,
        files=files,
    )
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    with atomic_path(paths["manifest"]) as temporary:
        temporary.write_text(text, "utf-8")
    # Returned as read back from its text, so callers see exactly what the file says.
    return ExportResult(tuple(paths[f["part"]] for f in files), paths["manifest"], json.loads(text))


def _why_all_dropped(selected: int, dropped: Mapping[str, Any]) -> str:
    """Why curation left none of `selected` pairs, from the counts of what each rule dropped."""
    if dropped["benchmark"] == selected:
        return (
            f"every selected query is in the benchmark split, which exports never include "
            f"({selected} pairs): make the benchmark smaller or select other pairs"
        )
    reasons = {
        "belong to benchmark queries": dropped["benchmark"],
        "repeat a (query, product) pair": dropped["duplicates"],
        "are over the cap per query": dropped["cap_per_query"],
        "were dropped to rebalance the labels": sum(dropped["rebalance"].values()),
    }
    return f"all {selected} selected pairs were left out: " + ", ".join(
        f"{n} {why}" for why, n in reasons.items() if n
    )


def _file_entry(path: Path, part: str, rows: pd.DataFrame, grades: list[int]) -> dict[str, Any]:
    return {
        "name": path.name,
        "part": part,
        "rows": len(rows),
        "queries": int(rows["query_id"].nunique()),
        "labels": _by_grade(label_counts(rows["grade"], grades)),
        "sha256": file_sha256(path),
    }


def _manifest(
    *,
    format: TrainingFormat,
    conversational: bool,
    dataset: str,
    grades: list[int],
    names: list[str],
    selection: Selection,
    curation: Curation,
    judge: JudgeText,
    source_run: dict[str, Any] | None,
    snapshot_at: datetime,
    selected: int,
    curated: CuratedExport,
    files: list[dict[str, Any]],
) -> dict[str, Any]:
    newest = curated.rows["labelled_at"].max()
    shares = curation.label_shares
    return {
        "format": format,
        "conversational": conversational,
        "dataset": dataset,
        "scale": dict(zip(map(str, grades), names)),
        "selection": dataclasses.asdict(selection),
        "curation": {
            **dataclasses.asdict(curation),
            "label_shares": None if shares is None else _by_grade(shares),
        },
        "prompt_template": judge.template_name,
        "prompt_sha256": judge.template_sha256,
        "source_run": source_run,
        "label_snapshot_at": snapshot_at.isoformat(),
        "newest_label_at": newest.isoformat(),
        "counts": {
            "selected": selected,
            "dropped": {
                **curated.dropped,
                "rebalance": _by_grade(curated.dropped["rebalance"]),
            },
            "exported": len(curated.rows),
        },
        "labels_before_rebalance": _by_grade(curated.labels_before_rebalance),
        "labels_after_rebalance": _by_grade(curated.labels_after_rebalance),
        "files": files,
    }
