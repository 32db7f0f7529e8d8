"""How fast the confusion browser answers with a million judgments in the store.

Builds a temporary DuckDB file with 1,000,000 pairs over 10,000 queries, an imported label per
pair and one judge run that judged every pair, then times, through the storage functions the
pages call:
  (a) the run's confusion matrix (`storage.confusion_counts`),
  (b) the first page of one cell's pairs (`storage.confusion_cell_pairs`, human Exact x judge
      Partial, most confident first),
against the path a page would take without them, measured in the same run: load the run into
pandas (judgments with labels, query and product text) and crosstab / filter / sort there.
Target: under 0.2 s each, and at least 10x faster than the pandas path.

    .venv/bin/python bench/ui_latency.py [--pairs 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import storage  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        start = time.perf_counter()
        run_id = build(db, args.pairs)
        print(f"built {args.pairs:,} judgments in {time.perf_counter() - start:.1f} s")

        t_matrix, matrix = timed(lambda: storage.confusion_counts(db, run_id), args.repeat)
        t_page, page = timed(
            lambda: storage.confusion_cell_pairs(db, run_id, human=HUMAN, judge=JUDGE),
            args.repeat,
        )
        slow = max(1, args.repeat // 2)
        t_load, _ = timed(lambda: load_run_into_pandas(db, run_id), slow)
        t_pd_matrix, pd_matrix = timed(lambda: pandas_confusion(db, run_id), slow)
        t_pd_page, pd_page = timed(lambda: pandas_cell_page(db, run_id), slow)

    assert int(matrix.to_numpy().sum()) == args.pairs
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


if __name__ == "__main__":
    main()
