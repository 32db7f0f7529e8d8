"""Judge stored pairs and record every judgment: the judge room meets the store here.

The judge knows nothing of DuckDB and the store calls no model; these functions read the
pairs from the store, hand them to `judge.run_judge`, and write each judgment back in small
batches, so a killed run loses at most one batch and resumes where it stopped. Each batch is
one store session; between batches the job holds no connection, so a reviewer can label
while it judges.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import judge
import storage
from words import plural

from ._baseline import BASELINE_BACKEND, STACK_BACKEND
from ._rubrics import fill_dataset_rubric, with_references

# What a judging job reads and writes, and what its judgments are read back with (a judgment's
# staleness reads the label events): probed in full before it writes (`storage.probe_tables`),
# so a damaged block is found before a run is recorded, not halfway through it or when its
# first result is shown.
_JUDGE_TABLES = (
    "datasets",
    "queries",
    "documents",
    "pairs",
    "current_labels",
    "label_events",
    "rubrics",
    "judge_runs",
    "judgments",
)
_FLUSH_EVERY = 32
_FLUSH_AFTER_S = 2.0

ProgressCallback = Callable[[judge.Progress], None]
# Told the run_id once the run is recorded as running, before its first judgment is stored,
# so a caller that judges in another thread knows which stored run is its own.
RunCallback = Callable[[int], None]


@dataclass(frozen=True, kw_only=True)
class RunControl:
    """How a caller steers a judging job, apart from what it judges.

    `backend` is a judge already loaded (the app shares one llama.cpp model between runs);
    None builds one from the settings. `api_key` is the remote endpoint's key, never stored.
    `on_progress` hears the progress after each pair; setting `cancel` stops the job between
    pairs (the run ends cancelled); `on_run` is told the run's id (see `RunCallback`);
    `on_endpoint` hears which endpoint a new remote run uses and why, before its first pair.
    """

    backend: judge.JudgeBackend | None = None
    api_key: str | None = None
    on_progress: ProgressCallback | None = None
    cancel: threading.Event | None = None
    on_run: RunCallback | None = None
    on_endpoint: Callable[[judge.EndpointChoice], None] | None = None


@dataclass(frozen=True)
class JudgeOutcome:
    """The run a judging call wrote to, and how the judge loop ended."""

    run_id: int
    summary: judge.RunSummary
    endpoint: judge.EndpointChoice | None = None
    """For a new remote run: the endpoint the probe picked, and why."""
    without_reference: int = 0
    """With reference grading: the pairs whose query has no other Exact, judged without."""


@dataclass(frozen=True)
class Rejudged:
    """One pair judged again: its grade and probabilities before and after."""

    pair_id: int
    old_grade: int | None
    new_grade: int | None
    old_probs: list[float] | None
    new_probs: list[float] | None


# Opens the run a job writes to (creates it, or sets it back to running) and returns its id.
OpenRun = Callable[[storage.Store], int]


class _Result(Protocol):
    """What a judge loop hands on: a graded judgment or one order's pairwise verdict."""

    def as_record(self) -> dict[str, Any]: ...


_R = TypeVar("_R", bound=_Result)


@dataclass(frozen=True)
class RunWriter:
    """How one kind of run is written: a batch of its results, and its end."""

    record: Callable[[storage.Store, int, list[dict[str, Any]]], object]
    finish: Callable[[storage.Store, int, storage.RunStatus], None]


GRADED = RunWriter(record=storage.record_judgments, finish=storage.finish_run)
PAIRWISE = RunWriter(
    record=storage.pairwise.record_pairwise_judgments, finish=storage.pairwise.finish_pairwise_run
)


