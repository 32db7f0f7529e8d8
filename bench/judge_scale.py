"""Judging at scale: a fleet of endpoints, a million batch results imported, and metrics on
the store that holds them.

(a) The fleet's throughput against one endpoint, each answering after a fixed delay:
    `bench/_fleet_scale.py` (`fleet_ratio`) measures it when that file is present.
(b) Import of a synthetic results file in the batch output format (`vllm run-batch`, OpenAI
    Batch API), one line per pair of a run over a store of that many pairs: rows per second,
    and the peak memory (maximum resident set) of a process that does only the import.
    Target: peak under 1 GiB for 1,000,000 lines.
(c) The run's metrics (`jobs.run_report`, 1,000 query-bootstrap draws) and its confusion
    matrix (`storage.confusion_counts`) on the store holding those judgments, against the
    same on a store of 233,000 (WANDS-sized), built the same way in the same run.

`--quick` (under 3 minutes on two cores): 100,000 lines against 23,300.

    .venv/bin/python bench/judge_scale.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import jobs  # noqa: E402
import judge  # noqa: E402
import storage  # noqa: E402

FULL, QUICK = 1_000_000, 100_000
WANDS_PAIRS = 233_000
PAIRS_PER_QUERY = 480  # about WANDS' 233k pairs over 480 queries
PEAK_TARGET_BYTES = 1 << 30
DATASET = "scale"


def say(line: str) -> None:
    print(line, flush=True)


def build_store(db: Path, pairs: int, folder: Path) -> int:
    """A store of `pairs` labelled pairs and a graded run over them, judged by nobody yet;
    the run's id. The run is recorded directly: rendering a million prompts (what
    `open_batch_run` does to probe and validate) is not what this measures."""
    rng = np.random.default_rng(0)
    ids = np.arange(pairs)
    table = folder / f"pairs-{pairs}.parquet"
    pd.DataFrame(
        {
            "query_id": (ids // PAIRS_PER_QUERY).astype(str),
            "query": [f"query {q}" for q in ids // PAIRS_PER_QUERY],
            "doc_id": ids.astype(str),
            "title": [f"product {d}" for d in ids],
            "label": rng.choice([0, 1, 2], pairs, p=[0.26, 0.63, 0.11]),
        }
    ).to_parquet(table)
    columns = storage.importers.ColumnMap.parse(
        "query_id=query_id,query=query,doc_id=doc_id,title=title,label=label"
    )
    storage.importers.import_table(db, table, dataset=DATASET, columns=columns, author="import")
    settings = judge.JudgeSettings(
        backend="openai", model="judge", base_url="http://127.0.0.1:9/v1", endpoint="completions"
    )
    provenance = settings.provenance()
    provenance["params"]["pair_ids"] = None
    return storage.create_run(
        db, name="batch", dataset=DATASET, status=storage.RunStatus.CANCELLED, **provenance
    )


def write_results(db: Path, run_id: int, path: Path) -> int:
    """One output line per pair of the run, each an answer with the grade digits' logprobs
    (a noisy judge: the human grade likelier); the lines written."""
    with storage.connect(db) as con:
        rows = con.execute(
            "SELECT p.pair_id, c.grade FROM pairs p JOIN current_labels c USING (pair_id) "
            "WHERE p.dataset = ? ORDER BY p.pair_id",
            [DATASET],
        ).fetchnumpy()
    rng = np.random.default_rng(1)
    logits = 1.5 * np.eye(3)[rows["grade"]] + rng.normal(0.0, 1.0, (len(rows["grade"]), 3))
    logprobs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    with open(path, "w") as out:
        for pair_id, lp in zip(rows["pair_id"], logprobs.tolist(), strict=True):
            top = {str(g): lp[g] for g in range(3)}
            best = str(int(np.argmax(lp)))
            body = {
                "choices": [{"text": best, "logprobs": {"tokens": [best], "top_logprobs": [top]}}],
                "usage": {"prompt_tokens": 180, "completion_tokens": 1},
            }
            line = {
                "id": f"b-{pair_id}",
                "custom_id": judge.batch_custom_id(run_id, int(pair_id)),
                "response": {"status_code": 200, "request_id": f"r-{pair_id}", "body": body},
                "error": None,
            }
            out.write(json.dumps(line) + "\n")
    return len(rows["pair_id"])


def import_in_child(db: Path, run_id: int, results: Path) -> tuple[float, int, str]:
    """Seconds, peak resident bytes and summary of the import, run in a process of its own
    so that its peak is the import's alone."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--import-only", str(db), str(run_id), str(results)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    # ru_maxrss is in KiB on Linux: the largest of the children waited for, here the one.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return seconds, peak, done.stdout.strip()


def timed(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def metrics_seconds(db: Path, run_id: int) -> tuple[float, float]:
    report = timed(lambda: jobs.run_report(db, run_id, n_boot=1000))
    confusion = timed(lambda: storage.confusion_counts(db, run_id))
    return report, confusion


def fleet_part(quick: bool) -> None:
    if not (ROOT / "bench" / "_fleet_scale.py").exists():
        say("(a) fleet part: not present")
        return
    from _fleet_scale import fleet_ratio  # type: ignore[import-not-found]

    fleet_ratio(quick)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 lines, under 3 minutes")
    parser.add_argument(
        "--import-only", nargs=3, metavar=("DB", "RUN", "FILE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.import_only:
        db, run, results = args.import_only
        print(jobs.import_batch_results(db, int(run), [results]).summary())
        return 0
    lines = QUICK if args.quick else FULL
    small = round(WANDS_PAIRS * lines / FULL)
    fleet_part(args.quick)
    with tempfile.TemporaryDirectory(prefix="judge-scale-") as tmp:
        folder = Path(tmp)
        figures = {}
        for pairs in (lines, small):
            db = folder / f"store-{pairs}.duckdb"
            started = time.perf_counter()
            run_id = build_store(db, pairs, folder)
            results = folder / f"results-{pairs}.jsonl"
            write_results(db, run_id, results)
            built = time.perf_counter() - started
            say(f"    {pairs:,} pairs: store and results file built in {built:.0f} s")
            seconds, peak, summary = import_in_child(db, run_id, results)
            if pairs == lines:
                met = "target met" if peak < PEAK_TARGET_BYTES else "target missed"
                scope = " at 100,000 lines; the target is for 1,000,000" if args.quick else ""
                say(
                    f"(b) import of {pairs:,} result lines: {seconds:.1f} s, "
                    f"{pairs / seconds:,.0f} rows/s, peak memory {peak / 2**20:,.0f} MiB "
                    f"(target < 1,024 MiB{scope}): {met}"
                )
                say(f"    {summary}")
                size = db.stat().st_size + sum(
                    f.stat().st_size for f in folder.glob(f"{db.name}.wal")
                )
                say(f"    store on disk with {pairs:,} judgments: {size / 2**20:,.0f} MiB")
            figures[pairs] = metrics_seconds(db, run_id)
            report, confusion = figures[pairs]
            say(
                f"(c) {pairs:,} judgments: metrics with 1,000 bootstrap draws {report:.2f} s, "
                f"confusion matrix {confusion:.3f} s"
            )
        (big_report, big_confusion), (small_report, small_confusion) = (
            figures[lines],
            figures[small],
        )
        say(
            f"(c) {lines:,} against {small:,} judgments ({lines / small:.1f}x the rows): metrics "
            f"{big_report / small_report:.1f}x the time, confusion matrix "
            f"{big_confusion / small_confusion:.1f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
