"""Prediction-powered estimates of a mean: a few human-labelled units, a judge on all of them.

The units are queries. `y` is a per-query value computed from human labels (nDCG@10, the
share of pairs the judge grades as the human did) on the n audited queries, `yhat` the same
value computed from the judge's labels on those queries, and `yhat_all` the judge's value
on every query of the population (N of them, the audited ones included). The target is the
population mean of `y`.

- Human-only: ``mean(w * y)``, the classical CLT interval (lambda = 0 below).
- Judge-only: ``mean(yhat_all)``; its interval covers the judge's mean, not the humans':
  it is shown to make the judge's bias visible, never as the estimate.
- PPI (Angelopoulos, Bates, Fannjiang, Jordan, Zrnic, "Prediction-powered inference",
  Science 382, 2023): ``lambda * mean(yhat_all) + mean(w * (y - lambda * yhat))`` with
  lambda = 1, standard error ``sqrt(var(w * (y - lambda * yhat)) / n +
  var(lambda * yhat_all) / N)`` (variances with ddof 0), and a normal interval. Unbiased
  whatever the judge's errors; narrower than human-only when the judge tracks the humans.
- PPI++ (Angelopoulos, Duchi, Zrnic, "PPI++: Efficient prediction-powered inference",
  2024): the same with lambda tuned to the variance-minimising value
  ``cov(w y, w yhat) / ((1 + n/N) var([w yhat, yhat_all]))``, clipped to [0, 1], so it is
  never much wider than human-only (lambda 0 is human-only).
- Active draws (Zrnic, Candès, "Active statistical inference", ICML 2024): queries drawn
  with inclusion probabilities ``pi`` (`metrics.audit_design`) get weights
  ``w = n / (N * pi)``, which makes ``mean(w * ...)`` the Horvitz-Thompson estimate: unbiased
  for the population mean under the stored design. Uniform draws have w = 1.

These formulas are the ones of the ``ppi-python`` package (``ppi_mean_pointestimate``,
``ppi_mean_ci`` with its ``w``); the tests compare the two to 1e-9. ppi-python rescales
``w`` to average 1 (a Hajek ratio mean, slightly biased); here the weights are used as
given, so the weighted estimate stays the unbiased Horvitz-Thompson one.

Example: three audited queries with human nDCG 0.5, 0.6, 0.7, the judge off by +0.1 on
each, and the judge's 0.6, 0.7, 0.8, 0.7 on the four queries: PPI (lambda 1) gives
0.7 + mean(-0.1) = 0.6, the human mean, as the judge's error is constant.

The effective sample size is how many uniformly drawn audited queries the human-only
estimate would need for the same standard error: ``var(y) / se^2``, so "n audited queries +
the judge are worth `effective_n` audited queries".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._exceptions import MetricsInputError

CONFIDENCE = 0.95


@dataclass(frozen=True)
class MeanEstimate:
    """An estimate of a population mean with its interval.

    `n` is the number of human-labelled units it uses (0 for judge-only), `population` the
    number of units the judge covers (0 for human-only), `lam` the weight of the judge
    (0: human-only, 1: PPI), `rectifier_var` and `imputed_var` the two parts of
    ``se ** 2`` (per labelled unit, and the judge's part), which `queries_for_width` reads.
    """

    estimate: float
    low: float
    high: float
    se: float
    n: int
    population: int
    lam: float
    rectifier_var: float
    imputed_var: float
    effective_n: float

    @property
    def width(self) -> float:
        return self.high - self.low

    def as_dict(self) -> dict[str, float | int]:
        return {
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "se": self.se,
            "n": self.n,
            "population": self.population,
            "lambda": self.lam,
            "effective_n": self.effective_n,
        }


@cache
def _z(confidence: float) -> float:
    # The standard library's normal quantile (Wichura's AS241, within an ulp of scipy's
    # norm.ppf): importing scipy.stats for it cost every CLI command ~50 MB and a second.
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def _vector(values: ArrayLike, name: str) -> NDArray[np.float64]:
    out = np.asarray(values, dtype=np.float64).reshape(-1)
    if not np.isfinite(out).all():
        raise MetricsInputError(f"{name} holds a missing or infinite value: drop those units")
    return out


def _inputs(
    y: ArrayLike, yhat: ArrayLike, yhat_all: ArrayLike, weights: ArrayLike | None
) -> tuple[NDArray[np.float64], ...]:
    Y, F, FA = _vector(y, "y"), _vector(yhat, "yhat"), _vector(yhat_all, "yhat_all")
    if len(Y) != len(F):
        raise MetricsInputError(
            f"y has {len(Y)} labelled units and yhat {len(F)}: give the judge's value on "
            "each labelled unit"
        )
    if len(Y) < 2 or len(FA) < 2:
        raise MetricsInputError("an interval needs two labelled units and two judged units")
    W = np.ones_like(Y) if weights is None else _vector(weights, "weights")
    if len(W) != len(Y) or (W <= 0).any():
        raise MetricsInputError("weights: one positive weight per labelled unit")
    return Y, F, FA, W


def tuned_lambda(
    y: ArrayLike, yhat: ArrayLike, yhat_all: ArrayLike, *, weights: ArrayLike | None = None
) -> float:
    """PPI++'s power-tuning weight of the judge, in [0, 1] (see the module docstring).

    With weights, the variance minimised is the Horvitz-Thompson one, of ``w * y - lambda *
    w * yhat``: the weighted values are centred after weighting. (ppi-python centres before
    weighting, which with unequal weights leaves the weights' own spread in the covariance;
    on equal weights the two are the same.) 0 when the judge's values do not vary."""
    Y, F, FA, W = _inputs(y, yhat, yhat_all, weights)
    n, N = len(Y), len(FA)
    a, b = W * Y, W * F
    cov = float(((a - a.mean()) * (b - b.mean())).mean())
    spread = float(np.var(np.concatenate([b, FA]), ddof=1))
    if spread == 0:
        return 0.0
    return float(np.clip(cov / ((1 + n / N) * spread), 0.0, 1.0))


def ppi_mean(
    y: ArrayLike,
    yhat: ArrayLike,
    yhat_all: ArrayLike,
    *,
    lam: float | None = None,
    weights: ArrayLike | None = None,
    confidence: float = CONFIDENCE,
) -> MeanEstimate:
    """The prediction-powered estimate of the mean of `y` over the population.

    `lam` None tunes it (PPI++), 1 is PPI, 0 human-only. `weights` are the
    inverse-probability weights ``n / (N * pi)`` of an active draw (`audit_weights`).

    >>> round(ppi_mean([0.5, 0.6, 0.7], [0.6, 0.7, 0.8], [0.6, 0.7, 0.8, 0.7], lam=1).estimate, 9)
    0.6
    """
    Y, F, FA, W = _inputs(y, yhat, yhat_all, weights)
    if lam is None:
        lam = tuned_lambda(Y, F, FA, weights=W)
    n, N = len(Y), len(FA)
    rectified = W * (Y - lam * F)
    estimate = float((lam * FA).mean() + rectified.mean())
    rectifier_var = float(rectified.var())
    imputed_var = float((lam * FA).var() / N)
    se = math.sqrt(rectifier_var / n + imputed_var)
    half = _z(confidence) * se
    spread = _weighted_var(Y, W)
    return MeanEstimate(
        estimate=estimate,
        low=estimate - half,
        high=estimate + half,
        se=se,
        n=n,
        population=N,
        lam=float(lam),
        rectifier_var=rectifier_var,
        imputed_var=imputed_var,
        effective_n=spread / se**2 if se > 0 else math.inf,
    )


def _weighted_var(y: NDArray[np.float64], w: NDArray[np.float64]) -> float:
    """The population variance of `y` estimated from a weighted sample."""
    mean = float((w * y).sum() / w.sum())
    return float((w * (y - mean) ** 2).sum() / w.sum())


def human_mean(
    y: ArrayLike, *, weights: ArrayLike | None = None, confidence: float = CONFIDENCE
) -> MeanEstimate:
    """The human-only estimate: the (weighted) mean of `y` with the classical interval."""
    Y = _vector(y, "y")
    return ppi_mean(Y, Y, Y, lam=0.0, weights=weights, confidence=confidence)


def judge_mean(yhat_all: ArrayLike, *, confidence: float = CONFIDENCE) -> MeanEstimate:
    """The judge-only estimate: the mean of the judge's values over the population. Its
    interval is about the judge's own mean; it says nothing of the judge's bias."""
    FA = _vector(yhat_all, "yhat_all")
    if len(FA) < 2:
        raise MetricsInputError("an interval needs two judged units")
    estimate, imputed_var = float(FA.mean()), float(FA.var() / len(FA))
    half = _z(confidence) * math.sqrt(imputed_var)
    return MeanEstimate(
        estimate=estimate,
        low=estimate - half,
        high=estimate + half,
        se=math.sqrt(imputed_var),
        n=0,
        population=len(FA),
        lam=1.0,
        rectifier_var=0.0,
        imputed_var=imputed_var,
        effective_n=math.nan,
    )


def queries_for_width(
    found: MeanEstimate, target_width: float, *, confidence: float = CONFIDENCE
) -> int | None:
    """How many audited units the interval of `found` would need to be `target_width` wide,
    the per-unit spread staying as measured: ``n = rectifier_var / (se_t^2 - imputed_var)``
    with ``se_t = target_width / (2 z)``. None when the judge's own part alone is wider,
    or when nothing was measured (a human-free estimate)."""
    if target_width <= 0:
        raise MetricsInputError(f"a target width is positive, got {target_width}")
    if found.n == 0:
        return None
    room = (target_width / (2 * _z(confidence))) ** 2 - found.imputed_var
    if room <= 0:
        return None
    return max(2, math.ceil(found.rectifier_var / room))