class _Recorder(Generic[_R]):
    """Collects results from the judge loop and writes them to the store in batches, each
    batch in one store session (with the run's end, for the last one).

    The run is opened (`open_run`) when the first result arrives, not before: a model or
    endpoint that cannot be set up (a file that is not a GGUF, a tokenizer that splits the
    grades, a missing key) fails before any result, and so leaves no run behind, nor a
    finished run marked running again.
    """

    def __init__(
        self, db: str | Path, open_run: OpenRun, on_run: RunCallback | None, writer: RunWriter
    ) -> None:
        self._db = db
        self._open_run, self._on_run, self._writer = open_run, on_run, writer
        self.run_id: int | None = None
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._flushed_at = time.monotonic()
        self.results: list[_R] = []

    def __call__(self, result: _R) -> None:
        with self._lock:
            if self.run_id is None:  # the first result: record the run, tell on_run
                self._write(open_run=True)
            self.results.append(result)
            self._pending.append(result.as_record())
            due = time.monotonic() - self._flushed_at > _FLUSH_AFTER_S
            if len(self._pending) >= _FLUSH_EVERY or due:
                self._write()

    def close(self, ending: storage.RunStatus | None, *, open_run: bool) -> None:
        """Write what is pending and end the run with `ending` (None: leave its status).
        `open_run` opens the run even with no result: a job that had nothing left to do,
        or was cancelled at once, is still recorded, so it can be resumed or shows as done."""
        with self._lock:
            self._write(ending, open_run=open_run)

    def end_after_error(self, ending: storage.RunStatus | None) -> None:
        """After the judge loop failed: write what is pending and end the run with `ending`.
        When the store refuses the pending batch (a damaged block, a full disk), the run
        is still ended, in a session of its own, so no error leaves it running; when even
        that fails, the error in flight (raised by the caller) is the one to report."""
        try:
            self.close(ending, open_run=False)
        except Exception:
            if ending is None or self.run_id is None:
                return
            with suppress(Exception), storage.session(self._db) as store:
                self._writer.finish(store, self.run_id, ending)

    def _write(self, ending: storage.RunStatus | None = None, *, open_run: bool = False) -> None:
        with storage.session(self._db) as store:
            run_id = self.run_id
            if run_id is None and (self._pending or open_run):
                run_id = self.run_id = self._open_run(store)
                if self._on_run is not None:
                    self._on_run(run_id)
            if self._pending and run_id is not None:
                self._writer.record(store, run_id, self._pending)
                self._pending = []
            if ending is not None and run_id is not None:
                self._writer.finish(store, run_id, ending)
        self._flushed_at = time.monotonic()


def record_run(
    db: str | Path,
    open_run: OpenRun,
    judge_all: Callable[[Callable[[_R], None]], judge.RunSummary],
    writer: RunWriter,
    on_run: RunCallback | None,
    *,
    finish: bool = True,
) -> tuple[int, judge.RunSummary, list[_R]]:
    """Run `judge_all` (a judge loop given the callback that takes each result) into the run
    `open_run` opens at the first result (and tell `on_run`); returns its id. The one rule
    for every kind of run: the run ends done, or cancelled when the cancel event or Ctrl-C
    stopped it (it can be resumed), or failed on any other error; without `finish`
    (judging a few pairs again) it keeps its status. A failure before the first result opens
    no run and changes nothing in the store. While the model judges, this context holds no
    connection to the store, so other processes can write between batches."""
    recorder: _Recorder[_R] = _Recorder(db, open_run, on_run, writer)
    with storage.released(db):
        try:
            summary = judge_all(recorder)
        except KeyboardInterrupt:
            # Ctrl-C is the user stopping the run, not the run failing: it can be resumed.
            recorder.end_after_error(storage.RunStatus.CANCELLED if finish else None)
            raise
        except BaseException:
            recorder.end_after_error(storage.RunStatus.FAILED if finish else None)
            raise
        ending = storage.RunStatus.CANCELLED if summary.cancelled else storage.RunStatus.DONE
        try:
            recorder.close(ending if finish else None, open_run=True)
        except BaseException:  # the last batch did not go in: the run did not finish
            recorder.end_after_error(storage.RunStatus.FAILED if finish else None)
            raise
    assert recorder.run_id is not None  # opened by the close above
    return recorder.run_id, summary, recorder.results


def _judge_into_run(
    db: str | Path,
    open_run: OpenRun,
    pairs: Sequence[Mapping[str, Any]],
    settings: judge.JudgeSettings,
    control: RunControl,
    *,
    skip: set[int],
    finish: bool = True,
) -> tuple[int, judge.RunSummary, list[judge.Judgment]]:
    """Judge `pairs` into the run `open_run` opens (see `record_run`)."""

    def judge_all(on_result: Callable[[judge.Judgment], None]) -> judge.RunSummary:
        return judge.run_judge(
            pairs,
            settings,
            on_result=on_result,
            on_progress=control.on_progress,
            cancel=control.cancel,
            skip_pair_ids=skip,
            backend=control.backend,
            api_key=control.api_key,
        )

    return record_run(db, open_run, judge_all, GRADED, control.on_run, finish=finish)


