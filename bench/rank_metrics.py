"""Ranking measures at scale: 50 runs x 480 queries x 100 documents over a WANDS-sized store.

    python bench/rank_metrics.py [--runs 50] [--queries 480] [--depth 100]

Times, in one process and on the same data: (0) reading the ranked documents from a DuckDB
store as `storage.rankings.ranked_documents` does (ids numbered in DuckDB, handed over as
categoricals) against a plain read of the string ids; (1) ours, from the frame that read
returns: every measure (nDCG@10, nDCG@20, RR, P@10, R@100, Judged@10) for every run under
two qrels plus 1,000 bootstrap draws of Kendall's tau and tau-AP on every measure (target:
under 5 s); (2) the library as a user would call it, `ir_measures.calc_aggregate` per run in
a loop, for the same measures and qrels without the bootstrap; (3) pytrec_eval with one
evaluator per qrels, the library's fastest path. Prints each time and the ratios; values
are checked equal on a sample. `--quick` prints the same lines for 10 runs (the 5 s target
is for 50).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import ir_measures
import numpy as np
import pandas as pd
import pytrec_eval

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import metrics
import storage

MEASURES = ("nDCG@10", "nDCG@20", "RR", "P@10", "R@100", "Judged@10")
LIBRARY = [
    ir_measures.nDCG @ 10,
    ir_measures.nDCG @ 20,
    ir_measures.RR(rel=1),
    ir_measures.P(rel=1) @ 10,
    ir_measures.R(rel=1) @ 100,
    ir_measures.Judged @ 10,
]


def data(runs: int, queries: int, depth: int, seed: int = 0):
    """Two qrels over ~486 graded documents a query (233k, as WANDS) and ranked runs."""
    rng = np.random.default_rng(seed)
    pool = 2000
    q = np.repeat(np.arange(queries), 486)
    d = np.concatenate([rng.choice(pool, 486, replace=False) for _ in range(queries)])
    human = pd.DataFrame(
        {
            "query_id": q.astype(str),
            "doc_id": "d" + d.astype(str),
            "level": rng.integers(0, 3, len(q)),
        }
    )
    judge = human.assign(
        level=np.where(rng.random(len(q)) < 0.3, rng.integers(0, 3, len(q)), human.level)
    )
    frames = []
    for r in range(runs):
        docs = np.concatenate([rng.choice(pool, depth, replace=False) for _ in range(queries)])
        frames.append(
            pd.DataFrame(
                {
                    "run": f"run{r}",
                    "query_id": np.repeat(np.arange(queries), depth).astype(str),
                    "doc_id": "d" + docs.astype(str),
                    "rank": np.tile(np.arange(1, depth + 1), queries),
                }
            )
        )
    return human, judge, pd.concat(frames, ignore_index=True)


def stored(ranked: pd.DataFrame, directory: str) -> tuple[pd.DataFrame, float, float]:
    """`ranked` written to a store and read back as `storage.rankings.ranked_documents` reads
    it (with run names as categoricals, as jobs name them); the seconds of that read and of a
    plain read of the same rows with their string ids."""
    db = Path(directory) / "bench.duckdb"
    names = list(pd.unique(ranked["run"]))
    rows = ranked.assign(
        ranking_id=ranked["run"].map({n: i + 1 for i, n in enumerate(names)}),
        score=-ranked["rank"].astype(float),
    )[["ranking_id", "query_id", "doc_id", "rank", "score"]]
    with storage.connect(db) as con:
        con.executemany(
            "INSERT INTO rankings (ranking_id, dataset, name) VALUES (?, 'bench', ?)",
            [[i + 1, n] for i, n in enumerate(names)],
        )
        con.register("rows", rows)
        con.execute("INSERT INTO ranked_documents SELECT * FROM rows")
        con.unregister("rows")
        start = time.perf_counter()
        con.execute("SELECT * FROM ranked_documents").df()
        plain_s = time.perf_counter() - start
    start = time.perf_counter()
    read = storage.rankings.ranked_documents(db, "bench")
    read["run"] = pd.Categorical(read["ranking_id"]).rename_categories(
        {i + 1: n for i, n in enumerate(names)}
    )
    return read, time.perf_counter() - start, plain_s


def ours(human, judge, ranked, runs: list[str], n_boot: int):
    query_ids = sorted(set(human["query_id"]) | set(judge["query_id"]))
    encoded = metrics.encode_runs(ranked, runs=runs, query_ids=query_ids)
    per = [metrics.per_query_measures(encoded.lists(qrels), MEASURES) for qrels in (human, judge)]
    agreements = [
        metrics.leaderboard_agreement(per[0][m], per[1][m], runs, n_boot=n_boot)
        for m in range(len(MEASURES))
    ]
    return per, agreements


def as_library(ranked: pd.DataFrame, qrels: pd.DataFrame):
    # Scores that give trec_eval's order the ranks say.
    run_dicts = {
        name: {
            q: dict(zip(g["doc_id"], (1000.0 - g["rank"]).tolist()))
            for q, g in group.groupby("query_id")
        }
        for name, group in ranked.groupby("run", sort=False)
    }
    qrels_dict = {
        q: dict(zip(g["doc_id"], g["level"].tolist())) for q, g in qrels.groupby("query_id")
    }
    return run_dicts, qrels_dict


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # each line as it finishes, piped too
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--queries", type=int, default=480)
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="the same lines for 10 runs")
    args = parser.parse_args()
    if args.quick:
        args.runs = min(args.runs, 10)
    human, judge, ranked = data(args.runs, args.queries, args.depth)
    print(
        f"{args.runs} runs x {args.queries} queries x {args.depth} documents "
        f"({len(ranked):,} ranked rows); qrels of {len(human):,} graded pairs, two of them"
    )
    with tempfile.TemporaryDirectory() as directory:
        read, read_s, plain_s = stored(ranked, directory)
    print(
        f"store: storage.rankings.ranked_documents {read_s:.2f} s (ids numbered in DuckDB); "
        f"the same rows with string ids {plain_s:.2f} s ({plain_s / read_s:.1f}x)"
    )

    start = time.perf_counter()
    runs = list(pd.unique(ranked["run"]))
    per, agreements = ours(human, judge, read, runs, args.n_boot)
    ours_s = time.perf_counter() - start
    target = (
        f"target < 5 s: {'met' if ours_s < 5 else 'NOT met'}"
        if args.runs == 50
        else "the 5 s target is for 50 runs"
    )
    print(
        f"ours: all measures, all runs, two qrels + {args.n_boot:,} bootstrap draws of tau "
        f"and tau-AP per measure: {ours_s:.2f} s ({target}); tau nDCG@10 "
        f"{agreements[0].tau[0]:.3f}"
    )

    converted = [as_library(ranked, qrels) for qrels in (human, judge)]
    start = time.perf_counter()
    loop = []
    for run_dicts, qrels_dict in converted:
        for run in run_dicts.values():
            loop.append(ir_measures.calc_aggregate(LIBRARY, qrels_dict, run))
    loop_s = time.perf_counter() - start
    print(
        f"ir_measures.calc_aggregate per run in a loop (no bootstrap, input already as "
        f"dicts): {loop_s:.2f} s; ours is {loop_s / ours_s:.1f}x faster"
    )

    start = time.perf_counter()
    for run_dicts, qrels_dict in converted:
        evaluator = pytrec_eval.RelevanceEvaluator(
            qrels_dict, {"ndcg_cut.10,20", "recip_rank", "P.10", "recall.100"}, relevance_level=1
        )
        for run in run_dicts.values():
            evaluator.evaluate(run)
    trec_s = time.perf_counter() - start
    print(
        f"pytrec_eval, one evaluator per qrels (no Judged, no bootstrap): {trec_s:.2f} s; "
        f"ours is {trec_s / ours_s:.1f}x faster"
    )

    first = loop[0]
    for m, measure in enumerate(LIBRARY):
        mine = float(np.nanmean(per[0][m][0]))
        assert abs(mine - first[measure]) < 1e-9, (str(measure), mine, first[measure])
    print("values of run0 under the first qrels equal ir_measures' on every measure")


if __name__ == "__main__":
    main()
