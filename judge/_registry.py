"""The judge backends, each declared once: what it is, what it can do, which settings it reads.

Every place that used to ask "is this llama.cpp?" asks the backend's declaration instead:

- ``remote``: the model runs on a server. A run needs a model name, takes an API key, and
  is probed for its endpoint before it is recorded (``choose_endpoint``); the app builds no
  shared model for it.
- ``model_file``: ``model`` is a GGUF file loaded in this process; its sha256 is recorded
  with the run, and a resume refuses a file that changed.
- ``logprobs``, ``generation``: the modes it can judge in; ``pairwise``: it can compare two
  products (``JudgeBackend.compare``).
- ``reads_prompts``: False for a judge that learns from the labels instead (the baseline):
  it has no ``JudgeSettings`` and no loader; ``jobs.baseline_run`` trains and records it.
- ``settings``: the ``JudgeSettings`` fields it reads, in the order the Runs page shows
  them; the CLI's flag help names the backends that read each flag's field.
- ``modules``: the files that implement it, the only ones besides this one that may name
  it (``tests/test_judge_registry.py`` checks).

To add a backend, see ``judge/README_BACKENDS.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from ._exceptions import SettingsError

if TYPE_CHECKING:
    from ._backend import JudgeBackend
    from ._settings import ConnectionSettings, JudgeSettings

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "Backend",
    "BackendSpec",
    "backend_spec",
    "backends_reading",
    "find_backend",
]


class Backend(StrEnum):
    """A backend's name, as the settings, the stored run, ``--backend`` and the page say it."""

    LLAMA_CPP = "llama_cpp"
    OPENAI = "openai"
    OLLAMA = "ollama"
    BASELINE = "baseline"


Loader = Callable[["ConnectionSettings", "str | None"], "JudgeBackend"]


@dataclass(frozen=True, kw_only=True)
class BackendSpec:
    """One backend's declaration (the module docstring says what each field decides)."""

    name: Backend
    help: str
    remote: bool
    model_file: bool
    logprobs: bool
    generation: bool
    pairwise: bool
    reads_prompts: bool = True
    settings: tuple[str, ...]
    default_base_url: str | None = None
    modules: tuple[str, ...]
    load: Loader | None
    """Builds the backend from the settings' backend part (``JudgeSettings.connection``)
    and an API key; None when it reads no prompts."""

    def build(self, settings: JudgeSettings, api_key: str | None) -> JudgeBackend:
        """The backend for these settings (for llama_cpp this loads the model: seconds)."""
        if self.load is None:
            raise SettingsError(
                f"backend {self.name} reads no prompts: {self.help}; it is trained with "
                "`cli.py judge --backend baseline` or the Runs page's baseline section"
            )
        return self.load(settings.connection, api_key)


def _load_llama(settings: ConnectionSettings, api_key: str | None) -> JudgeBackend:
    from ._llama import LlamaBackend  # imported here: llama_cpp takes a while to import

    return LlamaBackend.from_settings(settings)


def _load_remote(settings: ConnectionSettings, api_key: str | None) -> JudgeBackend:
    from ._remote import RemoteBackend

    return RemoteBackend(api_key=settings.api_key(api_key))


_LLM = ("mode", "template", "scale", "score_map", "reference", "temperature", "seed")
_REMOTE = (
    "base_url",
    "extra_base_urls",
    "model",
    "api_key_env",
    "endpoint",
    "concurrency",
    "timeout_s",
    "max_tokens",
    "max_retries",
    "max_answer_bytes",
    "max_consecutive_failures",
    "top_logprobs",
    *_LLM,
)
_REMOTE_MODULES = (
    "judge/_batch.py",  # batch files carry the OpenAI-compatible backend's own requests
    "judge/_remote.py",
    "judge/_remote_pairwise.py",
    "judge/_fleet.py",
    "judge/_payloads.py",
    "judge/_probe.py",
)


def _remote_spec(name: Backend, help: str, default_base_url: str) -> BackendSpec:
    """A server API spoken by ``RemoteBackend``: they differ in their requests only."""
    return BackendSpec(
        name=name,
        help=help,
        remote=True,
        model_file=False,
        logprobs=True,
        generation=True,
        pairwise=True,
        settings=_REMOTE,
        default_base_url=default_base_url,
        modules=_REMOTE_MODULES,
        load=_load_remote,
    )


BACKENDS: tuple[BackendSpec, ...] = (
    BackendSpec(
        name=Backend.LLAMA_CPP,
        help="a GGUF model in this process through llama-cpp-python (CPU, or Metal/CUDA "
        "offload); the prompt prefix a query's pairs share stays in the KV cache",
        remote=False,
        model_file=True,
        logprobs=True,
        generation=True,
        pairwise=True,
        settings=("model", "n_gpu_layers", "n_ctx", "n_threads", "max_tokens", *_LLM),
        modules=("judge/_llama.py", "judge/_llama_pairwise.py"),
        load=_load_llama,
    ),
    _remote_spec(
        Backend.OPENAI,
        "any OpenAI-compatible server (llama-server, llama-cpp-python's server, vLLM, "
        "OpenAI) over /v1/chat/completions or /v1/completions",
        "https://api.openai.com/v1",
    ),
    _remote_spec(
        Backend.OLLAMA,
        "an Ollama server through its own API (/api/chat, or /api/generate with raw "
        "for the completions endpoint); logprobs need Ollama 0.12.11 or later",
        "http://127.0.0.1:11434",
    ),
    BackendSpec(
        name=Backend.BASELINE,
        help="no LLM: lexical features and a logistic regression trained on the labels, "
        "cross-fitted by query so that no pair is graded by a model that learned from it",
        remote=False,
        model_file=False,
        logprobs=False,
        generation=False,
        pairwise=False,
        reads_prompts=False,
        settings=(),
        modules=(
            "judge/_baseline.py",
            "judge/_baseline_features.py",
            "judge/_baseline_file.py",
            "judge/_baseline_stack.py",
            "jobs/_baseline.py",
        ),
        load=None,
    ),
)

DEFAULT_BACKEND = Backend.LLAMA_CPP
"""The backend a run uses unless told otherwise: the bundled model judges on a fresh machine."""

_BY_NAME: dict[str, BackendSpec] = {spec.name.value: spec for spec in BACKENDS}


def find_backend(name: str) -> BackendSpec | None:
    """The declaration of backend ``name``, or None (a run imported from another tool)."""
    return _BY_NAME.get(name)


def backend_spec(name: str) -> BackendSpec:
    """The declaration of backend ``name``; SettingsError naming the choices otherwise."""
    spec = find_backend(name)
    if spec is None:
        choices = ", ".join(spec.name for spec in BACKENDS)
        raise SettingsError(f"backend {name!r} is not one of {choices}")
    return spec


def backends_reading(setting: str) -> tuple[Backend, ...]:
    """The backends whose declaration says they read the ``JudgeSettings`` field ``setting``."""
    return tuple(spec.name for spec in BACKENDS if setting in spec.settings)
