"""Run settings: frozen dataclasses, choices as enums, and the provenance stored per run.

``JudgeSettings`` is one object of two parts: ``ConnectionSettings``, what the backend needs
(backend, model, base URLs, limits, sampling), which the registry's loaders read, and
``PromptSettings``, what the prompt needs (template, scale, score map, reference, mode). It
is built, replaced and stored with flat keyword fields, as before the split, so the stored
params of a run made before it still load.
"""

from __future__ import annotations

import dataclasses
import math
import os
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from grade_scale import WANDS_SCALE, Scale, ScaleError, ScoreMap

from ._answers import AnswerFormat, answer_format, check_scale
from ._exceptions import SettingsError
from ._model import default_model_path, file_sha256
from ._registry import DEFAULT_BACKEND, Backend, BackendSpec, backend_spec
from ._secrets import Redactor
from ._templates import (
    DEFAULT_TEMPLATE,
    REFERENCE,
    load_template,
    placeholders,
    template_sha256,
)

__all__ = [
    "MAX_TOP_LOGPROBS",
    "Backend",
    "ConnectionSettings",
    "Endpoint",
    "JudgeSettings",
    "Mode",
    "PromptSettings",
    "base_url_fields",
    "check_base_urls",
    "endpoint_label",
]


class Mode(StrEnum):
    """How a grade is obtained: from the next-token distribution, or by generating text."""

    LOGPROBS = "logprobs"
    GENERATE = "generate"


class Endpoint(StrEnum):
    """Remote API flavour: chat messages, or the raw prompt text, or AUTO: the endpoint
    probe picks one before the run (see ``_probe``) and the run records its pick.

    For Ollama, COMPLETIONS means ``/api/generate`` with ``raw`` on, so the model reads the
    exact prompt text as the in-process judge does.
    """

    AUTO = "auto"
    CHAT = "chat"
    COMPLETIONS = "completions"


MAX_TOP_LOGPROBS = 20
"""OpenAI's upper limit for top_logprobs (vLLM's default too); enough for a 0-9 scale."""

# Fields recorded as the run's own columns rather than inside params.
_COLUMNS = ("backend", "model", "template", "scale")

# The least value each count setting may take.
_LEAST = {
    "n_ctx": 1,
    "concurrency": 1,
    "max_tokens": 1,
    "top_logprobs": 1,
    "max_retries": 0,
    "max_answer_bytes": 1,
    "max_consecutive_failures": 1,
}


@dataclass(frozen=True, kw_only=True)
class PromptSettings:
    """What the prompt needs: the template, the grades it asks for, how the grade is read."""

    template: str = field(default_factory=lambda: load_template(DEFAULT_TEMPLATE))
    mode: Mode = Mode.LOGPROBS
    scale: Scale = WANDS_SCALE
    """The grades a judgment records; grades given as a tuple are named by number. The
    template asks for these grades, or for the scores of ``score_map``."""
    score_map: ScoreMap | None = None
    """The template's scores (Prometheus' 1-5) and the grade of ``scale`` each becomes;
    None: the template asks for the grades of ``scale`` themselves. Given as text
    (``1=0,2=0,3=1,4=1,5=2``) or a score -> grade mapping, it is read as a ScoreMap."""
    reference: bool = False
    """Show each pair a reference product of its query (the template's ``{reference}``):
    the pairs handed to the judge carry it (``jobs`` picks it)."""

    def __post_init__(self) -> None:
        _coerce(self, "mode", Mode)
        check_scale(self.scale)
        if not isinstance(self.scale, Scale):
            object.__setattr__(self, "scale", Scale.of(self.scale))
        if self.score_map is not None:
            try:
                score_map = self.score_map
                if isinstance(score_map, str):
                    score_map = ScoreMap.parse(score_map)
                elif not isinstance(score_map, ScoreMap):
                    score_map = ScoreMap.of({int(s): int(g) for s, g in dict(score_map).items()})
                score_map.check(score_map.scores, self.scale.grades)
            except ScaleError as error:
                raise SettingsError(str(error)) from None
            check_scale(score_map.scores)
            object.__setattr__(self, "score_map", score_map)
        if self.reference and REFERENCE not in placeholders(self.template):
            raise SettingsError(
                "reference grading needs a template with a {reference} placeholder, such as "
                "prometheus_1_5: add {reference} where the reference product should go"
            )

    @property
    def answer_scale(self) -> tuple[int, ...]:
        """What the template asks the model for: the scores of ``score_map``, else the
        grades of ``scale``."""
        return self.score_map.scores if self.score_map is not None else self.scale.grades

    def answer_format(self) -> AnswerFormat:
        """The answer line the template asks for, on ``answer_scale``."""
        return answer_format(self.template, self.answer_scale)


