"""Batch files for a run: its requests out to `vllm run-batch` or the OpenAI Batch API, their
results back into the run.

A batch run is an ordinary run, recorded as `judge_dataset` (or `judge_pairwise`) records one,
with its endpoint probed when the settings say `auto`, but judged by nobody yet: it stays
cancelled, so it is resumable. `write_batch_requests` writes one request line per pair (or
order of a comparison) the run has no result for yet, or only a failed one; importing the
engine's output (`import_batch_results`) records each answer exactly as the remote backend
would have, and a second request file then covers only what is still missing.

A results file is read line by line and written in chunks, so a million-line file needs the
memory of one chunk plus one id per pair of the run.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import judge
import storage

from ._judging import RunControl, _run_pairs, judge_dataset, settings_of
from ._pairwise import pairwise_settings

# Rows written per store session while importing: bounded memory, few sessions.
_CHUNK = 20_000
# Why a line of a results file was not imported, in the order the summary says them.
REFUSALS = ("malformed", "other run", "unknown pair", "duplicate", "already judged")


@dataclass(frozen=True)
class BatchRequests:
    """A request file written for a run."""

    run_id: int
    path: Path
    requests: int
    url: str | None
    """The endpoint every line names (/v1/completions or /v1/chat/completions); None when
    nothing was left to ask."""


@dataclass(frozen=True)
class BatchImport:
    """What importing results files did to a run."""

    run_id: int
    scored: int
    """Answers recorded as judgments (graded, or unparsed text)."""
    failed: int
    """Lines that said the request failed, recorded as failed judgments with their error."""
    refused: Mapping[str, int]
    """Lines not imported, by reason (see REFUSALS)."""
    missing: int
    """Pairs (or orders) of the run still without a result: what a new request file asks."""

    def summary(self) -> str:
        """The import in one line."""
        refused = ", ".join(f"{n} {why}" for why in REFUSALS if (n := self.refused.get(why)))
        return (
            f"run {self.run_id}: {self.scored} answers imported, {self.failed} failed "
            f"(recorded with their error), {sum(self.refused.values())} lines refused"
            + (f" ({refused})" if refused else "")
            + f"; {self.missing} still to judge"
        )


class _NotNow:
    """A backend that judges nothing: the run is recorded, its pairs are left for a batch."""

    def judge(self, items: Any, settings: Any, *, emit: Any, cancel: Any) -> None:
        """Judge nothing."""

    def compare(self, items: Any, settings: Any, *, emit: Any, cancel: Any) -> None:
        """Compare nothing."""

    def close(self) -> None:
        """Nothing to release."""


def batch_control(endpoint: judge.Endpoint, control: RunControl | None = None) -> RunControl:
    """`control` (default: none) changed so that `judge_dataset` or `judge_pairwise` records
    a new run and judges nothing: the run ends cancelled, to be resumed by a batch. With
    `endpoint` auto the job keeps its own backend, so it probes the server first and the
    run records the endpoint picked; else nothing is sent anywhere."""
    stopped = threading.Event()
    stopped.set()
    backend = None if endpoint is judge.Endpoint.AUTO else _NotNow()
    return dataclasses.replace(control or RunControl(), backend=backend, cancel=stopped)


def open_batch_run(
    db: str | Path,
    *,
    dataset: str,
    settings: judge.JudgeSettings,
    split: storage.Split | None = None,
    limit: int | None = None,
    name: str | None = None,
    control: RunControl | None = None,
) -> int:
    """Record a new graded run over `dataset` as `judge_dataset` would, judging nothing
    (see `batch_control`); returns its id. Without a server to probe, name the endpoint:
    completions asks for the one answer token after the answer prefix."""
    judge.check_batch_settings(settings)
    later = batch_control(settings.endpoint, control)
    outcome = judge_dataset(
        db, dataset=dataset, settings=settings, split=split, limit=limit, name=name, control=later
    )
    return outcome.run_id


def _graded_requests(
    store: storage.Store, run_id: int
) -> tuple[judge.JudgeSettings, Iterable[tuple[judge.BatchKey, str]]]:
    run = storage.get_run(store, run_id)
    settings = settings_of(run)
    judged = storage.judged_pair_ids(store, run_id)
    pairs = _run_pairs(store, run, run.params.get("pair_ids"), settings)
    # By query, as a run judges them: an engine with prefix caching reuses the instructions.
    todo = sorted(
        (p for p in pairs if p["pair_id"] not in judged), key=lambda p: str(p["query_id"])
    )
    if todo:
        judge.validate_template(settings.template, settings.answer_scale, todo[0].keys())
    return settings, ((p["pair_id"], judge.render_prompt(settings.template, p)) for p in todo)


def _pairwise_orders(
    store: storage.Store, run: storage.RunRecord
) -> dict[tuple[int, int], tuple[dict[str, Any], dict[str, Any]]]:
    planned = [tuple(c) for c in run.params.get("comparisons", [])]
    ids = sorted({p for c in planned for p in c})
    by_id = {p["pair_id"]: p for p in storage.pairs_for_judging(store, run.dataset, pair_ids=ids)}
    orders = {}
    for a, b in planned:
        if a in by_id and b in by_id:
            orders[(a, b)] = (by_id[a], by_id[b])
            orders.setdefault((b, a), (by_id[b], by_id[a]))
    return orders


def _pairwise_requests(
    store: storage.Store, run_id: int
) -> tuple[judge.JudgeSettings, Iterable[tuple[judge.BatchKey, str]]]:
    run = storage.pairwise.get_pairwise_run(store, run_id)
    settings = pairwise_settings(run)
    done = storage.pairwise.judged_orders(store, run_id)
    orders = _pairwise_orders(store, run)
    todo = sorted(
        (k for k in orders if k not in done), key=lambda k: (str(orders[k][0]["query_id"]), k)
    )
    if todo:
        judge.validate_pairwise_template(settings.template, orders[todo[0]][0].keys())
    return settings, ((k, judge.pairwise_prompt(settings.template, *orders[k])) for k in todo)


def write_batch_requests(db: str | Path, run_id: int, path: str | Path) -> BatchRequests:
    """Write the request lines of everything `run_id` has no result for (or a failed one)
    to `path`, one line at a time; returns how many."""
    with storage.session(db) as store:
        pairwise = storage.pairwise.is_pairwise_run(store, run_id)
        settings, requests = (_pairwise_requests if pairwise else _graded_requests)(store, run_id)
        count, url = 0, None
        with open(path, "w", encoding="utf-8") as out:
            for key, prompt in requests:
                line = judge.batch_request(
                    settings, judge.batch_custom_id(run_id, key), prompt, pairwise=pairwise
                )
                url = line["url"]
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
                count += 1
    return BatchRequests(run_id, Path(path), count, url)


@dataclass
class _Reading:
    """The state of one import: what the run may receive, and the counts so far."""

    scope: set[Any]
    judged: set[Any]
    seen: set[Any] = dataclasses.field(default_factory=set)
    refused: Counter[str] = dataclasses.field(default_factory=Counter)
    scored: int = 0
    failed: int = 0

    def admit(self, run_id: int, named: tuple[int, judge.BatchKey] | None) -> judge.BatchKey | None:
        """The line's pair (or order) when it is one to import, else None (counted)."""
        if named is None:
            self.refused["malformed"] += 1
            return None
        run, key = named
        if run != run_id:
            reason: str | None = "other run"
        elif key not in self.scope:
            reason = "unknown pair"
        elif key in self.seen:
            reason = "duplicate"
        else:
            self.seen.add(key)
            reason = "already judged" if key in self.judged else None
        if reason is not None:
            self.refused[reason] += 1
            return None
        return key


