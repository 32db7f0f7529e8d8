"""Fine-tuning records, one JSON object a line: instruction, chat and preference (DPO).

Pure functions from a pair's text and grades to a record, and from a record to its line.
What the judge reads and answers comes in as a `JudgeText` (`jobs` builds it from the
judge's template): this room renders no prompt and spells no answer line of its own, so a
record asks what the judge asks and answers as the judge's parser reads. Every record keeps
`query_id` and `product_id`, so a file can be checked for duplicates and for queries shared
with another file without the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .._pairs import DOCUMENT_FIELDS

TrainingFormat = Literal["instruction", "chat", "preference"]
TRAINING_FORMATS: tuple[TrainingFormat, ...] = ("instruction", "chat", "preference")

# The instruction format's `input` keys, in the seed's order.
INPUT_FIELDS = ("query", *DOCUMENT_FIELDS)

Pair = Mapping[str, Any]
RecordMaker = Callable[[Pair], dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class JudgeText:
    """The judge's side of every record, handed in so that storage needs no judge.

    render: a pair's prompt, exactly as the judge renders it at inference.
    answer: a grade's answer line, as the judge's parser reads it (``SCORE: 2``).
    system: the system message of a chat record.
    template_name, template_sha256: which template, for the manifest (the name is None for
        a template given as text).
    """

    render: Callable[[Pair], str]
    answer: Callable[[int], str]
    system: str
    template_name: str | None
    template_sha256: str


def _ids(pair: Pair) -> dict[str, str]:
    return {"query_id": pair["query_id"], "product_id": pair["doc_id"]}


def instruction_record(pair: Pair, grade: int, judge: JudgeText) -> dict[str, Any]:
    """The seed's row: ids, `instruction`, `input`, `output`.

    `instruction` is the whole prompt the judge reads for this pair (its template with the
    fields in place, fenced as the judge fences them), so a model fine-tuned on it meets at
    inference the prompt it learnt from. `input` holds the same fields as plain values under
    the seed's keys: data for the checks (duplicates, queries in two files), for reading the
    file back into a store and for filtering; a trainer prompts with `instruction` alone and
    does not append `input`, which the prompt already holds. `output` is the answer line.
    """
    return {
        **_ids(pair),
        "instruction": judge.render(pair),
        "input": {name: pair[name] for name in INPUT_FIELDS},
        "output": judge.answer(grade),
    }


def chat_record(pair: Pair, grade: int, judge: JudgeText) -> dict[str, Any]:
    """A system, user (the judge's prompt) and assistant (the answer line) conversation."""
    return {
        **_ids(pair),
        "messages": [
            {"role": "system", "content": judge.system},
            {"role": "user", "content": judge.render(pair)},
            {"role": "assistant", "content": judge.answer(grade)},
        ],
    }


def preference_record(pair: Pair, grade: int, judge_grade: int, judge: JudgeText) -> dict[str, Any]:
    """A DPO pair: the human (corrected) label's answer is chosen, the judge's is rejected."""
    if grade == judge_grade:
        raise ValueError(f"pair {pair.get('pair_id')}: chosen and rejected are both grade {grade}")
    return {
        **_ids(pair),
        "prompt": judge.render(pair),
        "chosen": judge.answer(grade),
        "rejected": judge.answer(judge_grade),
    }


def record_maker(format: TrainingFormat, judge: JudgeText) -> RecordMaker:
    """The record of `format` for a pair that carries its `grade` (and `judge_grade`)."""
    if format == "instruction":
        return lambda pair: instruction_record(pair, pair["grade"], judge)
    if format == "chat":
        return lambda pair: chat_record(pair, pair["grade"], judge)
    return lambda pair: preference_record(pair, pair["grade"], pair["judge_grade"], judge)


# One encoder for every line: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def jsonl_line(record: Mapping[str, Any]) -> str:
    """One record as a JSONL line (with its newline): compact, UTF-8 text kept as is."""
    return _ENCODER.encode(record) + "\n"
