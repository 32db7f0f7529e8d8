"""The endpoint probe: which remote endpoint a run uses, and why, found before the run.

Logprob scoring needs the alternatives of the token right after the answer prefix, and a
server may fail that in three ways: it refuses the endpoint (vLLM answers HTTP 400 to chat
for a model with no chat template), it returns no logprobs, or the model does not write the
answer line there (llama-cpp-python's server renders chat in a llama-2 template when the GGUF
has none, and a base model then echoes ``[INST]``; in Gemma's own template, from
``--chat_format gemma``, the bundled base model goes on with the instructions instead). So,
in logprob mode, the probe sends the first pair's prompt to each candidate endpoint, as the
run would but with room to look:

- chat: up to ``PROBE_TOKENS`` tokens with ``MAX_TOP_LOGPROBS`` alternatives each; it passes
  when a grade digit follows the answer prefix, and the run then asks for exactly the tokens
  the model took to reach it (one generated token after the prefix, no more);
- completions: the prompt up to the answer prefix, one token; it passes when the grade
  digits are among that token's alternatives.

The candidates are chat then completions for ``endpoint="auto"`` (chat first, since a judge
fine-tuned on chat records reads its chat template), the named one otherwise. The first that
passes is used, with ``top_logprobs`` lowered to the fewest alternatives that held every
grade on the probe pair, plus one per grade of room. None passing is a SettingsError that
gives each candidate's reason. A server that gives no answer at all (it is down, or slower
than ``timeout_s``) stops the probe at once with that error; in a fleet (several base URLs,
one model) the probe moves to the next endpoint instead, and the choice made on the first
that answers holds for all, so a dead first server does not stop a run the others can do.

In generate mode nothing is sent: the model's text is parsed whatever the endpoint, and
``auto`` means chat.

Pairwise comparisons (``choose_pairwise_endpoint``) are scored over completions only: the
prompt ends with ``[RESULT]`` and the one token after it is read, as in-process. The probe
sends the first comparison with ``MAX_TOP_LOGPROBS`` alternatives and keeps the fewest that
held every answer (`` A``, `` B``, `` tie``), plus one per answer of room.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ._exceptions import JudgeBackendError, SettingsError
from ._payloads import AnswerEnding, grade_position
from ._remote import NoAnswerError, RemoteBackend, said, status_hint
from ._settings import MAX_TOP_LOGPROBS, Endpoint, JudgeSettings, Mode, base_url_fields

__all__ = ["PROBE_TOKENS", "EndpointChoice", "choose_endpoint", "choose_pairwise_endpoint"]

PROBE_TOKENS = 8
"""Tokens a chat answer may take to reach its grade: the answer line asked for (``SCORE: 2``,
``**SCORE:** 2``) is a few tokens in every tokenizer we know."""


@dataclass(frozen=True)
class EndpointChoice:
    """The settings a run uses (endpoint, max_tokens and top_logprobs resolved) and why."""

    settings: JudgeSettings
    reason: str


class _Unfit(Exception):
    """The candidate endpoint cannot score this run; the message says why, `status` is the
    HTTP status it was refused with, `template` whether the model's chat template is the
    likely cause."""

    def __init__(self, reason: str, *, status: int | None = None, template: bool = False):
        super().__init__(reason)
        self.status = status
        self.template = template


def choose_endpoint(
    settings: JudgeSettings,
    prompt: str,
    *,
    api_key: str | None = None,
    backend: RemoteBackend | None = None,
) -> EndpointChoice:
    """Probe the remote endpoint with one rendered prompt (see the module docstring).

    Raises SettingsError when no candidate endpoint can score, JudgeBackendError when the
    server gives no answer.
    """
    if not settings.spec.remote:
        raise SettingsError(
            f"the endpoint probe is for remote backends; {settings.backend} has none"
        )
    if settings.mode is Mode.GENERATE:
        if settings.endpoint is not Endpoint.AUTO:
            return EndpointChoice(settings, f"{settings.endpoint}, as chosen")
        chat = dataclasses.replace(settings, endpoint=Endpoint.CHAT)
        return EndpointChoice(chat, "chat: generation reads the answer text on any endpoint")
    backend = backend or RemoteBackend(api_key=settings.api_key(api_key))
    if len(settings.base_urls) > 1:
        return _on_first_that_answers(
            settings, lambda one: choose_endpoint(one, prompt, backend=backend)
        )
    candidates = (
        [Endpoint.CHAT, Endpoint.COMPLETIONS]
        if settings.endpoint is Endpoint.AUTO
        else [settings.endpoint]
    )
    reasons, unfits = [], []
    for endpoint in candidates:
        try:
            chosen = _try(backend, dataclasses.replace(settings, endpoint=endpoint), prompt)
        except _Unfit as unfit:
            reasons.append(f"{endpoint}: {unfit}")
            unfits.append(unfit)
            continue
        why = f"{endpoint}: the grade digits come back as logprobs"
        return EndpointChoice(chosen, backend.mask("; ".join([*reasons, why])))
    statuses = {unfit.status for unfit in unfits}
    hint = status_hint(statuses.pop()) if len(statuses) == 1 else None
    if hint is not None:
        # Every endpoint refused for one reason that has nothing to do with scoring (a wrong
        # URL, model name or key): say that alone.
        raise SettingsError(
            backend.mask(
                f"{settings.base_url} answered HTTP {unfits[0].status} for {settings.model!r} "
                f"({', '.join(map(str, candidates))}): {hint}."
            )
        )
    if settings.endpoint is not Endpoint.AUTO:
        fix = "use --endpoint auto (or pick the other API) to try both"
    elif any(unfit.template for unfit in unfits):
        fix = "serve a model with a chat template, or use --mode generate"
    else:
        fix = "use --mode generate, which reads the answer from the text"
    raise SettingsError(
        backend.mask(
            f"{settings.base_url} cannot score {settings.model!r} by logprobs: "
            + "; ".join(reasons)
            + f"; {fix}"
        )
    )


def _on_first_that_answers(
    settings: JudgeSettings, probe: Callable[[JudgeSettings], EndpointChoice]
) -> EndpointChoice:
    """``probe`` on each endpoint of a fleet in turn until one answers; its choice, for the
    whole fleet. No answer from any is the first endpoint's error."""
    urls = settings.base_urls
    silent: list[NoAnswerError] = []
    for place, url in enumerate(urls, 1):
        try:
            choice = probe(dataclasses.replace(settings, **base_url_fields([url])))
        except NoAnswerError as error:
            silent.append(error)
            continue
        fleet = dataclasses.replace(choice.settings, **base_url_fields(urls))
        where = f"probed on endpoint {place} of {len(urls)}"
        if silent:
            where += f"; {len(silent)} before it gave no answer"
        return EndpointChoice(fleet, f"{choice.reason} ({where})")
    raise silent[0]


