"""How fast the pages answer: the confusion browser with a million judgments, and a page's
store reads in one session against one connection per call.

Part 1 builds a temporary DuckDB file with 1,000,000 pairs over 10,000 queries, an imported
label per pair and one judge run that judged every pair, then times, through the storage
functions the pages call:
  (a) the run's confusion matrix (`storage.confusion_counts`),
  (b) the first page of one cell's pairs (`storage.confusion_cell_pairs`, human Exact x judge
      Partial, most confident first),
against the path a page would take without them, measured in the same run: load the run into
pandas (judgments with labels, query and product text) and crosstab / filter / sort there.
Target: under 0.2 s each, and at least 10x faster than the pandas path.

Part 2 imports a WANDS-sized folder (233k labels, built as bench/import_scale.py builds it)
with a run that judged every pair, then runs two steps of the app, each as a script rerun
makes its store calls: "relabel and load the next card" (the grade click, the next card, the
stale list of the re-judge buttons) and "render the Overview" (the sidebar's lists, the
dataset's counts, the label distribution, the run list, the data version, and the reads of
the run's report, whose cache a relabel empties). Each step runs with one connection per
call, inside one `storage.session`, and inside a session of a process that keeps the store
warm between units (`storage.keep_warm`, as the app does), in turn in the same run; it prints
the connections each opens and its median time. Target: at least 3x fewer connections in a
session, and no step slower.

Part 3 times team review at those two scales: "build a 1,000-pair task by uncertainty" over
part 1's million-judgment run (the draw, the round-robin assignment with 30% overlap and the
writes, `jobs.create_task`) against pandas loading the run's probabilities and taking the
1,000 highest entropies; and "next item of my queue" in part 2's WANDS-sized store, for a
reviewer halfway through a 1,000-pair task (`storage.team.next_item`), against pandas loading the
task's items and label events and finding the first item without the reviewer's label.
Targets: under 0.5 s and under 0.1 s of store time.

    .venv/bin/python bench/ui_latency.py [--pairs 1000000 (0: parts 2 and 3b only)]
                                         [--repeat 5] [--steps-repeat 15]

`--quick` prints the same lines with 200,000 judgments in part 1 (its targets are for a
million), 2 repeats and 3 rounds of each step.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from import_scale import build_folder  # noqa: E402

import jobs  # noqa: E402
import storage  # noqa: E402
import storage._db  # noqa: E402

PAIRS_PER_QUERY = 100
HUMAN, JUDGE = 2, 1  # the cell the seed blog talks about: human Exact, judge Partial


def build(db: Path, n_pairs: int) -> int:
    """Fill `db` with `n_pairs` labelled pairs and one run that judged them all; return its id."""
    n_queries = max(1, n_pairs // PAIRS_PER_QUERY)
    n_docs = max(PAIRS_PER_QUERY, n_pairs // 5)
    with storage.connect(db) as con:
        con.execute(
            "INSERT INTO datasets (dataset, grades, grade_names) "
            "VALUES ('bench', [0, 1, 2], ['Irrelevant', 'Partial', 'Exact'])"
        )
        con.execute(
            f"""
            INSERT INTO queries
            SELECT 'bench', 'q' || i, 'query text number ' || i, 'class ' || (i % 50)
            FROM range({n_queries}) t(i)
            """
        )
        con.execute(
            f"""
            INSERT INTO documents (dataset, doc_id, title, doc_class, category, description)
            SELECT 'bench', 'd' || i, 'product name ' || i, 'product class ' || (i % 300),
                   'furniture / living room / class ' || (i % 300),
                   repeat('a description of product ' || i || '. ', 8)
            FROM range({n_docs}) t(i)
            """
        )
        con.execute(
            f"""
            INSERT INTO pairs (pair_id, dataset, query_id, doc_id, split)
            SELECT i + 1, 'bench', 'q' || (i // {PAIRS_PER_QUERY}),
                   'd' || ((i * 7919) % {n_docs}),
                   CASE WHEN i // {PAIRS_PER_QUERY} % 10 = 0 THEN 'benchmark' ELSE 'train' END
            FROM range({n_pairs}) t(i)
            """
        )
        con.execute(
            f"""
            INSERT INTO label_events (event_id, pair_id, grade, source, author)
            SELECT i + 1, i + 1, hash(i) % 3, 'import', 'bench' FROM range({n_pairs}) t(i)
            """
        )
        con.execute(
            """
            INSERT INTO current_labels
            SELECT pair_id, grade, grade, source, event_id, false, NULL, created_at
            FROM label_events
            """
        )
        run_id = con.execute(
            """
            INSERT INTO judge_runs (name, dataset, backend, model, prompt_template,
                                    prompt_sha256, scale, status)
            VALUES ('bench run', 'bench', 'llama_cpp', 'bench.gguf', 'wands', 'sha', [0, 1, 2],
                    'done')
            RETURNING run_id
            """
        ).fetchone()[0]
        # The judge agrees with the human about 60% of the time, like the seed's fine-tune.
        con.execute(
            """
            INSERT INTO judgments (run_id, pair_id, grade, probs, expected_grade, confidence,
                                   raw_output, parse_status, latency_ms)
            SELECT $run, l.pair_id, g, [0.2, 0.3, 0.5]::FLOAT[], 1.3,
                   (hash(l.pair_id * 31) % 1000) / 1000.0, 'SCORE: ' || g, 'logprob', 12.5
            FROM (
                SELECT pair_id,
                       CASE WHEN hash(pair_id * 17) % 10 < 6 THEN grade
                            ELSE hash(pair_id * 13) % 3 END AS g
                FROM label_events
            ) AS l(pair_id, g)
            """,
            {"run": run_id},
        )
        # Judgments a second after the labels, so none is stale.
        con.execute("UPDATE judgments SET created_at = created_at + INTERVAL 1 SECOND")
    return int(run_id)


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time of `fn` over `repeat` calls (after one warm-up) and its last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def load_run_into_pandas(db: Path, run_id: int) -> pd.DataFrame:
    """The baseline's first step: the whole run with labels and text, as one frame."""
    with storage.connect(db) as con:
        return con.execute(
            """
            SELECT j.pair_id, q.query, q.query_class, d.title AS product_name,
                   d.doc_class AS product_class, p.split, c.grade AS human, j.grade AS judge,
                   j.confidence, c.changed_at, d.updated_at, j.created_at
            FROM judgments j
            JOIN current_labels c USING (pair_id)
            JOIN pairs p USING (pair_id)
            JOIN queries q USING (dataset, query_id)
            JOIN documents d USING (dataset, doc_id)
            WHERE j.run_id = ?
            """,
            [run_id],
        ).df()


def pandas_confusion(db: Path, run_id: int) -> pd.DataFrame:
    frame = load_run_into_pandas(db, run_id)
    return pd.crosstab(frame["human"], frame["judge"])


def pandas_cell_page(db: Path, run_id: int) -> pd.DataFrame:
    frame = load_run_into_pandas(db, run_id)
    cell = frame[(frame["human"] == HUMAN) & (frame["judge"] == JUDGE)]
    return cell.sort_values(["confidence", "pair_id"], ascending=[False, True]).head(50)


def judge_everything(db: Path, dataset: str) -> int:
    """A done run over every pair of `dataset`, judged a second after the labels; its id."""
    run_id = storage.create_run(
        db,
        name="bench run",
        dataset=dataset,
        backend="llama_cpp",
        model="bench.gguf",
        prompt_template="wands",
        prompt_sha256="sha",
        scale=[0, 1, 2],
        status=storage.RunStatus.DONE,
    )
    with storage.connect(db) as con:
        con.execute(
            """
            INSERT INTO judgments (run_id, pair_id, grade, probs, expected_grade, confidence,
                                   raw_output, parse_status, latency_ms, created_at)
            SELECT $run, pair_id, g, [0.2, 0.3, 0.5]::FLOAT[], 1.3,
                   (hash(pair_id * 31) % 1000) / 1000.0, 'SCORE: ' || g, 'logprob', 12.5,
                   changed_at + INTERVAL 1 SECOND
            FROM (
                SELECT p.pair_id, c.changed_at,
                       CASE WHEN hash(p.pair_id * 17) % 10 < 6 THEN c.grade
                            ELSE hash(p.pair_id * 13) % 3 END AS g
                FROM pairs p JOIN current_labels c USING (pair_id)
                WHERE p.dataset = $dataset
            )
            """,
            {"run": run_id, "dataset": dataset},
        )
    return run_id


class Connections:
    """Counts the connections the store opens (a session's, or one per call)."""

    def __init__(self) -> None:
        self.opened = 0
        self._open = storage._db.open_connection

    def __enter__(self) -> Connections:
        def counting(*args: object) -> object:
            self.opened += 1
            return self._open(*args)

        storage._db.open_connection = counting
        return self

    def __exit__(self, *exc: object) -> None:
        storage._db.open_connection = self._open


def relabel_and_next_card(db: Path, dataset: str, run_id: int, pair_id: int) -> None:
    """The review page's calls for one grade click: the review, then the fragment rerun that
    shows the next card and the re-judge buttons (with the stale pairs)."""
    storage.record_review(db, pair_id, author="bench", grade=pair_id % 3)
    storage.review_card(db, pair_id + 1, run_id)
    storage.stale_pair_ids(db, run_id)


def overview_reads(db: Path, dataset: str, run_id: int, pair_id: int) -> None:
    """The Overview's store calls in a rerun after a write to the store (the app caches them
    until the next one): the sidebar's names and run list (the page reads the same cached
    list), the dataset's counts and label distribution, the data version, and the reads of
    the run's report."""
    storage.dataset_names(db)
    storage.list_runs(db, dataset)
    storage.dataset_stats(db, dataset)
    storage.label_distribution(db, dataset)
    storage.data_version(db)
    storage.get_run(db, run_id)  # jobs.run_report, on a data version it has not seen
    storage.dataset_scale(db, dataset)
    storage.rater_labels(db, dataset)
    storage.run_labels(db, run_id)


def wands_store(tmp: Path) -> tuple[Path, int]:
    """Part 2's store: a WANDS-sized import and a run that judged every pair; (path, run)."""
    folder = tmp / "wands"
    folder.mkdir()
    build_folder(folder)
    db = tmp / "wands.duckdb"
    start = time.perf_counter()
    summary = storage.importers.import_wands(db, folder, dataset="wands-scale")
    run_id = judge_everything(db, "wands-scale")
    print(
        f"\nbuilt {summary.pairs:,} labelled pairs and a run that judged them all in "
        f"{time.perf_counter() - start:.1f} s"
    )
    return db, run_id


def session_steps(db: Path, run_id: int, repeat: int) -> bool:
    """Part 2: each step per call, in a session, and in a session of a process that keeps the
    store warm, in turn; True when on target."""
    pairs = itertools.count(1, 7)
    steps = {
        "relabel and load the next card": relabel_and_next_card,
        "render the Overview's store reads": overview_reads,
    }
    ok = True
    for name, step in steps.items():
        modes = ("per call", "session", "warm session")
        times: dict[str, list[float]] = {mode: [] for mode in modes}
        opened = dict.fromkeys(modes, 0)
        for _ in range(repeat + 1):  # the first round warms up and is not counted
            for mode in modes:
                pair_id = next(pairs)
                storage.keep_warm(db, storage.KEEP_WARM_S if mode == "warm session" else None)
                with Connections() as connections:
                    started = time.perf_counter()
                    if mode == "per call":
                        step(db, "wands-scale", run_id, pair_id)
                    else:
                        with storage.session(db):
                            step(db, "wands-scale", run_id, pair_id)
                    times[mode].append(time.perf_counter() - started)
                opened[mode] = connections.opened
        storage.keep_warm(db, None)
        per_call, session, warm = (statistics.median(times[mode][1:]) for mode in modes)
        fewer = opened["per call"] / opened["session"]
        ok &= fewer >= 3 and session <= per_call
        print(
            f"{name:34s} per call: {opened['per call']:2d} connections {per_call:.3f} s   "
            f"session: {opened['session']:2d} connection{'s' * (opened['session'] != 1)} "
            f"{session:.3f} s   {fewer:.0f}x fewer connections, "
            f"{per_call / session:.2f}x the speed; kept warm {warm:.3f} s, "
            f"{per_call / warm:.2f}x"
        )
    print("target (>= 3x fewer connections, no step slower): " + ("met" if ok else "NOT met"))
    return ok


def confusion_browser(db: Path, run_id: int, pairs: int, repeat: int) -> bool:
    """Part 1: the confusion browser's queries against the pandas path; True when on target."""
    t_matrix, matrix = timed(lambda: storage.confusion_counts(db, run_id), repeat)
    t_page, page = timed(
        lambda: storage.confusion_cell_pairs(db, run_id, human=HUMAN, judge=JUDGE),
        repeat,
    )
    slow = max(1, repeat // 2)
    t_load, _ = timed(lambda: load_run_into_pandas(db, run_id), slow)
    t_pd_matrix, pd_matrix = timed(lambda: pandas_confusion(db, run_id), slow)
    t_pd_page, pd_page = timed(lambda: pandas_cell_page(db, run_id), slow)

    assert int(matrix.to_numpy().sum()) == pairs
    assert (matrix.to_numpy() == pd_matrix.to_numpy()).all(), "the two paths disagree"
    assert page.rows["pair_id"].tolist() == pd_page["pair_id"].tolist(), "the two pages differ"

    print(f"cell human {HUMAN} x judge {JUDGE}: {page.total:,} pairs")
    print(f"loading the run into pandas: {t_load:.3f} s")
    rows = [
        ("confusion matrix", t_matrix, t_pd_matrix),
        ("cell first page (50 rows)", t_page, t_pd_page),
    ]
    ok = True
    for name, ours, baseline in rows:
        ratio = baseline / ours
        ok &= ours < 0.2 and ratio >= 10
        print(f"{name:28s} storage {ours:.3f} s   pandas {baseline:.3f} s   {ratio:5.1f}x faster")
    print("target (< 0.2 s each, >= 10x): " + ("met" if ok else "NOT met"))
    return ok


def _entropy_top(db: Path, run_id: int, size: int) -> list[int]:
    """The baseline of 3a: the run's probabilities into pandas, the `size` highest entropies."""
    with storage.connect(db) as con:
        frame = con.execute(
            "SELECT pair_id, probs FROM judgments WHERE run_id = ? AND probs IS NOT NULL",
            [run_id],
        ).df()
    probs = np.stack(frame["probs"].to_numpy())
    entropy = -(probs * np.log(np.where(probs > 0, probs, 1))).sum(axis=1)
    return frame["pair_id"].to_numpy()[np.argsort(-entropy, kind="stable")[:size]].tolist()


def task_build(db: Path, run_id: int, repeat: int) -> bool:
    """Part 3a: a 1,000-pair task by uncertainty over the million-judgment run."""
    with storage.connect(db) as con:  # probabilities that differ, so entropy orders them
        con.execute(
            "UPDATE judgments SET probs = [a, b, 1 - a - b]::FLOAT[] FROM (SELECT pair_id, "
            "(hash(pair_id) % 500) / 1000.0 AS a, (hash(pair_id * 3) % 400) / 1000.0 AS b "
            "FROM judgments) t WHERE judgments.pair_id = t.pair_id AND run_id = ?",
            [run_id],
        )
    names = (f"bench task {i}" for i in itertools.count())

    def build_task() -> int:
        plan = jobs.TaskPlan(
            dataset="bench",
            name=next(names),
            pair_set=storage.team.PairSet(),
            strategy=storage.team.Strategy.UNCERTAINTY,
            size=1000,
            reviewers=("ana", "bo", "cy"),
            overlap=0.3,
            run_id=run_id,
        )
        return jobs.create_task(db, plan)

    ours, made = timed(build_task, repeat)
    baseline, top = timed(lambda: _entropy_top(db, run_id, 1000), max(1, repeat // 2))
    assert made.pairs == 1000
    assert len(top) == 1000
    return _report("build a 1,000-pair task by uncertainty", ours, baseline, 0.5)


def _pandas_next(db: Path, task_id: int, reviewer: str) -> int | None:
    """The baseline of 3b: the task's items and label events into pandas."""
    with storage.connect(db) as con:
        items = con.execute("SELECT * FROM task_items WHERE task_id = ?", [task_id]).df()
        events = con.execute(
            "SELECT pair_id, author, grade, source, task_id FROM label_events"
        ).df()
    done = events[
        (events["task_id"] == task_id)
        & (events["author"] == reviewer)
        & (events["source"] == "review")
        & events["grade"].notna()
    ]["pair_id"]
    mine = items[(items["reviewer"] == reviewer) & ~items["pair_id"].isin(done)]
    return None if mine.empty else int(mine.sort_values("position")["pair_id"].iloc[0])


def queue_step(db: Path, run_id: int, repeat: int) -> bool:
    """Part 3b: the next item of a reviewer halfway through a 1,000-pair task."""
    plan = jobs.TaskPlan(
        dataset="wands-scale",
        name="bench queue",
        pair_set=storage.team.PairSet(),
        strategy=storage.team.Strategy.RANDOM,
        size=1000,
        reviewers=("ana", "bo", "cy"),
        overlap=0.3,
        run_id=run_id,
    )
    task_id = jobs.create_task(db, plan).task_id
    mine = storage.team.my_queue(db, task_id, "ana")["pair_id"].tolist()
    with storage.session(db):
        for pair_id in mine[: len(mine) // 2]:
            storage.record_review(db, pair_id, author="ana", grade=1, task_id=task_id)
    ours, upcoming = timed(lambda: storage.team.next_item(db, task_id, "ana"), repeat * 4)
    baseline, expected = timed(lambda: _pandas_next(db, task_id, "ana"), repeat)
    assert upcoming == expected == mine[len(mine) // 2], (upcoming, expected)
    return _report("next item of my queue", ours, baseline, 0.1)


def _report(name: str, ours: float, baseline: float, target: float) -> bool:
    ok = ours < target
    print(
        f"{name:40s} storage {ours:.3f} s   pandas {baseline:.3f} s   "
        f"{baseline / ours:5.1f}x faster   target < {target} s: {'met' if ok else 'NOT met'}"
    )
    return ok


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # each line as it finishes, piped too
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pairs", type=int, default=1_000_000, help="judgments of part 1 (0: skip part 1)"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--steps-repeat", type=int, default=15, help="rounds of each step of part 2 in each mode"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="200,000 judgments in part 1, 2 repeats, 3 rounds of each step",
    )
    args = parser.parse_args()
    if args.quick:
        args.pairs, args.repeat, args.steps_repeat = min(args.pairs, 200_000), 2, 3
    if args.pairs:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.duckdb"
            start = time.perf_counter()
            run_id = build(db, args.pairs)
            print(f"built {args.pairs:,} judgments in {time.perf_counter() - start:.1f} s")
            confusion_browser(db, run_id, args.pairs, args.repeat)
            task_build(db, run_id, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        db, run_id = wands_store(Path(tmp))
        session_steps(db, run_id, args.steps_repeat)
        queue_step(db, run_id, args.repeat)


if __name__ == "__main__":
    main()
