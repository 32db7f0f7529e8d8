"""Run settings: one frozen dataclass, choices as enums, and the provenance stored per run."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from ._exceptions import SettingsError
from ._model import default_model_path, file_sha256
from ._templates import DEFAULT_TEMPLATE, check_scale, load_template

__all__ = ["Backend", "Endpoint", "JudgeSettings", "Mode"]


class Backend(StrEnum):
    """Where the model runs."""

    LLAMA_CPP = "llama_cpp"
    OPENAI = "openai"
    OLLAMA = "ollama"


class Mode(StrEnum):
    """How a grade is obtained: from the next-token distribution, or by generating text."""

    LOGPROBS = "logprobs"
    GENERATE = "generate"


class Endpoint(StrEnum):
    """Remote API flavour: chat messages, or the raw prompt text.

    For Ollama, COMPLETIONS means ``/api/generate`` with ``raw`` on, so the model reads the
    exact prompt text as the in-process judge does.
    """

    CHAT = "chat"
    COMPLETIONS = "completions"


_DEFAULT_BASE_URLS = {
    Backend.OPENAI: "https://api.openai.com/v1",
    Backend.OLLAMA: "http://127.0.0.1:11434",
}

# Fields recorded as the run's own columns rather than inside params.
_COLUMNS = ("backend", "model", "template", "scale")


@dataclass(frozen=True, kw_only=True)
class JudgeSettings:
    """Everything that decides a judge run's results, except the API key.

    The key is passed to ``run_judge`` at run time; only the name of the environment variable
    it may come from (``api_key_env``) is part of the settings, so settings can be stored.
    """

    backend: Backend = Backend.LLAMA_CPP
    model: str | None = None
    """GGUF path for llama_cpp (None: the bundled default model), model name for remote."""
    base_url: str | None = None
    """Remote API root, e.g. ``http://127.0.0.1:8000/v1`` (OpenAI) or ``http://127.0.0.1:11434``."""
    api_key_env: str | None = None
    template: str = field(default_factory=lambda: load_template(DEFAULT_TEMPLATE))
    mode: Mode = Mode.LOGPROBS
    scale: tuple[int, ...] = (0, 1, 2)
    n_ctx: int = 2048
    n_threads: int | None = None
    n_gpu_layers: int = 0
    """Layers offloaded to the GPU (Metal/CUDA builds only); -1 offloads all of them."""
    concurrency: int = 4
    timeout_s: float = 60.0
    max_retries: int = 3
    max_tokens: int = 256
    temperature: float = 0.0
    seed: int = 0
    endpoint: Endpoint = Endpoint.CHAT

    def __post_init__(self) -> None:
        for name, kind in (("backend", Backend), ("mode", Mode), ("endpoint", Endpoint)):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, kind(value))
            except ValueError:
                choices = ", ".join(member.value for member in kind)
                raise SettingsError(f"{name} {value!r} is not one of {choices}") from None
        object.__setattr__(self, "scale", tuple(self.scale))
        check_scale(self.scale)
        if self.backend is not Backend.LLAMA_CPP:
            if not self.model:
                raise SettingsError(
                    f"backend {self.backend} needs a model name, for example model='llama3.1:8b'"
                )
            if self.base_url is None:
                object.__setattr__(self, "base_url", _DEFAULT_BASE_URLS[self.backend])
        for name in ("n_ctx", "concurrency", "max_tokens"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.max_retries < 0 or self.timeout_s <= 0:
            raise SettingsError("max_retries must be >= 0 and timeout_s > 0")

    def model_path(self) -> Path:
        """The GGUF file an in-process backend loads."""
        if self.backend is not Backend.LLAMA_CPP:
            raise SettingsError(f"backend {self.backend} has no local model file")
        return Path(self.model) if self.model else default_model_path()

    def provenance(self) -> dict[str, Any]:
        """What storage records for a run: model, model file and prompt fingerprints, params."""
        local = self.backend is Backend.LLAMA_CPP
        params = {
            f.name: _plain(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name not in _COLUMNS
        }
        return {
            "backend": self.backend.value,
            "model": str(self.model_path()) if local else self.model,
            "model_sha256": file_sha256(self.model_path()) if local else None,
            "prompt_template": self.template,
            "prompt_sha256": hashlib.sha256(self.template.encode("utf-8")).hexdigest(),
            "scale": list(self.scale),
            "params": params,
        }


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value
