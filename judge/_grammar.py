"""GBNF grammar that makes generated text end in a valid answer line."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ._answers import AnswerFormat

__all__ = ["answer_grammar", "choice_grammar"]


def answer_grammar(answer: AnswerFormat, max_reasoning_chars: int) -> str:
    """A grammar for optional reasoning, then the answer line (``SCORE: 2``) and nothing after.

    Reasoning is printable ASCII only and at most ``max_reasoning_chars`` long. ASCII
    characters are never split across tokens, so the reasoning takes at most that many tokens
    and a caller that leaves room for the answer line in ``max_tokens`` always gets a grade.
    """
    return choice_grammar(answer.prefix, [str(g) for g in answer.scale], max_reasoning_chars)


def choice_grammar(
    prefix: str, choices: Sequence[str], max_reasoning_chars: int, *, rule: str = "grade"
) -> str:
    """Optional reasoning, then ``prefix`` and one of ``choices`` (named ``rule``), and nothing
    after: the grammar of a grade (``SCORE: 2``) and of a pairwise verdict (``[RESULT] A``)."""
    alternatives = " | ".join(json.dumps(c) for c in choices)
    line = f"{json.dumps(prefix)} {rule}"
    if max_reasoning_chars < 1:
        return f"root ::= {line}\n{rule} ::= {alternatives}\n"
    return (
        f"root ::= (reasoning [ \\n])? {line}\n"
        f"{rule} ::= {alternatives}\n"
        f"reasoning ::= [ -~\\n]{{1,{max_reasoning_chars}}}\n"
    )
