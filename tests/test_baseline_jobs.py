"""Baseline and stacking runs in a real store: provenance (model file, sha256, label
snapshot), honest grades (a planted twin query, the benchmark), reloads, and the CLI."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cli
import jobs
import judge
import storage

DATASET = storage.SAMPLE_DATASET


@pytest.fixture
def store(tmp_path: Path) -> Path:
    db = tmp_path / "store" / "store.duckdb"
    db.parent.mkdir()
    assert storage.bootstrap_sample(db)
    return db


def stored_probs(db: Path, run_id: int) -> dict[int, np.ndarray]:
    return {p: np.asarray(r["probs"]) for p, r in storage.run_judgments(db, run_id).items()}


def last_event_id(db: Path) -> int:
    with storage.connect(db) as con:
        return con.execute("SELECT max(event_id) FROM label_events").fetchone()[0]


def test_a_baseline_run_grades_every_pair_and_records_its_provenance(store: Path) -> None:
    run_id = jobs.baseline_run(store, DATASET)
    run = storage.get_run(store, run_id)
    assert run.name == "baseline: lexical features + logistic regression (not an LLM)"
    assert (run.backend, run.status, run.split) == ("baseline", "done", None)
    assert list(run.scale) == [0, 1, 2]
    model = Path(run.model)
    assert model.parent == store.parent / "models"
    assert model.name == f"baseline-{run.model_sha256[:12]}.npz"
    assert hashlib.sha256(model.read_bytes()).hexdigest() == run.model_sha256
    assert run.params == {
        "folds": 5,
        "seed": 0,
        "regularization": 1.0,
        "features": list(judge.BASELINE_FEATURES),
        "label_snapshot": {
            "last_event_id": last_event_id(store),
            "labelled_pairs": 174,
            "training_pairs": 174,
            "training_queries": 36,
        },
        "pair_ids": None,
        "stacked_on": None,
    }

    probs = stored_probs(store, run_id)
    assert len(probs) == 174
    np.testing.assert_allclose([p.sum() for p in probs.values()], 1.0, atol=1e-6)
    # The saved model gives the stored probabilities again (stored as 32-bit floats).
    pairs = pd.DataFrame(storage.pairs_for_judging(store, DATASET))
    reloaded = judge.load_baseline(model).probabilities(pairs)
    np.testing.assert_allclose(reloaded, np.stack([probs[p] for p in pairs["pair_id"]]), atol=1e-6)


def kappa_line(
    db: Path, run_id: int, capsys: pytest.CaptureFixture[str]
) -> tuple[float, float, float]:
    """Quadratic kappa and its 95% interval, as `cli.py metrics` prints them."""
    assert cli.main(["--db", str(db), "metrics", str(run_id)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "Quadratic kappa" in x)
    value, low, high = map(float, re.findall(r"-?\d\.\d{3}", line))
    return value, low, high


def test_the_baseline_has_real_signal_on_the_sample(store: Path, capsys) -> None:
    value, low, high = kappa_line(store, jobs.baseline_run(store, DATASET), capsys)
    assert 0.3 < value < 0.5 and 0.1 < low < value < high


def test_the_same_seed_gives_the_same_run_and_the_same_model_file(store: Path) -> None:
    first, second = jobs.baseline_run(store, DATASET), jobs.baseline_run(store, DATASET)
    runs = [storage.get_run(store, r) for r in (first, second)]
    assert runs[0].model_sha256 == runs[1].model_sha256
    a, b = storage.run_judgments(store, first), storage.run_judgments(store, second)
    assert {p: (r["grade"], r["probs"]) for p, r in a.items()} == {
        p: (r["grade"], r["probs"]) for p, r in b.items()
    }


def test_a_review_then_training_again_is_a_new_run_on_a_new_snapshot(store: Path) -> None:
    first = jobs.baseline_run(store, DATASET)
    pair_id = min(storage.run_judgments(store, first))
    storage.record_review(store, pair_id, author="ana", grade=2)
    second = jobs.baseline_run(store, DATASET)
    snapshots = [storage.get_run(store, r).params["label_snapshot"] for r in (first, second)]
    assert snapshots[1]["last_event_id"] == last_event_id(store) > snapshots[0]["last_event_id"]
    assert storage.get_run(store, first).status == "done"  # the first run is left as it was


def plant_twin_queries(folder: Path) -> None:
    """Two query ids whose texts differ only in case and spacing, on the same 12 products."""
    with open(folder / "query.csv", "a", encoding="utf-8") as handle:
        handle.write("900\tWalnut Floating Shelf\tWall Shelves\n")
        handle.write("901\twalnut  floating shelf\tWall Shelves\n")
    products = pd.read_csv(folder / "product.csv", sep="\t", dtype=str)["product_id"][:12]
    grades = ["Irrelevant", "Partial", "Exact"] * 4
    with open(folder / "label.csv", "a", encoding="utf-8") as handle:
        for query_id, start in (("900", 10_000), ("901", 20_000)):
            handle.writelines(
                f"{start + i}\t{query_id}\t{product}\t{grade}\n"
                for i, (product, grade) in enumerate(zip(products, grades, strict=True))
            )


def test_a_planted_twin_query_cannot_learn_from_its_twins_labels(
    tmp_path: Path, wands_copy: Path
) -> None:
    plant_twin_queries(wands_copy)
    db = tmp_path / "twins.duckdb"
    storage.importers.import_wands(db, wands_copy, dataset="twins")
    pairs = pd.DataFrame(storage.pairs_for_judging(db, "twins"))
    twin = set(pairs.loc[pairs["query_id"] == "901", "pair_id"])
    before = jobs.baseline_run(db, "twins")
    # Every label of the other twin turned to Exact: were the twins in different folds, the
    # model grading 901 would have learned that these products are Exact for this text.
    for pair_id in pairs.loc[pairs["query_id"] == "900", "pair_id"]:
        storage.record_review(db, int(pair_id), author="ana", grade=2)
    after = jobs.baseline_run(db, "twins")
    old, new = stored_probs(db, before), stored_probs(db, after)
    assert all(np.array_equal(old[p], new[p]) for p in twin)
    assert any(not np.array_equal(old[p], new[p]) for p in set(old) - twin)


def test_benchmark_pairs_are_graded_but_never_trained_on(store: Path) -> None:
    with storage.connect(store) as con:
        con.execute(
            "UPDATE pairs SET split = 'benchmark' WHERE query_id IN "
            "(SELECT DISTINCT query_id FROM pairs ORDER BY query_id LIMIT 6)"
        )
        held_out = con.execute("SELECT count(*) FROM pairs WHERE split = 'benchmark'").fetchone()[0]
    assert held_out > 0
    run = storage.get_run(store, jobs.baseline_run(store, DATASET))
    assert run.params["label_snapshot"]["training_pairs"] == 174 - held_out
    assert len(storage.run_judgments(store, run.run_id)) == 174


def llm_like_run(db: Path, *, right: float, ungraded: int) -> int:
    """A stored run of a pretend LLM: right `right` of the time, `ungraded` pairs failed."""
    labels = storage.search_pairs(db, DATASET, run_id=None, limit=1000).rows
    rng = np.random.default_rng(1)
    run_id = storage.create_run(
        db,
        name="pretend llm",
        dataset=DATASET,
        backend="llama_cpp",
        model="m.gguf",
        prompt_template="t",
        prompt_sha256="0" * 64,
        scale=[0, 1, 2],
        status="done",
    )
    records = []
    for i, (pair_id, human) in enumerate(zip(labels["pair_id"], labels["human"], strict=True)):
        guess = int(human) if rng.random() < right else int(rng.integers(0, 3))
        failed = i < ungraded
        records.append(
            {
                "pair_id": int(pair_id),
                "grade": None if failed else guess,
                "probs": None if failed else list(np.eye(3)[guess] * 0.7 + 0.1),
                "parse_status": "error" if failed else "logprobs",
                "raw_output": "",
            }
        )
    storage.record_judgments(db, run_id, records)
    return run_id


def test_a_stacking_head_over_a_run_grades_what_it_graded(store: Path, capsys) -> None:
    base = llm_like_run(store, right=0.8, ungraded=10)
    stacked = jobs.stack_run(store, base)
    run = storage.get_run(store, stacked)
    assert (run.backend, run.status, run.params["stacked_on"]) == ("stack", "done", base)
    assert run.name == (
        f"stacked on run {base}: its grade probabilities + lexical features, logistic regression"
    )
    assert run.params["features"][-3:] == ["run_logp_0", "run_logp_1", "run_logp_2"]
    assert Path(run.model).name.startswith("stack-")
    graded = {p for p, r in storage.run_judgments(store, base).items() if r["grade"] is not None}
    assert set(storage.run_judgments(store, stacked)) == graded and len(graded) == 164
    stacked_kappa = kappa_line(store, stacked, capsys)[0]
    assert stacked_kappa > kappa_line(store, jobs.baseline_run(store, DATASET), capsys)[0] + 0.2


def test_stacking_on_a_run_that_learned_from_the_labels_is_refused(store: Path, capsys) -> None:
    run_id = jobs.baseline_run(store, DATASET)
    row = storage.list_runs(store).iloc[0].to_dict()  # what the Runs page holds
    assert jobs.why_not_stackable(row) == (
        f"run {run_id} learned from this dataset's labels (baseline): stack on a run of "
        "an LLM judge, or on an imported run"
    )
    assert jobs.why_not_stackable({"run_id": 7, "backend": "llama_cpp", "status": "running"}) == (
        "run 7 is still running: stack on it once it has finished"
    )
    assert jobs.why_not_stackable({"run_id": 7, "backend": "openai", "status": "done"}) is None
    assert cli.main(["--db", str(store), "judge", "--stack", str(run_id)]) == 2
    assert capsys.readouterr().err == (
        f"error: run {run_id} learned from this dataset's labels (baseline): stack on a run of "
        "an LLM judge, or on an imported run\n"
    )


def test_the_cli_makes_baseline_and_stacked_runs(store: Path, capsys) -> None:
    assert cli.main(["--db", str(store), "judge", "--backend", "baseline"]) == 0
    assert capsys.readouterr().out == (
        "run 1 finished: every pair graded by a model that did not learn from its query\n"
        "metrics:     python cli.py metrics 1\n"
    )
    base = llm_like_run(store, right=0.6, ungraded=0)
    assert cli.main(["--db", str(store), "judge", "--stack", str(base), "--name", "head"]) == 0
    assert capsys.readouterr().out.startswith(f"run {base + 1} finished")
    assert storage.get_run(store, base + 1).name == "head"

    args = ["--db", str(store), "judge", "--backend", "baseline", "--split", "benchmark"]
    assert cli.main(args) == 2
    assert capsys.readouterr().err == (
        "error: --backend baseline and --stack grade every pair, cross-fitted by query: leave "
        "out --split, --limit and --resume\n"
    )