def _try(backend: RemoteBackend, settings: JudgeSettings, prompt: str) -> JudgeSettings:
    """The run's settings on this endpoint, or _Unfit with the reason."""
    answer_line = settings.answer_format()
    chat = settings.endpoint is Endpoint.CHAT
    look = dataclasses.replace(
        settings,
        max_tokens=min(settings.max_tokens, PROBE_TOKENS) if chat else 1,
        top_logprobs=MAX_TOP_LOGPROBS,
    )
    try:
        answer = backend.ask(prompt, look)
    except NoAnswerError:
        raise
    except JudgeBackendError as error:
        status = error.status_code
        if status is None or status < 400:
            raise _Unfit(f"its answer cannot be used ({error})") from None
        # vLLM refuses chat with HTTP 400 for a model that has no chat template.
        raise _Unfit(
            f"the server refused it with HTTP {status} (it said {said(error.body)})",
            status=status,
            template=chat and status == 400,
        ) from None
    if not answer.tokens:
        raise _Unfit("the server returns no logprobs")
    preceding = "" if chat else answer_line.prefix
    index = grade_position(answer.tokens, answer_line, preceding)
    if index is None:
        raise _Unfit(
            f"the model did not write {answer_line.prefix}N within {look.max_tokens} tokens "
            f"(it wrote {answer.text[:60]!r}): it does not answer in the server's chat "
            "template (a base model does not; llama-cpp-python's server uses a llama-2 "
            "template for a GGUF without one)",
            template=chat,
        )
    ranked = sorted(answer.tokens[index][1].items(), key=lambda kv: -kv[1])
    ranks = {int(t.strip()): r for r, (t, lp) in enumerate(ranked, 1) if _grade(t, settings)}
    if not ranks:
        raise _Unfit(f"no grade of {answer_line.describe()} is among the alternatives")
    scale = settings.answer_scale
    covering = max(ranks.values()) if len(ranks) == len(scale) else MAX_TOP_LOGPROBS
    return dataclasses.replace(
        settings,
        max_tokens=index + 1 if chat else settings.max_tokens,
        top_logprobs=min(MAX_TOP_LOGPROBS, covering + len(scale)),
    )


