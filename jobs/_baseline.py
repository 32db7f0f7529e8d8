"""Train the baseline judge, or a stacking head over a run, on a dataset's current labels and
record its cross-fitted grades as a new run: here the learned judges meet the store.

Provenance of such a run: ``model`` is the saved model file (``<store folder>/models/``, plain
arrays, see ``judge.save_baseline``) and ``model_sha256`` its fingerprint; ``params`` hold the
settings (folds, seed, regularization), the features, and ``label_snapshot``: the newest label
event id of the store when the labels were read (every label the model saw is in force as of
that event), the labelled pairs, and the pairs and queries it trained on (benchmark left
out). A stacking head's params also name the run it stacks on. Training again after reviews
is a new run; nothing is judged again in place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

import judge
import storage

BASELINE_NAME = "baseline: lexical features + logistic regression (not an LLM)"
BASELINE_BACKEND = judge.Backend.BASELINE.value
STACK_BACKEND = "stack"
# Labels read while a reviewer keeps labelling: tries before giving up on a clean snapshot.
_SNAPSHOT_TRIES = 3


@dataclass(frozen=True)
class _Labelled:
    """A dataset's pairs with their current labels, read at one label snapshot."""

    pairs: pd.DataFrame
    labels: pd.Series
    last_event_id: int | None


def _read_labelled(db: str | Path, dataset: str) -> _Labelled:
    """The pairs and their current labels, with the newest label event id they reflect.

    The labels are read between two readings of the newest event id; a review landing in
    between makes the readings differ, and the labels are read again.
    """
    # Object columns: inferring pandas' string type costs seconds on 233k pairs, and the
    # features read the texts through Arrow anyway.
    pairs = pd.DataFrame(storage.pairs_for_judging(db, dataset), dtype=object)
    if pairs.empty:
        raise storage.NotFoundError(f"dataset {dataset!r} has no pairs: import some first")
    for _ in range(_SNAPSHOT_TRIES):
        before = storage.data_version(db)[0]
        rows = storage.search_pairs(db, dataset, run_id=None, limit=len(pairs)).rows
        if storage.data_version(db)[0] == before:
            labels = pairs["pair_id"].map(rows.set_index("pair_id")["human"])
            return _Labelled(pairs, labels, None if before is None else int(before))
    raise storage.StoreError(
        f"the labels of {dataset!r} changed during each of {_SNAPSHOT_TRIES} reads: "
        "train again when reviewing pauses"
    )


def _models_dir(db: str | Path, models_dir: str | Path | None) -> Path:
    return Path(models_dir) if models_dir is not None else Path(db).resolve().parent / "models"


def _record(
    db: str | Path,
    *,
    name: str,
    dataset: str,
    backend: str,
    split: storage.Split | None,
    description: str,
    labelled: _Labelled,
    fitted: judge.CrossFitted,
    models_dir: Path,
    params: Mapping[str, Any],
) -> int:
    """Save the model, create the run with its provenance, write every judgment; the run id.

    A failure while writing leaves the run marked failed, never half done and "running".
    """
    path, sha256 = judge.save_baseline(fitted.model, models_dir, prefix=backend)
    run_id = storage.create_run(
        db,
        name=name,
        dataset=dataset,
        split=split,
        backend=backend,
        model=str(path),
        model_sha256=sha256,
        prompt_template=description,
        prompt_sha256=hashlib.sha256(description.encode("utf-8")).hexdigest(),
        scale=list(fitted.model.grades),
        params={
            **asdict(fitted.model.settings),
            "features": list(fitted.model.feature_names),
            "label_snapshot": {
                "last_event_id": labelled.last_event_id,
                "labelled_pairs": int(labelled.labels.notna().sum()),
                "training_pairs": fitted.training_pairs,
                "training_queries": fitted.training_queries,
            },
            **params,
        },
    )
    status = storage.RunStatus.FAILED
    try:
        # A Judgment's own __dict__ is its record (as_record deep-copies: seconds at 233k).
        storage.record_judgments(db, run_id, (vars(j) for j in fitted.judgments))
        status = storage.RunStatus.DONE
    finally:
        storage.finish_run(db, run_id, status)
    return run_id


