"""Import a WANDS-sized folder and compare with a plain pandas read of the same files.

Builds 480 queries, about 43k products and 233k labels by replicating the bundled sample
with new ids, times `import_wands` into a fresh DuckDB file, and prints rows per second and
the ratio against `pandas.read_csv` of the three files measured in the same run (both the
best of `--repeat` runs, each import into a new file). It also times the floor any import
into a DuckDB file has: DuckDB's own bulk load of the same three files as they are (Arrow's
reader, then CREATE TABLE AS into a fresh file, with no index, no check and no ids), and
prints the import's ratio to that floor too. And the floor of this schema: DuckDB alone
loading the same rows into the store's tables, keys and all, one INSERT per table; the gap
between the two floors is what the store's tables and keys cost, whoever writes them.
`--steps` adds where an import's time goes: reading the files, checking them, opening and
creating the store, the SQL writes, COMMIT.
Targets: the import costs at most 2.5x DuckDB's bulk load, with the store's keys (schema
migration 4) enforced, and at most 3x the pandas read alone.

Then a ranking run file of `--run-lines` lines (default a million, `qid Q0 docid rank score
tag` over the sample's queries) imported by `cli.py import run` in a process of its own: its
peak memory (target: under 500 MB; it was 1.3 GB, then 0.64 GB while every command imported
scikit-learn, then 0.55 GB while every command imported scipy.stats and the fields became
pandas strings; now about 0.41 GB, of which 0.14 GB is the interpreter and its modules) and
its time beside DuckDB's own read of the file into a ranked table (the same window, in a
fresh file). Speed ratios print "target met" or "missed" and never fail the run
(a loaded machine varies); `--quick` (one repeat) exits 1 when the memory target is missed.

    .venv/bin/python bench/import_scale.py [--quick] [--repeat 3] [--steps] [--run-lines N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage import (  # noqa: E402
    SAMPLE_DATASET,
    bootstrap_sample,
    connect,
    transaction,
)
from storage.importers import import_wands  # noqa: E402
from storage.importers._batch import check_batch, write_batch  # noqa: E402
from storage.importers._wands import read_wands  # noqa: E402

SAMPLE = ROOT / "sample_data"
PRODUCTS = 42_994
LABELS = 233_448
TARGET_RATIO = 3.0
TARGET_BULK_RATIO = 2.5
RUN_LINES = 1_000_000
TARGET_RUN_MB = 500


def build_folder(folder: Path) -> None:
    """WANDS-sized copies of the sample files: products and labels get new ids."""
    read = lambda name: pd.read_csv(SAMPLE / name, sep="\t", dtype=str, keep_default_na=False)  # noqa: E731
    queries, products, labels = read("query.csv"), read("product.csv"), read("label.csv")
    queries.to_csv(folder / "query.csv", sep="\t", index=False)

    copies = products.iloc[np.arange(PRODUCTS) % len(products)].reset_index(drop=True)
    copies["product_id"] = np.arange(PRODUCTS).astype(str)
    copies.to_csv(folder / "product.csv", sep="\t", index=False)

    # Label i pairs product i mod PRODUCTS with a query chosen so that no pair repeats.
    i = np.arange(LABELS)
    query_ids = queries["query_id"].to_numpy()
    query_at = (i + (i // PRODUCTS) * 439) % len(query_ids)
    pd.DataFrame(
        {
            "id": i.astype(str),
            "query_id": query_ids[query_at],
            "product_id": (i % PRODUCTS).astype(str),
            "label": labels["label"].to_numpy()[i % len(labels)],
        }
    ).to_csv(folder / "label.csv", sep="\t", index=False)


def pandas_read(folder: Path) -> float:
    start = time.perf_counter()
    for name in ("query.csv", "product.csv", "label.csv"):
        pd.read_csv(folder / name, sep="\t")
    return time.perf_counter() - start


def duckdb_bulk_load(folder: Path, db: Path) -> float:
    """The three files copied as they are into a fresh DuckDB file: no store could do less."""
    start = time.perf_counter()
    con = duckdb.connect(str(db))
    for name in ("query", "product", "label"):
        table = pa_csv.read_csv(
            folder / f"{name}.csv", parse_options=pa_csv.ParseOptions(delimiter="\t")
        )
        con.register("_file", table)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _file")
        con.unregister("_file")
    con.close()
    return time.perf_counter() - start


def duckdb_keyed_load(folder: Path, db: Path) -> float:
    """The rows an import stores, loaded by DuckDB alone into the store's tables with their
    keys: the three files read as the bulk load reads them, then one INSERT ... SELECT per
    table in one transaction, and close. The file's schema is made first, untimed, and the
    documents' extra columns are left out, so this does less than any import: whatever it
    costs beyond the bulk load is what the store's tables and keys cost."""
    with connect(db):
        pass
    start = time.perf_counter()
    files = {
        name: pa_csv.read_csv(
            folder / f"{name}.csv",
            parse_options=pa_csv.ParseOptions(delimiter="\t"),
            convert_options=pa_csv.ConvertOptions(
                column_types={"query_id": pa.string(), "product_id": pa.string()}
            ),
        )
        for name in ("query", "product", "label")
    }
    con = duckdb.connect(str(db))
    for name, table in files.items():
        con.register(f"_{name}", table)
    con.execute("BEGIN TRANSACTION")
    con.execute(
        "INSERT INTO datasets (dataset, grades, grade_names) "
        "VALUES ('floor', [0, 1, 2], ['Irrelevant', 'Partial', 'Exact'])"
    )
    con.execute("INSERT INTO queries SELECT 'floor', query_id, query, query_class FROM _query")
    con.execute(
        """
        INSERT INTO documents (dataset, doc_id, title, doc_class, category, description)
        SELECT 'floor', product_id, product_name, product_class, "category hierarchy",
               product_description
        FROM _product
        """
    )
    con.execute(
        """
        CREATE TEMP TABLE _labels AS
        SELECT nextval('pair_id_seq') AS pair_id, nextval('event_id_seq') AS event_id,
               query_id, product_id AS doc_id,
               CASE label WHEN 'Exact' THEN 2 WHEN 'Partial' THEN 1 ELSE 0 END AS grade,
               current_timestamp::TIMESTAMP AS created_at
        FROM _label
        """
    )
    con.execute(
        "INSERT INTO pairs (pair_id, dataset, query_id, doc_id) "
        "SELECT pair_id, 'floor', query_id, doc_id FROM _labels"
    )
    con.execute(
        "INSERT INTO label_events (event_id, pair_id, grade, source, created_at) "
        "SELECT event_id, pair_id, grade, 'import', created_at FROM _labels"
    )
    con.execute(
        "INSERT INTO current_labels "
        "SELECT pair_id, grade, grade, 'import', event_id, false, NULL, created_at FROM _labels"
    )
    con.execute("COMMIT")
    con.close()
    return time.perf_counter() - start


