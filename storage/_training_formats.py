"""Fine-tuning records, one JSON object a line: instruction, chat and preference (DPO).

Pure functions from a pair's text and grades to a record and from a record to its line, so
the exporter, its fast path and the tests agree on one definition of each format. Every
record keeps `query_id` and `product_id`, so a file can be checked for duplicates and for
queries shared with another file without the database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from ._pairs import DOCUMENT_FIELDS

TrainingFormat = Literal["instruction", "chat", "preference"]
TRAINING_FORMATS: tuple[TrainingFormat, ...] = ("instruction", "chat", "preference")

# The instruction format's `input` keys, in the seed's order.
INPUT_FIELDS = ("query", *DOCUMENT_FIELDS)

ANSWER_PREFIX = "SCORE: "

SYSTEM_PROMPT = (
    "You are a search relevance judge. Grade how well the product matches the search query "
    "and answer with exactly one line: SCORE: N."
)

RenderPrompt = Callable[[Mapping[str, str]], str]


def answer(grade: int) -> str:
    """The target text for `grade`: ``SCORE: 2``."""
    return f"{ANSWER_PREFIX}{int(grade)}"


def instruction_text(grades: Sequence[int], grade_names: Sequence[str]) -> str:
    """The seed's instruction, with the dataset's scale spelled out so other scales work too."""
    scale = "; ".join(f"{g} = {name}" for g, name in zip(grades, grade_names))
    allowed = ", ".join(str(g) for g in grades)
    return (
        "Given a search query and a candidate product, predict the relevance score of the "
        f"product for the query. Scale: {scale}. "
        f"Answer with exactly one line: {ANSWER_PREFIX}N, where N is one of {allowed}."
    )


def _ids(pair: Mapping[str, Any]) -> dict[str, str]:
    return {"query_id": pair["query_id"], "product_id": pair["doc_id"]}


def instruction_record(pair: Mapping[str, Any], grade: int, *, instruction: str) -> dict[str, Any]:
    """The seed's row: ids, instruction, the product fields as `input`, `output` the answer."""
    return {
        **_ids(pair),
        "instruction": instruction,
        "input": {name: pair[name] for name in INPUT_FIELDS},
        "output": answer(grade),
    }


def chat_record(
    pair: Mapping[str, Any], grade: int, *, render_prompt: RenderPrompt, system: str = SYSTEM_PROMPT
) -> dict[str, Any]:
    """A system, user (the rendered judge prompt) and assistant (the answer) conversation."""
    return {
        **_ids(pair),
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": render_prompt(pair)},
            {"role": "assistant", "content": answer(grade)},
        ],
    }


def preference_record(
    pair: Mapping[str, Any], grade: int, judge_grade: int, *, render_prompt: RenderPrompt
) -> dict[str, Any]:
    """A DPO pair: the human (corrected) label's answer is chosen, the judge's is rejected."""
    if grade == judge_grade:
        raise ValueError(f"pair {pair.get('pair_id')}: chosen and rejected are both grade {grade}")
    return {
        **_ids(pair),
        "prompt": render_prompt(pair),
        "chosen": answer(grade),
        "rejected": answer(judge_grade),
    }


# DuckDB writes \u escapes with upper-case hex digits, Python with lower case; matching
# DuckDB keeps the fast path byte-identical. Escapes are matched from the left as whole
# tokens, so an escaped backslash followed by a literal "u00.." is left alone.
_ESCAPE = re.compile(r"\\(u[0-9a-f]{4}|.)")


def _upper_hex(match: re.Match[str]) -> str:
    token = match.group(1)
    return "\\" + (token.upper().replace("U", "u", 1) if token[0] == "u" else token)


def jsonl_line(record: Mapping[str, Any]) -> str:
    """One record as a JSONL line (with its newline): compact, UTF-8 text kept as is."""
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    if "\\u" in text:
        text = _ESCAPE.sub(_upper_hex, text)
    return text + "\n"
