"""Remote backend: OpenAI-compatible or Ollama servers over httpx.AsyncClient.

``concurrency`` workers share one client; each failed attempt on 429, 5xx, a timeout or a
dropped connection is retried with exponential backoff and jitter, waiting as long as a
``Retry-After`` header asks. Other 4xx answers and malformed bodies are not retried: sending
the same request again would get the same answer.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from ._backend import PromptItem
from ._exceptions import JudgeBackendError, SettingsError
from ._parsing import distribution_from_top_logprobs, parse_grade
from ._payloads import RemoteRequest, build_request, grade_alternatives, read_answer
from ._results import Judgment, ms_since
from ._settings import Backend, JudgeSettings, Mode
from ._templates import answer_prefix

__all__ = ["RemoteBackend"]

_MAX_BACKOFF_S = 30.0
_MAX_RETRY_AFTER_S = 300.0
_HINTS = {
    401: "check the API key (the environment variable named by api_key_env)",
    403: "check the API key's permissions for this model",
    404: "check base_url (OpenAI-compatible roots usually end in /v1) and the model name",
}


class RemoteBackend:
    """Judges through a remote API. Holds no connection between runs."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        backoff_s: float = 0.5,
    ) -> None:
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._backoff_s = backoff_s

    def judge(
        self,
        items: Sequence[PromptItem],
        settings: JudgeSettings,
        *,
        emit: Callable[[Judgment], None],
        cancel: threading.Event,
    ) -> None:
        """Judge items with up to ``settings.concurrency`` requests in flight."""
        if settings.backend is Backend.LLAMA_CPP:
            raise SettingsError(
                "a remote backend cannot judge with backend='llama_cpp' settings: build the "
                "backend for these settings with load_backend(settings)"
            )
        asyncio.run(self._judge(iter(items), settings, emit, cancel))

    def close(self) -> None:
        """Nothing to release: each run opens and closes its own client."""

    async def _judge(
        self,
        items: Iterator[PromptItem],
        settings: JudgeSettings,
        emit: Callable[[Judgment], None],
        cancel: threading.Event,
    ) -> None:
        limits = httpx.Limits(max_connections=settings.concurrency)
        async with httpx.AsyncClient(
            base_url=settings.base_url or "",
            headers=self._headers,
            timeout=settings.timeout_s,
            limits=limits,
        ) as client:

            async def worker() -> None:
                # Workers share one iterator, so each item is taken exactly once.
                for item in items:
                    if cancel.is_set():
                        return
                    emit(await self._judge_one(client, item, settings))

            tasks = [asyncio.create_task(worker()) for _ in range(settings.concurrency)]
            try:
                pending = set(tasks)
                while pending and not cancel.is_set():
                    # A short poll, since threading.Event has no awaitable form.
                    done, pending = await asyncio.wait(
                        pending, timeout=0.05, return_when=asyncio.FIRST_EXCEPTION
                    )
                    for task in done:
                        task.result()  # an emit callback failed: the caller must know
            finally:
                # On cancel, requests in flight are dropped: their pairs stay unjudged and
                # are judged when the run resumes.
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _judge_one(
        self, client: httpx.AsyncClient, item: PromptItem, settings: JudgeSettings
    ) -> Judgment:
        started = time.perf_counter()
        prefix = answer_prefix(settings.template)
        request = build_request(settings, item.prompt, prefix)
        try:
            answer = read_answer(settings, await self._post(client, request, settings))
        except JudgeBackendError as exc:
            return Judgment.failed(item.pair_id, exc, latency_ms=ms_since(started))
        preceding = prefix if request.answer_prefix_sent else ""
        usage = {
            "raw_output": answer.text,
            "prompt_tokens": answer.prompt_tokens,
            "completion_tokens": answer.completion_tokens,
        }
        if settings.mode is Mode.LOGPROBS:
            alternatives = grade_alternatives(answer.tokens, prefix, preceding)
            dist = distribution_from_top_logprobs(alternatives or {}, settings.scale)
            if dist is not None:
                return Judgment.scored(item.pair_id, dist, latency_ms=ms_since(started), **usage)
        parsed = parse_grade(preceding + answer.text, settings.scale, prefix)
        return Judgment.parsed(item.pair_id, parsed, latency_ms=ms_since(started), **usage)

    async def _post(
        self, client: httpx.AsyncClient, request: RemoteRequest, settings: JudgeSettings
    ) -> Any:
        """POST with retries; the decoded JSON body, or JudgeBackendError."""
        attempts = settings.max_retries + 1
        for attempt in range(attempts):
            retry_after = None
            try:
                response = await client.post(request.path, json=request.body)
            except httpx.TimeoutException:
                failure = JudgeBackendError(
                    f"no answer within timeout_s={settings.timeout_s}s from {settings.base_url}: "
                    "raise timeout_s or lower concurrency"
                )
            except httpx.TransportError as exc:
                failure = JudgeBackendError(
                    f"cannot reach {settings.base_url} ({type(exc).__name__}: {exc}): check "
                    "base_url and that the server is running"
                )
            else:
                status = response.status_code
                if status < 400:
                    return _decode(response)
                failure = _http_error(response)
                if status != 429 and status < 500:
                    raise failure
                retry_after = _retry_after_s(response.headers.get("Retry-After"))
            if attempt + 1 < attempts:
                await asyncio.sleep(
                    retry_after if retry_after is not None else self._backoff(attempt)
                )
        raise JudgeBackendError(
            f"{failure} (gave up after {attempts} attempts)",
            status_code=failure.status_code,
            body=failure.body,
        )

    def _backoff(self, attempt: int) -> float:
        # "Equal jitter": half the exponential delay is fixed, half random, so concurrent
        # workers that failed together do not retry together.
        delay = min(_MAX_BACKOFF_S, self._backoff_s * 2**attempt)
        return delay / 2 + random.uniform(0, delay / 2)


def _decode(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise JudgeBackendError(
            f"HTTP {response.status_code} with a body that is not JSON: is base_url an API "
            "root rather than a web page?",
            status_code=response.status_code,
            body=response.text,
        ) from None


def _http_error(response: httpx.Response) -> JudgeBackendError:
    status = response.status_code
    hint = _HINTS.get(status, "see the response body")
    return JudgeBackendError(
        f"HTTP {status} from {response.request.url}: {hint}; body: {response.text[:300]!r}",
        status_code=status,
        body=response.text,
    )


def _retry_after_s(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER_S)
