"""Remote backend: OpenAI-compatible or Ollama servers over httpx.AsyncClient.

Requests go through a ``Fleet`` of the settings' base URLs (one URL: a fleet of one), each
endpoint with its own client, ``concurrency`` slots and circuit breaker (see ``_fleet``);
each result records the endpoint that answered. Each failed attempt on 429, 5xx, a timeout
or a dropped connection is retried on its endpoint with exponential backoff and jitter,
waiting as long as a ``Retry-After`` header asks. Other 4xx answers and malformed bodies are
not retried: sending the same request again would get the same answer.

Three limits keep a bad server from costing much. An attempt has ``timeout_s`` from sending
the request to the last byte of the response, however slowly the bytes trickle in. A body is
read streamed up to ``max_answer_bytes`` and the rest is never read; a 2xx answer cut there
is recorded as "unparsed" with what fit, since asking again would get the same answer. After
``max_consecutive_failures`` pairs in a row that failed every retry, the run stops with
EndpointDownError instead of waiting out every remaining pair. Whatever leaves this backend
has the API key masked (see ``_secrets``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email.utils
import json
import random
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

import httpx

from ._backend import OrderItem, PromptItem
from ._exceptions import EndpointDownError, JudgeBackendError, SettingsError
from ._fleet import Fleet, FleetEndpoint
from ._parsing import ParsedGrade
from ._payloads import (
    AnswerEnding,
    RemoteAnswer,
    RemoteRequest,
    build_request,
    merge_stream,
    read_answer,
)
from ._results import Judgment, Reply, ms_since
from ._scoring import judgment_from_answer
from ._secrets import Redactor, keep_out_of_logs
from ._settings import Endpoint, JudgeSettings, endpoint_label

if TYPE_CHECKING:
    from ._pairwise import PairwiseJudgment

__all__ = ["NoAnswerError", "RemoteBackend", "said", "status_hint"]

_MAX_BACKOFF_S = 30.0
_MAX_RETRY_AFTER_S = 300.0
# The likely cause of a refusal, by status: whole sentences, said before the server's own
# words so that a long body never pushes them out of a one-line message.
_HINTS = {
    401: "the server did not accept the API key: check the API key (the environment "
    "variable named by api_key_env)",
    403: "the API key may not use this model: check the API key's permissions for this model",
    404: "the server has no such path or model: check base_url (OpenAI-compatible roots "
    "usually end in /v1) and the model name",
}
# Characters of a server's answer quoted in a message; the whole body stays on the error.
_SAID_LIMIT = 120


def status_hint(status: int | None) -> str | None:
    """The likely cause of an HTTP status, when one status names it (401, 403, 404)."""
    return None if status is None else _HINTS.get(status)


def said(body: str | None) -> str:
    """What a server answered, quoted on one line, its end cut when long."""
    text = " ".join((body or "").split())
    return repr(text if len(text) <= _SAID_LIMIT else text[: _SAID_LIMIT - 1] + "…")


class _Outcome(Protocol):
    @property
    def error(self) -> str | None: ...

    def answered_by(self, endpoint: str) -> Self: ...


_Item = TypeVar("_Item")
_Out = TypeVar("_Out", bound=_Outcome)
_Key = TypeVar("_Key")


class NoAnswerError(JudgeBackendError):
    """Every attempt timed out, could not connect, or got 429/5xx: the server gave no answer."""


class _AnswerCut(JudgeBackendError):
    """A 2xx body longer than max_answer_bytes; ``body`` holds the part that fit."""


@dataclass(frozen=True)
class _Reply:
    """A response read up to the size cap."""

    status: int
    headers: httpx.Headers
    url: str
    text: str
    cut_at: int | None
    """The cap, when the body was longer and the rest was dropped; else None."""
    ended_early: bool = False
    """A stream the server closed before its end; ``text`` holds the events that came."""


class RemoteBackend:
    """Judges through a remote API. Holds no connection between runs."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        backoff_s: float = 0.5,
    ) -> None:
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._redactor = Redactor.for_key(api_key)
        keep_out_of_logs(api_key)  # httpx and httpcore log URLs and response headers at DEBUG
        self._backoff_s = backoff_s

    def judge(
        self,
        items: Sequence[PromptItem],
        settings: JudgeSettings,
        *,
        emit: Callable[[Judgment], None],
        cancel: threading.Event,
    ) -> None:
        """Judge items with up to ``settings.concurrency`` requests in flight.

        Raises EndpointDownError after ``settings.max_consecutive_failures`` pairs in a row
        got no answer; those pairs have been emitted as errors, the rest are not judged.
        With ``endpoint="auto"`` the endpoint probe picks the endpoint on the first item.
        """
        if not settings.spec.remote:
            raise SettingsError(
                f"a remote backend cannot judge with backend='{settings.backend}' settings: "
                "build the backend for these settings with load_backend(settings)"
            )
        if settings.endpoint is Endpoint.AUTO and items:
            from ._probe import choose_endpoint  # the probe asks through this backend

            settings = choose_endpoint(settings, items[0].prompt, backend=self).settings

        async def judge_one(client: httpx.AsyncClient, item: PromptItem) -> tuple[Judgment, bool]:
            judgment, unanswered = await self._judge_one(client, item, settings)
            return self._redactor.judgment(judgment), unanswered

        asyncio.run(self._workers(iter(items), settings, emit, cancel, judge_one))

    def compare(
        self,
        items: Sequence[OrderItem],
        settings: JudgeSettings,
        *,
        emit: Callable[[PairwiseJudgment], None],
        cancel: threading.Event,
    ) -> None:
        """Judge comparison orders as ``judge`` judges pairs (see ``_remote_pairwise``)."""
        from ._remote_pairwise import judge_orders  # it imports this module

        judge_orders(self, items, settings, emit=emit, cancel=cancel)

    def ask_each(
        self,
        items: Sequence[tuple[_Key, str]],
        settings: JudgeSettings,
        *,
        ending: AnswerEnding,
        read: Callable[[_Key, RemoteAnswer | JudgeBackendError, float], _Out],
        emit: Callable[[_Out], None],
        cancel: threading.Event,
    ) -> None:
        """Ask about each (key, rendered prompt) as ``judge`` does (concurrency, retries,
        limits, the stop after consecutive failures) and emit what ``read`` makes of each
        answer or failure, given the item's key and the latency in ms. Answers and errors
        reach ``read`` with the API key masked. Pairwise comparisons are judged this way."""

        async def judge_one(client: httpx.AsyncClient, item: tuple[_Key, str]) -> tuple[_Out, bool]:
            key, prompt = item
            started = time.perf_counter()
            outcome: RemoteAnswer | JudgeBackendError
            request = build_request(settings, prompt, ending)
            try:
                body, _ = await self._post(client, request, settings)
                answer = read_answer(settings, body)
                outcome = dataclasses.replace(answer, text=self.mask(answer.text))
            except JudgeBackendError as exc:
                outcome = self._masked(exc)
            return read(key, outcome, ms_since(started)), isinstance(outcome, NoAnswerError)

        asyncio.run(self._workers(iter(items), settings, emit, cancel, judge_one))

    def ask(
        self, prompt: str, settings: JudgeSettings, *, ending: AnswerEnding | None = None
    ) -> RemoteAnswer:
        """One request for one rendered prompt, with the settings' timeout and retries; a
        logprob prompt stops at ``ending`` (default: the template's answer prefix).

        Raises JudgeBackendError (NoAnswerError when the server gave no answer at all),
        its message and body with the API key masked.
        """

        async def one() -> RemoteAnswer:
            async with self._client(settings) as client:
                request = build_request(settings, prompt, ending or settings.answer_format())
                body, _ = await self._post(client, request, settings)
                return read_answer(settings, body)

        try:
            return asyncio.run(one())
        except JudgeBackendError as exc:
            raise self._masked(exc) from None

    def _masked(self, exc: JudgeBackendError) -> JudgeBackendError:
        return type(exc)(
            self._redactor.text(str(exc)),
            status_code=exc.status_code,
            body=None if exc.body is None else self._redactor.text(exc.body),
        )

    def mask(self, text: str) -> str:
        """``text`` with this backend's API key masked, as everything it hands back."""
        return self._redactor.text(text)

    def close(self) -> None:
        """Nothing to release: each run opens and closes its own client."""

    def _client(self, settings: JudgeSettings, base_url: str | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=base_url or settings.base_url or "",
            headers=self._headers,
            timeout=settings.timeout_s,
            limits=httpx.Limits(max_connections=settings.concurrency),
        )

    async def _workers(
        self,
        items: Iterator[_Item],
        settings: JudgeSettings,
        emit: Callable[[_Out], None],
        cancel: threading.Event,
        judge_one: Callable[[httpx.AsyncClient, _Item], Awaitable[tuple[_Out, bool]]],
    ) -> None:
        """Judge the items through the settings' endpoints (a ``Fleet``; one URL is a fleet
        of one), ``concurrency`` requests in flight per endpoint."""
        unanswered_in_a_row = 0
        async with contextlib.AsyncExitStack() as clients:
            fleet = Fleet(
                [
                    FleetEndpoint(
                        # A key pasted into the URL's path is masked as everywhere else.
                        self.mask(endpoint_label(url)),
                        await clients.enter_async_context(self._client(settings, url)),
                    )
                    for url in settings.base_urls
                ],
                settings.concurrency,
            )

            async def judged(item: _Item) -> tuple[_Out, bool]:
                """The item's result from the first endpoint that answers, moving on after
                one that gives no answer while another is up (see ``_fleet``), and whether
                it got no answer at all."""
                tried: list[FleetEndpoint] = []
                while True:
                    endpoint = await fleet.take(tried)
                    try:
                        result, unanswered = await judge_one(endpoint.client, item)
                    except BaseException:
                        fleet.drop(endpoint)  # cancelled: says nothing about the endpoint
                        raise
                    await fleet.give_back(endpoint, answered=not unanswered)
                    tried.append(endpoint)
                    if not (unanswered and fleet.can_move(tried)):
                        return result.answered_by(endpoint.label), unanswered

            async def worker() -> None:
                nonlocal unanswered_in_a_row
                # Workers share one iterator, so each item is taken exactly once.
                for item in items:
                    if cancel.is_set():
                        return
                    judgment, unanswered = await judged(item)
                    emit(judgment)
                    unanswered_in_a_row = unanswered_in_a_row + 1 if unanswered else 0
                    if unanswered_in_a_row >= settings.max_consecutive_failures:
                        urls = ", ".join(self._redactor.text(url) for url in settings.base_urls)
                        raise EndpointDownError(
                            f"{unanswered_in_a_row} pairs in a row got no answer from "
                            f"{urls}, so the run stopped (the last: {judgment.error}); check "
                            "that the server is up, then resume the run"
                        )

            tasks = [
                asyncio.create_task(worker())
                for _ in range(settings.concurrency * len(fleet.endpoints))
            ]
            try:
                pending = set(tasks)
                while pending and not cancel.is_set():
                    # A short poll, since threading.Event has no awaitable form.
                    done, pending = await asyncio.wait(
                        pending, timeout=0.05, return_when=asyncio.FIRST_EXCEPTION
                    )
                    for task in done:
                        task.result()  # an emit callback failed, or the endpoint is down
            finally:
                # On cancel, requests in flight are dropped: their pairs stay unjudged and
                # are judged when the run resumes.
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _judge_one(
        self, client: httpx.AsyncClient, item: PromptItem, settings: JudgeSettings
    ) -> tuple[Judgment, bool]:
        """The pair's judgment, and whether the server gave no answer at all."""
        started = time.perf_counter()
        answer_line = settings.answer_format()
        request = build_request(settings, item.prompt, answer_line)
        try:
            body, ended_early = await self._post(client, request, settings)
            answer = read_answer(settings, body)
        except _AnswerCut as exc:
            cut = ParsedGrade(None, "unparsed", str(exc))
            return Judgment.parsed(
                item.pair_id, cut, Reply(exc.body or "", ms_since(started))
            ), False
        except JudgeBackendError as exc:
            failed = Judgment.failed(item.pair_id, exc, latency_ms=ms_since(started))
            return failed, isinstance(exc, NoAnswerError)
        judgment = judgment_from_answer(
            item.pair_id,
            answer,
            settings,
            prefix_sent=request.answer_prefix_sent,
            latency_ms=ms_since(started),
            ended_early=ended_early,
        )
        return judgment, False

    async def _post(
        self, client: httpx.AsyncClient, request: RemoteRequest, settings: JudgeSettings
    ) -> tuple[Any, bool]:
        """POST with retries; the decoded JSON body and whether a stream ended early, or
        JudgeBackendError."""
        attempts = settings.max_retries + 1
        for attempt in range(attempts):
            retry_after = None
            try:
                # httpx's timeout bounds each read; this bounds the whole attempt, so a
                # server that trickles bytes cannot hold a pair for longer.
                async with asyncio.timeout(settings.timeout_s):
                    reply = await _send(client, request, settings.max_answer_bytes)
            except (TimeoutError, httpx.TimeoutException):
                failure = JudgeBackendError(
                    f"no answer within timeout_s={settings.timeout_s}s from {_root(client)}: "
                    "raise timeout_s or lower concurrency"
                )
            except httpx.TransportError as exc:
                failure = JudgeBackendError(
                    f"cannot reach {_root(client)} ({type(exc).__name__}: {exc}): check "
                    "base_url and that the server is running"
                )
            else:
                if reply.status < 400:
                    return _decode(reply, request.streamed), reply.ended_early
                failure = _http_error(reply)
                if reply.status != 429 and reply.status < 500:
                    raise failure
                retry_after = _retry_after_s(reply.headers.get("Retry-After"))
            if attempt + 1 < attempts:
                await asyncio.sleep(
                    retry_after if retry_after is not None else self._backoff(attempt)
                )
        raise NoAnswerError(
            f"{failure} (gave up after {attempts} attempts)",
            status_code=failure.status_code,
            body=failure.body,
        )

    def _backoff(self, attempt: int) -> float:
        # "Equal jitter": half the exponential delay is fixed, half random, so concurrent
        # workers that failed together do not retry together.
        delay = min(_MAX_BACKOFF_S, self._backoff_s * 2**attempt)
        return delay / 2 + random.uniform(0, delay / 2)


