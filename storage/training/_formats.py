"""Fine-tuning records, one JSON object a line, in the shapes trainers read.

- ``instruction``: the seed's row (``instruction``, ``input``, ``output``).
- ``chat``: TRL's conversational language-modeling row, ``{"messages": [...]}``.
- ``prompt-completion``: TRL's prompt-completion row, standard (``prompt`` and
  ``completion`` are text) or conversational (both are message lists).
- ``preference``: TRL's preference row for DPO (``prompt``, ``chosen``, ``rejected``),
  standard or conversational.
- ``prometheus``: the instruction row answered ``Feedback: <note> [RESULT] N`` (``_prometheus``).
- ``pairwise-preference``: the same row from reviewers' pairwise decisions, both orders
  (``_pairwise``, written by its own writer).

Each format is declared once, with its builder, check and words, in ``_registry``.

Pure functions from a pair's text and grades to a record, and from a record to its line.
What the judge reads and answers comes in as a `JudgeText` (`jobs` builds it from the
judge's template): this room renders no prompt and spells no answer line of its own, so a
record asks what the judge asks, in the messages the judge sends (no system message unless
the judge sends one), and answers as the judge's parser reads. Every record keeps
`query_id` and `product_id`, so a file can be checked for duplicates and for queries shared
with another file without the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .._pairs import DOCUMENT_FIELDS

TrainingFormat = Literal[
    "instruction", "chat", "prompt-completion", "preference", "prometheus", "pairwise-preference"
]
# The instruction format's `input` keys, in the seed's order.
INPUT_FIELDS = ("query", *DOCUMENT_FIELDS)

Pair = Mapping[str, Any]
Message = dict[str, str]
RecordMaker = Callable[[Pair], dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class JudgeText:
    """The judge's side of every record, handed in so that storage needs no judge.

    render: a pair's prompt, exactly as the judge renders it at inference.
    messages: the chat messages the judge sends for a pair (its prompt as the user message).
    answer: a grade's answer line, as the judge's parser reads it (``SCORE: 2``).
    completion: the text that follows a rendered prompt up to and including the grade when
        the judge reads raw text (the answer line, after a line break if the prompt lacks
        one), so prompt + completion is what the judge scores.
    template_name, template_sha256: which template, for the manifest (the name is None for
        a template given as text).
    """

    render: Callable[[Pair], str]
    messages: Callable[[Pair], list[Message]]
    answer: Callable[[int], str]
    completion: Callable[[str, int], str]
    template_name: str | None
    template_sha256: str
    feedback: Callable[[str, int], str] | None = None
    """A note and a grade as the judge's feedback answer (``Feedback: ... [RESULT] N``),
    for the prometheus format."""


def _ids(pair: Pair) -> dict[str, str]:
    return {"query_id": pair["query_id"], "product_id": pair["doc_id"]}


def _assistant(text: str) -> list[Message]:
    return [{"role": "assistant", "content": text}]


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
    """The judge's messages, then the assistant's answer line (TRL: conversational language
    modeling)."""
    return {**_ids(pair), "messages": [*judge.messages(pair), *_assistant(judge.answer(grade))]}


def prompt_completion_record(
    pair: Pair, grade: int, judge: JudgeText, *, conversational: bool
) -> dict[str, Any]:
    """TRL's prompt-completion row: the judge's messages and the answer as an assistant
    message, or the rendered prompt and the text that completes it."""
    if conversational:
        return {
            **_ids(pair),
            "prompt": judge.messages(pair),
            "completion": _assistant(judge.answer(grade)),
        }
    prompt = judge.render(pair)
    return {**_ids(pair), "prompt": prompt, "completion": judge.completion(prompt, grade)}


def preference_record(
    pair: Pair, grade: int, judge_grade: int, judge: JudgeText, *, conversational: bool = False
) -> dict[str, Any]:
    """A DPO pair: the human (corrected) label's answer is chosen, the judge's is rejected;
    with `conversational`, TRL's conversational form (the prompt as the judge's messages,
    each answer as an assistant message), so DPO sees the chat template SFT used."""
    if grade == judge_grade:
        raise ValueError(f"pair {pair.get('pair_id')}: chosen and rejected are both grade {grade}")
    if conversational:
        return {
            **_ids(pair),
            "prompt": judge.messages(pair),
            "chosen": _assistant(judge.answer(grade)),
            "rejected": _assistant(judge.answer(judge_grade)),
        }
    prompt = judge.render(pair)
    return {
        **_ids(pair),
        "prompt": prompt,
        "chosen": judge.completion(prompt, grade),
        "rejected": judge.completion(prompt, judge_grade),
    }


# One encoder for every line: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# JSONEncoder.encode makes CPython's C encoder anew on every call; made once, it writes the
# lines of 80k instruction records in about 15% less time. It keeps no state between calls
# (no circular-reference marks: a record is a tree), so threads may share it.
_C_MAKE_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)
_LINE: Callable[[Any, int], Sequence[str]] | None = (
    None
    if _C_MAKE_ENCODER is None
    else _C_MAKE_ENCODER(
        None,
        _ENCODER.default,
        json.encoder.encode_basestring,
        None,
        _ENCODER.key_separator,
        _ENCODER.item_separator,
        _ENCODER.sort_keys,
        _ENCODER.skipkeys,
        _ENCODER.allow_nan,
    )
)


def jsonl_line(record: Mapping[str, Any]) -> str:
    """One record as a JSONL line (with its newline): compact, UTF-8 text kept as is."""
    if _LINE is None:  # not CPython
        return _ENCODER.encode(record) + "\n"
    return "".join(_LINE(record, 0)) + "\n"
