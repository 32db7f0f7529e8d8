"""Pairwise judging: for one query, which of two products is the better match?

A pairwise template is plain text like a grading template, with ``{query}`` (and any other
field of the query) and each product field twice, suffixed ``_a`` and ``_b``
(``{product_name_a}``, ``{product_description_b}``). Its instructions end on the answer line
``[RESULT] A`` or ``[RESULT] B``; the template allows a tie when it names ``[RESULT] tie`` as
an answer too (``pairwise_answers``), so the rule is read from what the model is told.

Every comparison is judged in both orders (``first`` shown as A, then as B), and each order
is one ``PairwiseJudgment``, so position bias can be measured and removed:

- logprob mode (default): the prompt is evaluated up to ``[RESULT]`` and the next-token
  distribution is read over `` A``, `` B`` (and `` tie``), normalised over those tokens: one
  forward pass, no parse failures. The tokens carry their space because the tokenizer merges
  it with a letter (``" A"`` is one token), unlike a grade digit.
- generation mode: optional reasoning, then the answer line, bound by a GBNF grammar; read
  back by ``parse_choice`` (strict: the output ends with the answer line; fallback: the last
  ``[RESULT]`` followed by a choice in any case), the raw text always kept.

``debiased_preference`` joins the two orders. Comparisons are judged grouped by query and by
first product, so consecutive prompts share the instructions, the query and often product A
as a prefix in llama.cpp's KV cache.

Each backend judges the orders through ``JudgeBackend.compare``, if its declaration says
``pairwise``: in process by ``_llama_pairwise``, on a server by ``_remote_pairwise``.
Remote servers (OpenAI-compatible, Ollama) judge the same prompts: in logprob mode over
completions, the prompt up to ``[RESULT]`` and one token asked for, whose top alternatives
give P(A), P(B) (and P(tie)) by ``choice_probabilities``; the endpoint probe sets how many
alternatives are asked for. In generation mode the answer text is read by ``parse_choice``.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from ._answers import with_answer_prefix
from ._exceptions import JudgeBackendError, JudgeError, SettingsError, TemplateError
from ._results import ParseStatus, Progress, Reply, RunSummary
from ._runner import Tally, load_backend
from ._settings import JudgeSettings
from ._templates import TemplateInfo, placeholders, render_prompt

if TYPE_CHECKING:
    from ._backend import JudgeBackend

__all__ = [
    "PAIRWISE_MARKER",
    "PairwiseJudgment",
    "Winner",
    "choice_probabilities",
    "comparison_fields",
    "debiased_preference",
    "list_pairwise_templates",
    "pairwise_answer",
    "pairwise_answers",
    "pairwise_completion",
    "pairwise_prompt",
    "parse_choice",
    "run_pairwise",
    "validate_pairwise_template",
]

PAIRWISE_MARKER = "[RESULT]"
"""What the answer line starts with; the choice follows it after one space."""
_CHOICES = {"A": "first", "B": "second", "tie": "tie"}

Winner = Literal["first", "second", "tie"]
"""Which product one order's verdict prefers: the one shown first (as A), second, or neither."""

_SHIPPED = (
    TemplateInfo(
        "pairwise",
        (),
        "Prometheus-style comparison of two products for a query: [RESULT] A, B or tie.",
    ),
    TemplateInfo(
        "pairwise_ab",
        (),
        "The same comparison without ties: [RESULT] A or B.",
    ),
)


def list_pairwise_templates() -> list[TemplateInfo]:
    """The shipped pairwise templates, the default (with ties) first."""
    return list(_SHIPPED)


def pairwise_answers(template: str) -> tuple[str, ...]:
    """The answers the template allows, in the order A, B, tie: those it names as an answer
    line ``[RESULT] X``. A and B are required; tie is optional."""
    named = tuple(c for c in _CHOICES if f"{PAIRWISE_MARKER} {c}" in template)
    if named[:2] != ("A", "B"):
        raise TemplateError(
            "a pairwise template must name its answer lines: add an instruction such as "
            "'End with exactly one line: [RESULT] A, [RESULT] B or [RESULT] tie'"
        )
    return named


def validate_pairwise_template(text: str, available_fields: Collection[str]) -> None:
    """Raise TemplateError unless the template names its answers and every placeholder is
    ``query`` or a query field, or a product field suffixed ``_a`` or ``_b``."""
    pairwise_answers(text)
    names = placeholders(text)
    for suffix in ("_a", "_b"):
        if not any(n.endswith(suffix) for n in names):
            raise TemplateError(
                f"the template shows no field of product {suffix[1].upper()}: add "
                f"{{product_name{suffix}}} (any product field with the suffix {suffix})"
            )
    known = set(available_fields) | {f"{f}{s}" for f in available_fields for s in ("_a", "_b")}
    for name in names:
        if name not in known:
            raise TemplateError(
                f"unknown placeholder {{{name}}}: use the query's fields "
                f"({', '.join(sorted(available_fields))}) or a product field with _a or _b"
            )


