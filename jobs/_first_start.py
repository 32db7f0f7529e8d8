"""The first start on a new store: the bundled sample, a baseline run over it, and the
sample ranking runs (sample_data/make_rankings.py) so the Rankers page has a leaderboard."""

from __future__ import annotations

import logging
from pathlib import Path

import judge
import storage

from ._baseline import baseline_run

log = logging.getLogger("workbench.first_start")
SAMPLE_RANKINGS = Path(__file__).resolve().parents[1] / "sample_data" / "rankings.trec"


def first_start(db: str | Path) -> bool:
    """Import the bundled WANDS sample into a store with no dataset, judge it once with the
    lexical baseline (seconds, so the Overview and the Confusion browser show a real matrix
    before any LLM has run: the bundled 270M GGUF has no judging signal), and import the
    sample ranking runs, so the Rankers page shows a leaderboard. Returns True when it
    imported.

    The app calls it on every start, so an empty store gets the sample whoever created it
    (the CLI makes the file on its first command); a store that has any dataset is left
    alone (the README says so, with the command that adds the sample)."""
    if not storage.bootstrap_sample(db):
        return False
    try:
        baseline_run(db, storage.SAMPLE_DATASET)
    except judge.JudgeError:  # the sample always trains it; a changed sample may not
        log.exception("the first baseline run over the sample failed")
    storage.rankings.import_run_trec(db, SAMPLE_RANKINGS, dataset=storage.SAMPLE_DATASET)
    return True
