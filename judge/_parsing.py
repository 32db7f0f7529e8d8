"""Reading a grade out of model output: generated text or a next-token distribution.

Generated text is read in this order, and the first rule that finds an answer decides:

1. strict: the output ends with the answer prefix and a number, as the template asks
   (``... SCORE: 2``, ``Feedback: ... [RESULT] 4``);
2. fallback, keyword: the last ``score``/``result``/``grade`` keyword followed within a few
   punctuation characters by a whole number (``**Score:** 2``, ``[RESULT] (4)``,
   ``{"score": 1}``);
3. fallback, bare number: the whole output is one number (``2`` or ``2.``).

A strict answer's text before the answer line is its feedback (Prometheus'
``Feedback: <text> [RESULT] N``; a leading ``Feedback:`` is dropped), kept apart from the
raw output; the fallbacks have none, since they cannot say where the answer starts.

A number outside the scale, a decimal, or no answer at all is "unparsed": the grade stays
None and the raw text is kept for review. Nothing is guessed beyond these rules. The answer
prefix and the scale come from the template's ``AnswerFormat``, the one definition that the
prompt, the grammar and the training exports use too.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ._answers import FEEDBACK_LABEL, AnswerFormat

__all__ = [
    "GradeDistribution",
    "ParsedGrade",
    "distribution_from_logits",
    "distribution_from_top_logprobs",
    "grade_distribution",
    "parse_grade",
]

# A whole number: not the start of a decimal like 2.5 or a list like 2,3.
_NUMBER = r"(\d+)(?![.,]?\d)"
_KEYWORD = re.compile(r"(?i)\b(?:score|result|grade)\b\W{0,4}?" + _NUMBER)
_BARE = re.compile(r"\s*" + _NUMBER + r"\.?\s*")
_FEEDBACK_LABEL = re.compile(r"(?i)^" + re.escape(FEEDBACK_LABEL.rstrip(":")) + r"\s*:\s*")


@dataclass(frozen=True)
class ParsedGrade:
    """The grade found in generated text, how it was found, and why not if it was not."""

    grade: int | None
    status: Literal["strict", "fallback", "unparsed"]
    reason: str | None = None
    feedback: str | None = None
    """A strict answer's text before its answer line, None when there is none."""


@dataclass(frozen=True)
class GradeDistribution:
    """A probability per grade of the scale (in scale order) and what follows from it."""

    grade: int
    probs: list[float]
    expected_grade: float
    confidence: float


def parse_grade(text: str, answer: AnswerFormat) -> ParsedGrade:
    """Read the grade from generated text by the rules in this module's docstring."""
    stripped = text.strip()
    if not stripped:
        return ParsedGrade(None, "unparsed", "the model returned no text")
    strict = re.search(r"(?:^|\s)" + re.escape(answer.marker) + r" ?" + _NUMBER + r"$", stripped)
    if strict:
        parsed = _in_scale(int(strict.group(1)), "strict", answer.scale)
        feedback = _FEEDBACK_LABEL.sub("", stripped[: strict.start()].strip()).strip()
        return dataclasses.replace(parsed, feedback=feedback or None)
    keyword = list(_KEYWORD.finditer(stripped))
    if keyword:
        return _in_scale(int(keyword[-1].group(1)), "fallback", answer.scale)
    bare = _BARE.fullmatch(stripped)
    if bare:
        return _in_scale(int(bare.group(1)), "fallback", answer.scale)
    return ParsedGrade(None, "unparsed", f"no '{answer.prefix}N' answer found in the model output")


def _in_scale(
    grade: int, status: Literal["strict", "fallback"], scale: Sequence[int]
) -> ParsedGrade:
    if grade in scale:
        return ParsedGrade(grade, status)
    return ParsedGrade(None, "unparsed", f"answer {grade} is outside the scale {tuple(scale)}")


def distribution_from_logits(logits: Sequence[float], scale: Sequence[int]) -> GradeDistribution:
    """Softmax over the grade tokens' logits, given in scale order."""
    top = max(logits)
    weights = [math.exp(x - top) for x in logits]
    return grade_distribution([w / sum(weights) for w in weights], scale)


def distribution_from_top_logprobs(
    top_logprobs: Mapping[str, float], scale: Sequence[int]
) -> GradeDistribution | None:
    """Grade probabilities from a server's top-k alternatives at the grade position.

    Token texts are matched after stripping spaces, so ``"2"`` and ``" 2"`` both count for
    grade 2. Grades outside the top k get probability 0; the rest are renormalised. None when
    no grade token is among the alternatives.
    """
    mass = dict.fromkeys(scale, 0.0)
    for token, logprob in top_logprobs.items():
        text = token.strip()
        if text.isascii() and text.isdigit() and int(text) in mass:
            mass[int(text)] += math.exp(logprob)
    total = sum(mass.values())
    if total <= 0.0:
        return None
    return grade_distribution([mass[g] / total for g in scale], scale)


def grade_distribution(probs: list[float], scale: Sequence[int]) -> GradeDistribution:
    """Grade (the most likely), expected grade and confidence of probabilities in scale
    order."""
    best = max(range(len(probs)), key=probs.__getitem__)
    return GradeDistribution(
        grade=scale[best],
        probs=probs,
        expected_grade=sum(g * p for g, p in zip(scale, probs, strict=True)),
        confidence=probs[best],
    )
