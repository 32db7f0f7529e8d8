"""A judge run in a background thread, so the page stays usable while it judges.

The thread never touches Streamlit: it only writes the stored run's id, the latest Progress,
the outcome or the error onto this object, which the page's `st.fragment(run_every=...)`
reads. Cancelling sets the threading.Event that the judge checks between pairs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from storage import RunKind

log = logging.getLogger("workbench.background")


@dataclass
class BackgroundRun:
    label: str
    kind: RunKind = RunKind.GRADED  # a pairwise run's progress counts orders, two a comparison
    cancel: threading.Event = field(default_factory=threading.Event)
    run_id: int | None = None  # known once the job has recorded its run
    progress: Any = None
    outcome: Any = None
    error: str | None = None
    reported: bool = False
    _thread: threading.Thread | None = None

    def start(self, work: Callable[..., Any]) -> BackgroundRun:
        """Run `work(on_progress=..., cancel=..., on_run=...)` in a daemon thread."""

        def target() -> None:
            log.info("%s: started", self.label)
            try:
                self.outcome = work(
                    on_progress=self._set_progress, cancel=self.cancel, on_run=self._set_run_id
                )
            except Exception as error:  # shown on the page; the traceback goes to the log
                log.exception("%s: failed", self.label)
                self.error = f"{type(error).__name__}: {error}"
            else:
                log.info("%s: ended, run %s", self.label, self.run_id)

        self._thread = threading.Thread(target=target, name=f"judge: {self.label}", daemon=True)
        self._thread.start()
        return self

    def _set_progress(self, progress: Any) -> None:
        self.progress = progress

    def _set_run_id(self, run_id: int) -> None:
        self.run_id = run_id

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
