"""GBNF grammar that makes generated text end in a valid answer line."""

from __future__ import annotations

import json

from ._answers import AnswerFormat

__all__ = ["answer_grammar"]


def answer_grammar(answer: AnswerFormat, max_reasoning_chars: int) -> str:
    """A grammar for optional reasoning, then the answer line (``SCORE: 2``) and nothing after.

    Reasoning is printable ASCII only and at most ``max_reasoning_chars`` long. ASCII
    characters are never split across tokens, so the reasoning takes at most that many tokens
    and a caller that leaves room for the answer line in ``max_tokens`` always gets a grade.
    """
    grades = " | ".join(json.dumps(str(g)) for g in answer.scale)
    line = f"{json.dumps(answer.prefix)} grade"
    if max_reasoning_chars < 1:
        return f"root ::= {line}\ngrade ::= {grades}\n"
    return (
        f"root ::= (reasoning [ \\n])? {line}\n"
        f"grade ::= {grades}\n"
        f"reasoning ::= [ -~\\n]{{1,{max_reasoning_chars}}}\n"
    )