def comparison_fields(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any]:
    """The values a pairwise template reads: the first pair's own fields (its query), and
    every field of both pairs suffixed ``_a`` (first) and ``_b`` (second)."""
    if first["query_id"] != second["query_id"]:
        raise JudgeError(
            f"pairs {first['pair_id']} and {second['pair_id']} belong to different queries: "
            "a comparison is between two products for the same query"
        )
    values = dict(first)
    values.update({f"{k}_a": v for k, v in first.items()})
    values.update({f"{k}_b": v for k, v in second.items()})
    return values


def pairwise_prompt(template: str, first: Mapping[str, Any], second: Mapping[str, Any]) -> str:
    """The exact prompt of one order, product ``first`` shown as A; no model call. Every value
    is fenced as in grading prompts (``field``), so product text cannot write the answer."""
    return render_prompt(template, comparison_fields(first, second))


@dataclass(frozen=True)
class PairwiseJudgment:
    """The verdict on one order of one comparison, in the shape of a stored row.

    ``p_first``, ``p_second`` and ``p_tie`` sum to 1 in logprob mode (``p_tie`` is None when
    the template allows no tie) and are None when the verdict was generated.
    """

    first_pair_id: int
    second_pair_id: int
    winner: Winner | None
    p_first: float | None
    p_second: float | None
    p_tie: float | None
    raw_output: str
    parse_status: ParseStatus
    error: str | None
    latency_ms: float
    prompt_tokens: int | None
    completion_tokens: int | None
    endpoint: str | None = None
    """The remote endpoint that answered, as ``Judgment.endpoint``."""

    def answered_by(self, endpoint: str) -> PairwiseJudgment:
        """This verdict, recording the endpoint that answered."""
        return replace(self, endpoint=endpoint)

    @classmethod
    def failed(
        cls, key: tuple[int, int], exc: JudgeBackendError, latency_ms: float
    ) -> PairwiseJudgment:
        """The order's judgment when the backend failed on it: no verdict, the error kept."""
        return cls(
            *key,
            winner=None,
            p_first=None,
            p_second=None,
            p_tie=None,
            parse_status="error",
            error=str(exc),
            **Reply.failed(exc, latency_ms).fields(),
        )

    @classmethod
    def chosen(
        cls, key: tuple[int, int], probs: Mapping[str, float], reply: Reply
    ) -> PairwiseJudgment:
        """The verdict of one order read from P(answer): the likeliest answer wins."""
        best = max(probs, key=probs.__getitem__)
        return cls(
            *key,
            winner=_winner(best),
            p_first=probs["A"],
            p_second=probs["B"],
            p_tie=probs.get("tie"),
            parse_status="logprobs",
            error=None,
            **reply.fields(),
        )

    @classmethod
    def parsed(cls, key: tuple[int, int], parsed: ParsedChoice, reply: Reply) -> PairwiseJudgment:
        """The verdict of one order read from generated text, the text kept."""
        return cls(
            *key,
            winner=parsed.winner,
            p_first=None,
            p_second=None,
            p_tie=None,
            parse_status=parsed.status,
            error=parsed.reason,
            **reply.fields(),
        )

    def as_record(self) -> dict[str, Any]:
        """The judgment as a plain dict, keyed by the stored column names."""
        return asdict(self)


@dataclass(frozen=True)
class ParsedChoice:
    """The verdict found in generated text, how it was found, and why not if it was not."""

    winner: Winner | None
    status: Literal["strict", "fallback", "unparsed"]
    reason: str | None = None


def parse_choice(text: str, answers: Sequence[str]) -> ParsedChoice:
    """Read the verdict from generated text by the rules in this module's docstring."""
    marker = re.escape(PAIRWISE_MARKER)
    options = "|".join(re.escape(a) for a in answers)
    strict = re.search(rf"(?:^|\s){marker} ?({options})\s*$", text.strip())
    if strict:
        return ParsedChoice(_winner(strict.group(1)), "strict")
    loose = list(re.finditer(rf"{marker}\W{{0,3}}({options})\b", text, re.IGNORECASE))
    if loose:
        said = loose[-1].group(1)
        exact = next(a for a in answers if a.lower() == said.lower())
        return ParsedChoice(_winner(exact), "fallback")
    listed = ", ".join(f"{PAIRWISE_MARKER} {a}" for a in answers)
    return ParsedChoice(None, "unparsed", f"no answer line ({listed}) in the model output")


