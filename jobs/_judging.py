"""Judge stored pairs and record every judgment: the judge room meets the store here.

The judge knows nothing of DuckDB and the store calls no model; these functions read the
pairs from the store, hand them to `judge.run_judge`, and write each judgment back in small
batches, so a killed run loses at most one batch and resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import judge
import storage

_FLUSH_EVERY = 32
_FLUSH_AFTER_S = 2.0

ProgressCallback = Callable[[judge.Progress], None]
# Told the run_id once the run is recorded as running, before its first judgment is stored,
# so a caller that judges in another thread knows which stored run is its own.
RunCallback = Callable[[int], None]


@dataclass(frozen=True)
class JudgeOutcome:
    """The run a judging call wrote to, and how the judge loop ended."""

    run_id: int
    summary: judge.RunSummary


@dataclass(frozen=True)
class Rejudged:
    """One pair judged again: its grade and probabilities before and after."""

    pair_id: int
    old_grade: int | None
    new_grade: int | None
    old_probs: list[float] | None
    new_probs: list[float] | None


class _Recorder:
    """Collects judgments from the judge loop and writes them to the store in batches.

    The run is opened (`open_run` creates it, or sets it back to running) when the first
    judgment arrives, not before: a model or endpoint that cannot be set up (a file that is
    not a GGUF, a tokenizer that splits the grades, a missing key) fails before any judgment,
    and so leaves no run behind, nor a finished run marked running again.
    """

    def __init__(
        self, db: str | Path, open_run: Callable[[], int], on_run: RunCallback | None
    ) -> None:
        self._db = db
        self._open_run, self._on_run = open_run, on_run
        self.run_id: int | None = None
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._flushed_at = time.monotonic()
        self.judgments: list[judge.Judgment] = []

    def __call__(self, judgment: judge.Judgment) -> None:
        with self._lock:
            self.open()
            self.judgments.append(judgment)
            self._pending.append(judgment.as_record())
            due = time.monotonic() - self._flushed_at > _FLUSH_AFTER_S
            if len(self._pending) >= _FLUSH_EVERY or due:
                self._flush()

    def open(self) -> int:
        """The run's id, opening the run first if no judgment has done so yet."""
        if self.run_id is None:
            self.run_id = self._open_run()
            if self._on_run is not None:
                self._on_run(self.run_id)
        return self.run_id

    def _flush(self) -> None:
        if self._pending:
            storage.record_judgments(self._db, self.open(), self._pending)
            self._pending = []
        self._flushed_at = time.monotonic()

    def close(self) -> None:
        with self._lock:
            self._flush()


def _judge_into_run(
    db: str | Path,
    open_run: Callable[[], int],
    pairs: Sequence[Mapping[str, Any]],
    settings: judge.JudgeSettings,
    *,
    skip: set[int],
    backend: judge.JudgeBackend | None,
    api_key: str | None,
    on_progress: ProgressCallback | None,
    cancel: threading.Event | None,
    on_run: RunCallback | None = None,
    keep_status: str | None = None,
) -> tuple[int, judge.RunSummary, list[judge.Judgment]]:
    """Judge `pairs` into the run `open_run` opens at the first judgment (and tells
    `on_run`); returns its id. The run ends done, cancelled or failed, or, when `keep_status`
    is given (judging a few pairs again), goes back to that status. A failure before the
    first judgment opens no run and changes nothing in the store."""
    recorder = _Recorder(db, open_run, on_run)
    status = keep_status or "failed"
    try:
        summary = judge.run_judge(
            pairs, settings, on_result=recorder, on_progress=on_progress, cancel=cancel,
            skip_pair_ids=skip, backend=backend, api_key=api_key,
        )
        if keep_status is None:
            status = "cancelled" if summary.cancelled else "done"
        # Also a run that ended with no judgment (cancelled at once, or nothing left to do)
        # is recorded, so it can be resumed or shows as done.
        return recorder.open(), summary, recorder.judgments
    finally:
        if recorder.run_id is not None:
            recorder.close()
            storage.finish_run(db, recorder.run_id, status)


def judge_dataset(
    db: str | Path,
    *,
    dataset: str,
    settings: judge.JudgeSettings,
    split: str | None = None,
    pair_ids: Sequence[int] | None = None,
    limit: int | None = None,
    name: str | None = None,
    backend: judge.JudgeBackend | None = None,
    api_key: str | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    on_run: RunCallback | None = None,
) -> JudgeOutcome:
    """Start a new run over `dataset` (one split, or just `pair_ids`, or the first `limit`
    pairs by query) and judge every pair.

    The run is recorded with its first judgment, so settings, a model or an endpoint that
    fail before any pair is judged raise (a JudgeError) and leave no run in the store."""
    if limit is not None and limit < 1:
        raise judge.SettingsError(f"limit must be a number of pairs of at least 1, got {limit}")
    grades, _ = storage.dataset_scale(db, dataset)
    if list(settings.scale) != grades:
        raise judge.SettingsError(
            f"the template grades on {list(settings.scale)} but dataset {dataset!r} uses "
            f"{grades}; pick a template on the dataset's scale"
        )
    pairs = storage.pairs_for_judging(db, dataset, split=split, pair_ids=pair_ids)
    if limit is not None:
        pairs = pairs[:limit]
        pair_ids = [p["pair_id"] for p in pairs]
    if not pairs:
        raise storage.NotFoundError(
            f"dataset {dataset!r} has no pairs" + (f" in split {split!r}" if split else "")
        )
    judge.validate_template(settings.template, settings.scale, pairs[0].keys())

    def create_run() -> int:
        provenance = settings.provenance(api_key)
        # The scope is stored with the run so that a resume judges the same pairs.
        provenance["params"]["pair_ids"] = None if pair_ids is None else [int(p) for p in pair_ids]
        return storage.create_run(
            db, name=name or _default_name(provenance, split), dataset=dataset, split=split,
            **provenance,
        )

    run_id, summary, _ = _judge_into_run(
        db, create_run, pairs, settings, skip=set(), backend=backend, api_key=api_key,
        on_progress=on_progress, cancel=cancel, on_run=on_run,
    )
    return JudgeOutcome(run_id, summary)


