"""Ranking measures as trec_eval defines them, vectorised over runs, queries and positions.

The reference is trec_eval through `ir_measures` (with the `pytrec_eval-terrier` wheel):
tests compare every measure with it on hand-written and random qrels and runs. Calling the
library costs a dictionary of dictionaries per run and a pass of C code per run and qrels
(bench/rank_metrics.py: about 1.6 s for 50 runs x 480 queries x 100 documents, per qrels);
here a run, a query and a rank are axes of one array, so every measure of every run is a few
array operations, and B bootstrap draws are one matrix product.

Inputs are relevance *levels* (`relevance_levels`): the grade on a scale from 0, 0 for a
grade below 0 (trec_eval's reading of the web track's -2), the grade minus the lowest on a
scale starting above 0; level 0 is "not relevant" and gains 0 (WANDS: Irrelevant 0,
Partial 1, Exact 2).
A ranked document no qrels row grades is `UNJUDGED` (gain 0, not relevant, not judged); a
position past the end of a run's list is `NO_DOCUMENT`.

The measures (nDCG@k, RR, P@k, R@k, Judged@k, AP@k, as trec_eval 9.0.7 defines them) are
declared once, with their definitions, in the registry of `metrics._measures`; here they
are computed over the arrays this module lays out.

Decided cases, the same as trec_eval unless said:
- order: score descending, ties by document id descending (trec_eval's order; the stored
  ranks already follow it, see `storage.rankings`). ir_measures' Judged breaks ties the other
  way; here every measure uses one order.
- a query with no relevant document in the qrels scores 0 on nDCG, RR, P and R (trec_eval
  evaluates it, and every ratio's numerator is 0).
- a query of the qrels that a run did not retrieve for scores 0 on every measure (as
  ir_measures reports it, and trec_eval's ``-c``: skipping a hard query earns nothing).
- a query the qrels do not grade at all is not evaluated (NaN, left out of the mean), and
  the documents a run retrieved for it are ignored.
- a qrels grades each (query, document) once, as the store's pairs do; a ranked row without a
  query or document id is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ._exceptions import MetricsInputError
from ._measures import NO_DOCUMENT, UNJUDGED, Measure, compute_measure, measures_of


def relevance_levels(grades: ArrayLike, lowest: int) -> NDArray[np.int64]:
    """Qrels grades as relevance levels on a scale whose lowest grade is `lowest`.

    On a scale from 0 (TREC's 0-3 and 0-4, WANDS' 0-2, binary 0-1) the level is the grade;
    a grade below 0 (the web track's -2, "junk") is level 0, not relevant, as trec_eval
    reads it. On a scale starting above 0 (Prometheus' 1-5) its lowest grade is the one
    that means "not relevant", so levels count from it.

    >>> relevance_levels([-2, 0, 1, 4], -2).tolist(), relevance_levels([1, 3], 1).tolist()
    ([0, 0, 1, 4], [0, 2])
    """
    values = np.asarray(grades, dtype=np.int64)
    return np.maximum(values - max(lowest, 0), 0)


@dataclass(frozen=True)
class RankedLists:
    """Runs x queries x ranks: the relevance level of each ranked document under one qrels.

    `levels[r, q, i]` is the level of run r's document at rank i + 1 for query q (or
    `UNJUDGED`, `NO_DOCUMENT`); `ideal[q]` is every qrels level of query q, sorted
    descending and padded with 0; `graded[q]` is False for a query the qrels do not grade.
    """

    runs: tuple[str, ...]
    query_ids: tuple[str, ...]
    levels: NDArray[np.int8]
    ideal: NDArray[np.int8]
    graded: NDArray[np.bool_]


def _factorized(values: pd.Series) -> tuple[NDArray[np.int64], pd.Index]:
    """Each value as a code into the distinct values: a categorical column has them already
    (`storage.rankings.ranked_documents` hands ids over so), any other takes one hashing pass."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(np.int64), pd.Index(values.cat.categories)
    codes, distinct = pd.factorize(values, sort=False)
    return codes.astype(np.int64), pd.Index(distinct)


def _codes(values: pd.Series, vocabulary: pd.Index) -> NDArray[np.int64]:
    """Each value's position in `vocabulary` (-1 if absent): the values' codes, then a
    lookup of the few distinct ones."""
    raw, distinct = _factorized(values)
    # A missing value's code is -1, which picks the -1 appended last.
    return np.append(np.asarray(vocabulary.get_indexer(distinct), dtype=np.int64), -1)[raw]


@dataclass(frozen=True)
class RankedRuns:
    """Ranked documents with their ids encoded once, to be put under any number of qrels
    with `lists`.

    Reading millions of string ids costs more than every measure together, so a comparison
    of two qrels encodes the runs once. `cells` is each kept row's flat position in the
    (runs, queries, depth) array; `pair_of_row` its (query, document) pair as a position in
    `pairs`, the distinct `query * len(documents) + document` codes.
    """

    runs: tuple[str, ...]
    query_ids: tuple[str, ...]
    depth: int
    documents: pd.Index
    cells: NDArray[np.int64]
    pair_of_row: NDArray[np.int64]
    pairs: pd.Index

    def lists(self, qrels: pd.DataFrame) -> RankedLists:
        """The runs under `qrels` (query_id, doc_id, level >= 0)."""
        if len(qrels) and (qrels["level"].to_numpy() < 0).any():
            raise MetricsInputError("qrels levels start at 0: subtract the scale's lowest grade")
        query_index = pd.Index(self.query_ids)
        qq = _codes(qrels["query_id"], query_index)
        qd = _codes(qrels["doc_id"], self.documents)
        level = qrels["level"].to_numpy(np.int64)
        graded_rows = qq >= 0
        ranked_rows = graded_rows & (qd >= 0)
        keys = qq[ranked_rows] * max(len(self.documents), 1) + qd[ranked_rows]
        at = self.pairs.get_indexer(keys)  # hashed once, on the first qrels
        found = at >= 0
        pair_level = np.full(len(self.pairs), UNJUDGED, dtype=np.int8)
        pair_level[at[found]] = level[ranked_rows][found]
        shape = (len(self.runs), len(self.query_ids), self.depth)
        levels = np.full(int(np.prod(shape)), NO_DOCUMENT, dtype=np.int8)
        levels[self.cells] = pair_level[self.pair_of_row]
        return RankedLists(
            self.runs,
            self.query_ids,
            levels.reshape(shape),
            _ideal(qq[graded_rows], level[graded_rows], len(query_index)),
            np.bincount(qq[graded_rows], minlength=len(query_index)) > 0,
        )


def encode_runs(
    ranked: pd.DataFrame,
    *,
    query_ids: Sequence[str],
    runs: Sequence[str] | None = None,
    depth: int | None = None,
) -> RankedRuns:
    """Encode `ranked` (run, query_id, doc_id, rank from 1 in trec_eval's order) on the
    axes `query_ids` and `runs` (default: the runs of `ranked` in order of first
    appearance), cut at `depth` (default: the deepest rank). Rows of other runs or queries
    are left out."""
    run_index = pd.Index(pd.unique(ranked["run"]) if runs is None else list(runs))
    query_index = pd.Index(list(query_ids))
    depth = int(ranked["rank"].max()) if depth is None and len(ranked) else depth or 1
    r = _codes(ranked["run"], run_index)
    q = _codes(ranked["query_id"], query_index)
    position = ranked["rank"].to_numpy(np.int64) - 1
    keep = (r >= 0) & (q >= 0) & (position < depth)
    raw_docs, documents = _factorized(ranked["doc_id"])
    keep &= raw_docs >= 0
    keys = q[keep] * max(len(documents), 1) + raw_docs[keep]
    pair_of_row, pairs = pd.factorize(keys, sort=False)
    return RankedRuns(
        tuple(str(x) for x in run_index),
        tuple(str(x) for x in query_index),
        depth,
        documents,
        (r[keep] * len(query_index) + q[keep]) * depth + position[keep],
        pair_of_row.astype(np.int64),
        pd.Index(pairs),
    )


def ranked_lists(
    ranked: pd.DataFrame,
    qrels: pd.DataFrame,
    *,
    runs: Sequence[str] | None = None,
    query_ids: Sequence[str] | None = None,
    depth: int | None = None,
) -> RankedLists:
    """Arrange `ranked` (run, query_id, doc_id, rank from 1 in trec_eval's order) under
    `qrels` (query_id, doc_id, level >= 0): `encode_runs` then `RankedRuns.lists`.

    `runs` and `query_ids` fix the axes (default: the runs of `ranked` in order of first
    appearance, the queries `qrels` grades, sorted); `depth` cuts the lists (default: the
    deepest rank). Under several qrels, encode once and call `lists` for each.
    """
    if query_ids is None:
        query_ids = sorted(pd.unique(qrels["query_id"]))
    return encode_runs(ranked, query_ids=query_ids, runs=runs, depth=depth).lists(qrels)


def _ideal(queries: NDArray[np.int64], levels: NDArray[np.int64], n: int) -> NDArray[np.int8]:
    """Each query's qrels levels sorted descending, padded with 0: (n, most graded)."""
    counts = np.bincount(queries, minlength=n)
    ideal = np.zeros((n, max(int(counts.max()) if n else 0, 1)), dtype=np.int8)
    order = np.lexsort((-levels, queries))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.arange(len(order)) - np.repeat(starts, counts)
    ideal[queries[order], slot] = levels[order]
    return ideal


def per_query_measures(
    lists: RankedLists, measures: Sequence[str | Measure], *, threshold: int = 1
) -> NDArray[np.float64]:
    """Every measure per run and query: shape (measures, runs, queries); NaN for a query the
    qrels do not grade. `threshold` is the lowest level that counts as relevant for RR, P
    and R (trec_eval's ``-l``; default 1, so WANDS Partial and Exact are relevant)."""
    if threshold < 1:
        raise MetricsInputError(
            f"the relevance threshold is a level of at least 1, got {threshold}"
        )
    out = np.empty((len(measures), *lists.levels.shape[:2]))
    for i, measure in enumerate(measures_of(measures)):
        out[i] = compute_measure(measure, lists.levels, lists.ideal, threshold)
    out[:, :, ~lists.graded] = np.nan
    return out


def weighted_means(
    per_query: NDArray[np.float64], weights: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Means over queries under each bootstrap draw: per_query (..., queries) and weights
    (draws, queries) give (draws, ...). Queries that are NaN (not graded) are left out."""
    defined = ~np.isnan(per_query)
    values = np.where(defined, per_query, 0.0)
    w = weights.astype(np.float64)
    totals = np.tensordot(w, values, axes=([1], [values.ndim - 1]))
    if defined.all():  # every query counts: each draw's count is its number of queries
        counts = np.broadcast_to(w.sum(axis=1).reshape(-1, *[1] * (values.ndim - 1)), totals.shape)
    else:
        counts = np.tensordot(w, defined.astype(np.float64), axes=([1], [defined.ndim - 1]))
    return np.divide(totals, counts, out=np.full_like(totals, np.nan), where=counts > 0)
