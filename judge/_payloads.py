"""Pure request builders and response readers for the remote APIs; no network here.

Four flavours: OpenAI-compatible ``/chat/completions`` and ``/completions``, Ollama
``/api/chat`` and ``/api/generate``. The raw-text flavours (completions, generate) send the
exact prompt; in logprob mode they send it up to the answer prefix and ask for one token with
its top alternatives, which is what the in-process judge reads. Chat flavours send the prompt
as the user message and, in logprob mode, ask for ``max_tokens`` tokens (the endpoint probe
sets it to the tokens the model takes to write its grade) with their top alternatives; the
reader then finds the grade position. Either way ``top_logprobs`` alternatives per token:
servers such as llama-cpp-python's rank the whole vocabulary for every token that reports
them, so the fewer tokens asked for, the faster.

In logprob mode OpenAI-compatible requests are streamed (``stream: true``, usage asked for
with ``stream_options``) and the events merged back into one answer (``merge_stream``):
llama-cpp-python's server computes log-probabilities over every prompt position for an
answer sent whole, but over the new token only when it streams, 3-4x faster per pair.

Completions answers come in two shapes, both read: OpenAI's (``tokens`` and
``top_logprobs`` as token -> logprob maps) and llama.cpp's ``llama-server`` (a ``content``
list of entries as chat answers have).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ._answers import AnswerFormat
from ._exceptions import JudgeBackendError, SettingsError
from ._settings import Backend, Endpoint, JudgeSettings, Mode

__all__ = [
    "AnswerEnding",
    "RemoteAnswer",
    "RemoteRequest",
    "build_request",
    "chat_messages",
    "grade_alternatives",
    "grade_position",
    "merge_stream",
    "read_answer",
]

TokenAlternatives = tuple[str, dict[str, float]]
"""A generated token and its top alternatives, token text -> logprob."""


@dataclass(frozen=True)
class RemoteRequest:
    """A POST to send: path under the base URL and the JSON body."""

    path: str
    body: dict[str, Any]
    answer_prefix_sent: bool = False
    """True when the prompt already ends with the answer prefix (raw-text logprob mode)."""
    streamed: bool = False
    """True when the answer comes as server-sent events, to read with ``merge_stream``."""


@dataclass(frozen=True)
class RemoteAnswer:
    """What a response says, whatever the API flavour."""

    text: str
    tokens: list[TokenAlternatives] = field(default_factory=list)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


def chat_messages(prompt: str) -> list[dict[str, str]]:
    """The messages the judge sends over a chat endpoint: the rendered prompt as the one user
    message, no system message (the template says everything; Gemma's chat format drops
    system messages anyway). Training records use the same, so SFT sees what judging sends."""
    return [{"role": "user", "content": prompt}]


class AnswerEnding(Protocol):
    """Where a logprob prompt stops: ``AnswerFormat`` ends it with a grade's answer prefix,
    a pairwise comparison with ``[RESULT]``."""

    def after(self, prompt: str) -> str: ...


def build_request(settings: JudgeSettings, prompt: str, answer: AnswerEnding) -> RemoteRequest:
    """The request that asks the configured remote model to judge one rendered prompt."""
    if settings.endpoint is Endpoint.AUTO:
        raise SettingsError(
            "endpoint 'auto' is resolved by the endpoint probe before a run "
            "(judge.choose_endpoint): pick chat or completions to build a request"
        )
    logprobs = settings.mode is Mode.LOGPROBS
    raw_text = settings.endpoint is Endpoint.COMPLETIONS
    text = answer.after(prompt) if logprobs and raw_text else prompt
    # One token is the grade when the prompt ends with the answer prefix.
    max_tokens = 1 if logprobs and raw_text else settings.max_tokens
    if settings.backend is Backend.OLLAMA:
        body = _ollama_body(settings, text, max_tokens, raw_text, logprobs)
        path = "/api/generate" if raw_text else "/api/chat"
    else:
        body = _openai_body(settings, text, max_tokens, raw_text, logprobs)
        path = "/completions" if raw_text else "/chat/completions"
    streamed = bool(body.get("stream"))
    return RemoteRequest(path, body, answer_prefix_sent=logprobs and raw_text, streamed=streamed)


def _openai_body(
    settings: JudgeSettings, text: str, max_tokens: int, raw_text: bool, logprobs: bool
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": settings.model,
        "max_tokens": max_tokens,
        "temperature": settings.temperature,
        "seed": settings.seed,
    }
    if logprobs:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    if raw_text:
        body["prompt"] = text
        if logprobs:
            body["logprobs"] = settings.top_logprobs
    else:
        body["messages"] = chat_messages(text)
        if logprobs:
            body["logprobs"] = True
            body["top_logprobs"] = settings.top_logprobs
    return body


def _ollama_body(
    settings: JudgeSettings, text: str, max_tokens: int, raw_text: bool, logprobs: bool
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": settings.model,
        "stream": False,
        "options": {
            "temperature": settings.temperature,
            "seed": settings.seed,
            "num_predict": max_tokens,
            "num_ctx": settings.n_ctx,
        },
    }
    if raw_text:
        body["prompt"] = text
        body["raw"] = True
    else:
        body["messages"] = chat_messages(text)
    if logprobs:
        body["logprobs"] = True
        body["top_logprobs"] = settings.top_logprobs
    return body


def merge_stream(text: str) -> dict[str, Any]:
    """An OpenAI-style answer sent as server-sent events, merged into the body it would
    have had sent whole: text (or message content) and logprob entries joined in order,
    usage from the event that carries it. ValueError when an event is not JSON or reports
    an error."""
    text_parts: list[str] = []
    entries: list[Any] = []
    tokens: list[str] = []
    tops: list[Any] = []
    usage = None
    chat = False
    for line in text.splitlines():
        if not line.startswith("data:") or line[5:].strip() == "[DONE]":
            continue
        event = json.loads(line[5:])
        if not isinstance(event, dict):
            raise ValueError(f"a stream event is not an object: {line[:200]!r}")
        if "error" in event:
            raise ValueError(f"the server reported an error mid-stream: {event['error']!r}")
        usage = event.get("usage") or usage
        for choice in event.get("choices") or []:
            delta = choice.get("delta")
            chat = chat or delta is not None
            text_parts.append((delta or {}).get("content") or choice.get("text") or "")
            logprobs = choice.get("logprobs") or {}
            entries += logprobs.get("content") or []
            tokens += logprobs.get("tokens") or []
            tops += logprobs.get("top_logprobs") or []
    joined = "".join(text_parts)
    if chat:
        choice = {"message": {"content": joined}, "logprobs": {"content": entries}}
    elif entries:
        choice = {"text": joined, "logprobs": {"content": entries}}
    else:
        choice = {"text": joined, "logprobs": {"tokens": tokens, "top_logprobs": tops}}
    return {"choices": [choice], "usage": usage}


def read_answer(settings: JudgeSettings, body: Any) -> RemoteAnswer:
    """Read a decoded JSON response; JudgeBackendError if it lacks the expected fields."""
    try:
        if settings.backend is Backend.OLLAMA:
            return _read_ollama(body, settings.endpoint)
        if settings.endpoint is Endpoint.COMPLETIONS:
            return _read_openai_completions(body)
        return _read_openai_chat(body)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise JudgeBackendError(
            f"the response has no usable answer ({type(exc).__name__}: {exc}): check that "
            f"base_url points at a {settings.backend.value} API with the '{settings.endpoint}' "
            "endpoint",
            body=str(body),
        ) from None


def _read_openai_chat(body: dict[str, Any]) -> RemoteAnswer:
    choice = body["choices"][0]
    content = choice["message"]["content"]
    if not isinstance(content, str):
        raise TypeError("message content is not text")
    entries = (choice.get("logprobs") or {}).get("content") or []
    tokens = [(e["token"], _alternatives(e.get("top_logprobs") or [])) for e in entries]
    return RemoteAnswer(content, tokens, *_openai_usage(body))


def _read_openai_completions(body: dict[str, Any]) -> RemoteAnswer:
    choice = body["choices"][0]
    text = choice["text"]
    if not isinstance(text, str):
        raise TypeError("completion text is not text")
    logprobs = choice.get("logprobs") or {}
    if "content" in logprobs:  # llama-server answers completions in the chat shape
        entries = logprobs["content"] or []
        tokens = [(e["token"], _alternatives(e.get("top_logprobs") or [])) for e in entries]
        return RemoteAnswer(text, tokens, *_openai_usage(body))
    tops = logprobs.get("top_logprobs") or []
    tokens = [
        (token, {k: float(v) for k, v in (top or {}).items()})
        for token, top in zip(logprobs.get("tokens") or [], tops, strict=False)
    ]
    return RemoteAnswer(text, tokens, *_openai_usage(body))


def _read_ollama(body: dict[str, Any], endpoint: Endpoint) -> RemoteAnswer:
    text = body["response"] if endpoint is Endpoint.COMPLETIONS else body["message"]["content"]
    if not isinstance(text, str):
        raise TypeError("answer is not text")
    entries = body.get("logprobs") or []
    tokens = [(e["token"], _alternatives(e.get("top_logprobs") or [])) for e in entries]
    return RemoteAnswer(text, tokens, body.get("prompt_eval_count"), body.get("eval_count"))


def _alternatives(top: Sequence[dict[str, Any]]) -> dict[str, float]:
    return {entry["token"]: float(entry["logprob"]) for entry in top}


def _openai_usage(body: dict[str, Any]) -> tuple[int | None, int | None]:
    usage = body.get("usage") or {}
    return usage.get("prompt_tokens"), usage.get("completion_tokens")


def grade_position(
    tokens: Sequence[TokenAlternatives], answer: AnswerFormat, preceding: str = ""
) -> int | None:
    """The index of the last grade position: a digit token right after the answer prefix.

    ``preceding`` is text already in the prompt (the answer prefix, in raw-text logprob mode);
    the first token after a prefix sent in the prompt is the grade position whatever the
    model chose there, as in-process scoring reads it. None when the output never puts a
    digit after the prefix.
    """
    text = preceding
    found = None
    for index, (token, _) in enumerate(tokens):
        sent = index == 0 and bool(preceding)
        if text.rstrip().endswith(answer.marker) and (sent or token.strip().isdigit()):
            found = index
        text += token
    return found


def grade_alternatives(
    tokens: Sequence[TokenAlternatives], answer: AnswerFormat, preceding: str = ""
) -> dict[str, float] | None:
    """The top alternatives at the grade position (see ``grade_position``), or None."""
    index = grade_position(tokens, answer, preceding)
    return None if index is None else tokens[index][1]
