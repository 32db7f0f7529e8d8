"""The review queue's state in st.session_state: which pairs, where the cursor is, and the
pairs reviewed in this session (newest last) so Undo can go back to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

QUEUE = "review-queue"
REVIEW_PAGE = str(Path(__file__).resolve().parent / "review.py")


@dataclass
class ReviewQueue:
    run_id: int
    pair_ids: list[int]
    title: str
    position: int = 0
    reviewed: list[int] = field(default_factory=list)

    @property
    def pair_id(self) -> int | None:
        return self.pair_ids[self.position] if self.pair_ids else None

    def move(self, step: int) -> None:
        if self.pair_ids:
            self.position = min(max(self.position + step, 0), len(self.pair_ids) - 1)

    def reviewed_current(self) -> None:
        """Remember the current pair for Undo, and step to the next one."""
        self.reviewed.append(self.pair_ids[self.position])
        self.move(1)

    def back_to_last_reviewed(self) -> int | None:
        """The pair Undo applies to: the last one reviewed here (the cursor moves back to it),
        else the current pair."""
        if self.reviewed:
            pair_id = self.reviewed.pop()
            if pair_id in self.pair_ids:
                self.position = self.pair_ids.index(pair_id)
            return pair_id
        return self.pair_id


def current() -> ReviewQueue | None:
    return st.session_state.get(QUEUE)


def set_queue(run_id: int, pair_ids: list[int], title: str, start: int | None = None) -> None:
    position = pair_ids.index(start) if start in pair_ids else 0
    st.session_state[QUEUE] = ReviewQueue(run_id, list(pair_ids), title, position)


def open_queue(run_id: int, pair_ids: list[int], title: str, start: int | None = None) -> None:
    """Review exactly `pair_ids` (from `start`), on the Review queue page."""
    set_queue(run_id, pair_ids, title, start)
    st.switch_page(REVIEW_PAGE)
