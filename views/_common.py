"""Helpers every page shares: the database, the active dataset and run, cached loaders.

The active dataset and run come from the selection (views/_selection.py), which the sidebar
shows and the URL mirrors. What a rerun reads from the store is cached (`until_written`)
until the store is written, by this app or by the CLI in another process; the metrics are
keyed by `storage.data_version`, which changes whenever labels, judgments, documents or
splits change.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Concatenate, NoReturn, ParamSpec, TypeVar

import pandas as pd
import streamlit as st

import jobs
import judge
import storage
from views import _selection as selection
from words import plural

DEFAULT_DB = storage.DEFAULT_STORE
NO_RUN = "No judge run yet: start one on the Runs page."
P = ParamSpec("P")
R = TypeVar("R")


def db_path() -> Path:
    """The store file: $WORKBENCH_DB, or data/workbench.duckdb in the repository."""
    return Path(os.environ.get("WORKBENCH_DB") or DEFAULT_DB).resolve()


@st.cache_resource(
    show_spinner="Opening the store (the first start imports the WANDS sample "
    "and judges it with the lexical baseline)…"
)
def _opened(path: str) -> str:
    jobs.first_start(path)
    # Many short units of work, a user waiting on each: DuckDB's copy of the file stays open
    # between them while no other process wants it.
    storage.keep_warm(path)
    return path


def database() -> str:
    """The store's path, with the bundled sample imported on the first start; a store that
    cannot be opened stops the page with one message saying what to do."""
    try:
        return _opened(str(db_path()))
    except storage.StoreError as error:
        st.error(md(error))
        st.stop()


def active_dataset() -> str | None:
    return selection.current().dataset


def active_run() -> int | None:
    return selection.current().run_id


def require_dataset() -> str:
    dataset = active_dataset()
    if dataset is None:
        st.info("The store has no dataset yet: import one on the Data page.")
        st.stop()
    return dataset


def require_run() -> int:
    run_id = active_run()
    if run_id is None:
        st.info(NO_RUN)
        st.stop()
    return run_id


def until_written(read: Callable[Concatenate[str, P], R]) -> Callable[Concatenate[str, P], R]:
    """`read(db, ...)`, a storage function, cached until the store at `db` is written
    (`storage.write_version`, read from the file system): a rerun that follows no write reads
    nothing again, and one that follows a write reads it anew, whoever wrote."""

    def fresh(db: str, *args: P.args, **kwargs: P.kwargs) -> R:
        return _read_until_written(read.__name__, db, storage.write_version(db), *args, **kwargs)

    @st.cache_data(max_entries=64, show_spinner=False)
    def _read_until_written(
        name: str, db: str, version: tuple[int, ...], *args: Any, **kwargs: Any
    ) -> R:
        # Every `until_written` shares this one cache (Streamlit keys a cache by the function's
        # name and source); `name` keeps their entries apart. Entries of older versions are
        # dead, so a few reruns' worth is kept: a whole cell's ids can be 2 MB.
        return read(db, *args, **kwargs)

    return fresh


dataset_names = until_written(storage.dataset_names)
list_runs = until_written(storage.list_runs)
get_run = until_written(storage.get_run)
dataset_scale = until_written(storage.dataset_scale)
dataset_stats = until_written(storage.dataset_stats)
label_distribution = until_written(storage.label_distribution)
query_classes = until_written(storage.query_classes)
reviewers = until_written(storage.reviewers)
confusion_counts = until_written(storage.confusion_counts)
confusion_cell_pairs = until_written(storage.confusion_cell_pairs)
cell_pair_ids = until_written(storage.cell_pair_ids)
stale_pair_ids = until_written(storage.stale_pair_ids)
"""The run's stale pairs: a whole-run scan, so once per write to the store."""


def settings_for_run(db: str, run_id: int) -> judge.JudgeSettings:
    """The judge settings run `run_id` was made with, from its cached record: no store read
    when a page of this script run, or an earlier one since the last write, read it."""
    return jobs.settings_of(get_run(db, run_id))


def grade_names(db: str, dataset: str) -> dict[int, str]:
    """Grade -> name on the scale of `dataset`."""
    scale = dataset_scale(db, dataset)
    return dict(zip(scale.grades, scale.names))


@st.cache_data(show_spinner="Computing metrics with bootstrap intervals…", max_entries=64)
def run_report(db: str, run_id: int, data_version: tuple[Any, ...]) -> jobs.RunReport:
    return jobs.run_report(db, run_id)


@st.cache_data(show_spinner="Comparing runs…", max_entries=16)
def compare_runs(
    db: str, run_a: int, run_b: int, data_version: tuple[Any, ...]
) -> jobs.RunComparison:
    return jobs.compare_runs(db, run_a, run_b)


