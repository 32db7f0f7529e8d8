"""The small interface every backend implements, and the unit of work it receives."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ._results import Judgment
from ._settings import JudgeSettings

if TYPE_CHECKING:
    from ._pairwise import PairwiseJudgment

__all__ = ["JudgeBackend", "OrderItem", "PromptItem"]


@dataclass(frozen=True)
class PromptItem:
    """One pair's rendered prompt (see ``render_prompt``), without the answer prefix."""

    pair_id: int
    prompt: str


OrderItem = tuple[tuple[int, int], str]
"""One order of a comparison: (first_pair_id, second_pair_id) and its rendered pairwise
prompt (see ``pairwise_prompt``), the product shown as A first."""


class JudgeBackend(Protocol):
    """Turns prompts into judgments. Built by ``load_backend``; reusable across runs."""

    def judge(
        self,
        items: Sequence[PromptItem],
        settings: JudgeSettings,
        *,
        emit: Callable[[Judgment], None],
        cancel: threading.Event,
    ) -> None:
        """Judge the items, calling ``emit`` once per finished item, in any order.

        A pair the backend cannot answer is emitted as an "error" judgment, never dropped.
        Returns early once ``cancel`` is set; items not yet emitted are simply not judged.
        Raises JudgeError only for a problem that would fail every item (a bad setting).
        """
        ...

    def compare(
        self,
        items: Sequence[OrderItem],
        settings: JudgeSettings,
        *,
        emit: Callable[[PairwiseJudgment], None],
        cancel: threading.Event,
    ) -> None:
        """Judge each order of a comparison (which product better matches the query), the
        answers the template allows read by ``pairwise_answers``; ``emit`` and ``cancel`` as
        for ``judge``. A backend whose declaration says ``pairwise=False`` is never asked."""
        ...

    def close(self) -> None:
        """Release the model or connections."""
        ...
