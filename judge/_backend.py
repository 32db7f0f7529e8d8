"""The small interface every backend implements, and the unit of work it receives."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ._results import Judgment
from ._settings import JudgeSettings

__all__ = ["JudgeBackend", "PromptItem"]


@dataclass(frozen=True)
class PromptItem:
    """One pair's rendered prompt (see ``render_prompt``), without the answer prefix."""

    pair_id: int
    prompt: str


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

    def close(self) -> None:
        """Release the model or connections."""
        ...