class _OneAtATime:
    """A shared in-process model used by one caller at a time: a llama.cpp context is not
    thread-safe, and a background run and a re-judge click may both want it. The second
    caller gets an error that says so instead of a frozen page."""

    WAIT_S = 2.0

    def __init__(self, backend: judge.JudgeBackend) -> None:
        self._backend = backend
        self._lock = threading.Lock()

    def judge(self, *args: Any, **kwargs: Any) -> Any:
        with self._alone():
            return self._backend.judge(*args, **kwargs)

    def compare(self, *args: Any, **kwargs: Any) -> Any:
        with self._alone():
            return self._backend.compare(*args, **kwargs)

    @contextlib.contextmanager
    def _alone(self) -> Iterator[None]:
        if not self._lock.acquire(timeout=self.WAIT_S):
            raise judge.JudgeError(
                "the model is busy with another run in this app: wait for it to finish "
                "(Runs page) or cancel it, then try again"
            )
        try:
            yield
        finally:
            self._lock.release()

    def close(self) -> None:
        """The cache owns the model; callers must not close it."""


@st.cache_resource(show_spinner="Loading the judge model…", max_entries=2)
def _local_model(
    backend: str, path: str, n_ctx: int, n_threads: int | None, n_gpu_layers: int, seed: int
) -> _OneAtATime:
    settings = judge.JudgeSettings(
        backend=judge.Backend(backend),
        model=path,
        n_ctx=n_ctx,
        n_threads=n_threads,
        n_gpu_layers=n_gpu_layers,
        seed=seed,
    )
    return _OneAtATime(judge.load_backend(settings))


def backend_for(settings: judge.JudgeSettings) -> _OneAtATime | None:
    """The model to hand to jobs: for a backend with a model file the one loaded once per
    process (shared by every session); for a remote endpoint None, so jobs builds a client
    with the session's key."""
    if not settings.spec.model_file:
        return None
    return _local_model(
        settings.backend.value,
        str(settings.model_path()),
        settings.n_ctx,
        settings.n_threads,
        settings.n_gpu_layers,
        settings.seed,
    )


def run_label(
    run: dict[str, Any] | storage.Run, *, short: bool = False, status: bool = False
) -> str:
    """How a run is named: '#3 my run (model.gguf)', '#3 my run' in figure legends, and
    with `status` its state when it is not finished ('#3 my run (model.gguf) · cancelled')."""
    if isinstance(run, storage.Run):
        run = vars(run)
    if short:
        return f"#{run['run_id']} {run['name'][:24]}"
    label = f"#{run['run_id']} {run['name']} ({Path(str(run['model'])).name})"
    if status and run.get("status") != storage.RunStatus.DONE:
        label += f" · {run['status']}"
    return label


def run_title(run: dict[str, Any] | storage.Run) -> str:
    """The run's label, escaped for a title or caption."""
    return md(run_label(run))


REVIEW_WORDS = {
    "Queries": "queries that have at least one pair (a query listed without pairs is not counted)",
    "Reviewed": "a reviewer graded the pair, marked it unsure or noted it, and did not undo it",
    "Confirmed": "reviewed, and the grade is still the imported one",
    "Corrected": "the grade differs from the imported one",
}


def dataset_summary(stats: storage.DatasetStats) -> None:
    """A dataset's counts as metrics, then its labels and its splits as small tables."""
    labels = (
        ("Queries", "queries_with_pairs"),
        ("Products", "documents"),
        ("Pairs", "pairs"),
        ("Labelled", "labelled_pairs"),
        ("Reviewed", "reviewed_pairs"),
        ("Confirmed", "confirmed_pairs"),
        ("Corrected", "corrected_pairs"),
    )
    for col, (label, key) in zip(st.columns(len(labels)), labels):
        col.metric(label, f"{getattr(stats, key):,}", help=REVIEW_WORDS.get(label))
    if stats.queries != stats.queries_with_pairs:
        st.caption(
            f"The dataset lists {plural(stats.queries, 'query')}; "
            f"{stats.queries - stats.queries_with_pairs:,} of them have no pairs."
        )
    left, right = st.columns(2)
    left.dataframe(
        pd.DataFrame(
            {"label": stats.scale.names, "pairs": [stats.labels[g] for g in stats.scale.grades]}
        ),
        hide_index=True,
    )
    right.dataframe(
        pd.DataFrame({s: vars(c) for s, c in stats.splits.items()})
        .T.rename_axis("split")
        .reset_index(),
        hide_index=True,
    )


def label_share_inputs(grades: list[int], names: list[str], key: str) -> dict[int, float]:
    """One target-share input per grade, side by side, equal shares by default: the label
    rebalancing of a training split or an export."""
    columns = st.columns(len(grades))
    return {
        g: col.number_input(
            f"{name} share",
            0.0,
            1.0,
            round(1 / len(grades), 2),
            step=0.05,
            key=f"{key}-share-{g}",
            help="a weight: the shares are scaled to add up to 1",
        )
        for col, g, name in zip(columns, grades, names)
    }


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: object) -> str:
    """`text` from a dataset, a model or a user, escaped so that Streamlit's markdown (titles,
    captions, messages) shows it literally instead of formatting it."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


_ANNOUNCEMENT = "announcement"


def announce(message: str, details: object = "") -> NoReturn:
    """Rerun the page with `message` (and `details`, as plain text) shown at its top, so a
    change's result appears beside the sidebar and counts that already follow it."""
    selection.owned()[_ANNOUNCEMENT] = (message, str(details))
    st.rerun()


def show_announcement() -> None:
    """The message the last `announce` left, once."""
    if done := selection.owned().pop(_ANNOUNCEMENT, None):
        st.success(md(done[0]))
        if done[1]:
            st.text(done[1])
