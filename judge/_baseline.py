"""The baseline judge: lexical features and a logistic regression trained on the dataset's own
labels, cross-fitted by query so that no pair is graded by a model that learned from it.

It is not an LLM and reads no prompt. It is the yardstick an LLM judge has to beat (what
lexical matching already gets), and it gives a fresh store a real confusion matrix in seconds.
A stacking head is the same model with more columns: a run's grade log-probabilities
(``run_features``) beside the lexical features, so it learns how far to trust that run.

Classifier: multinomial logistic regression (L2 penalty, ``regularization`` = C) on the
features of ``_baseline_features``, standardised on each fold's training rows. It is fitted
by log loss, so its probability per grade is calibrated, not only ranked; it trains in about
a second on 200k pairs; with a dozen features and 3-5 grades it has few parameters with which
to overfit a few dozen queries. It does not use the order of the grades: an ordinal model
would tie the grades to one direction, which on 3 grades buys little, and the expected grade
(sum of grade x probability) still reads them in order.

Cross-fitting by query: pairs are grouped by query text (lower-cased, spaces collapsed), so
two query ids with the same text are one group, and a group goes to fold
``int(sha256(f"{seed}:{text}")) mod K``. Fold k's pairs are graded by a model trained on the
labelled pairs of the other folds; pairs of the benchmark split are graded, never trained
on. So no grade depends on a label of its own query, and a benchmark label never reaches any
model. A query's fold depends on the seed and its text only: new labels do not move queries
between folds, and a query the models never saw still gets a fold, whose model did not learn
from it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ._baseline_features import FEATURE_NAMES, Vocabulary
from ._exceptions import SettingsError, TrainingDataError
from ._parsing import GradeDistribution
from ._results import Judgment, Reply

__all__ = [
    "HELD_OUT_SPLIT",
    "BaselineModel",
    "BaselineSettings",
    "CrossFitted",
    "cross_fit_baseline",
    "query_folds",
    "query_group",
]

HELD_OUT_SPLIT = "benchmark"
"""The split whose labels no model trains on."""


@dataclass(frozen=True, kw_only=True)
class BaselineSettings:
    """What decides a baseline (or stacking) model besides its data."""

    folds: int = 5
    seed: int = 0
    regularization: float = 1.0
    """C of the logistic regression: the inverse strength of its L2 penalty."""

    def __post_init__(self) -> None:
        if self.folds < 2:
            raise SettingsError(
                f"folds must be at least 2 (one to grade, one to train), got {self.folds}"
            )
        if not self.regularization > 0:
            raise SettingsError(f"regularization must be above 0, got {self.regularization}")


def query_group(query: str) -> str:
    """The query group of a query text: lower-cased, runs of white space as one space."""
    return " ".join(query.lower().split())


def query_folds(queries: Sequence[str], folds: int, seed: int) -> np.ndarray:
    """The fold of each query text (module doc): stable across runs, labels and machines."""
    codes, distinct = pd.factorize(pd.Series(queries, dtype=object))
    fold_of = [
        int.from_bytes(hashlib.sha256(f"{seed}:{query_group(q)}".encode()).digest()[:8]) % folds
        for q in distinct
    ]
    return np.asarray(fold_of, dtype=np.int64)[codes]


@dataclass(frozen=True, eq=False)
class BaselineModel:
    """One logistic regression per fold over a shared vocabulary, as plain arrays.

    ``coef`` is (folds, grades, features), ``intercept`` (folds, grades); a grade that no
    training pair of a fold had gets intercept -inf there, so probability 0. ``mean`` and
    ``scale`` (folds, features) standardise the features as at training.
    """

    vocabulary: Vocabulary
    grades: tuple[int, ...]
    feature_names: tuple[str, ...]
    settings: BaselineSettings
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray

    @property
    def extra_names(self) -> tuple[str, ...]:
        """The columns beyond the lexical features that ``extra`` must give (a stacking head)."""
        return self.feature_names[len(FEATURE_NAMES) :]

    def probabilities(self, pairs: pd.DataFrame, extra: pd.DataFrame | None = None) -> np.ndarray:
        """(pairs, grades) probabilities, each pair by the model of its query's fold."""
        features = _design(self.vocabulary, pairs, extra, self.extra_names)
        return self._probabilities(features, self._folds(pairs))

    def judge(self, pairs: pd.DataFrame, extra: pd.DataFrame | None = None) -> list[Judgment]:
        """A judgment per pair, in the pairs' order, as a run records it."""
        started = time.perf_counter()
        folds = self._folds(pairs)
        features = _design(self.vocabulary, pairs, extra, self.extra_names)
        return self._judgments(pairs, self._probabilities(features, folds), folds, started)

    def _folds(self, pairs: pd.DataFrame) -> np.ndarray:
        return query_folds(pairs["query"], self.settings.folds, self.settings.seed)

    def _probabilities(self, features: np.ndarray, folds: np.ndarray) -> np.ndarray:
        logits = np.empty((len(features), len(self.grades)))
        for k in range(self.settings.folds):
            rows = folds == k
            standard = (features[rows] - self.mean[k]) / self.scale[k]
            logits[rows] = standard @ self.coef[k].T + self.intercept[k]
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        return weights / weights.sum(axis=1, keepdims=True)

    def _judgments(
        self, pairs: pd.DataFrame, probs: np.ndarray, folds: np.ndarray, started: float
    ) -> list[Judgment]:
        grades = np.asarray(self.grades)
        best = probs.argmax(axis=1)
        expected = probs @ grades
        latency_ms = (time.perf_counter() - started) * 1000.0 / max(len(probs), 1)
        # There is no answer text: raw_output says which fold's model graded the pair.
        where = [f"fold {k + 1} of {self.settings.folds}" for k in range(self.settings.folds)]
        return [
            Judgment.scored(
                int(pair_id),
                GradeDistribution(int(grades[b]), p, float(e), float(p[b])),
                Reply(where[k], latency_ms),
            )
            for pair_id, p, b, e, k in zip(
                pairs["pair_id"].tolist(),
                probs.tolist(),
                best.tolist(),
                expected.tolist(),
                folds.tolist(),
                strict=True,
            )
        ]