def _root(client: httpx.AsyncClient) -> str:
    """The API root a client sends to, as given (httpx adds a closing slash)."""
    return str(client.base_url).rstrip("/")


async def _send(client: httpx.AsyncClient, request: RemoteRequest, cap: int) -> _Reply:
    """POST and read the body streamed, stopping at ``cap`` bytes: a huge answer is never
    held in memory, and closing the stream early drops the rest unread."""
    async with client.stream("POST", request.path, json=request.body) as response:
        kept = bytearray()
        cut_at = None
        ended_early = False
        try:
            async for chunk in response.aiter_bytes():
                room = cap - len(kept)
                if len(chunk) > room:
                    kept += chunk[:room]
                    cut_at = cap
                    break
                kept += chunk
        except httpx.RemoteProtocolError:
            # llama-cpp-python's server closes a stream at once when another request
            # waits, after the event it was sending: with one token asked for, that event
            # holds the whole answer.
            if not (request.streamed and kept):
                raise
            ended_early = True
    # Text the server sent may end in the middle of a character once cut.
    text = kept.decode("utf-8", errors="replace")
    url = str(response.request.url)
    return _Reply(response.status_code, response.headers, url, text, cut_at, ended_early)


def _decode(reply: _Reply, streamed: bool) -> Any:
    if reply.cut_at is not None:
        raise _AnswerCut(
            f"the answer was cut at {reply.cut_at} bytes (max_answer_bytes), the rest dropped "
            "unread: a judge's answer is a few lines, so check what the server sends, or raise "
            "max_answer_bytes",
            status_code=reply.status,
            body=reply.text,
        )
    try:
        return merge_stream(reply.text) if streamed else json.loads(reply.text)
    except ValueError as exc:
        what = f"a stream that cannot be read ({exc})" if streamed else "a body that is not JSON"
        raise JudgeBackendError(
            f"HTTP {reply.status} with {what}: is base_url an API root rather than a web page?",
            status_code=reply.status,
            body=reply.text,
        ) from None


def _http_error(reply: _Reply) -> JudgeBackendError:
    hint = status_hint(reply.status) or (
        "the server failed" if reply.status >= 500 else "the server refused the request"
    )
    cut = f" (cut at {reply.cut_at} bytes)" if reply.cut_at is not None else ""
    return JudgeBackendError(
        f"HTTP {reply.status} from {reply.url}: {hint}. The server said{cut} {said(reply.text)}.",
        status_code=reply.status,
        body=reply.text,
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
