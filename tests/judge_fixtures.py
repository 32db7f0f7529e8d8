"""Pairs for judge tests: built by hand, or read from the WANDS sample with no storage."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

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
