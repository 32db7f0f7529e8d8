"""How well a review team agrees: alpha across the humans, kappa per pair, the judge beside them.

The input is one long table, one row per (unit, rater, grade): every reviewer's grades, and
optionally the judge's and the adjudicated labels as rows under their own rater names. Alpha
is a property of the humans only; the pairwise table puts the judge and the adjudicated label
next to them, so "is the judge as good as a human?" reads off one table.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ._agreement import grade_grid, rater_pairs
from ._exceptions import MetricsInputError
from ._krippendorff import alpha_of, bootstrap_alphas, coincidences, value_counts

# Row order of the pairwise table: the humans among themselves first, then the judge beside
# them, then both against the adjudicated label.
KIND_ORDER = ["human-human", "judge-human", "human-adjudicated", "judge-adjudicated"]


@dataclass(frozen=True)
class TeamAgreement:
    """Agreement figures of a review team, from `team_agreement`.

    Attributes
    ----------
    alpha_ordinal, alpha_nominal : float
        Krippendorff's alpha across the human raters (`krippendorff_alpha`), NaN if undefined.
    alpha_ordinal_ci, alpha_nominal_ci : tuple of float
        Percentile bootstrap interval over units; (NaN, NaN) with no pairable unit.
    n_units : int
        Units with two or more human grades, the only ones alpha counts.
    n_raters : int
        Human raters (every rater but the judge and the adjudicated label).
    pairwise : DataFrame
        One row per two raters with common units: ``rater_a``, ``rater_b``, ``kind``
        (``human-human``, ``judge-human``, ``human-adjudicated`` or ``judge-adjudicated``; the
        human is ``rater_a``, the judge ``rater_b`` beside a human, the adjudicated label
        always ``rater_b``), ``n_pairs`` (common units), ``kappa`` (Cohen's unweighted),
        ``kappa_quadratic`` and ``agreement`` (share graded alike). Kappas are NaN where
        undefined (both raters used one grade).
    human_range : tuple of float
        Lowest and highest defined human-human ``kappa_quadratic``; (NaN, NaN) if none.
    judge_in_human_range : bool or None
        Whether `judge_kappa` reaches the humans' range (see `team_agreement`); None without
        a judge, without a defined human-human kappa or without a defined judge-human kappa.
    judge_kappa : float
        Mean of the judge's defined ``judge-human`` ``kappa_quadratic``; NaN if none.
    """

    alpha_ordinal: float
    alpha_ordinal_ci: tuple[float, float]
    alpha_nominal: float
    alpha_nominal_ci: tuple[float, float]
    n_units: int
    n_raters: int
    pairwise: pd.DataFrame
    human_range: tuple[float, float]
    judge_in_human_range: bool | None
    judge_kappa: float = float("nan")


def team_agreement(
    units: ArrayLike,
    raters: ArrayLike,
    grades: ArrayLike,
    labels: Sequence[int],
    *,
    judge: Hashable | None = None,
    adjudicated: Hashable | None = None,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    random_state: int | None = 0,
) -> TeamAgreement:
    """Alpha across the human raters with its interval, and kappa for every two raters.

    Rows whose rater is `judge` or `adjudicated` are the judge's grades and the final
    adjudicated labels: they appear in the pairwise table but never in alpha nor in the
    human range. The judge must be among the raters (a judge with no rows is a mistake in
    the call); the adjudicated label may be absent (nothing adjudicated yet).

    Each pairwise kappa is Cohen's (J. Cohen 1960, A coefficient of agreement for nominal
    scales; weighted: J. Cohen 1968) over all units the two raters share, so a judge that
    graded every unit is compared with each human on all of that human's units.

    The judge is as good as a human when its kappa with the humans (the mean of its
    judge-human quadratic kappas) reaches the range of the human-human quadratic kappas:
    ``judge_in_human_range`` is True when it is at least the lowest of them. A judge above
    the highest agrees with the humans better than they agree with each other, which is
    no worse than a human, so it is True too.

    The interval of alpha resamples the pairable units with replacement (`n_resamples`
    draws, seeded by `random_state`) and takes the percentile interval at
    `confidence_level`; see `metrics._krippendorff` for the vectorised draw.

    References: K. Krippendorff (2011), Computing Krippendorff's Alpha-Reliability;
    B. Efron and R. Tibshirani (1993), An Introduction to the Bootstrap, ch. 13.

    Examples
    --------
    >>> team = team_agreement(
    ...     ["p1", "p1", "p1", "p2", "p2", "p2", "p3", "p3", "p3"],
    ...     ["ann", "bob", "judge"] * 3,
    ...     [2, 2, 2, 0, 1, 0, 1, 1, 1],
    ...     [0, 1, 2], judge="judge", n_resamples=100)
    >>> team.n_units, team.n_raters, round(team.alpha_nominal, 3)
    (3, 2, 0.545)
    >>> for row in team.pairwise[["rater_a", "rater_b", "kind", "kappa"]].values.tolist():
    ...     print(*row)
    ann bob human-human 0.5
    ann judge judge-human 1.0
    bob judge judge-human 0.5
    >>> team.human_range, team.judge_kappa, team.judge_in_human_range
    ((0.6666666666666667, 0.6666666666666667), 0.8333333333333334, True)
    """
    grid, names, scale = grade_grid(units, raters, grades, labels, "units")
    present = set(names.tolist())
    if judge is not None and judge not in present:
        raise MetricsInputError(
            f"judge {judge!r} is not among the raters {names.tolist()}; append the judge's "
            "grades as rows with that rater name, or pass judge=None"
        )
    if judge is not None and judge == adjudicated:
        raise MetricsInputError(
            f"judge and adjudicated are both {judge!r}; give the adjudicated labels their own "
            "rater name"
        )
    roles = np.array(
        [
            "judge" if name == judge else "adjudicated" if name == adjudicated else "human"
            for name in names.tolist()
        ],
        dtype=str,
    )
    counts = value_counts(grid[:, roles == "human"], scale.size)
    pairable = counts[counts.sum(1) >= 2]
    total = coincidences(pairable).sum(0)
    intervals = bootstrap_alphas(pairable, n_resamples, confidence_level, random_state)
    pairwise = rater_pairs(grid, names, roles, scale.size)
    pairwise = pairwise.sort_values(
        "kind", key=lambda kind: kind.map(KIND_ORDER.index), kind="stable"
    ).reset_index(drop=True)
    humans = pairwise.loc[pairwise["kind"] == "human-human", "kappa_quadratic"].dropna()
    human_range = (float(humans.min()), float(humans.max())) if len(humans) else (np.nan, np.nan)
    judged = pairwise.loc[pairwise["kind"] == "judge-human", "kappa_quadratic"].dropna()
    judge_kappa = float(judged.mean()) if len(judged) else np.nan
    undecided = np.isnan([judge_kappa, human_range[0]]).any()
    in_range = None if undecided else judge_kappa >= human_range[0]
    return TeamAgreement(
        alpha_ordinal=float(alpha_of(total, "ordinal")),
        alpha_ordinal_ci=intervals["ordinal"],
        alpha_nominal=float(alpha_of(total, "nominal")),
        alpha_nominal_ci=intervals["nominal"],
        n_units=len(pairable),
        n_raters=int((roles == "human").sum()),
        pairwise=pairwise,
        human_range=human_range,
        judge_in_human_range=in_range,
        judge_kappa=judge_kappa,
    )
