"""A store for the app's tests (the bundled WANDS sample and one judged run), and the app
opened and clicked through AppTest.

The run carries the real provenance of the bundled default model (so re-judging it calls the
real model), but its judgments are written directly: a fixed pattern that agrees with the
human label on most pairs and puts a known share of human Exact pairs in the judge Partial
cell, so the confusion browser always has that cell to open.
"""

from __future__ import annotations

from pathlib import Path

from processes import MODEL_THREADS
from streamlit.testing.v1 import AppTest

import judge
import storage

REPO = Path(__file__).resolve().parent.parent
DATASET = "wands-sample"
EXACT, PARTIAL = 2, 1


def judged_grade(pair_id: int, human: int, every: int = 3) -> int:
    """The fixture judge: one grade lower (Irrelevant: Partial) on every `every`-th pair,
    right on the others."""
    if pair_id % every == 0:
        return max(human - 1, 0) if human else 1
    return human


def stored_run(db: Path, judgments: list[dict] | None = None, **run: object) -> int:
    """A run as another process or tool records it (remote, no model file), with `judgments`
    (records as `storage.record_judgments` takes them); `run` overrides its provenance."""
    provenance: dict[str, object] = {
        "name": "elsewhere",
        "dataset": DATASET,
        "backend": "ollama",
        "model": "m.gguf",
        "prompt_template": "t",
        "prompt_sha256": "s",
        "scale": [0, 1, 2],
        **run,
    }
    run_id = storage.create_run(db, **provenance)
    if judgments:
        storage.record_judgments(db, run_id, judgments)
    return run_id


def build_store(db: Path, *, every: int = 3, name: str = "fixture run") -> int:
    """Import the sample into `db` (unless it is there) and add a run that judged every pair
    with `judged_grade(..., every)`; returns the run id."""
    storage.bootstrap_sample(db)
    pairs = storage.pairs_for_judging(db, DATASET)
    settings = judge.JudgeSettings(n_threads=MODEL_THREADS)
    run_id = storage.create_run(
        db, name=name, dataset=DATASET, status="done", **settings.provenance()
    )
    with storage.connect(db) as con:
        humans = dict(con.execute("SELECT pair_id, grade FROM current_labels").fetchall())
    records = []
    for pair in pairs:
        human = humans[pair["pair_id"]]
        grade = judged_grade(pair["pair_id"], human, every)
        probs = [0.1, 0.1, 0.1]
        probs[grade] = 0.8
        records.append(
            {
                "pair_id": pair["pair_id"],
                "grade": grade,
                "probs": probs,
                "expected_grade": sum(g * p for g, p in enumerate(probs)),
                "confidence": 0.5 + (pair["pair_id"] % 50) / 100,
                "raw_output": f"SCORE: {grade}",
                "parse_status": "logprobs",
                "latency_ms": 10.0,
            }
        )
    storage.record_judgments(db, run_id, records)
    return run_id


def open_app(page: str | None = None, query: dict[str, str] | None = None) -> AppTest:
    """The app run once through app.py (with `query` as the URL's query parameters, as a
    link opens it), then on `page` when one is named."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.query_params.update(query or {})
    at.run()
    if page is not None:
        at.switch_page(str(REPO / "views" / f"{page}.py")).run()
    assert not at.exception, at.exception
    return at


def owned(at: AppTest) -> dict:
    """The active dataset's state of the session (views/_selection.owned)."""
    return at.session_state["_owned"][1]


def click(at: AppTest, key: str) -> AppTest:
    """Click the button `key` and rerun; the run must raise nothing."""
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def few_queries_run(db: Path, queries: int = 3, per_query: int = 3) -> tuple[int, int]:
    """A judge run that graded a few pairs (at most `per_query`) of the first `queries`
    queries, as one stopped early does: its id and how many pairs it graded."""
    pairs = storage.pairs_for_judging(db, DATASET)
    first = list(dict.fromkeys(p["query_id"] for p in pairs))[:queries]
    chosen = [
        p["pair_id"] for q in first for p in [p for p in pairs if p["query_id"] == q][:per_query]
    ]
    run_id = stored_run(
        db,
        name="few",
        judgments=[
            {"pair_id": int(p), "grade": 1, "parse_status": "parsed", "raw_output": "SCORE: 1"}
            for p in chosen
        ],
    )
    return run_id, len(chosen)
