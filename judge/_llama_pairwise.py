"""Pairwise comparisons in process, on the llama.cpp model.

In logprob mode the prompt is evaluated up to ``[RESULT]`` and the next-token distribution
read over `` A``, `` B`` (and `` tie``), reusing the KV cache as graded scoring does
(``LlamaBackend.next_token_logits``); in generation mode a GBNF grammar bounds the reasoning
and forces the answer line. Orders are judged one at a time in the order given.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from llama_cpp import LlamaGrammar

from ._answers import with_answer_prefix
from ._backend import OrderItem
from ._exceptions import JudgeBackendError
from ._grammar import choice_grammar
from ._llama import LlamaBackend, reasoning_room
from ._pairwise import PAIRWISE_MARKER, PairwiseJudgment, pairwise_answers, parse_choice
from ._results import Reply, ms_since
from ._settings import JudgeSettings, Mode

__all__ = ["judge_orders"]


def judge_orders(
    backend: LlamaBackend,
    items: Sequence[OrderItem],
    settings: JudgeSettings,
    *,
    emit: Callable[[PairwiseJudgment], None],
    cancel: threading.Event,
) -> None:
    """``LlamaBackend.compare``: the orders one at a time, the model held for the run."""
    answers = pairwise_answers(settings.template)
    backend.check_settings(settings)
    with backend.hold():
        judge_one: Callable[[tuple[int, int], str], PairwiseJudgment]
        if settings.mode is Mode.LOGPROBS:
            ids = backend.answer_token_ids(PAIRWISE_MARKER, [f" {a}" for a in answers])
            judge_one = functools.partial(_score, backend, ids=ids, answers=answers)
        else:
            judge_one = functools.partial(_generate, backend, settings=settings, answers=answers)
        for key, prompt in items:
            if cancel.is_set():
                return
            started = time.perf_counter()
            try:
                judgment = judge_one(key, prompt)
            except (JudgeBackendError, RuntimeError, ValueError) as exc:
                backend.llm.n_tokens = 0  # after a failed decode the KV cache is not trusted
                failure = (
                    exc
                    if isinstance(exc, JudgeBackendError)
                    else JudgeBackendError(
                        f"llama.cpp failed on pairs {key[0]} and {key[1]}: {exc}"
                    )
                )
                judgment = PairwiseJudgment.failed(key, failure, ms_since(started))
            emit(judgment)


def _check_fits(backend: LlamaBackend, key: tuple[int, int], n_tokens: int) -> None:
    n_ctx = backend.llm.n_ctx()
    if n_tokens > n_ctx:
        raise JudgeBackendError(
            f"pairs {key[0]} and {key[1]} need {n_tokens} tokens but n_ctx is {n_ctx}: raise "
            "n_ctx or shorten the template or the product descriptions"
        )


def _score(
    backend: LlamaBackend,
    key: tuple[int, int],
    prompt: str,
    *,
    ids: list[int],
    answers: Sequence[str],
) -> PairwiseJudgment:
    started = time.perf_counter()
    tokens = backend.prompt_tokens(with_answer_prefix(prompt, PAIRWISE_MARKER))
    _check_fits(backend, key, len(tokens))
    logits = backend.next_token_logits(tokens)
    chosen = [float(logits[i]) for i in ids]
    top = max(chosen)
    weights = [math.exp(x - top) for x in chosen]
    probs = dict(zip(answers, (w / sum(weights) for w in weights), strict=True))
    # The most likely token over the whole vocabulary shows when the model would not have
    # answered A, B or tie at all.
    top_token = backend.llm.detokenize([int(logits.argmax())]).decode("utf-8", "replace")
    return PairwiseJudgment.chosen(key, probs, Reply(top_token, ms_since(started), len(tokens), 0))


def _generate(
    backend: LlamaBackend,
    key: tuple[int, int],
    prompt: str,
    *,
    settings: JudgeSettings,
    answers: Sequence[str],
) -> PairwiseJudgment:
    started = time.perf_counter()
    longest = max(len(f"{PAIRWISE_MARKER} {a}") for a in answers)
    room = reasoning_room(f"{PAIRWISE_MARKER} A", longest, settings.max_tokens)
    grammar = choice_grammar(PAIRWISE_MARKER, [f" {a}" for a in answers], room, rule="choice")
    _check_fits(backend, key, len(backend.prompt_tokens(prompt)) + settings.max_tokens)
    out: Any = backend.llm.create_completion(
        prompt,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        seed=settings.seed,
        grammar=LlamaGrammar.from_string(grammar),
    )
    text = out["choices"][0]["text"]
    usage = out["usage"]
    reply = Reply(text, ms_since(started), usage["prompt_tokens"], usage["completion_tokens"])
    return PairwiseJudgment.parsed(key, parse_choice(text, answers), reply)