@dataclass(frozen=True, kw_only=True)
class ConnectionSettings:
    """What the backend needs: which backend, the model, where it runs, how hard to try.

    The API key is not here: it is passed at run time; only the name of the environment
    variable it may come from (``api_key_env``) is a setting, so settings can be stored.
    """

    backend: Backend = DEFAULT_BACKEND
    """Which backend judges; ``spec`` is its declaration (see ``_registry``)."""
    model: str | None = None
    """GGUF path for llama_cpp (None: the bundled default model), model name for remote."""
    base_url: str | None = None
    """Remote API root, e.g. ``http://127.0.0.1:8000/v1`` (OpenAI) or ``http://127.0.0.1:11434``."""
    extra_base_urls: tuple[str, ...] = ()
    """More roots serving the same model: with them the run judges through a fleet
    (``_fleet``), each request to the least busy endpoint that is up. See ``base_urls``."""
    api_key_env: str | None = None
    n_ctx: int = 2048
    n_threads: int | None = None
    n_gpu_layers: int = 0
    """Layers offloaded to the GPU (Metal/CUDA builds only); -1 offloads all of them."""
    concurrency: int = 4
    """Requests in flight at once, per endpoint."""
    timeout_s: float = 60.0
    """Seconds one attempt at a remote request may take, from sending it to its last byte."""
    max_retries: int = 3
    max_answer_bytes: int = 256 * 1024
    """A remote response body is read up to this size; the rest is dropped, unread, and the
    judgment says the answer was cut."""
    max_consecutive_failures: int = 8
    """A remote run stops after this many pairs in a row got no answer (timeouts, refused
    connections, 429/5xx after every retry, from every endpoint); it can be resumed once a
    server is back."""
    max_tokens: int = 256
    """Tokens a remote or generating model may write. In logprob mode over chat, the probe
    sets it to the tokens the model takes to reach its grade; over completions it is 1."""
    top_logprobs: int = MAX_TOP_LOGPROBS
    """Alternatives a remote server returns per token in logprob mode; the probe lowers it
    to the fewest that hold the grade tokens (see ``_probe``)."""
    temperature: float = 0.0
    seed: int = 0
    endpoint: Endpoint = Endpoint.AUTO

    def __post_init__(self) -> None:
        _coerce(self, "backend", Backend)
        _coerce(self, "endpoint", Endpoint)
        spec = self.spec
        if spec.remote:
            if not self.model:
                raise SettingsError(
                    f"backend {self.backend} needs a model name, for example model='llama3.1:8b'"
                )
            if self.base_url is None:
                object.__setattr__(self, "base_url", spec.default_base_url)
        object.__setattr__(self, "extra_base_urls", tuple(self.extra_base_urls))
        if spec.remote:
            check_base_urls(self.base_urls)
        for name, least in _LEAST.items():
            if getattr(self, name) < least:
                raise SettingsError(f"{name} must be at least {least}, got {getattr(self, name)}")
        if self.top_logprobs > MAX_TOP_LOGPROBS:
            raise SettingsError(
                f"top_logprobs must be at most {MAX_TOP_LOGPROBS} (OpenAI's limit), "
                f"got {self.top_logprobs}"
            )
        if not (0 < self.timeout_s < math.inf):
            raise SettingsError(
                f"timeout_s must be a number of seconds above 0, got {self.timeout_s}"
            )

    @property
    def base_urls(self) -> tuple[str, ...]:
        """Every endpoint a remote run sends to: ``base_url`` first, then ``extra_base_urls``."""
        return ((self.base_url,) if self.base_url else ()) + self.extra_base_urls

    @property
    def spec(self) -> BackendSpec:
        """The declaration of the backend these settings name."""
        return backend_spec(self.backend)

    def api_key(self, given: str | None = None) -> str | None:
        """The API key a remote run sends: ``given``, else the value of ``api_key_env``.

        None when there is no key (a local server, say). Raises SettingsError when the
        settings name an environment variable that is not set.
        """
        if given is not None or not self.api_key_env:
            return given
        value = os.environ.get(self.api_key_env)
        if not value:
            raise SettingsError(
                f"environment variable {self.api_key_env} is not set: export it, or "
                "enter the API key in the app"
            )
        return value

    def model_path(self) -> Path:
        """The GGUF file an in-process backend loads."""
        if not self.spec.model_file:
            raise SettingsError(f"backend {self.backend} has no local model file")
        return Path(self.model) if self.model else default_model_path()