def _grade(token: str, settings: JudgeSettings) -> bool:
    text = token.strip()
    return text.isascii() and text.isdigit() and int(text) in settings.answer_scale


def refuse_chat_logprobs(settings: JudgeSettings) -> None:
    """Raise SettingsError for pairwise logprob scoring asked of the chat endpoint: the
    answer token must follow [RESULT] at the end of the prompt, which only completions has."""
    if settings.mode is Mode.LOGPROBS and settings.endpoint is Endpoint.CHAT:
        raise SettingsError(
            "pairwise logprob scoring reads the one token after [RESULT] over completions: "
            "use --endpoint completions (or auto), or --mode generate for chat"
        )


def choose_pairwise_endpoint(
    settings: JudgeSettings,
    prompt: str,
    *,
    answers: Sequence[str],
    ending: AnswerEnding,
    backend: RemoteBackend,
) -> EndpointChoice:
    """The endpoint and ``top_logprobs`` a remote pairwise run uses (see the module
    docstring); ``answers`` are the choices the template allows (A, B, tie), ``ending`` ends
    the logprob prompt. Raises SettingsError when the server cannot score the comparison,
    JudgeBackendError when it gives no answer."""
    if settings.mode is Mode.GENERATE:
        return choose_endpoint(settings, prompt, backend=backend)
    refuse_chat_logprobs(settings)
    if len(settings.base_urls) > 1:
        return _on_first_that_answers(
            settings,
            lambda one: choose_pairwise_endpoint(
                one, prompt, answers=answers, ending=ending, backend=backend
            ),
        )
    completions = dataclasses.replace(settings, endpoint=Endpoint.COMPLETIONS)
    look = dataclasses.replace(completions, top_logprobs=MAX_TOP_LOGPROBS)
    cannot = f"{settings.base_url} cannot score comparisons by logprobs with {settings.model!r}"
    try:
        answer = backend.ask(prompt, look, ending=ending)
    except NoAnswerError:
        raise
    except JudgeBackendError as error:
        raise SettingsError(
            backend.mask(f"{cannot}: the server refused completions ({error}); use --mode generate")
        ) from None
    if not answer.tokens:
        raise SettingsError(f"{cannot}: the server returns no logprobs; use --mode generate")
    ranked = sorted(answer.tokens[0][1].items(), key=lambda kv: -kv[1])
    ranks: dict[str, int] = {}
    for rank, (token, _) in enumerate(ranked, 1):
        if token.strip() in answers:
            ranks.setdefault(token.strip(), rank)
    if not ranks:
        raise SettingsError(
            f"{cannot}: none of {', '.join(answers)} is among the {len(ranked)} alternatives "
            f"after [RESULT] (the model wrote {answer.text[:40]!r}); use --mode generate"
        )
    covering = max(ranks.values()) if len(ranks) == len(answers) else MAX_TOP_LOGPROBS
    top = min(MAX_TOP_LOGPROBS, covering + len(answers))
    reason = (
        f"completions: {', '.join(answers)} come back as logprobs after [RESULT] "
        f"(top_logprobs {top})"
    )
    return EndpointChoice(dataclasses.replace(completions, top_logprobs=top), reason)
