"""How long a writer or a reader waits for the one DuckDB writer when several processes share
a store, and whether any acknowledged write is lost.

Imports the WANDS sample into a temporary store, then:
  (a) baseline: one process relabels alone, `--relabels` times;
  (b) contention: `--writers` processes relabel `--relabels` times each while `--readers`
      processes read a current label as often, all at once on the same file.
Prints, per process, its longest single operation (the wait included), the worst writer and
reader against the baseline's longest relabel, failed processes, and label events
acknowledged vs stored. Exits non-zero on a failed process or a lost event; no timing
asserts (the issue's target: worst wait under 10 s with 5 writers).

    .venv/bin/python bench/lock_fairness.py [--writers 5] [--readers 2] [--relabels 40]

`--quick` prints the same lines with 10 relabels per process.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import storage  # noqa: E402

WORKER = REPO / "tests" / "store_worker.py"


def start(db: Path, *args: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(db), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> tuple[list[int], float | None, str]:
    """The event ids a worker printed, its longest operation (None if it failed), its error."""
    out, err = process.communicate()
    lines = out.splitlines()
    events = [int(line.split()[1]) for line in lines if line.startswith("event ")]
    worst = next((float(line.split()[1]) for line in lines if line.startswith("worst ")), None)
    return events, worst if process.returncode == 0 else None, err.strip().splitlines()[-1:]


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # each line as it finishes, piped too
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=5)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--relabels", type=int, default=40)
    parser.add_argument(
        "--quick", action="store_true", help="the same lines with 10 relabels per process"
    )
    args = parser.parse_args()
    if args.quick:
        args.relabels = min(args.relabels, 10)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        storage.importers.import_wands(db, REPO / "sample_data", dataset="wands-sample")

        baseline_events, baseline, _ = finish(start(db, "relabel", args.relabels, "alone"))
        print(f"baseline: one writer alone, longest relabel {baseline:.3f} s")

        started = time.monotonic()
        writers = [start(db, "relabel", args.relabels, f"w{n}") for n in range(args.writers)]
        readers = [start(db, "read", args.relabels) for _ in range(args.readers)]
        written = [finish(p) for p in writers]
        read = [finish(p) for p in readers]
        elapsed = time.monotonic() - started

        failed = 0
        for kind, results in (("writer", written), ("reader", read)):
            for number, (_, worst, error) in enumerate(results):
                if worst is None:
                    failed += 1
                    print(f"{kind} {number}: FAILED {error}")
                else:
                    print(f"{kind} {number}: longest operation {worst:.3f} s")
        acknowledged = set(baseline_events).union(*(events for events, _, _ in written))
        with storage.connect(db) as con:
            stored = {
                row[0]
                for row in con.execute(
                    "SELECT event_id FROM label_events WHERE source = 'review'"
                ).fetchall()
            }
    worst_write = max((w for _, w, _ in written if w is not None), default=float("nan"))
    worst_read = max((w for _, w, _ in read if w is not None), default=float("nan"))
    print(
        f"{args.writers} writers x {args.relabels} relabels and {args.readers} readers "
        f"in {elapsed:.1f} s"
    )
    print(
        f"worst writer wait {worst_write:.3f} s ({worst_write / baseline:.1f}x the lone "
        f"writer's longest relabel); worst reader wait {worst_read:.3f} s"
    )
    lost = len(acknowledged - stored)
    print(
        f"label events acknowledged {len(acknowledged)}, stored {len(acknowledged & stored)}, "
        f"lost {lost}; failed processes {failed}"
    )
    return 1 if lost or failed else 0


if __name__ == "__main__":
    sys.exit(main())