def timed_import(folder: Path, db: Path) -> tuple[float, object]:
    start = time.perf_counter()
    summary = import_wands(db, folder, dataset="wands-scale")
    return time.perf_counter() - start, summary


def import_steps(folder: Path, db: Path) -> dict[str, float]:
    """The steps of `import_wands` (as `import_batch` runs them), each timed."""
    times = {}
    start = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal start
        now = time.perf_counter()
        times[step], start = now - start, now

    batch = read_wands(folder, dataset="wands-scale")
    lap("read files")
    checked = check_batch(batch)
    lap("check")
    with connect(db) as con:
        lap("open + create schema")
        with transaction(con):
            write_batch(con, batch, *checked)
            lap("SQL writes")
        lap("COMMIT")
    lap("close")
    return times


def write_run_file(db: Path, path: Path, lines: int) -> None:
    """A BM25-like run over the store's sample queries, `lines` lines, one tag."""
    with connect(db, read_only=True) as con:
        queries = [q for (q,) in con.execute(
            "SELECT query_id FROM queries WHERE dataset = ? ORDER BY 1", [SAMPLE_DATASET]
        ).fetchall()]  # fmt: skip
    per_query = -(-lines // len(queries))
    with open(path, "w") as out:
        for n in range(lines):
            query, rank = queries[n // per_query], n % per_query + 1
            out.write(f"{query} Q0 d{rank} {rank} {1000 - rank / 1000:.4f} bm25\n")


def cli_import_run(db: Path, run: Path) -> tuple[float, float]:
    """`cli.py import run` in a process of its own: (seconds, peak resident MB)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), "--db", str(db), "import", "run", str(run),
         "--dataset", SAMPLE_DATASET],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"cli.py import run failed with exit {process.returncode}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def duckdb_run_load(run: Path, db: Path) -> float:
    """DuckDB alone: the run file read and ranked (trec_eval's order) into a fresh file."""
    started = time.perf_counter()
    with duckdb.connect(str(db)) as con:
        con.execute(
            f"""
            CREATE TABLE ranked AS
            SELECT qid, docid, row_number() OVER (PARTITION BY tag, qid
                                                  ORDER BY score DESC, docid DESC) AS rank,
                   score
            FROM read_csv('{run}', delim = ' ', header = false,
                          names = ['qid', 'q0', 'docid', 'rank', 'score', 'tag'],
                          types = {{'qid': 'VARCHAR', 'docid': 'VARCHAR', 'score': 'DOUBLE'}})
            """
        )
    return time.perf_counter() - started


def run_import(tmp: Path, lines: int, repeat: int) -> bool:
    """Print the run file figures; whether the memory target is met."""
    pristine, run = tmp / "run-sample.duckdb", tmp / "run.trec"
    bootstrap_sample(pristine)
    write_run_file(pristine, run, lines)
    floor = min(duckdb_run_load(run, tmp / f"run-floor{i}.duckdb") for i in range(repeat))
    measured = []
    for i in range(repeat):
        db = tmp / f"run-import{i}.duckdb"
        shutil.copyfile(pristine, db)
        measured.append(cli_import_run(db, run))
    seconds = min(s for s, _ in measured)
    peak = max(mb for _, mb in measured)
    ratio = seconds / floor
    print(
        f"run file of {lines:,} lines: `cli.py import run` {seconds:.1f} s "
        f"({lines / seconds:,.0f} lines/s, best of {repeat}, process start included), "
        f"{ratio:.1f}x DuckDB's own ranked load of the file ({floor:.1f} s)",
        flush=True,
    )
    met = peak < TARGET_RUN_MB
    print(
        f"  peak memory of the import process {peak:.0f} MB (target: under {TARGET_RUN_MB} MB): "
        f"target {'met' if met else 'MISSED'}",
        flush=True,
    )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--steps", action="store_true", help="also time each step")
    parser.add_argument("--run-lines", type=int, default=RUN_LINES, help="lines of the run file")
    parser.add_argument(
        "--quick", action="store_true", help="one repeat; exit 1 if the memory target is missed"
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # each line as done
    if args.quick:
        args.repeat = 1
    with tempfile.TemporaryDirectory() as tmp:
        memory_met = run_import(Path(tmp), args.run_lines, args.repeat)
        folder = Path(tmp) / "wands"
        folder.mkdir()
        build_folder(folder)
        size_mb = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
        baseline = min(pandas_read(folder) for _ in range(args.repeat))
        floor = min(
            duckdb_bulk_load(folder, Path(tmp) / f"bulk{i}.duckdb") for i in range(args.repeat)
        )
        keyed = min(
            duckdb_keyed_load(folder, Path(tmp) / f"keyed{i}.duckdb") for i in range(args.repeat)
        )
        runs = [timed_import(folder, Path(tmp) / f"fresh{i}.duckdb") for i in range(args.repeat)]
        again, _ = timed_import(folder, Path(tmp) / "fresh0.duckdb")
        steps = [
            import_steps(folder, Path(tmp) / f"steps{i}.duckdb")
            for i in range(args.repeat if args.steps else 0)
        ]
    seconds, summary = min(runs, key=lambda run: run[0])
    rows = summary.queries + summary.documents + summary.pairs
    ratio = seconds / baseline
    print(f"folder: {size_mb:.1f} MB; {summary}")
    print(f"pandas read_csv of the 3 files: {baseline:.3f} s (best of {args.repeat})")
    print(
        f"DuckDB bulk load of the 3 files as they are: {floor:.3f} s "
        f"({floor / baseline:.1f}x the pandas read; the floor for any import into DuckDB)"
    )
    print(
        f"DuckDB's own load of the same rows into the store's keyed tables: {keyed:.3f} s "
        f"({keyed / floor:.1f}x the bulk load; the floor for any import into this schema)"
    )
    print(
        f"import into a fresh DuckDB file: {seconds:.3f} s (best of "
        f"{', '.join(f'{run[0]:.3f}' for run in runs)}), {rows / seconds:,.0f} rows/s"
    )
    if steps:
        print("  steps, each the best of its runs:")
        for step in steps[0]:
            best = min(run[step] for run in steps)
            print(f"    {step:<22} {best:.3f} s ({best / baseline:.1f}x the pandas read)")
    print(f"re-import of the same folder (no changes): {again:.3f} s")
    bulk_ratio = seconds / floor
    print(
        f"ratio import / DuckDB bulk load: {bulk_ratio:.2f}x (target <= {TARGET_BULK_RATIO}x): "
        f"{'ok' if bulk_ratio <= TARGET_BULK_RATIO else 'MISSED'}"
    )
    print(f"ratio import / DuckDB keyed load: {seconds / keyed:.2f}x")
    print(
        f"ratio import / pandas read: {ratio:.2f}x (target <= {TARGET_RATIO:.0f}x): "
        f"{'ok' if ratio <= TARGET_RATIO else 'MISSED'}"
    )
    return 1 if args.quick and not memory_met else 0


if __name__ == "__main__":
    sys.exit(main())