@dataclass(frozen=True)
class CrossFitted:
    """A cross-fitted model, its judgment of every pair, and what it learned from.

    ``training_pairs`` counts the labelled pairs outside the benchmark split (each trains
    the models of the folds it is not in), ``training_queries`` their query groups.
    """

    model: BaselineModel
    judgments: list[Judgment]
    training_pairs: int
    training_queries: int


def cross_fit_baseline(
    pairs: pd.DataFrame,
    labels: Sequence[float | None],
    *,
    grades: Sequence[int],
    settings: BaselineSettings = BaselineSettings(),
    extra: pd.DataFrame | None = None,
) -> CrossFitted:
    """Train one model per fold (module doc) and grade every pair with its fold's model.

    ``pairs`` has the columns of ``_baseline_features.PAIR_COLUMNS`` plus ``pair_id`` and
    ``split``; ``labels`` the current human grade of each pair (None or NaN: unlabelled,
    graded but not trained on); ``extra`` more feature columns, one row per pair. Raises
    TrainingDataError when some fold's training pairs hold fewer than two grades.
    """
    started = time.perf_counter()
    grades = tuple(int(g) for g in grades)
    if "split" not in pairs.columns or "pair_id" not in pairs.columns:
        raise SettingsError(
            "pairs need the columns pair_id and split, as storage.pairs_for_judging gives them"
        )
    y = pd.Series(labels, dtype="Float64").to_numpy(np.float64, na_value=np.nan)
    if len(y) != len(pairs):
        raise SettingsError(
            f"got {len(y)} labels for {len(pairs)} pairs: give one per pair (None if unlabelled)"
        )
    off_scale = sorted(set(y[~np.isnan(y)].tolist()) - set(grades))
    if off_scale:
        raise TrainingDataError(
            f"labels {', '.join(f'{g:g}' for g in off_scale)} are not on the scale "
            f"{list(grades)}: give the labels on the dataset's own scale"
        )

    vocabulary = Vocabulary.fit(pairs)
    extra_names = () if extra is None else tuple(str(c) for c in extra.columns)
    features = _design(vocabulary, pairs, extra, extra_names)
    folds = query_folds(pairs["query"], settings.folds, settings.seed)
    trainable = ~np.isnan(y) & (pairs["split"] != HELD_OUT_SPLIT).to_numpy()
    # The feature matrix is thin (a dozen columns): BLAS threads cost more in hand-offs
    # than they save (4-10x slower on 2 busy cores), so the fits run single-threaded.
    with threadpool_limits(limits=1, user_api="blas"):
        fitted = [
            _fit_fold(features, y, trainable & (folds != k), grades, settings, k)
            for k in range(settings.folds)
        ]
    model = BaselineModel(
        vocabulary,
        grades,
        FEATURE_NAMES + extra_names,
        settings,
        *(np.stack(arrays) for arrays in zip(*fitted, strict=True)),
    )
    judgments = model._judgments(pairs, model._probabilities(features, folds), folds, started)
    groups = {query_group(q) for q in pairs.loc[trainable, "query"].unique()}
    return CrossFitted(model, judgments, int(trainable.sum()), len(groups))


