"""Pairwise preference exports: reviewers' decisions between two products of a query, as DPO
rows a pairwise judge can learn from.

A decision is a preference event in force that names one product (A or B better; ties are
left out and counted: DPO needs a chosen and a rejected answer). Each decision becomes two
rows, one per order (the preferred product shown first, then second): JudgeLM's swap
augmentation, so a judge trained on the file learns the products, not the position. A row
is TRL's preference row (``prompt``, ``chosen``, ``rejected``), the prompt being the judge's
own pairwise prompt (or its chat messages, ``conversational``) and the answers its answer
lines (``[RESULT] A``, ``[RESULT] B``), handed in as a `PairwiseJudgeText` as `jobs` builds
it from the pairwise template; this room renders no prompt.

Rows keep ``query_id`` and the two products' ids in the order shown (``product_a``,
``product_b``). Benchmark queries are never exported; the split is the dataset's own
train / validation split when it has one, else a share of the other queries (not of rows)
goes to validation, drawn as the pointwise export draws it (`validation_queries`). The
folder is replaced whole, as every export folder is (`_folder`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from words import plural

from .._db import connect, transaction
from .._errors import StoreError
from .._pairs import PAIR_TEXT, with_extra_fields
from ..pairwise import PREFERENCES_IN_FORCE
from ._curate import PARTS, validation_queries
from ._export import ExportResult, dataset_split
from ._export_curate import DATASET_SPLIT, EXPORT_SPLIT
from ._files import Written, write_lines
from ._folder import MANIFEST, export_paths, staged_folder
from ._formats import jsonl_line
from ._registry import PAIRWISE_PREFERENCE
from ._splits import BENCHMARK_QUERIES

Pair = Mapping[str, Any]
Message = dict[str, str]


@dataclass(frozen=True, kw_only=True)
class PairwiseJudgeText:
    """The pairwise judge's side of every row, handed in so that storage needs no judge.

    render: the prompt of one order, the first pair shown as A, as the judge renders it.
    messages: the chat messages the judge sends for a rendered prompt.
    answer: the answer line for a choice, ``"A"`` -> ``[RESULT] A``.
    completion: the text that follows a rendered prompt up to and including the choice
        when the judge reads raw text, so prompt + completion is what it scores.
    template_name, template_sha256: which template, for the manifest.
    """

    render: Callable[[Pair, Pair], str]
    messages: Callable[[str], list[Message]]
    answer: Callable[[str], str]
    completion: Callable[[str, str], str]
    template_name: str | None
    template_sha256: str


# Reviewers' decisions in force between two pairs of `dataset`, with whether the query of
# the two is a benchmark query; ties are kept here and counted by the caller.
_DECISIONS = f"""
SELECT d.pair_a, d.pair_b, d.preference, d.decided_at, p.query_id,
       p.query_id IN (
           SELECT query_id FROM ({BENCHMARK_QUERIES}) WHERE dataset = $dataset
       ) AS benchmark_query
FROM ({PREFERENCES_IN_FORCE}) d JOIN pairs p ON p.pair_id = d.pair_a
WHERE p.dataset = $dataset
ORDER BY p.query_id, d.pair_a, d.pair_b
"""


def pairwise_rows(
    first: Pair, second: Pair, first_wins: bool, judge: PairwiseJudgeText, *, conversational: bool
) -> dict[str, Any]:
    """One order's DPO row: `first` shown as A; chosen names the preferred product."""
    prompt = judge.render(first, second)
    chosen, rejected = ("A", "B") if first_wins else ("B", "A")
    ids = {
        "query_id": first["query_id"],
        "product_a": first["doc_id"],
        "product_b": second["doc_id"],
    }
    if conversational:
        return {
            **ids,
            "prompt": judge.messages(prompt),
            "chosen": [{"role": "assistant", "content": judge.answer(chosen)}],
            "rejected": [{"role": "assistant", "content": judge.answer(rejected)}],
        }
    return {
        **ids,
        "prompt": prompt,
        "chosen": judge.completion(prompt, chosen),
        "rejected": judge.completion(prompt, rejected),
    }


