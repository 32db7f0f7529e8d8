"""Make the bundled sample ranking runs: four simple rankers over the WANDS sample.

    python sample_data/make_rankings.py      # writes sample_data/rankings.trec

For each of the 36 labelled queries, every one of the 174 products is scored and the top
20 kept, by four systems of known quality, so a first start shows a leaderboard with a
clear order: a noisy oracle (the human grade plus Gaussian noise, sd 0.6), TF-IDF on the
product's name and description, TF-IDF on the name alone, and random scores. The runs rank
products nobody labelled for that query too: those are the pooling holes the Rankers page
offers to judge. Deterministic (seed 0); written as one TREC run file, one tag a system.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

HERE = Path(__file__).resolve().parent
DEPTH = 20
GRADES = {"Irrelevant": 0, "Partial": 1, "Exact": 2}


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(HERE / name, sep="\t", dtype=str, keep_default_na=False)


def _tfidf(queries: pd.Series, texts: pd.Series) -> np.ndarray:
    vectorizer = TfidfVectorizer(sublinear_tf=True).fit(pd.concat([texts, queries]))
    return linear_kernel(vectorizer.transform(queries), vectorizer.transform(texts))


def rankings() -> pd.DataFrame:
    """The four runs as rows (qid, docid, score, tag), best first within each query."""
    queries, products, labels = _read("query.csv"), _read("product.csv"), _read("label.csv")
    queries = queries[queries["query_id"].isin(labels["query_id"])].reset_index(drop=True)
    name = products["product_name"]
    scores = {
        "tfidf-name": _tfidf(queries["query"], name),
        "tfidf-name-description": _tfidf(
            queries["query"], name + " " + products["product_description"]
        ),
    }
    rng = np.random.default_rng(0)
    scores["random"] = rng.random((len(queries), len(products)))
    grade = labels.assign(grade=labels["label"].map(GRADES)).pivot_table(
        index="query_id", columns="product_id", values="grade", aggfunc="last"
    )
    truth = grade.reindex(index=queries["query_id"], columns=products["product_id"]).fillna(0)
    scores["noisy-oracle"] = truth.to_numpy(float) + rng.normal(0, 0.6, truth.shape)
    rows = []
    for tag, matrix in scores.items():
        for q, query_id in enumerate(queries["query_id"]):
            top = np.argsort(-matrix[q], kind="stable")[:DEPTH]
            rows += [(query_id, products["product_id"][d], float(matrix[q, d]), tag) for d in top]
    return pd.DataFrame(rows, columns=["qid", "docid", "score", "tag"])


def main() -> None:
    runs = rankings()
    runs["rank"] = runs.groupby(["tag", "qid"]).cumcount() + 1
    lines = [f"{r.qid} Q0 {r.docid} {r.rank} {r.score:.6f} {r.tag}" for r in runs.itertuples()]
    (HERE / "rankings.trec").write_text("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} lines to {HERE / 'rankings.trec'}")


if __name__ == "__main__":
    main()