@dataclass(frozen=True, kw_only=True)
class JudgeSettings(ConnectionSettings, PromptSettings):
    """Everything that decides a judge run's results, except the API key: the backend's
    part (``connection``) and the prompt's part (``prompt``) in one object, built and
    stored with flat keyword fields as before the split, so a stored run's params load."""

    def __post_init__(self) -> None:
        PromptSettings.__post_init__(self)
        ConnectionSettings.__post_init__(self)
        spec = self.spec
        if not spec.reads_prompts:
            raise SettingsError(
                f"backend {self.backend} reads no prompt ({spec.help}): train it with "
                "`cli.py judge --backend baseline` or on the Runs page"
            )
        if not (spec.logprobs if self.mode is Mode.LOGPROBS else spec.generation):
            raise SettingsError(f"backend {self.backend} cannot judge in mode {self.mode}")

    @property
    def connection(self) -> ConnectionSettings:
        """The backend's part: what ``BackendSpec.build`` reads."""
        return ConnectionSettings(**_values(self, ConnectionSettings))

    @property
    def prompt(self) -> PromptSettings:
        """The prompt's part: template, grades, mode."""
        return PromptSettings(**_values(self, PromptSettings))

    def provenance(self, api_key: str | None = None) -> dict[str, Any]:
        """What storage records for a run: model, model file and prompt fingerprints, params.

        The API key (``api_key``, or the value of ``api_key_env``) is masked wherever it
        appears in the params, such as a key pasted into ``base_url``.
        """
        local = self.spec.model_file
        redactor = Redactor.for_key(api_key or os.environ.get(self.api_key_env or "") or None)
        params = {
            f.name: redactor.value(_plain(getattr(self, f.name)))
            for f in dataclasses.fields(self)
            if f.name not in _COLUMNS
        }
        return {
            "backend": self.backend.value,
            "model": str(self.model_path()) if local else self.model,
            "model_sha256": file_sha256(self.model_path()) if local else None,
            "prompt_template": self.template,
            "prompt_sha256": template_sha256(self.template),
            "scale": list(self.scale),
            "params": params,
        }


def base_url_fields(urls: Sequence[str]) -> dict[str, Any]:
    """The settings fields for a list of endpoints (the CLI's repeated ``--base-url``, the
    Runs page's lines): the first is ``base_url``, the others ``extra_base_urls``; with
    none, the backend's default root."""
    return {"base_url": urls[0] if urls else None, "extra_base_urls": tuple(urls[1:])}


def _values(settings: JudgeSettings, part: type) -> dict[str, Any]:
    return {f.name: getattr(settings, f.name) for f in dataclasses.fields(part)}


def _coerce(settings: object, name: str, kind: type[StrEnum]) -> None:
    value = getattr(settings, name)
    try:
        object.__setattr__(settings, name, kind(value))
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise SettingsError(f"{name} {value!r} is not one of {choices}") from None


def check_base_urls(urls: Sequence[str]) -> None:
    """SettingsError unless each of ``urls`` is an http(s) URL with a host, and none is
    given twice; the message names the bad one and its place in the list."""
    for place, url in enumerate(urls, 1):
        where = f" ({place} of {len(urls)})" if len(urls) > 1 else ""
        try:
            parts = urllib.parse.urlsplit(url)
            good = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
        except ValueError:  # a port that is not a number
            good = False
        if not good:
            raise SettingsError(
                f"base_url {url!r}{where} is not an http(s) URL with a host: write it as "
                "http://HOST:PORT/v1 (an OpenAI-compatible root) or http://HOST:11434 (Ollama)"
            )
    if len(set(urls)) < len(urls):
        raise SettingsError(f"base_url lists an endpoint twice: {', '.join(urls)}")


def endpoint_label(url: str) -> str:
    """An endpoint as a judgment records it: scheme, host, port and path, without the
    credentials, query string or fragment a URL may carry (a key is never stored)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path.rstrip('/')}"


def _plain(value: Any) -> Any:
    if isinstance(value, ScoreMap):
        return value.text()
    return value.value if isinstance(value, StrEnum) else value
