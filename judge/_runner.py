"""The run loop: order pairs, skip what is judged, hand each judgment on, report progress."""

from __future__ import annotations

import collections
import dataclasses
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Generic, Protocol, TypeVar

from ._backend import JudgeBackend, PromptItem
from ._exceptions import JudgeError
from ._results import Judgment, Progress, RunSummary
from ._settings import JudgeSettings
from ._templates import REFERENCE, placeholders, render_prompt, validate_template

__all__ = ["Tally", "load_backend", "run_judge"]


def load_backend(settings: JudgeSettings, api_key: str | None = None) -> JudgeBackend:
    """Build the backend the settings name (its declaration's loader); for llama_cpp this
    loads the model (seconds).

    The app keeps the result in ``st.cache_resource`` and passes it to ``run_judge``, so a
    model is loaded once, not once per run. The API key, when not given, is read from the
    environment variable named by ``settings.api_key_env``. Raises ModelFileError for a model
    file that is missing, not a GGUF or damaged.
    """
    return settings.spec.build(settings, api_key)


def run_judge(
    pairs: Iterable[Mapping[str, Any]],
    settings: JudgeSettings,
    *,
    on_result: Callable[[Judgment], None],
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    skip_pair_ids: Collection[int] = (),
    backend: JudgeBackend | None = None,
    api_key: str | None = None,
) -> RunSummary:
    """Judge every pair not in ``skip_pair_ids`` and hand each judgment to ``on_result``.

    Pairs are judged grouped by ``query_id`` (stable order otherwise), so consecutive prompts
    share the instructions and query as a prefix that llama.cpp keeps in its KV cache. A pair
    the backend fails on is handed on with parse_status "error", never dropped; to resume a
    run, pass the ids of its judgments whose status is not "error" as ``skip_pair_ids``.
    Setting ``cancel`` stops the run between pairs (remote requests in flight are dropped);
    the summary then says ``cancelled=True``. The template is checked against the pairs'
    fields before any model call. With ``settings.score_map`` each judgment's score becomes
    a grade (``Judgment.on_grades``); a pair that carries a ``reference`` (a mapping with
    the reference's ``pair_id`` and fields) is shown it, and its judgment names it.
    """
    pairs = list(pairs)
    skip = set(skip_pair_ids)
    seen: set[int] = set()
    for pair in pairs:
        if pair["pair_id"] in seen:
            raise JudgeError(f"pair_id {pair['pair_id']} is given twice: each pair is judged once")
        seen.add(pair["pair_id"])
    todo = sorted((p for p in pairs if p["pair_id"] not in skip), key=lambda p: str(p["query_id"]))
    # With nothing left to judge there are no fields to check placeholders against.
    fields = set.intersection(*map(set, todo)) if todo else placeholders(settings.template)
    validate_template(settings.template, settings.answer_scale, fields)
    items = [PromptItem(p["pair_id"], render_prompt(settings.template, p)) for p in todo]
    references = {p["pair_id"]: (p.get(REFERENCE) or {}).get("pair_id") for p in todo}

    def deliver(judgment: Judgment) -> None:
        # A score becomes a grade here, the one place, whichever backend judged.
        if settings.score_map is not None:
            judgment = judgment.on_grades(settings.score_map, settings.scale.grades)
        if references.get(judgment.pair_id) is not None:
            judgment = dataclasses.replace(judgment, reference_pair_id=references[judgment.pair_id])
        on_result(judgment)

    cancel = cancel or threading.Event()
    tally: Tally[Judgment] = Tally(len(items), deliver, on_progress)
    if items:
        own_backend = backend is None
        backend = backend or load_backend(settings, api_key=api_key)
        try:
            backend.judge(items, settings, emit=tally.emit, cancel=cancel)
        finally:
            if own_backend:
                backend.close()
    return tally.summary(len(pairs), cancel)


class _Outcome(Protocol):
    @property
    def parse_status(self) -> str: ...

    @property
    def endpoint(self) -> str | None: ...


_O = TypeVar("_O", bound=_Outcome)


class Tally(Generic[_O]):
    """Counts judgments (grades, or pairwise verdicts) as they arrive and turns the counts
    into Progress."""

    def __init__(
        self,
        total: int,
        on_result: Callable[[_O], None],
        on_progress: Callable[[Progress], None] | None,
    ) -> None:
        self.total = total
        self.done = self.errors = self.unparsed = 0
        self.by_endpoint: collections.Counter[str] = collections.Counter()
        self._on_result = on_result
        self._on_progress = on_progress
        self._started = time.perf_counter()

    def elapsed_s(self) -> float:
        return time.perf_counter() - self._started

    def summary(self, asked: int, cancel: threading.Event) -> RunSummary:
        """The run's summary: `asked` items in all, of which `total` were to judge (the rest
        skipped as done); cancelled when the cancel came before every item was judged."""
        elapsed = self.elapsed_s()
        return RunSummary(
            total=asked,
            skipped=asked - self.total,
            judged=self.done,
            errors=self.errors,
            unparsed=self.unparsed,
            cancelled=self.done < self.total and cancel.is_set(),
            elapsed_s=elapsed,
            pairs_per_s=self.done / elapsed if elapsed > 0 else 0.0,
        )

    def emit(self, judgment: _O) -> None:
        self._on_result(judgment)
        self.done += 1
        self.errors += judgment.parse_status == "error"
        self.unparsed += judgment.parse_status == "unparsed"
        if judgment.endpoint is not None:
            self.by_endpoint[judgment.endpoint] += 1
        if self._on_progress is not None:
            elapsed = self.elapsed_s()
            rate = self.done / elapsed if elapsed > 0 else 0.0
            per_endpoint = {
                endpoint: count / elapsed if elapsed > 0 else 0.0
                for endpoint, count in sorted(self.by_endpoint.items())
            }
            self._on_progress(
                Progress(
                    done=self.done,
                    total=self.total,
                    pairs_per_s=rate,
                    eta_s=(self.total - self.done) / rate if rate > 0 else None,
                    failures=self.errors + self.unparsed,
                    per_endpoint=per_endpoint,
                )
            )