def write_pairwise_export(
    db: str | Path,
    out: str | Path,
    *,
    judge: PairwiseJudgeText,
    dataset: str,
    conversational: bool = False,
    validation_share: float = 0.0,
    seed: int = 0,
) -> ExportResult:
    """Write the reviewers' pairwise decisions on `dataset` to the folder `out`
    (`train.jsonl`, `validation.jsonl` when `validation_share` > 0, `manifest.json`), two
    rows per decision (see the module docstring)."""
    if not 0 <= validation_share < 1:
        raise StoreError(f"validation share must be at least 0 and below 1, got {validation_share}")
    paths = export_paths(out)
    with staged_folder(out) as staging:
        with connect(db) as con, transaction(con):
            snapshot_at = datetime.now(UTC)
            decisions = con.execute(_DECISIONS, {"dataset": dataset}).df()
            ties = decisions.preference.eq("tie")
            benchmark = decisions.benchmark_query.astype(bool) & ~ties
            kept = decisions[~ties & ~benchmark]
            if kept.empty:
                raise StoreError(
                    f"nothing to export: dataset {dataset!r} has no reviewer's decision that "
                    f"one product is better ({int(ties.sum())} ties, {int(benchmark.sum())} on "
                    "benchmark queries): record preferences on the Pairwise page"
                )
            ids = sorted(set(kept.pair_a) | set(kept.pair_b))
            # The texts as the judge reads them (`pairs_for_judging`), in the same snapshot.
            cursor = con.execute(
                f"SELECT * FROM ({PAIR_TEXT}) WHERE list_contains($ids, pair_id)", {"ids": ids}
            )
            names = [c[0] for c in cursor.description]
            texts = {row[0]: with_extra_fields(dict(zip(names, row))) for row in cursor.fetchall()}
            own_split = dataset_split(con, dataset)
        if own_split:  # the dataset's own split, as the pointwise export takes it
            validation = {q for q, part in own_split.items() if part == "validation"}
            split = {
                "source": DATASET_SPLIT,
                "unassigned_queries": kept.query_id[~kept.query_id.isin(list(own_split))].nunique(),
                "validation_share_unused": validation_share > 0,
            }
        else:
            validation = validation_queries(
                kept.query_id, validation_share, np.random.default_rng(seed)
            )
            split = {"source": EXPORT_SPLIT, "validation_share": validation_share, "seed": seed}
        kept = kept.assign(
            part=np.where(kept.query_id.isin(list(validation)), "validation", "train")
        )
        files = []
        for part in PARTS:
            rows = kept[kept.part == part]
            if rows.empty:
                continue
            path = staging / paths[part].name
            lines = (
                jsonl_line(pairwise_rows(first, second, wins, judge, conversational=conversational))
                for d in rows.itertuples()
                for first, second, wins in _orders(texts[d.pair_a], texts[d.pair_b], d.preference)
            )
            files.append(_file_entry(path, part, rows, write_lines(path, lines)))
        manifest = {
            "format": PAIRWISE_PREFERENCE,
            "conversational": conversational,
            "dataset": dataset,
            "prompt_template": judge.template_name,
            "prompt_sha256": judge.template_sha256,
            "swap_augmented": True,
            "validation_share": validation_share,
            "seed": seed,
            "split": split,
            "label_snapshot_at": snapshot_at.isoformat(),
            "newest_decision_at": pd.Timestamp(kept.decided_at.max()).isoformat(),
            "counts": {
                "selected": len(decisions),
                "dropped": {"ties": int(ties.sum()), "benchmark": int(benchmark.sum())},
                "exported": len(kept),
                "rows": 2 * len(kept),
            },
            "files": files,
        }
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        write_lines(staging / MANIFEST, [text])
    files_written = tuple(paths[f["part"]] for f in files)
    return PairwiseExportResult(files_written, paths["manifest"], json.loads(text))


def _orders(a: Pair, b: Pair, preference: str) -> tuple[tuple[Pair, Pair, bool], ...]:
    """A decision's two rows: `a` shown first, then `b`, each with whether the first wins."""
    a_wins = preference == "a"
    return ((a, b, a_wins), (b, a, not a_wins))


class PairwiseExportResult(ExportResult):
    """An export of pairwise decisions: its manifest counts decisions, two rows each, and
    each file's answers chosen (as many A as B, by the swap augmentation)."""

    def labels_by_name(self, file: Mapping[str, Any]) -> str:
        """'chosen A 12, chosen B 12': the chosen answers of one of the manifest's files."""
        return ", ".join(f"chosen {c} {n:,}" for c, n in file["labels"].items())

    def headline(self) -> str:
        m = self.manifest
        form = " (conversational)" if m["conversational"] else ""
        counts = m["counts"]
        return (
            f"{m['format']}{form} export of {plural(counts['exported'], 'decision')} "
            f"({plural(counts['rows'], 'row')}, both orders)"
        )

    def file_line(self, file: Mapping[str, Any]) -> str:
        return (
            f"{plural(file['rows'], 'row')}, {plural(file['queries'], 'query')}, "
            f"{self.labels_by_name(file)}"
        )


def _file_entry(path: Path, part: str, decisions: pd.DataFrame, written: Written) -> dict[str, Any]:
    if written.rows != 2 * len(decisions):  # two orders per decision: anything else is a bug
        raise StoreError(f"{path.name}: wrote {written.rows} rows for {len(decisions)} decisions")
    return {
        "name": path.name,
        "part": part,
        "rows": written.rows,
        "decisions": len(decisions),
        "queries": int(decisions.query_id.nunique()),
        # Each decision is written once with A chosen and once with B chosen.
        "labels": {"A": len(decisions), "B": len(decisions)},
        "sha256": written.sha256,
    }
