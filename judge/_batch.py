"""Batch files: the judge's requests as OpenAI Batch API lines, and the answers read back.

``vllm run-batch`` and OpenAI's Batch API read a JSONL file of requests, one a line::

    {"custom_id": "run-12-pair-345", "method": "POST", "url": "/v1/completions",
     "body": {"model": "...", "prompt": "...", "max_tokens": 1, "logprobs": 5, ...}}

and write one line per request, in any order::

    {"id": "...", "custom_id": "run-12-pair-345",
     "response": {"status_code": 200, "request_id": "...", "body": {...}}, "error": null}

OpenAI puts the requests that failed in a separate error file of the same shape, with
``error`` set (``{"code": ..., "message": ...}``) or a ``response`` whose status is not 200.

A request's body is the one the remote backend sends for the same prompt and settings
(``build_request``: the rendered prompt up to the answer prefix over completions, one answer
token, the run's ``top_logprobs``), without streaming, which batch engines do not do. An
answer's body is read by the same reader (``read_answer``) and turned into a judgment by the
same function (``judgment_from_answer``, ``verdict_from_answer``), so a batch gives the
grades and probabilities a remote run gives on the same logprobs.

``custom_id`` names the run and the pair (``run-12-pair-345``) or, for a pairwise run, the
order of the two pairs (``run-12-pair-345-vs-678``: 345 shown first).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ._answers import AnswerFormat
from ._exceptions import JudgeBackendError, JudgeError, SettingsError
from ._pairwise import ChoiceEnding, PairwiseJudgment, pairwise_answers
from ._payloads import AnswerEnding, RemoteAnswer, build_request, read_answer
from ._remote import said
from ._remote_pairwise import verdict_from_answer
from ._results import Judgment
from ._scoring import judgment_from_answer
from ._settings import Backend, JudgeSettings

__all__ = [
    "BATCH_URLS",
    "BatchKey",
    "BatchLineError",
    "BatchResult",
    "batch_custom_id",
    "batch_request",
    "check_batch_settings",
    "judgment_from_result",
    "read_batch_custom_id",
    "read_result_line",
    "verdict_from_result",
]

BATCH_URLS = ("/v1/chat/completions", "/v1/completions")
"""The endpoints a batch line may name: the two OpenAI-compatible ones the judge uses."""

BatchKey = int | tuple[int, int]
"""What a line is about: a pair (graded runs) or an order of two pairs (pairwise runs)."""

_CUSTOM_ID = re.compile(r"run-(\d+)-pair-(\d+)(?:-vs-(\d+))?")
# The engines answer with no latency of their own: a batch's judgments record none.
_NO_LATENCY = 0.0


class BatchLineError(JudgeError):
    """A line of a results file that cannot be read: not JSON, or without the fields of the
    batch output format."""


@dataclass(frozen=True)
class BatchResult:
    """One line of a results or error file: its custom_id and the answer, or the failure."""

    custom_id: str
    outcome: RemoteAnswer | JudgeBackendError


def batch_custom_id(run_id: int, key: BatchKey) -> str:
    """The custom_id of a run's request for a pair, or for an order of two pairs."""
    if isinstance(key, tuple):
        return f"run-{run_id}-pair-{key[0]}-vs-{key[1]}"
    return f"run-{run_id}-pair-{key}"


def read_batch_custom_id(text: str) -> tuple[int, BatchKey] | None:
    """(run_id, pair or order) a custom_id names, or None when it is none of ours."""
    found = _CUSTOM_ID.fullmatch(text)
    if found is None:
        return None
    run, first, second = found.groups()
    return int(run), int(first) if second is None else (int(first), int(second))


def batch_request(
    settings: JudgeSettings, key_id: str, prompt: str, *, pairwise: bool = False
) -> dict[str, Any]:
    """The batch line (as a dict) asking for one rendered prompt's answer; a logprob prompt
    ends at the answer prefix, or at ``[RESULT]`` for a pairwise comparison."""
    check_batch_settings(settings)
    ending: AnswerEnding = ChoiceEnding() if pairwise else settings.answer_format()
    request = build_request(settings, prompt, ending)
    body = {k: v for k, v in request.body.items() if k not in ("stream", "stream_options")}
    return {"custom_id": key_id, "method": "POST", "url": f"/v1{request.path}", "body": body}


def check_batch_settings(settings: JudgeSettings) -> None:
    """Raise SettingsError unless the settings' requests can go in a batch file."""
    if settings.backend is not Backend.OPENAI:
        raise SettingsError(
            f"batch files are OpenAI's format, read by vLLM and the OpenAI Batch API: use "
            f"--backend openai, not {settings.backend}"
        )


def read_result_line(line: str, settings: JudgeSettings) -> BatchResult:
    """One line of a results or error file. Raises BatchLineError when it is not a line of
    the batch output format; a failed request, or an answer without the fields the judge
    reads, is a BatchResult whose outcome is the JudgeBackendError."""
    try:
        record = json.loads(line)
    except ValueError as exc:
        raise BatchLineError(f"not JSON ({exc})") from None
    key_id = record.get("custom_id") if isinstance(record, dict) else None
    if not isinstance(key_id, str):
        raise BatchLineError("no custom_id")
    response = record.get("response")
    error = record.get("error")
    if error:
        return BatchResult(key_id, _engine_error(error, response))
    if not isinstance(response, dict) or not isinstance(response.get("status_code"), int):
        raise BatchLineError(f"{key_id}: neither an error nor a response with a status_code")
    status, body = response["status_code"], response.get("body")
    if status != 200:
        text = body if isinstance(body, str) else json.dumps(body)
        failed = JudgeBackendError(
            f"HTTP {status} in the batch results: the server said {said(text)}",
            status_code=status,
            body=text,
        )
        return BatchResult(key_id, failed)
    try:
        return BatchResult(key_id, read_answer(settings, body))
    except JudgeBackendError as exc:
        return BatchResult(key_id, exc)


def _engine_error(error: Any, response: Any) -> JudgeBackendError:
    if isinstance(error, dict):
        what = f"{error.get('code') or 'error'}: {error.get('message') or ''}".rstrip(": ")
    else:
        what = str(error)
    status = response.get("status_code") if isinstance(response, dict) else None
    return JudgeBackendError(
        f"the batch engine failed this request ({what})",
        status_code=status if isinstance(status, int) else None,
        body=json.dumps(error),
    )


def judgment_from_result(
    pair_id: int,
    result: BatchResult,
    settings: JudgeSettings,
    *,
    answer_line: AnswerFormat | None = None,
) -> Judgment:
    """A graded run's judgment of ``pair_id`` from its batch line, as a remote run reads
    the same answer; a failed line is a failed judgment keeping its error. ``answer_line``
    is ``settings.answer_format()``, given by a caller that reads many lines."""
    if isinstance(result.outcome, JudgeBackendError):
        return Judgment.failed(pair_id, result.outcome, latency_ms=_NO_LATENCY)
    answer_line = answer_line or settings.answer_format()
    prefix_sent = build_request(settings, "", answer_line).answer_prefix_sent
    return judgment_from_answer(
        pair_id,
        result.outcome,
        settings,
        prefix_sent=prefix_sent,
        latency_ms=_NO_LATENCY,
        answer_line=answer_line,
    )


def verdict_from_result(
    order: tuple[int, int], result: BatchResult, settings: JudgeSettings
) -> PairwiseJudgment:
    """A pairwise run's verdict on one order from its batch line, as a remote run reads it."""
    answers = pairwise_answers(settings.template)
    return verdict_from_answer(order, result.outcome, settings, answers, _NO_LATENCY)