def _default_name(provenance: Mapping[str, Any], split: str | None) -> str:
    model = Path(str(provenance["model"])).name
    return f"{model} · {provenance['prompt_sha256'][:8]}" + (f" · {split}" if split else "")


def settings_for_run(db: str | Path, run_id: int) -> judge.JudgeSettings:
    """The judge settings a stored run was made with, to resume it or judge pairs again."""
    return _settings_of(storage.get_run(db, run_id))


def _settings_of(run: Mapping[str, Any]) -> judge.JudgeSettings:
    """`settings_for_run` on a run record already read from the store."""
    fields = {f.name for f in dataclasses.fields(judge.JudgeSettings)}
    params = {k: v for k, v in run["params"].items() if k in fields}
    if run["backend"] not in {b.value for b in judge.Backend}:
        raise judge.SettingsError(
            f"run {run['run_id']} was imported from {run['backend']}; it cannot be judged again here. "
            "Start a new run on the Runs page or with `cli.py judge`."
        )
    return judge.JudgeSettings(
        backend=run["backend"], model=run["model"], template=run["prompt_template"],
        scale=tuple(run["scale"]), **params,
    )


def _check_model_unchanged(run: Mapping[str, Any], settings: judge.JudgeSettings) -> None:
    run_id, expected = run["run_id"], run["model_sha256"]
    if expected and settings.backend is judge.Backend.LLAMA_CPP:
        actual = judge.file_sha256(settings.model_path())
        if actual != expected:
            raise judge.SettingsError(
                f"run {run_id} was judged with a model file whose sha256 is {expected[:12]}…, "
                f"but {settings.model_path()} is now {actual[:12]}…; start a new run instead"
            )


def _run_pairs(
    db: str | Path, run: Mapping[str, Any], pair_ids: Sequence[int] | None
) -> list[dict[str, Any]]:
    """The run's pairs: the named ones (whatever split they are in now), else its whole scope."""
    split = run["split"] if pair_ids is None else None
    return storage.pairs_for_judging(db, run["dataset"], split=split, pair_ids=pair_ids)


def resume_run(
    db: str | Path,
    run_id: int,
    *,
    backend: judge.JudgeBackend | None = None,
    api_key: str | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    on_run: RunCallback | None = None,
) -> JudgeOutcome:
    """Judge the pairs `run_id` has no result for yet, and those that failed; never one twice."""
    run = storage.get_run(db, run_id)
    settings = _settings_of(run)
    _check_model_unchanged(run, settings)
    judged = storage.judged_pair_ids(db, run_id)
    pairs = _run_pairs(db, run, run["params"].get("pair_ids"))

    def reopen() -> int:
        storage.finish_run(db, run_id, "running")
        return run_id

    _, summary, _ = _judge_into_run(
        db, reopen, pairs, settings, skip=judged, backend=backend, api_key=api_key,
        on_progress=on_progress, cancel=cancel, on_run=on_run,
    )
    return JudgeOutcome(run_id, summary)


def rejudge_pairs(
    db: str | Path,
    run_id: int,
    pair_ids: Sequence[int],
    *,
    backend: judge.JudgeBackend | None = None,
    api_key: str | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> list[Rejudged]:
    """Judge `pair_ids` again under `run_id`'s own settings, replacing their judgments.

    Used after a relabel or a text fix made a judgment stale. Returns old and new grade per
    pair so the reviewer sees what changed.
    """
    run = storage.get_run(db, run_id)
    settings = _settings_of(run)
    _check_model_unchanged(run, settings)
    before = storage.run_judgments(db, run_id, pair_ids)
    _, _, judgments = _judge_into_run(
        db, lambda: run_id, _run_pairs(db, run, pair_ids), settings, skip=set(),
        backend=backend, api_key=api_key, on_progress=on_progress, cancel=cancel,
        keep_status=run["status"],
    )
    return [
        Rejudged(
            j.pair_id,
            before.get(j.pair_id, {}).get("grade"),
            j.grade,
            before.get(j.pair_id, {}).get("probs"),
            j.probs,
        )
        for j in judgments
    ]
