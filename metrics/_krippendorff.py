"""Krippendorff's alpha from coincidence matrices, and its bootstrap over units.

Definitions follow K. Krippendorff (2011), Computing Krippendorff's Alpha-Reliability,
University of Pennsylvania (https://repository.upenn.edu/asc_papers/43). A unit (a pair)
graded by ``m_u >= 2`` raters, ``n_uc`` of them giving grade c, adds to the coincidence matrix

    o_ck = sum_u (n_uc * n_uk - [c == k] * n_uc) / (m_u - 1)

(every ordered pair of its grades from two different raters, weighted 1 / (m_u - 1) so each
unit counts as many values as it has). A unit with one grade pairs with nothing and adds
nothing: that is how alpha handles missing labels. With ``n_c = sum_k o_ck`` and
``n = sum_c n_c``,

    alpha = 1 - D_o / D_e = 1 - (n - 1) * sum_ck o_ck d_ck / sum_ck n_c n_k d_ck

for the distance ``d`` of the level of measurement: nominal ``d_ck = [c != k]``; ordinal
``d_ck = (sum_{g=c..k} n_g - (n_c + n_k) / 2) ** 2``, which uses only the order of the grades
on the scale and how many values each grade holds, never their numeric values.

Alpha depends on the units only through their coincidence matrices, and units with the same
grade counts have the same matrix. The bootstrap therefore draws how often each distinct
count pattern is picked (multinomial, with the patterns' shares as probabilities, exactly the
distribution of drawing units with replacement), multiplies that (B, P) matrix by the (P, k²)
pattern matrices and scores the B coincidence matrices at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._agreement import grade_grid
from ._bootstrap import _interval
from ._exceptions import MetricsInputError
from ._scores import _divide

Level: TypeAlias = Literal["nominal", "ordinal"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal")


def value_counts(grid: NDArray[np.intp], k: int) -> NDArray[np.int64]:
    """(n_units, k): how many raters gave each grade position to each unit of `grid`."""
    units = np.broadcast_to(np.arange(grid.shape[0])[:, None], grid.shape)
    graded = grid >= 0
    flat = units[graded] * k + grid[graded]
    return np.bincount(flat, minlength=grid.shape[0] * k).reshape(grid.shape[0], k)


def coincidences(counts: NDArray[np.int64]) -> NDArray[np.float64]:
    """(..., k, k) coincidence matrix of each unit; zero for a unit with fewer than 2 grades."""
    n = counts.astype(np.float64)
    m = n.sum(-1)
    pairs = n[..., :, None] * n[..., None, :] - n[..., :, None] * np.eye(n.shape[-1])
    # A unit with one grade pairs with nothing: a zero denominator gives it the zero matrix.
    pairable = (m - 1.0) * (m >= 2)
    return np.asarray(_divide(pairs, pairable[..., None, None], 0.0))


def alpha_of(coincidence: NDArray[np.float64], level: Level) -> NDArray[np.float64]:
    """Alpha of each (..., k, k) coincidence matrix at `level`, NaN where undefined.

    Undefined (D_e = 0) when fewer than two values pair, or every paired value is the same
    grade: with no variation there is nothing to agree on beyond chance.
    """
    n_c = coincidence.sum(-1)
    n = n_c.sum(-1)
    d = distances(n_c, level)
    observed = np.einsum("...ck,...ck->...", coincidence, d)
    expected = np.einsum("...c,...ck,...k->...", n_c, d, n_c)
    return np.asarray(1.0 - _divide((n - 1.0) * observed, expected, np.nan))


def distances(n_c: NDArray[np.float64], level: Level) -> NDArray[np.float64]:
    """(..., k, k) squared distances between grade positions for value counts `n_c`."""
    k = n_c.shape[-1]
    if level == "nominal":
        return np.broadcast_to(1.0 - np.eye(k), (*n_c.shape[:-1], k, k))
    if level == "ordinal":
        positions = np.arange(k)
        low = np.minimum.outer(positions, positions)
        high = np.maximum.outer(positions, positions)
        cumulative = np.concatenate([np.zeros((*n_c.shape[:-1], 1)), n_c.cumsum(-1)], axis=-1)
        between = cumulative[..., high + 1] - cumulative[..., low]
        return np.asarray((between - (n_c[..., low] + n_c[..., high]) / 2.0) ** 2)
    raise MetricsInputError(f'level must be "nominal" or "ordinal"; got {level!r}')


def krippendorff_alpha(
    units: ArrayLike,
    raters: ArrayLike,
    grades: ArrayLike,
    labels: Sequence[int],
    *,
    level: Level = "ordinal",
) -> float:
    """Krippendorff's alpha of the grades of a long table, one row per (unit, rater, grade).

    ``alpha = 1 - (n - 1) * sum o_ck d_ck / sum n_c n_k d_ck`` over the coincidence matrix
    ``o`` of the units (see the module docstring): 1 is perfect agreement, 0 agreement at
    chance, below 0 systematic disagreement. Any number of raters, any of them missing on any
    unit: a unit with fewer than two grades does not pair and is left out. ``ordinal`` uses
    Krippendorff's ordinal distance on the order of `labels` (the scale, so an unused grade
    sits between its neighbours); ``nominal`` counts every disagreement alike.

    NaN when alpha is undefined: no unit has two grades (one rater, or raters with no common
    unit), or every paired grade is the same (no variation, D_e = 0). The `krippendorff`
    package raises a ValueError in the first case and divides 0 by 0 in the second.

    References: K. Krippendorff (2011), Computing Krippendorff's Alpha-Reliability; the
    `krippendorff` package (alpha with ``value_domain=labels``) gives the same values.

    Examples
    --------
    Two raters on three units, the third graded once (it does not pair): ``o`` holds two
    (0, 0) coincidences and one each of (1, 2) and (2, 1), so ``n_c = [2, 1, 1]``, ``n = 4``
    and ``alpha = 1 - (4 - 1) * 2 / (4**2 - 2**2 - 1**2 - 1**2) = 1 - 6 / 10``.

    >>> krippendorff_alpha([1, 1, 2, 2, 3], ["a", "b", "a", "b", "a"], [0, 0, 1, 2, 2],
    ...                    [0, 1, 2], level="nominal")
    0.4
    """
    grid, _, scale = grade_grid(units, raters, grades, labels, "units")
    total = coincidences(value_counts(grid, scale.size)).sum(0)
    return float(alpha_of(total, level))


def bootstrap_alphas(
    counts: NDArray[np.int64],
    n_resamples: int,
    confidence_level: float,
    random_state: int | None,
) -> dict[Level, tuple[float, float]]:
    """Percentile interval of alpha at each level over units drawn with replacement.

    `counts` are the (n_units, k) value counts of the pairable units; each draw picks as
    many units as there are. Both levels are scored on the same draws. (NaN, NaN) when there
    is no pairable unit; draws where alpha is undefined are left out of the quantiles.
    """
    if n_resamples < 1:
        raise MetricsInputError(f"n_resamples must be 1 or more, such as 1000; got {n_resamples}")
    if counts.shape[0] == 0:
        # Every draw is empty: NaN bounds, through the same interval code that checks the level.
        alphas: dict[str, NDArray[np.float64]] = {
            level: np.full(n_resamples, np.nan) for level in LEVELS
        }
    else:
        patterns, frequency = np.unique(counts, axis=0, return_counts=True)
        rng = np.random.default_rng(random_state)
        draws = rng.multinomial(counts.shape[0], frequency / counts.shape[0], size=n_resamples)
        k = counts.shape[1]
        per_pattern = coincidences(patterns).reshape(-1, k * k)
        drawn = (draws.astype(np.float64) @ per_pattern).reshape(-1, k, k)
        alphas = {level: alpha_of(drawn, level) for level in LEVELS}
    low, high = _interval(alphas, confidence_level)
    return {level: (float(low[i]), float(high[i])) for i, level in enumerate(LEVELS)}