@dataclass(frozen=True)
class _Kind:
    """How results go into one kind of run."""

    settings: judge.JudgeSettings
    scope: set[Any]
    judged: set[Any]
    record: Callable[[judge.BatchResult, Any], Mapping[str, Any]]
    write: Callable[[storage.Store, int, list[Mapping[str, Any]]], object]
    finish: Callable[[storage.Store, int, storage.RunStatus], None]


def _graded_kind(store: storage.Store, run_id: int, mask: judge.Redactor) -> _Kind:
    run = storage.get_run(store, run_id)
    settings = settings_of(run)
    references: dict[int, int] = {}
    if settings.reference:
        pairs = _run_pairs(store, run, run.params.get("pair_ids"), settings)
        references = {p["pair_id"]: p["reference"]["pair_id"] for p in pairs if p.get("reference")}

    answer_line = settings.answer_format()

    def record(result: judge.BatchResult, pair_id: Any) -> Mapping[str, Any]:
        judgment = judge.judgment_from_result(pair_id, result, settings, answer_line=answer_line)
        # What run_judge hands on for a remote judgment: a score as a grade, the reference.
        if settings.score_map is not None:
            judgment = judgment.on_grades(settings.score_map, settings.scale.grades)
        # The judgment's fields as they are (as_record copies each list: slow by the million).
        record = dict(vars(mask.judgment(judgment)))
        record["reference_pair_id"] = references.get(pair_id)
        record["latency_ms"] = None  # the engine answered in a batch: no latency of its own
        return record

    return _Kind(
        settings,
        storage.run_scope_pair_ids(store, run_id),
        storage.judged_pair_ids(store, run_id),
        record,
        storage.record_judgments,
        storage.finish_run,
    )