def judge_dataset(
    db: str | Path,
    *,
    dataset: str,
    settings: judge.JudgeSettings,
    split: storage.Split | None = None,
    pair_ids: Sequence[int] | None = None,
    limit: int | None = None,
    name: str | None = None,
    control: RunControl = RunControl(),
) -> JudgeOutcome:
    """Start a new run over `dataset` (one split, or just `pair_ids`, or the first `limit`
    pairs by query) and judge every pair.

    The run is recorded with its first judgment, so settings, a model or an endpoint that
    fail before any pair is judged raise (a JudgeError) and leave no run in the store."""
    if limit is not None and limit < 1:
        raise judge.SettingsError(f"limit must be a number of pairs of at least 1, got {limit}")
    with storage.session(db) as store:
        storage.probe_tables(store, _JUDGE_TABLES)
        scale = storage.dataset_scale(store, dataset)
        if settings.scale.grades != scale.grades:
            raise judge.SettingsError(
                f"the template grades on {list(settings.scale.grades)} but dataset {dataset!r} "
                f"uses {list(scale.grades)}; pick a template on the dataset's scale, or map "
                "its scores onto the dataset's grades (--score-map 1=0,2=0,3=1,4=1,5=2)"
            )
        template, rubric_version = fill_dataset_rubric(store, dataset, settings.template)
        settings = dataclasses.replace(settings, template=template)
        pairs = storage.pairs_for_judging(store, dataset, split=split, pair_ids=pair_ids)
    if limit is not None:
        pairs = pairs[:limit]
        pair_ids = [p["pair_id"] for p in pairs]
    if not pairs:
        raise storage.NotFoundError(
            f"dataset {dataset!r} has no pairs" + (f" in split {str(split)!r}" if split else "")
        )
    judge.validate_template(settings.template, settings.answer_scale, pairs[0].keys())
    pairs, without_reference = _with_references(db, dataset, pairs, settings)
    choice = None
    if settings.spec.remote and control.backend is None:
        # Probed before the run is recorded, so the run records the endpoint it uses and a
        # server that cannot score leaves no run behind. A backend the caller hands in
        # judges as it is, with no server of ours to probe.
        prompt = judge.render_prompt(settings.template, pairs[0])
        choice = judge.choose_endpoint(settings, prompt, api_key=control.api_key)
        settings = choice.settings
        if control.on_endpoint is not None:
            control.on_endpoint(choice)

    def create_run(store: storage.Store) -> int:
        provenance = settings.provenance(control.api_key)
        # The scope is stored with the run so that a resume judges the same pairs.
        provenance["params"]["pair_ids"] = None if pair_ids is None else [int(p) for p in pair_ids]
        provenance["params"]["rubric_version"] = rubric_version
        return storage.create_run(
            store,
            name=name or _default_name(provenance, split),
            dataset=dataset,
            split=split,
            **provenance,
        )

    run_id, summary, _ = _judge_into_run(db, create_run, pairs, settings, control, skip=set())
    return JudgeOutcome(run_id, summary, choice, without_reference)


def _with_references(
    db: str | Path | storage.Store,
    dataset: str,
    pairs: list[dict[str, Any]],
    settings: judge.JudgeSettings,
) -> tuple[list[dict[str, Any]], int]:
    """The pairs with their reference products when the settings ask for them (and how
    many have none); else as they are."""
    if not settings.reference:
        return pairs, 0
    return with_references(db, dataset, pairs, seed=settings.seed)


def _default_name(provenance: Mapping[str, Any], split: str | None) -> str:
    model = Path(str(provenance["model"])).name
    return f"{model} · {provenance['prompt_sha256'][:8]}" + (f" · {split}" if split else "")


def settings_for_run(db: str | Path, run_id: int) -> judge.JudgeSettings:
    """The judge settings a stored run was made with, to resume it or judge pairs again."""
    return settings_of(storage.get_run(db, run_id))


