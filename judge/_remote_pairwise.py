"""Pairwise comparisons on a remote server (OpenAI-compatible or Ollama).

In logprob mode the prompt goes over completions up to ``[RESULT]`` and one token is asked
for, whose top alternatives give P(A), P(B) (and P(tie)) by ``choice_probabilities``; the
endpoint probe (``choose_pairwise_settings``) sets how many alternatives are asked for. In
generation mode the answer text is read by ``parse_choice``. Requests go as a graded run's
do (``RemoteBackend.ask_each``: concurrency, retries, limits, the key masked).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._backend import OrderItem
from ._exceptions import JudgeBackendError
from ._pairwise import (
    PAIRWISE_MARKER,
    ChoiceEnding,
    PairwiseJudgment,
    ParsedChoice,
    choice_probabilities,
    pairwise_answers,
    pairwise_prompt,
    parse_choice,
)
from ._payloads import RemoteAnswer
from ._probe import EndpointChoice, choose_pairwise_endpoint, refuse_chat_logprobs
from ._remote import RemoteBackend
from ._results import Reply
from ._settings import Endpoint, JudgeSettings, Mode

__all__ = ["choose_pairwise_settings", "judge_orders", "verdict_from_answer"]


def choose_pairwise_settings(
    settings: JudgeSettings,
    first: Mapping[str, Any],
    second: Mapping[str, Any],
    *,
    api_key: str | None = None,
    backend: RemoteBackend | None = None,
) -> EndpointChoice:
    """The endpoint probe for a remote pairwise run on one comparison (shown in this
    order): which endpoint and ``top_logprobs`` it uses, and why."""
    return choose_pairwise_endpoint(
        settings,
        pairwise_prompt(settings.template, first, second),
        answers=pairwise_answers(settings.template),
        ending=ChoiceEnding(),
        backend=backend or RemoteBackend(api_key=settings.api_key(api_key)),
    )


def judge_orders(
    backend: RemoteBackend,
    items: Sequence[OrderItem],
    settings: JudgeSettings,
    *,
    emit: Callable[[PairwiseJudgment], None],
    cancel: threading.Event,
) -> None:
    """``RemoteBackend.compare``: the orders judged with up to ``concurrency`` requests in
    flight; with ``endpoint="auto"`` the probe picks the endpoint on the first order."""
    answers = pairwise_answers(settings.template)
    if settings.endpoint is Endpoint.AUTO:
        settings = choose_pairwise_endpoint(
            settings, items[0][1], answers=answers, ending=ChoiceEnding(), backend=backend
        ).settings
    refuse_chat_logprobs(settings)

    def read(
        key: tuple[int, int], outcome: RemoteAnswer | JudgeBackendError, latency_ms: float
    ) -> PairwiseJudgment:
        return verdict_from_answer(key, outcome, settings, answers, latency_ms)

    backend.ask_each(items, settings, ending=ChoiceEnding(), read=read, emit=emit, cancel=cancel)


def verdict_from_answer(
    key: tuple[int, int],
    outcome: RemoteAnswer | JudgeBackendError,
    settings: JudgeSettings,
    answers: Sequence[str],
    latency_ms: float,
) -> PairwiseJudgment:
    """The verdict on one order (``key``) from a server's answer or failure: in logprob mode
    from the alternatives of the one token after ``[RESULT]``, else from the answer text.
    Remote runs and batch results read answers here."""
    if isinstance(outcome, JudgeBackendError):
        return PairwiseJudgment.failed(key, outcome, latency_ms)
    reply = Reply(outcome.text, latency_ms, outcome.prompt_tokens, outcome.completion_tokens)
    if settings.mode is Mode.LOGPROBS:
        alternatives = outcome.tokens[0][1] if outcome.tokens else {}
        probs = choice_probabilities(alternatives, answers)
        if probs is not None:
            return PairwiseJudgment.chosen(key, probs, reply)
        listed = ", ".join(answers)
        reason = f"none of {listed} among the server's alternatives after {PAIRWISE_MARKER}"
        parsed = ParsedChoice(None, "unparsed", reason)
    else:
        parsed = parse_choice(outcome.text, answers)
    return PairwiseJudgment.parsed(key, parsed, reply)