def baseline_run(
    db: str | Path,
    dataset: str,
    *,
    settings: judge.BaselineSettings | None = None,
    name: str | None = None,
    models_dir: str | Path | None = None,
) -> int:
    """Train the baseline judge on `dataset`'s current labels and record a run of it; its id.

    Every pair of the dataset is graded, each by the model of its query's fold (trained on
    the other folds' labelled pairs, benchmark split left out: see `judge.cross_fit_baseline`).
    `settings` default to `judge.BaselineSettings()`: 5 folds, seed 0. Seconds on the
    sample. Raises `judge.TrainingDataError` when the labels cannot train it (too few
    labelled queries, or a single grade).
    """
    settings = settings or judge.BaselineSettings()
    grades = list(storage.dataset_scale(db, dataset).grades)
    labelled = _read_labelled(db, dataset)
    fitted = judge.cross_fit_baseline(
        labelled.pairs, labelled.labels, grades=grades, settings=settings
    )
    return _record(
        db,
        name=name or BASELINE_NAME,
        dataset=dataset,
        backend=BASELINE_BACKEND,
        split=None,
        description=_description(fitted.model.feature_names),
        labelled=labelled,
        fitted=fitted,
        models_dir=_models_dir(db, models_dir),
        params={"pair_ids": None, "stacked_on": None},
    )


def why_not_stackable(run: Mapping[str, Any]) -> str | None:
    """Why a stacking head cannot be trained over `run` (a record with run_id, backend and
    status, as a row of `storage.list_runs` gives it), or None if it can.

    A run that learned from the labels is refused: its grades of one fold came from models
    trained on the other folds' labels, so a head trained on them would carry those labels
    back into the folds it grades. A running run is refused until it has finished.
    """
    if run["backend"] in (BASELINE_BACKEND, STACK_BACKEND):
        return (
            f"run {run['run_id']} learned from this dataset's labels ({run['backend']}): "
            "stack on a run of an LLM judge, or on an imported run"
        )
    if run["status"] == "running":
        return f"run {run['run_id']} is still running: stack on it once it has finished"
    return None


def stack_run(
    db: str | Path,
    run_id: int,
    *,
    settings: judge.BaselineSettings | None = None,
    name: str | None = None,
    models_dir: str | Path | None = None,
) -> int:
    """Train a learned head over run `run_id` and record a run of it; the new run's id.

    The head is the baseline model with the run's grade log-probabilities as more features
    (`judge.run_features`), cross-fitted by query the same way. It grades the pairs `run_id`
    graded, in its split; its params say `stacked_on: run_id`. Runs that `why_not_stackable`
    refuses raise SettingsError with its reason.
    """
    settings = settings or judge.BaselineSettings()
    run = storage.get_run(db, run_id)
    refusal = why_not_stackable(
        {"run_id": run.run_id, "backend": run.backend, "status": run.status}
    )
    if refusal is not None:
        raise judge.SettingsError(refusal)
    dataset = run.dataset
    grades = list(storage.dataset_scale(db, dataset).grades)
    if list(run.scale.grades) != grades:
        raise judge.SettingsError(
            f"run {run_id} grades on {list(run.scale.grades)} but dataset {dataset!r} uses "
            f"{grades}: "
            "stack on a run made on the dataset's scale"
        )
    judged = {
        pair_id: record
        for pair_id, record in storage.run_judgments(db, run_id).items()
        if record["grade"] is not None
    }
    if not judged:
        raise judge.SettingsError(f"run {run_id} graded no pair: there is nothing to stack on")
    labelled = _read_labelled(db, dataset)
    keep = labelled.pairs["pair_id"].isin(list(judged)).to_numpy()
    labelled = _Labelled(
        labelled.pairs[keep].reset_index(drop=True),
        labelled.labels[keep].reset_index(drop=True),
        labelled.last_event_id,
    )
    records = [judged[p] for p in labelled.pairs["pair_id"]]
    extra = judge.run_features([r["probs"] for r in records], [r["grade"] for r in records], grades)
    fitted = judge.cross_fit_baseline(
        labelled.pairs, labelled.labels, grades=grades, settings=settings, extra=extra
    )
    return _record(
        db,
        name=name
        or f"stacked on run {run_id}: its grade probabilities + lexical "
        "features, logistic regression",
        dataset=dataset,
        backend=STACK_BACKEND,
        split=run.split,
        description=_description(fitted.model.feature_names, stacked_on=run_id),
        labelled=labelled,
        fitted=fitted,
        models_dir=_models_dir(db, models_dir),
        params={"pair_ids": run.params.get("pair_ids"), "stacked_on": run_id},
    )


def _description(features: tuple[str, ...], stacked_on: int | None = None) -> str:
    """What a learned run reads in place of a prompt (stored as its prompt_template)."""
    over = "" if stacked_on is None else f" and run {stacked_on}'s grade log-probabilities"
    return (
        "No prompt: a multinomial logistic regression, cross-fitted by query, on lexical "
        f"features{over} (judge/_baseline_features.py, judge/_baseline_stack.py): "
        + ", ".join(features)
    )