def settings_of(run: storage.Run) -> judge.JudgeSettings:
    """`settings_for_run` on a run record already read from the store."""
    fields = {f.name for f in dataclasses.fields(judge.JudgeSettings)}
    params = {k: v for k, v in run.params.items() if k in fields}
    backend = judge.find_backend(run.backend)
    if backend is None or not backend.reads_prompts:
        raise judge.SettingsError(
            f"run {run.run_id} cannot be judged again pair by pair: {_made_without_prompts(run)}"
        )
    return judge.JudgeSettings(
        backend=backend.name,
        model=run.model,
        template=run.prompt_template,
        scale=run.scale,
        **params,
    )


def _made_without_prompts(run: storage.Run) -> str:
    """What made a run that has no prompt to send again, and what to do instead."""
    if run.backend == STACK_BACKEND:
        return (
            f"it is a learned head stacked on run {run.params.get('stacked_on')}, trained on "
            "the labels rather than prompted; train a new head on the Runs page"
        )
    if run.backend == BASELINE_BACKEND:
        return (
            "it is the lexical baseline, trained on the labels rather than prompted; train it "
            "again on the Runs page or with `cli.py judge --backend baseline`"
        )
    return (
        f"it was imported from {run.backend}; start a new run on the Runs page or with "
        "`cli.py judge`"
    )


def _check_model_unchanged(run: storage.Run, settings: judge.JudgeSettings) -> None:
    if run.model_sha256 and settings.spec.model_file:
        actual = judge.file_sha256(settings.model_path())
        if actual != run.model_sha256:
            raise judge.SettingsError(
                f"run {run.run_id} was judged with a model file whose sha256 is "
                f"{run.model_sha256[:12]}…, but {settings.model_path()} is now {actual[:12]}…; "
                "start a new run instead"
            )


def _run_pairs(
    store: storage.Store,
    run: storage.Run,
    pair_ids: Sequence[int] | None,
    settings: judge.JudgeSettings,
) -> list[dict[str, Any]]:
    """The run's pairs: the named ones (whatever split they are in now), else its whole
    scope; with their reference products when the run uses them."""
    split = run.split if pair_ids is None else None
    pairs = storage.pairs_for_judging(store, run.dataset, split=split, pair_ids=pair_ids)
    return _with_references(store, run.dataset, pairs, settings)[0]


def resume_run(db: str | Path, run_id: int, *, control: RunControl = RunControl()) -> JudgeOutcome:
    """Judge the pairs `run_id` has no result for yet, and those that failed; never one twice."""
    with storage.session(db) as store:
        storage.probe_tables(store, _JUDGE_TABLES)
        run = storage.get_run(store, run_id)
        settings = settings_of(run)
        _check_model_unchanged(run, settings)
        judged = storage.judged_pair_ids(store, run_id)
        pairs = _run_pairs(store, run, run.params.get("pair_ids"), settings)

    def reopen(store: storage.Store) -> int:
        storage.reopen_run(store, run_id)
        return run_id

    _, summary, _ = _judge_into_run(db, reopen, pairs, settings, control, skip=judged)
    return JudgeOutcome(run_id, summary)


def rejudge_pairs(
    db: str | Path, run_id: int, pair_ids: Sequence[int], *, control: RunControl = RunControl()
) -> list[Rejudged]:
    """Judge `pair_ids` again under `run_id`'s own settings, replacing their judgments; the
    run keeps its status.

    Used after a relabel or a text fix made a judgment stale. Returns old and new grade per
    pair so the reviewer sees what changed.
    """
    with storage.session(db) as store:
        run = storage.get_run(store, run_id)
        settings = settings_of(run)
        _check_model_unchanged(run, settings)
        before = storage.run_judgments(store, run_id, pair_ids)
        pairs = _run_pairs(store, run, pair_ids, settings)
    missing = sorted(set(pair_ids) - {p["pair_id"] for p in pairs})
    if missing:
        shown = ", ".join(map(str, missing[:5])) + (", …" if len(missing) > 5 else "")
        raise storage.NotFoundError(
            f"{plural(len(missing), 'pair')} ({shown}) not in dataset {run.dataset!r} of run "
            f"{run_id}: name pairs of that dataset"
        )
    _, _, judgments = _judge_into_run(
        db, lambda store: run_id, pairs, settings, control, skip=set(), finish=False
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