def _pairwise_kind(store: storage.Store, run_id: int, mask: judge.Redactor) -> _Kind:
    run = storage.pairwise.get_pairwise_run(store, run_id)
    settings = pairwise_settings(run)

    def record(result: judge.BatchResult, order: Any) -> Mapping[str, Any]:
        record = mask.value(judge.verdict_from_result(order, result, settings).as_record())
        record["latency_ms"] = None
        return record

    return _Kind(
        settings,
        set(_pairwise_orders(store, run)),
        storage.pairwise.judged_orders(store, run_id),
        record,
        storage.pairwise.record_pairwise_judgments,
        storage.pairwise.finish_pairwise_run,
    )


def import_batch_results(
    db: str | Path,
    run_id: int,
    files: Sequence[str | Path],
    *,
    api_key: str | None = None,
) -> BatchImport:
    """Read results (and error) files of `vllm run-batch` or the OpenAI Batch API into
    `run_id`, line by line; see `BatchImport` for what is counted. The run ends done when
    every pair has a result, else cancelled (resumable). `api_key` is masked in what is
    stored, as the remote backend masks it."""
    mask = judge.Redactor.for_key(api_key)
    with storage.session(db) as store:
        pairwise = storage.pairwise.is_pairwise_run(store, run_id)
        kind = (_pairwise_kind if pairwise else _graded_kind)(store, run_id, mask)
    reading = _Reading(kind.scope, kind.judged)
    chunk: list[Mapping[str, Any]] = []

    def flush() -> None:
        if chunk:
            with storage.session(db) as store:
                kind.write(store, run_id, chunk)
            chunk.clear()

    for path in files:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if not line.strip():
                    continue
                try:
                    result = judge.read_result_line(line, kind.settings)
                except judge.BatchLineError:
                    reading.refused["malformed"] += 1
                    continue
                key = reading.admit(run_id, judge.read_batch_custom_id(result.custom_id))
                if key is None:
                    continue
                record = kind.record(result, key)
                if record["parse_status"] == "error":
                    reading.failed += 1
                else:
                    reading.scored += 1
                    reading.judged.add(key)
                chunk.append(record)
                if len(chunk) >= _CHUNK:
                    flush()
    flush()
    missing = len(kind.scope - reading.judged)
    ending = storage.RunStatus.CANCELLED if missing else storage.RunStatus.DONE
    with storage.session(db) as store:
        kind.finish(store, run_id, ending)
    return BatchImport(run_id, reading.scored, reading.failed, dict(reading.refused), missing)
