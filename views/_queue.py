"""The review queue: which pairs, where the cursor is, and the pairs reviewed here (newest
last) so Undo can go back to them. It belongs to the active dataset (`selection.owned`), and
its kind and cursor are in the selection, so a reload rebuilds it from the URL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from views import _selection as selection
from views._selection import Queue, QueueKind

_KEY = "queue"
_PENDING = "queue-pending"
_OPENED = "_queue-opened"
REVIEW_PAGE = str(Path(__file__).resolve().parent / "review.py")
TEAM_PAGE = str(Path(__file__).resolve().parent / "team.py")  # where a finished task's next is


@dataclass
class ReviewQueue:
    run_id: int | None  # None: a review task's queue on a dataset with no judge run
    queue: Queue
    pair_ids: list[int]
    position: int = 0
    reviewed: list[int] = field(default_factory=list)
    finished: bool = False  # the last pair was just reviewed: the page says so, offers the next

    @property
    def reviewed_count(self) -> int:
        """How many distinct pairs of this queue were reviewed here."""
        return len(set(self.reviewed) & set(self.pair_ids))

    @property
    def pair_id(self) -> int | None:
        return self.pair_ids[self.position] if self.pair_ids else None

    def move(self, step: int) -> None:
        self.finished = False
        if self.pair_ids:
            self.position = min(max(self.position + step, 0), len(self.pair_ids) - 1)
        selection.update(pair_id=self.pair_id)

    def go_to(self, pair_id: int) -> None:
        """Put the cursor on `pair_id`, adding it at the front when the queue lacks it."""
        self.finished = False
        if pair_id not in self.pair_ids:
            self.pair_ids.insert(0, pair_id)
        self.position = self.pair_ids.index(pair_id)
        selection.update(pair_id=pair_id)

    def reviewed_current(self) -> None:
        """Remember the current pair for Undo, and step to the next one; after the last one,
        the queue is finished and the cursor stays, so its card can still be undone."""
        self.reviewed.append(self.pair_ids[self.position])
        if self.position == len(self.pair_ids) - 1:
            self.finished = True
            return
        self.move(1)

    def back_to_last_reviewed(self) -> int | None:
        """The pair Undo applies to: the last one reviewed here (the cursor moves back to it),
        else the current pair."""
        self.finished = False
        if self.reviewed:
            pair_id = self.reviewed.pop()
            if pair_id in self.pair_ids:
                self.position = self.pair_ids.index(pair_id)
                selection.update(pair_id=pair_id)
            return pair_id
        return self.pair_id


def describe(queue: Queue, names: dict[int, str]) -> str:
    """What the queue `queue` walks, in words; `names` are the dataset's grade names."""
    if queue.kind is QueueKind.CELL:
        cell = selection.parse_cell(queue.value)
        if cell is None:  # a hand-edited link; the queue of such a cell is empty
            return f"the cell “{queue.value}”"
        human, judge = cell
        return f"human {names.get(human, human)} × judge {names.get(judge, judge)}"
    if queue.kind is QueueKind.SEARCH:
        return f"pairs containing “{queue.value}”"
    if queue.kind is QueueKind.QUERY:
        return "the products of one query"
    if queue.kind is QueueKind.TASK:
        return f"my items of review task {queue.value}"
    return "every pair where the judge disagrees with the human label"


def current() -> ReviewQueue | None:
    """The queue under review. A queue `open_queue` left is built now: on the Review queue
    page's script run, whose store session its pair ids are read in."""
    owned = selection.owned()
    opened = owned.pop(_PENDING, None)
    if opened is not None:
        run_id, queue, pair_ids, start = opened
        return set_queue(run_id, queue, pair_ids(), start)
    return owned.get(_KEY)


def set_queue(
    run_id: int | None, queue: Queue, pair_ids: list[int], start: int | None = None
) -> ReviewQueue:
    position = pair_ids.index(start) if start in pair_ids else 0
    review = ReviewQueue(run_id, queue, list(pair_ids), position)
    selection.owned()[_KEY] = review
    selection.update(queue=queue, pair_id=review.pair_id)
    return review


def open_queue(
    run_id: int | None, queue: Queue, pair_ids: Callable[[], list[int]], start: int | None = None
) -> None:
    """Review the pairs `pair_ids()` gives (from `start`), on the Review queue page. A widget
    callback calls it and switches there, so the click's script run goes straight to the
    Review queue page without starting app.py first. The pair ids are read on the Review
    queue page (`current`), in its store session: the callback runs before any session is
    open, and would open a connection for them alone."""
    selection.owned()[_PENDING] = (run_id, queue, pair_ids, start)
    selection.update(queue=queue, pair_id=start)
    try:
        st.switch_page(REVIEW_PAGE)
    except StreamlitPageNotFoundError:
        # A callback sees the pages the session's last st.navigation registered; a run
        # that starts with none (each run of Streamlit's AppTest) has app.py switch instead.
        st.session_state[_OPENED] = True


def follow() -> None:
    """Switch to the Review queue page when a callback could not (see `open_queue`)."""
    if st.session_state.pop(_OPENED, False):
        st.switch_page(REVIEW_PAGE)
