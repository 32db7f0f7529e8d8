"""The answer line: how a template asks the model to give its grade, defined once.

A template's instructions name one answer prefix, ``SCORE: `` (the seed's) or ``[RESULT] ``
(Prometheus'); the grade follows it as one digit of the scale. ``AnswerFormat`` is that
prefix with the scale, and everything that writes or reads an answer line takes it: the
logprob prompt (``after``), the GBNF grammar, the parser, the search for the grade token in
a server's logprobs, and the training records a fine-tuned judge learns from (``render``,
``answers``). So a training file cannot ask for one answer line and
teach another.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ._exceptions import TemplateError

__all__ = [
    "ANSWER_PREFIXES",
    "AnswerFormat",
    "answer_format",
    "answer_prefix",
    "check_scale",
    "feedback_answer",
    "with_answer_prefix",
]

ANSWER_PREFIXES = ("[RESULT] ", "SCORE: ")
"""Every answer prefix a template may ask for. Checked in this order: a Prometheus rubric
also says "score" in its prose, so [RESULT] wins."""


def check_scale(scale: Collection[int]) -> None:
    """Raise TemplateError unless the scale is ascending distinct single digits.

    Single digits because logprob scoring reads one token per grade, and every tokenizer we
    know splits numbers into single-digit tokens.
    """
    grades = list(scale)
    if not grades:
        raise TemplateError("the scale is empty: give the grades, for example (0, 1, 2)")
    if not all(isinstance(g, int) and 0 <= g <= 9 for g in grades):
        raise TemplateError(
            f"scale {tuple(grades)} has a grade outside 0-9: each grade must be one digit"
        )
    if grades != sorted(set(grades)):
        raise TemplateError(f"scale {tuple(grades)} must list distinct grades in ascending order")


def answer_prefix(template: str) -> str:
    """The answer prefix the template's instructions ask for: ``"SCORE: "`` or ``"[RESULT] "``."""
    for prefix in ANSWER_PREFIXES:
        if prefix.strip() in template:
            return prefix
    raise TemplateError(
        "the template never states the answer format: add an instruction such as "
        "'Answer with exactly one line: SCORE: N' (or '[RESULT] N' for a Prometheus rubric)"
    )


def with_answer_prefix(prompt: str, prefix: str) -> str:
    """The prompt followed by the answer prefix on a line of its own."""
    separator = "" if prompt.endswith("\n") or not prompt else "\n"
    return f"{prompt}{separator}{prefix}"


@dataclass(frozen=True)
class AnswerFormat:
    """An answer prefix and the grades that may follow it: ``SCORE: `` with (0, 1, 2).

    >>> answer = AnswerFormat("[RESULT] ", (1, 2, 3, 4, 5))
    >>> answer.render(3), answer.marker
    ('[RESULT] 3', '[RESULT]')
    """

    prefix: str
    scale: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.prefix not in ANSWER_PREFIXES:
            known = " or ".join(repr(p) for p in ANSWER_PREFIXES)
            raise TemplateError(f"answer prefix {self.prefix!r} is not one of {known}")
        object.__setattr__(self, "scale", tuple(self.scale))
        check_scale(self.scale)

    @property
    def marker(self) -> str:
        """The prefix without its trailing space: what the parser looks for in generated
        text, where a model may or may not put the space."""
        return self.prefix.strip()

    def render(self, grade: int) -> str:
        """The answer line for one grade: ``SCORE: 2``."""
        if grade not in self.scale:
            raise TemplateError(
                f"grade {grade} is not on the scale {self.scale} of the answer {self.prefix}N"
            )
        return f"{self.prefix}{int(grade)}"

    @property
    def answers(self) -> tuple[str, ...]:
        """Every valid answer line, in scale order."""
        return tuple(self.render(g) for g in self.scale)

    def after(self, prompt: str) -> str:
        """The prompt followed by the answer prefix, which logprob scoring evaluates: it ends
        with the prefix's trailing space, so the next token is the bare grade digit."""
        return with_answer_prefix(prompt, self.prefix)

    def describe(self) -> str:
        """The answer line in words: ``SCORE: N, where N is one of 0, 1, 2``."""
        return f"{self.prefix}N, where N is one of {', '.join(map(str, self.scale))}"


FEEDBACK_LABEL = "Feedback:"
"""What Prometheus' answers start with: ``Feedback: <text> [RESULT] N``."""


def feedback_answer(feedback: str, answer_line: str) -> str:
    """A Prometheus answer: ``Feedback: <feedback> [RESULT] 4``, the shape the parser reads
    the feedback and the score from (``parse_grade``)."""
    return f"{FEEDBACK_LABEL} {feedback.strip()} {answer_line}"


def answer_format(template: str, scale: Sequence[int]) -> AnswerFormat:
    """The answer line ``template`` asks for, with the grades of ``scale``."""
    return AnswerFormat(answer_prefix(template), tuple(scale))
