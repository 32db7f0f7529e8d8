"""The Runs page's backend settings: the backend and its scoring mode, then a widget for
each setting the backend's declaration says it reads, and the API key (this session only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import judge


@st.cache_resource(show_spinner="Finding the bundled model…")
def _default_model() -> str:
    return str(judge.default_model_path())


def _model_input(col: DeltaGenerator, spec: judge.BackendSpec) -> str:
    if spec.model_file:
        return col.text_input("GGUF model path", value=_default_model(), key="run-model")
    return col.text_input("Model name", key="run-remote-model")


_DEFAULTS = judge.JudgeSettings()
# A widget for each setting this form offers; a backend's declaration says which it reads.
_WIDGETS: dict[str, Callable[[Any, judge.BackendSpec], Any]] = {
    "model": _model_input,
    # One URL per line: several make a fleet (see judge._fleet); the form's fields take
    # them as ``judge.base_url_fields`` splits them.
    "base_url": lambda col, spec: col.text_area(
        "Endpoint base URLs",
        key="run-base-url",
        placeholder=f"empty: {spec.default_base_url}",
        height=68,
        help="one per line; with several, each request goes to the least busy server that is "
        "up, a dead one is taken out and tried again later",
    ).split(),
    "n_gpu_layers": lambda col, spec: col.number_input(
        "GPU offload layers",
        -1,
        999,
        _DEFAULTS.n_gpu_layers,
        key="run-gpu-layers",
        help="-1 offloads every layer (Metal/CUDA builds only)",
    ),
    "endpoint": lambda col, spec: col.selectbox(
        "API",
        [e.value for e in judge.Endpoint],
        key="run-endpoint",
        help="auto: a probe on the first pair picks chat or completions and says why "
        "(completions sends the raw prompt, as the in-process judge reads it)",
    ),
    "concurrency": lambda col, spec: col.number_input(
        "Concurrent requests", 1, 64, _DEFAULTS.concurrency, key="run-concurrency"
    ),
    "timeout_s": lambda col, spec: col.number_input(
        "Timeout per request (s)",
        1.0,
        3600.0,
        _DEFAULTS.timeout_s,
        key="run-timeout",
        help="one attempt, from sending the request to the last byte of the answer",
    ),
    "max_tokens": lambda col, spec: col.number_input(
        "Max tokens",
        1,
        32768,
        _DEFAULTS.max_tokens,
        key="run-max-tokens",
        help="what a generating model may write"
        + ("; in logprob mode the probe sets it" if spec.remote else ""),
    ),
    "max_retries": lambda col, spec: col.number_input(
        "Retries",
        0,
        20,
        _DEFAULTS.max_retries,
        key="run-retries",
        help="after a timeout, a refused connection, HTTP 429 or 5xx, with backoff",
    ),
}
_API_KEY = "api key"  # not a setting: kept in this session only, next to the model name


def backend_settings(*, pairwise: bool = False) -> tuple[dict[str, Any], str | None]:
    """The backend's settings fields (those its declaration says it reads and this form
    offers), and the API key (kept in this session only)."""
    specs = {
        spec.name.value: spec
        for spec in judge.BACKENDS
        if spec.reads_prompts and (spec.pairwise or not pairwise)
    }
    backend = st.segmented_control(
        "Backend",
        list(specs),
        default=judge.DEFAULT_BACKEND.value,
        required=True,
        key="run-backend",
        help="\n\n".join(f"{name}: {spec.help}" for name, spec in specs.items()),
    )
    spec = specs[backend]
    can = {judge.Mode.LOGPROBS: spec.logprobs, judge.Mode.GENERATE: spec.generation}
    mode = st.segmented_control(
        "Scoring",
        [m.value for m in judge.Mode if can[m]],
        default=judge.Mode.LOGPROBS.value if spec.logprobs else judge.Mode.GENERATE.value,
        required=True,
        key="run-mode",
    )
    slots = []
    for name in spec.settings:
        if name in _WIDGETS:
            slots.append(name)
        if name == "model" and spec.remote:
            slots.append(_API_KEY)
    fields: dict[str, Any] = {"backend": backend, "mode": mode}
    api_key = None
    for start in range(0, len(slots), 3):
        row = slots[start : start + 3]
        for name, col in zip(row, st.columns(3), strict=False):
            if name == _API_KEY:
                api_key = col.text_input(
                    "API key (this session only, never stored)", type="password", key="api-key"
                )
            elif name == "base_url":
                fields.update(judge.base_url_fields(_WIDGETS[name](col, spec)))
            else:
                fields[name] = _WIDGETS[name](col, spec)
    return fields, api_key or None


def priced_model(fields: dict[str, Any]) -> dict[str, Any]:
    """Of the settings fields, the model a price is measured for (`jobs.graded_price`)."""
    return {"backend": fields["backend"], "model": fields.get("model") or None}
