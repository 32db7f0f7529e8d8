"""The selection: the dataset, run, confusion cell, review queue and pair the user is on, and
who they are (the self-declared reviewer, kept when the dataset changes).

One source of truth for every page. It lives in `st.session_state` (so it survives page
switches, reruns and fragments) and is mirrored into the URL (`st.query_params`), so a
reload or a shared link opens the same view: the URL is read once, when a browser session
starts, and written on every script run. Widgets never own it; they show it and change it
through the setters here. Changing the dataset drops everything that belonged to the old one:
its run, cell, queue, pair, and every page's dataset-owned state (`owned`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import pandas as pd
import streamlit as st

import storage

_KEY = "_selection"
_OWNED = "_owned"


class QueueKind(StrEnum):
    """What a review queue walks; each member is the word the URL spells it with."""

    DISAGREEMENTS = "disagreements"  # every pair where the judge disagrees with the human
    CELL = "cell"  # one confusion cell, valued "human_judge" ("2_1")
    SEARCH = "search"  # the pairs whose query or product text contains the value
    QUERY = "query"  # the products of the query whose id is the value
    TASK = "task"  # my items of the review task whose id is the value


@dataclass(frozen=True)
class Queue:
    """Which pairs the review queue walks: a confusion `cell`, the pairs matching a `search`
    text, the products of one `query`, or (none of those) every disagreement of the run."""

    kind: QueueKind = QueueKind.DISAGREEMENTS
    value: str = ""

    def spec(self) -> str:
        return self.kind if not self.value else f"{self.kind}:{self.value}"

    @classmethod
    def parse(cls, text: str) -> Queue | None:
        word, _, value = text.partition(":")
        try:
            kind = QueueKind(word)
        except ValueError:
            return None
        if kind is not QueueKind.DISAGREEMENTS and not value:
            return None
        if kind is QueueKind.CELL and parse_cell(value) is None:
            return None
        return cls(kind, value)


@dataclass(frozen=True)
class Selection:
    dataset: str | None = None
    run_id: int | None = None
    cell: tuple[int, int] | None = None
    queue: Queue = field(default_factory=Queue)
    pair_id: int | None = None
    query_id: str | None = None
    search: str = ""
    qrels: str = ""  # Rankers page: the reference qrels ("human", "judge:3", ...)
    vs: str = ""  # Rankers page: the qrels compared with it
    task: int | None = None  # Team page: the review task shown
    reviewer: str | None = None  # without a login, the name the sidebar picked (_reviewer)


def parse_cell(text: str) -> tuple[int, int] | None:
    """'2_1' -> (human 2, judge 1); None when it is not two integers."""
    human, _, judge = text.partition("_")
    try:
        return int(human), int(judge)
    except ValueError:
        return None


def format_cell(cell: tuple[int, int]) -> str:
    return f"{cell[0]}_{cell[1]}"


def _int(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


def _from_url() -> Selection:
    params = st.query_params
    cell = params.get("cell")
    return Selection(
        dataset=params.get("dataset") or None,
        run_id=_int(params.get("run")),
        cell=None if cell is None else parse_cell(cell),
        queue=Queue.parse(params.get("queue", "")) or Queue(),
        pair_id=_int(params.get("pair")),
        query_id=params.get("query") or None,
        search=params.get("search", ""),
        qrels=params.get("qrels", ""),
        vs=params.get("vs", ""),
        task=_int(params.get("task")),
        reviewer=params.get("reviewer") or None,
    )


def current() -> Selection:
    """The selection of this browser session, read from the URL on its first script run."""
    if _KEY not in st.session_state:
        st.session_state[_KEY] = _from_url()
    return st.session_state[_KEY]


def _set(selection: Selection) -> None:
    st.session_state[_KEY] = selection


def publish() -> None:
    """Write the selection into the URL (only our keys: widgets bound to the URL keep theirs)."""
    s = current()
    wanted = {
        "dataset": s.dataset,
        "run": None if s.run_id is None else str(s.run_id),
        "cell": None if s.cell is None else format_cell(s.cell),
        "queue": None if s.queue == Queue() else s.queue.spec(),
        "pair": None if s.pair_id is None else str(s.pair_id),
        "query": s.query_id,
        "search": s.search or None,
        "qrels": s.qrels or None,
        "vs": s.vs or None,
        "task": None if s.task is None else str(s.task),
        "reviewer": s.reviewer,
    }
    for key, value in wanted.items():
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != value:
            st.query_params[key] = value


def default_run(runs: pd.DataFrame) -> int | None:
    """The run a dataset opens on: its newest finished run, else its newest run with any
    judgment (a cancelled or failed partial run is only active when the user picks it)."""
    if runs.empty:
        return None
    finished = runs[runs["status"] == storage.RunStatus.DONE]
    if not finished.empty:
        return int(finished["run_id"].iloc[0])
    judged = runs[runs["judged"] > 0]
    return None if judged.empty else int(judged["run_id"].iloc[0])


def resolve(
    datasets: list[str], runs_of: Callable[[str], pd.DataFrame]
) -> tuple[str | None, pd.DataFrame]:
    """Make the selection valid for this store: a dataset that exists (else the first one),
    a run of that dataset (else its default run). `runs_of(dataset)` lists a dataset's runs,
    newest first; it is called once. Returns a warning for the user when the URL named
    something that is gone, and the active dataset's runs."""
    s = current()
    warning = None
    if s.dataset is None:  # a first start, or a link that names no dataset
        s = replace(s, dataset=datasets[0] if datasets else None)
    elif s.dataset not in datasets:  # what the rest of the selection named is gone with it
        warning = f"There is no dataset named “{s.dataset}” in this store"
        s = Selection(dataset=datasets[0] if datasets else None, reviewer=s.reviewer)
    if s.dataset is None:
        _set(s)
        return warning, pd.DataFrame({"run_id": [], "status": [], "judged": []})
    runs = runs_of(s.dataset)
    if s.run_id is not None and s.run_id not in set(runs["run_id"]):
        if warning is None:
            warning = f"Run #{s.run_id} is not a run of “{s.dataset}”"
        s = replace(s, run_id=None, cell=None, queue=Queue())
    if s.run_id is None:
        s = replace(s, run_id=default_run(runs))
    _set(s)
    return warning, runs


def owned() -> dict[str, Any]:
    """State that belongs to the active dataset (queues, banners, last results): a fresh dict
    whenever the dataset changes, so nothing of one dataset shows on another."""
    dataset = current().dataset
    box = st.session_state.get(_OWNED)
    if box is None or box[0] != dataset:
        box = (dataset, {})
        st.session_state[_OWNED] = box
    return box[1]


def set_dataset(dataset: str | None) -> None:
    """Make `dataset` active; its run is chosen by `resolve` on the next script run."""
    if dataset != current().dataset:
        _set(Selection(dataset=dataset, reviewer=current().reviewer))
        st.session_state.pop(_OWNED, None)


def set_run(run_id: int | None) -> None:
    """Make `run_id` (of the active dataset) active; the cell and the queue belonged to the
    old run."""
    s = current()
    if run_id != s.run_id:
        _set(replace(s, run_id=run_id, cell=None, queue=Queue()))
        owned().pop("queue", None)


def update(**changes: Any) -> None:
    """Change the cell, queue, pair, query, search, qrels, task or reviewer of the selection."""
    _set(replace(current(), **changes))
