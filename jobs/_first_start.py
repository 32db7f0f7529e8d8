"""The first start on a new store: the bundled sample, and a baseline run over it."""

from __future__ import annotations

import logging
from pathlib import Path

import judge
import storage

from ._baseline import baseline_run

log = logging.getLogger("workbench.first_start")


def first_start(db: str | Path) -> bool:
    """Import the bundled WANDS sample into a store with no dataset, and judge it once with
    the lexical baseline (seconds), so the Overview and the Confusion browser show a real
    matrix before any LLM has run: the bundled 270M GGUF has no judging signal. Returns True
    when it imported. A store that has any dataset is left alone."""
    if not storage.bootstrap_sample(db):
        return False
    try:
        baseline_run(db, storage.SAMPLE_DATASET)
    except judge.JudgeError:  # the sample always trains it; a changed sample may not
        log.exception("the first baseline run over the sample failed")
    return True
