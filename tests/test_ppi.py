"""Prediction-powered estimates against ppi-python (the reference implementation of
Angelopoulos et al.), and the audit design's inverse-probability weights unbiased in a
simulation with a known truth."""

from __future__ import annotations

import numpy as np
import pytest
from ppi_py import ppi_mean_ci, ppi_mean_pointestimate

import metrics


def _population(seed: int, N: int = 300, n: int = 40) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    truth = rng.beta(2, 3, size=N)
    judge = np.clip(0.8 * truth + 0.15 + rng.normal(0, 0.1, size=N), 0, 1)
    drawn = rng.choice(N, size=n, replace=False)
    return truth[drawn], judge[drawn], judge


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("lam", [None, 1.0, 0.0, 0.37])
def test_ppi_mean_equals_ppi_python(seed: int, lam: float | None) -> None:
    y, yhat, yhat_all = _population(seed)
    ours = metrics.ppi_mean(y, yhat, yhat_all, lam=lam, confidence=0.95)
    point = ppi_mean_pointestimate(y, yhat, yhat_all, lam=lam)
    low, high = ppi_mean_ci(y, yhat, yhat_all, alpha=0.05, lam=lam)
    assert ours.estimate == pytest.approx(float(np.squeeze(point)), abs=1e-9)
    assert ours.low == pytest.approx(float(np.squeeze(low)), abs=1e-9)
    assert ours.high == pytest.approx(float(np.squeeze(high)), abs=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_weighted_ppi_mean_equals_ppi_python_with_weights(seed: int) -> None:
    y, yhat, yhat_all = _population(seed)
    w = np.random.default_rng(seed + 10).uniform(0.3, 3.0, size=len(y))
    # ppi-python rescales weights to average 1 (a Hajek mean); ours are Horvitz-Thompson
    # weights, used as given: the two agree on weights that average 1.
    w = w / w.mean()
    # The tuned lambda differs on unequal weights (see metrics.tuned_lambda): fixed ones here.
    for lam in (1.0, 0.37, 0.0):
        ours = metrics.ppi_mean(y, yhat, yhat_all, lam=lam, weights=w)
        point = ppi_mean_pointestimate(y, yhat, yhat_all, lam=lam, w=w)
        low, high = ppi_mean_ci(y, yhat, yhat_all, alpha=0.05, lam=lam, w=w)
        assert ours.estimate == pytest.approx(float(np.squeeze(point)), abs=1e-9)
        assert (ours.low, ours.high) == pytest.approx(
            (float(np.squeeze(low)), float(np.squeeze(high))), abs=1e-9
        )


def test_tuned_lambda_is_between_human_only_and_ppi() -> None:
    y, yhat, yhat_all = _population(1)
    lam = metrics.tuned_lambda(y, yhat, yhat_all)
    assert 0 < lam < 1
    # A judge that does not track the humans at all gets no weight: PPI++ is human-only.
    noise = np.random.default_rng(0).permutation(yhat_all)
    assert metrics.tuned_lambda(y, noise[: len(y)] * 0 + 0.5, noise) == 0.0


def test_human_mean_is_the_classical_interval() -> None:
    y = np.array([0.2, 0.4, 0.9, 0.5, 0.1])
    found = metrics.human_mean(y)
    half = 1.959963984540054 * y.std() / np.sqrt(len(y))
    assert found.estimate == pytest.approx(y.mean())
    assert (found.low, found.high) == pytest.approx((y.mean() - half, y.mean() + half))
    assert found.effective_n == pytest.approx(len(y))


def test_effective_n_grows_with_a_good_judge() -> None:
    y, yhat, yhat_all = _population(2)
    human, ppi = metrics.human_mean(y), metrics.ppi_mean(y, yhat, yhat_all)
    assert ppi.width < human.width
    assert ppi.effective_n == pytest.approx(len(y) * (human.se / ppi.se) ** 2)
    assert ppi.effective_n > len(y)


def test_queries_for_width_reaches_the_target() -> None:
    y, yhat, yhat_all = _population(3)
    found = metrics.ppi_mean(y, yhat, yhat_all)
    needed = metrics.queries_for_width(found, found.width * 0.8)
    assert needed is not None and needed > len(y)
    z = 1.959963984540054
    width = 2 * z * np.sqrt(found.rectifier_var / needed + found.imputed_var)
    assert width <= found.width * 0.8 + 1e-12
    # The judge's own share of the interval cannot be audited away.
    assert metrics.queries_for_width(found, 2 * z * np.sqrt(found.imputed_var) * 0.9) is None


def test_inclusion_probabilities_floor_cap_and_sum() -> None:
    errors = np.array([0.0, 0.1, 0.1, 0.2, 5.0])
    pi = metrics.inclusion_probabilities(errors, 3)
    assert pi.sum() == pytest.approx(3)
    assert pi[-1] == 1.0  # capped: always drawn
    assert pi[0] > 0  # the floor: a query the judge is sure of can still be drawn
    assert list(metrics.inclusion_probabilities(None, 2, population=4)) == [0.5] * 4


def test_systematic_draw_takes_n_with_the_stated_probabilities() -> None:
    rng = np.random.default_rng(0)
    pi = metrics.inclusion_probabilities(rng.uniform(0, 1, 12) ** 2, 4)
    counts = np.zeros(len(pi))
    draws = 20000
    for _ in range(draws):
        drawn = metrics.systematic_draw(pi, rng)
        assert len(drawn) == 4 and len(set(drawn.tolist())) == 4
        counts[drawn] += 1
    assert counts / draws == pytest.approx(pi, abs=0.015)


def test_inverse_probability_weighted_estimate_is_unbiased() -> None:
    rng = np.random.default_rng(7)
    N, n = 200, 20
    uncertainty = rng.uniform(0, 1, N)
    truth = rng.beta(2, 2, N)
    # The judge errs more where it is unsure, and is biased upward.
    judge = np.clip(truth + 0.1 + rng.normal(0, 0.3 * uncertainty), 0, 1)
    pi = metrics.inclusion_probabilities(uncertainty, n)
    estimates, naive = [], []
    for _ in range(6000):
        drawn = metrics.systematic_draw(pi, rng)
        weights = metrics.audit_weights(pi[drawn], N)
        found = metrics.ppi_mean(truth[drawn], judge[drawn], judge, lam=1.0, weights=weights)
        estimates.append(found.estimate)
        naive.append(truth[drawn].mean())
    se = np.std(estimates) / np.sqrt(len(estimates))
    assert abs(np.mean(estimates) - truth.mean()) < 4 * se
    # Unweighted, the same draws are biased toward the queries the judge is unsure of.
    assert abs(np.mean(naive) - truth.mean()) > 10 * se


def test_missing_probabilities_are_refused() -> None:
    with pytest.raises(metrics.MetricsInputError, match="inclusion probabilities"):
        metrics.audit_weights([0.5, np.nan], 10)
    with pytest.raises(metrics.MetricsInputError, match="missing"):
        metrics.ppi_mean([0.1, np.nan], [0.1, 0.2], [0.1, 0.2, 0.3])
