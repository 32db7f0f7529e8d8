"""Lexical features of (query, product) pairs: what the baseline judge reads instead of a prompt.

Each pair gives one row of these features, in this order (``FEATURE_NAMES``):

- ``cos_title``, ``cos_class``, ``cos_category``, ``cos_description``: TF-IDF cosine of the
  query against the product name, its class, its category hierarchy and its description;
- ``cos_product``: the same against name, class and category read as one text;
- ``overlap``: the share of the query's distinct terms found in name, class or category;
- ``bm25``: BM25 of the query against name, class and category (k1 = 1.2, b = 0.75), so a
  term repeated in a short name counts for more than in a long one;
- ``class_match``: 1 when the query's class is one of the product's classes (WANDS lists
  several as ``Teen Beds|Beds``), compared without case;
- ``has_query_class``: 1 when the query has a class at all, so "no match" and "nothing to
  match" are told apart;
- ``query_terms``, ``title_terms``: log(1 + number of terms) of the query and of the name.

Definitions. A term is a run of letters, digits or underscores (Unicode), lower-cased: "5" in
"5 drawer" counts, "l-shape" is "l" and "shape".
The vocabulary is every term of the queries and products given to ``Vocabulary.fit``, and
``idf(t) = ln((1 + n) / (1 + df(t))) + 1``, n products, df(t) the products with t in any
field (scikit-learn's smooth idf). A text's TF-IDF vector has ``(1 + ln tf(t)) * idf(t)`` per
term (sublinear tf: a word said three times is not three times the evidence), scaled to
unit length; the cosine of two texts is the dot product of their vectors (0 when one is
empty). Products are told apart by ``doc_id`` and queries by ``query_id``, so each text is
read once however many pairs share it.

No label is read here: fitting the vocabulary on every pair of a dataset (those graded later
included) uses their text only, so it cannot leak a grade.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._exceptions import SettingsError

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["FEATURE_NAMES", "PAIR_COLUMNS", "Vocabulary"]

FEATURE_NAMES = (
    "cos_title",
    "cos_class",
    "cos_category",
    "cos_description",
    "cos_product",
    "overlap",
    "bm25",
    "class_match",
    "has_query_class",
    "query_terms",
    "title_terms",
)

# Product fields in the order they are read; "product" is name + class + category.
_FIELDS = ("product_name", "product_class", "category_hierarchy", "product_description")
PAIR_COLUMNS = ("query_id", "doc_id", "query", "query_class", *_FIELDS)
"""The columns a pair needs (the names `storage.pairs_for_judging` gives)."""

_SEPARATOR = r"[^\p{L}\p{N}_]+"
_BM25_K1, _BM25_B = 1.2, 0.75


@dataclass(frozen=True)
class Vocabulary:
    """The terms, their idf and the mean product length: all a feature row depends on
    besides the pair's own text. Plain arrays, so a model file holds them as they are."""

    terms: np.ndarray
    """Term of each column, a NumPy string array."""
    idf: np.ndarray
    mean_product_terms: float
    """BM25's average document length: mean number of terms in name + class + category."""

    @classmethod
    def fit(cls, pairs: pd.DataFrame) -> Vocabulary:
        """The vocabulary of the pairs' queries and products (text only, see module doc)."""
        _check_columns(pairs)
        docs = pairs.drop_duplicates("doc_id")
        doc_rows, doc_tokens = _split(pd.concat([docs[f] for f in _FIELDS]))
        _, query_tokens = _split(pairs["query"].drop_duplicates())
        terms = pc.unique(pa.concat_arrays([doc_tokens, query_tokens]))
        terms = np.sort(terms.to_numpy(zero_copy_only=False).astype(str))
        # The fields were read one after another, so a token's product is its row modulo the
        # number of products; a (product, term) matrix stores each pair once, whatever its
        # count, so its entries per column are the document frequencies.
        columns = _columns(doc_tokens, pa.array(terms, type=pa.large_string()))
        rows = doc_rows % max(len(docs), 1)
        present = _csr_matrix(
            (np.ones(len(columns)), (rows, columns)), shape=(len(docs), len(terms))
        )
        df = np.bincount(present.indices, minlength=len(terms))
        idf = np.log((1.0 + len(docs)) / (1.0 + df)) + 1.0
        # Name, class and category are the first three fields read.
        product_tokens = np.count_nonzero(doc_rows < 3 * len(docs))
        mean_terms = product_tokens / len(docs) if len(docs) else 0.0
        return cls(terms=terms, idf=idf, mean_product_terms=mean_terms)

    def features(self, pairs: pd.DataFrame) -> np.ndarray:
        """One row of ``FEATURE_NAMES`` per pair, float64, in the pairs' order."""
        _check_columns(pairs)
        q_codes, q_first = _codes(pairs["query_id"])
        d_codes, d_first = _codes(pairs["doc_id"])
        queries, docs = pairs.iloc[q_first], pairs.iloc[d_first]
        query_counts = _Counts(self.terms, queries, ("query",)).by_field["query"]
        counts = _Counts(self.terms, docs)
        query_vectors = self._tfidf(query_counts)[q_codes]
        query_present = (query_counts > 0).astype(np.float64)[q_codes]

        columns = [
            _row_dot(query_vectors, self._tfidf(counts.by_field[f])[d_codes]) for f in _FIELDS
        ]
        columns.append(_row_dot(query_vectors, self._tfidf(counts.product)[d_codes]))
        product_present = (counts.product > 0).astype(np.float64)[d_codes]
        n_query_terms = np.asarray(query_present.sum(axis=1)).ravel()
        columns.append(_row_dot(query_present, product_present) / np.maximum(n_query_terms, 1))
        columns.append(_row_dot(query_present, self._bm25_weights(counts.product)[d_codes]))
        columns += _class_features(pairs)
        columns.append(np.log1p(np.asarray(query_counts.sum(axis=1)).ravel())[q_codes])
        title = counts.by_field["product_name"]
        columns.append(np.log1p(np.asarray(title.sum(axis=1)).ravel())[d_codes])
        return np.column_stack(columns)

    def _tfidf(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        from sklearn.preprocessing import normalize  # only when fitting: see _baseline's import

        weights = counts.copy()
        weights.data = (1.0 + np.log(weights.data)) * self.idf[weights.indices]
        return normalize(weights, norm="l2", copy=False)

    def _bm25_weights(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Each (product, term) entry's BM25 contribution, so a query's score is a row sum."""
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        norm = _BM25_K1 * (1 - _BM25_B + _BM25_B * lengths / max(self.mean_product_terms, 1e-9))
        weights = counts.copy()
        rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
        tf = weights.data
        weights.data = self.idf[weights.indices] * tf * (_BM25_K1 + 1) / (tf + norm[rows])
        return weights


def _split(texts: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """The terms of the texts (module doc), all in one array, and the row each comes from.

    Arrow's vectorised kernels, not a Python loop per text: a WANDS-sized dataset has
    millions of description terms."""
    strings = pa.array(texts.to_numpy(object), type=pa.large_string(), from_pandas=True)
    lists = pc.split_pattern_regex(pc.utf8_lower(strings.fill_null("")), _SEPARATOR)
    rows = np.repeat(np.arange(len(texts)), np.diff(lists.offsets.to_numpy()))
    tokens = lists.flatten()
    # A text that starts or ends with a separator splits off an empty string.
    keep = pc.not_equal(tokens, "").to_numpy(zero_copy_only=False)
    return rows[keep], tokens.filter(keep)


class _Counts:
    """Term counts per field of some rows, over a fixed vocabulary (unknown terms dropped)."""

    def __init__(
        self, terms: np.ndarray, rows: pd.DataFrame, fields: Sequence[str] = _FIELDS
    ) -> None:
        vocabulary = pa.array(terms, type=pa.large_string())
        self.by_field = {f: _term_counts(rows[f], vocabulary) for f in fields}

    @property
    def product(self) -> sp.csr_matrix:
        """Counts of name, class and category together."""
        return (
            self.by_field["product_name"]
            + self.by_field["product_class"]
            + self.by_field["category_hierarchy"]
        ).tocsr()


def _columns(tokens: pa.Array, vocabulary: pa.Array) -> np.ndarray:
    """Each token's column in the vocabulary, -1 for a term not in it."""
    return pc.index_in(tokens, value_set=vocabulary).fill_null(-1).to_numpy()


def _term_counts(texts: pd.Series, vocabulary: pa.Array) -> sp.csr_matrix:
    rows, tokens = _split(texts)
    columns = _columns(tokens, vocabulary)
    known = columns >= 0
    shape = (len(texts), len(vocabulary))
    # Repeated (row, column) entries are summed, which is the count.
    return _csr_matrix((np.ones(known.sum()), (rows[known], columns[known])), shape=shape)


def _csr_matrix(*args: object, **kwargs: object) -> sp.csr_matrix:
    # scipy.sparse is imported when a baseline is fitted, not when the judge room is:
    # every CLI command imports the room, and scipy would add about 20 MB and 0.1 s to each.
    import scipy.sparse

    return scipy.sparse.csr_matrix(*args, **kwargs)


def _codes(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each row's index among the distinct ids, and the first row of each distinct id."""
    codes, _ = pd.factorize(ids)
    # factorize numbers ids by first appearance, so the sorted unique codes are 0, 1, ...
    return codes, np.unique(codes, return_index=True)[1]


def _row_dot(left: sp.csr_matrix, right: sp.csr_matrix) -> np.ndarray:
    """Row-wise dot products of two sparse matrices of equal shape."""
    return np.asarray(left.multiply(right).sum(axis=1)).ravel()


def _class_features(pairs: pd.DataFrame) -> list[np.ndarray]:
    """class_match and has_query_class, decided once per distinct (query class, product
    class) and spread to the pairs: a dataset has few classes and many pairs."""
    q_codes, q_classes = pd.factorize(pairs["query_class"].fillna(""))
    p_codes, p_classes = pd.factorize(pairs["product_class"].fillna(""))
    combos, codes = np.unique(q_codes * len(p_classes) + p_codes, return_inverse=True)
    query_class = [str(q_classes[c // len(p_classes)]).strip().lower() for c in combos]
    product_classes = [str(p_classes[c % len(p_classes)]).lower().split("|") for c in combos]
    match = [
        bool(q) and q in {c.strip() for c in classes}
        for q, classes in zip(query_class, product_classes, strict=True)
    ]
    has_class = [bool(q) for q in query_class]
    return [np.asarray(match, np.float64)[codes], np.asarray(has_class, np.float64)[codes]]


def _check_columns(pairs: pd.DataFrame) -> None:
    missing = [c for c in PAIR_COLUMNS if c not in pairs.columns]
    if missing:
        raise SettingsError(
            f"pairs lack the column(s) {', '.join(missing)}: give pairs as "
            "storage.pairs_for_judging returns them"
        )