def _winner(choice: str) -> Winner:
    return _CHOICES[choice]  # type: ignore[return-value]


def debiased_preference(p_first_ab: float, p_first_ba: float) -> float:
    """P(a is better than b) from both orders: the mean of P(a wins when shown first) and
    1 - P(b wins when shown first). A judge that always prefers whatever it sees first
    (p_first 1 in both orders) gets 0.5, no preference; the preferences of a and b sum to 1.

    >>> debiased_preference(0.75, 0.25)  # (0.75 + 0.75) / 2
    0.75
    """
    return (p_first_ab + 1.0 - p_first_ba) / 2.0


def choice_probabilities(
    alternatives: Mapping[str, float], answers: Sequence[str]
) -> dict[str, float] | None:
    """P(answer) for each answer from a server's top alternatives (token text -> logprob)
    after ``[RESULT]``, normalised over the answers; token texts are matched without their
    spaces, so ``" A"`` counts for A. An answer outside the alternatives gets 0; None when
    none of them is there.

    >>> choice_probabilities({" A": math.log(0.6), " B": math.log(0.2), " C": 0.0}, ["A", "B"])
    {'A': 0.75, 'B': 0.25}
    """
    mass = dict.fromkeys(answers, 0.0)
    for token, logprob in alternatives.items():
        if token.strip() in mass:
            mass[token.strip()] += math.exp(logprob)
    total = sum(mass.values())
    if total <= 0.0:
        return None
    return {answer: round(m / total, 12) for answer, m in mass.items()}


def pairwise_answer(choice: str) -> str:
    """The answer line for a choice: ``[RESULT] A``."""
    return f"{PAIRWISE_MARKER} {choice}"


def pairwise_completion(prompt: str, choice: str) -> str:
    """What follows a rendered pairwise prompt up to the choice when the judge reads raw
    text: the answer line on a line of its own, exactly where logprob scoring reads it.

    >>> pairwise_completion("Which is better?", "B")
    '\\n[RESULT] B'
    """
    return ChoiceEnding().after(prompt)[len(prompt) :] + " " + choice


class ChoiceEnding:
    """Where a remote logprob prompt stops: at ``[RESULT]`` on a line of its own, exactly
    the text in-process scoring evaluates, so both read the same next token."""

    def after(self, prompt: str) -> str:
        return with_answer_prefix(prompt, PAIRWISE_MARKER)


Comparison = tuple[Mapping[str, Any], Mapping[str, Any]]
"""Two pairs of the same query (mappings with every field a template may name)."""


def run_pairwise(
    comparisons: Iterable[Comparison],
    settings: JudgeSettings,
    *,
    on_result: Callable[[PairwiseJudgment], None],
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    skip: Collection[tuple[int, int]] = (),
    backend: JudgeBackend | None = None,
    api_key: str | None = None,
) -> RunSummary:
    """Judge each comparison in both orders and hand each order's verdict to ``on_result``.

    ``skip`` holds (first_pair_id, second_pair_id) orders judged before (resume). Orders are
    judged grouped by query, then by the product shown first, so the KV cache keeps the
    shared prefix. A failed order is handed on with parse_status "error", never dropped.
    The summary counts orders (two per comparison). Setting ``cancel`` stops between orders.
    A remote run with ``endpoint="auto"`` is probed on its first order first.
    """
    orders: dict[tuple[int, int], Comparison] = {}
    for a, b in comparisons:
        for first, second in ((a, b), (b, a)):
            orders.setdefault((int(first["pair_id"]), int(second["pair_id"])), (first, second))
    done = set(skip)
    todo = sorted(
        (key for key in orders if key not in done),
        key=lambda k: (str(orders[k][0]["query_id"]), k),
    )
    if not settings.spec.pairwise:
        raise SettingsError(f"backend {settings.backend} cannot compare two products")
    pairwise_answers(settings.template)  # a template that names no answers fails first
    if orders:  # with no comparison there are no fields to check placeholders against
        validate_pairwise_template(settings.template, set(next(iter(orders.values()))[0]))
    items = [(key, pairwise_prompt(settings.template, *orders[key])) for key in todo]
    cancel = cancel or threading.Event()
    tally: Tally[PairwiseJudgment] = Tally(len(items), on_result, on_progress)
    if items:
        own = backend is None
        loaded = backend or load_backend(settings, api_key=api_key)
        try:
            loaded.compare(items, settings, emit=tally.emit, cancel=cancel)
        finally:
            if own:
                loaded.close()
    return tally.summary(len(orders), cancel)
