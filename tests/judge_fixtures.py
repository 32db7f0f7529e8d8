"""Helpers for the judge tests and bench: pairs (by hand, or from the WANDS sample with no
storage) and llama-cpp-python's server on the bundled model."""

from __future__ import annotations

import contextlib
import csv
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import httpx
from processes import MODEL_THREADS, free_port, stop

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


def make_pair(pair_id: int, query_id: str = "q1", **fields: str) -> dict[str, Any]:
    """A pair with every WANDS field filled; keyword arguments override fields."""
    pair: dict[str, Any] = {
        "pair_id": pair_id,
        "query_id": query_id,
        "query": f"query {query_id}",
        "query_class": "Desks",
        "product_name": f"product {pair_id}",
        "product_class": "Desks",
        "category_hierarchy": "Furniture / Office Furniture / Desks",
        "product_description": "a sturdy desk",
    }
    pair.update(fields)
    return pair


def sample_pairs(limit: int | None = None) -> list[dict[str, Any]]:
    """Pairs of the WANDS sample (sample_data/*.csv, tab-separated), in label file order."""

    def rows(name: str) -> list[dict[str, str]]:
        with open(SAMPLE / name, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle, delimiter="\t"))

    queries = {row["query_id"]: row for row in rows("query.csv")}
    products = {row["product_id"]: row for row in rows("product.csv")}
    pairs = []
    for label in rows("label.csv")[:limit]:
        query, product = queries[label["query_id"]], products[label["product_id"]]
        pairs.append(
            {
                "pair_id": int(label["id"]),
                "query_id": label["query_id"],
                "query": query["query"],
                "query_class": query["query_class"],
                "product_name": product["product_name"],
                "product_class": product["product_class"],
                "category_hierarchy": product["category hierarchy"],
                "product_description": product["product_description"],
            }
        )
    return pairs


@contextlib.contextmanager
def llama_server(
    model: Path, *, n_ctx: int = 2048, n_threads: int = MODEL_THREADS, options: Sequence[str] = ()
) -> Iterator[str]:
    """llama-cpp-python's own OpenAI-compatible server on a free 127.0.0.1 port, with more
    command-line ``options`` (``--chat_format gemma``); yields the API root (``.../v1``)
    once ``/v1/models`` answers, and stops the server after."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx)]
    command += ["--n_threads", str(n_threads), "--n_threads_batch", str(n_threads), *options]
    root = f"http://127.0.0.1:{port}/v1"
    # A file, not a pipe: the server logs every request and a full pipe would stall it.
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        try:
            _wait_until_up(server, log, root)
            yield root
        finally:
            stop(server, timeout_s=10)


def _wait_until_up(server: subprocess.Popen, log: IO[bytes], root: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        if server.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"llama_cpp.server exited: {log.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{root}/models", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("llama_cpp.server did not answer /v1/models within 120 s")
        time.sleep(0.2)
