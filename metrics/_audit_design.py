"""Which queries an audit gives to humans, and with what probability each could be drawn.

Two designs:

- uniform: every query has inclusion probability ``n / N``; a simple random sample of n.
- active (Zrnic and Candès, "Active statistical inference", ICML 2024): probabilities
  proportional to the judge's expected error on the query (from its grade probabilities,
  ``1 - max(p)`` averaged over the query's pairs), with a floor of `FLOOR` times the mean
  error so every query can be drawn, and capped at 1 (a capped query is always drawn; the
  others share the rest, repeated until none exceeds 1).

The draw is systematic PPS sampling in a seeded random order (Madow 1949): cumulative
probabilities, one uniform start, every unit the points ``start + k`` fall in. It takes
exactly n queries and gives each query exactly its probability ``pi``, so the
Horvitz-Thompson weights ``n / (N * pi)`` (`audit_weights`) make the audited mean unbiased.

>>> inclusion_probabilities([1.0, 1.0, 1.0, 1.0], 2).tolist()
[0.5, 0.5, 0.5, 0.5]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._exceptions import MetricsInputError

FLOOR = 0.2


def inclusion_probabilities(
    errors: ArrayLike | None, n: int, *, floor: float = FLOOR, population: int | None = None
) -> NDArray[np.float64]:
    """Each unit's probability of being drawn in a sample of `n`: uniform when `errors` is
    None (then `population` gives N), else proportional to ``max(error, floor * mean)``."""
    if errors is None:
        if population is None:
            raise MetricsInputError("a uniform design needs the population size")
        size = np.ones(population)
    else:
        values = np.asarray(errors, dtype=np.float64)
        if not np.isfinite(values).all() or (values < 0).any():
            raise MetricsInputError("expected errors are numbers >= 0, one per query")
        mean = values.mean() if len(values) else 0.0
        size = np.maximum(values, floor * mean) if mean > 0 else np.ones(len(values))
    N = len(size)
    if not 1 <= n <= N:
        raise MetricsInputError(f"an audit draws between 1 and {N} queries, got {n}")
    pi = np.zeros(N)
    capped = np.zeros(N, dtype=bool)
    for _ in range(N):
        left = n - capped.sum()
        pi[~capped] = left * size[~capped] / size[~capped].sum()
        pi[capped] = 1.0
        over = pi > 1.0
        if not over.any():
            break
        capped |= over
    return np.minimum(pi, 1.0)


def systematic_draw(pi: ArrayLike, rng: np.random.Generator) -> NDArray[np.int64]:
    """The indices of the units drawn, in draw order: systematic PPS over a random order."""
    probs = np.asarray(pi, dtype=np.float64)
    order = rng.permutation(len(probs))
    edges = np.concatenate([[0.0], np.cumsum(probs[order])])
    points = rng.uniform() + np.arange(round(edges[-1]))
    # A point falls in unit i when edges[i] <= point < edges[i + 1].
    slots = np.searchsorted(edges, points, side="right") - 1
    return order[np.clip(slots, 0, len(probs) - 1)]


def audit_weights(pi: ArrayLike, population: int) -> NDArray[np.float64]:
    """Inverse-probability weights ``n / (N * pi)`` of the n audited units."""
    probs = np.asarray(pi, dtype=np.float64)
    if len(probs) == 0 or not np.isfinite(probs).all() or (probs <= 0).any() or (probs > 1).any():
        raise MetricsInputError(
            "inclusion probabilities are missing or outside (0, 1]: the audit's design is "
            "not stored, so no weighted estimate can be made"
        )
    return len(probs) / (population * probs)