def _design(
    vocabulary: Vocabulary,
    pairs: pd.DataFrame,
    extra: pd.DataFrame | None,
    extra_names: tuple[str, ...],
) -> np.ndarray:
    """The feature matrix a model reads: the lexical features, then the ``extra`` columns."""
    lexical = vocabulary.features(pairs)
    if not extra_names:
        return lexical
    if extra is None or tuple(extra.columns) != extra_names or len(extra) != len(pairs):
        raise SettingsError(
            f"this model also reads the columns {', '.join(extra_names)}: pass them as "
            "`extra`, one row per pair (judge.run_features of the run it stacks on)"
        )
    return np.hstack([lexical, extra.to_numpy(np.float64)])


def _fit_fold(
    features: np.ndarray,
    labels: np.ndarray,
    rows: np.ndarray,
    grades: tuple[int, ...],
    settings: BaselineSettings,
    fold: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """mean, scale, coef, intercept of the model that grades ``fold``, trained on ``rows``."""
    y = labels[rows].astype(np.int64)
    seen = np.unique(y)
    if len(seen) < 2:
        raise TrainingDataError(
            f"fold {fold + 1} of {settings.folds} would train on {len(y)} labelled pairs with "
            f"{'no grade' if len(seen) == 0 else f'only grade {seen[0]}'}: label more queries "
            "outside the benchmark split (pairs of at least two grades), or use fewer folds"
        )
    x = features[rows]
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0  # a constant column carries no signal; leave it at 0
    # Imported here: scikit-learn (with scipy.stats) is a quarter of a gigabyte that every
    # command importing `judge` would carry, `cli.py import run` of a big run file included.
    from sklearn.linear_model import LogisticRegression

    regression = LogisticRegression(C=settings.regularization, max_iter=1000)
    regression.fit((x - mean) / scale, y)
    at = [grades.index(int(g)) for g in regression.classes_]
    coef = np.zeros((len(grades), features.shape[1]))
    intercept = np.full(len(grades), -np.inf)
    if len(at) == 2:
        # Two classes: scikit-learn keeps one vector w, P(second) = sigmoid(w.x + b), which
        # is the softmax of logits (0, w.x + b).
        coef[at[1]], intercept[at] = regression.coef_[0], (0.0, regression.intercept_[0])
    else:
        coef[at], intercept[at] = regression.coef_, regression.intercept_
    return mean, scale, coef, intercept
