"""Is the judge inside human disagreement? Human-human kappa next to judge-human kappa."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ._confusion import count_pairs
from ._exceptions import MetricsInputError
from ._scores import accuracy, cohen_kappa
from ._validate import check_labels, check_same_length, encode, factorize, plain


@dataclass(frozen=True)
class RaterAgreement:
    """Pairwise kappas between raters on the pairs that two or more humans graded.

    Attributes
    ----------
    pairwise : DataFrame
        One row per two raters with common pairs: ``rater_a``, ``rater_b`` (the judge,
        when one of the two is), ``kind`` (``human-human`` or ``judge-human``), ``n_pairs``
        and ``kappa_quadratic`` (NaN where undefined).
    human_human_kappa, judge_human_kappa : float
        Unweighted mean of the defined kappas of each kind (Light's kappa for the humans);
        NaN when there is none.
    n_pairs : int
        Pairs with two or more human grades, the only pairs compared.
    """

    pairwise: pd.DataFrame
    human_human_kappa: float
    judge_human_kappa: float
    n_pairs: int


def rater_agreement(
    pair_ids: ArrayLike,
    raters: ArrayLike,
    grades: ArrayLike,
    labels: Sequence[int],
    *,
    judge: Hashable | None = None,
) -> RaterAgreement:
    """Quadratic kappa for every two raters over the multiply-graded pairs they share.

    The input is a long table, one row per (pair, rater, grade). The judge is one more rater,
    named by `judge`: append its grades as rows with that rater name. Only pairs graded by
    two or more humans count, for the judge too, so judge-human kappas are measured on the
    same pairs as human-human ones: a judge whose mean kappa reaches the humans' mean agrees
    with them as well as they agree with each other.

    References: R. J. Light (1971), Measures of response agreement for qualitative data,
    Psychological Bulletin 76(5) (mean of pairwise kappas).

    Examples
    --------
    >>> result = rater_agreement(
    ...     ["p1", "p1", "p1", "p2", "p2", "p2", "p3", "p3", "p3"],
    ...     ["ann", "bob", "judge"] * 3,
    ...     [2, 2, 2, 0, 1, 0, 1, 1, 1],
    ...     [0, 1, 2], judge="judge")
    >>> result.pairwise[["rater_a", "rater_b", "kappa_quadratic"]].round(3).values.tolist()
    [['ann', 'bob', 0.667], ['ann', 'judge', 1.0], ['bob', 'judge', 0.667]]
    >>> result.n_pairs, round(result.human_human_kappa, 3), round(result.judge_human_kappa, 3)
    (3, 0.667, 0.833)
    """
    grid, names, scale = grade_grid(pair_ids, raters, grades, labels, "pair_ids")
    if judge is not None and judge not in set(names.tolist()):
        raise MetricsInputError(
            f"judge {judge!r} is not among the raters {names.tolist()}; append the judge's "
            "grades as rows with that rater name"
        )
    roles = np.array(["judge" if name == judge else "human" for name in names.tolist()])
    grid = grid[(grid[:, roles == "human"] >= 0).sum(axis=1) >= 2]
    pairwise = rater_pairs(grid, names, roles, scale.size)[
        ["rater_a", "rater_b", "kind", "n_pairs", "kappa_quadratic"]
    ]
    return RaterAgreement(
        pairwise=pairwise,
        human_human_kappa=_mean_kappa(pairwise, "human-human"),
        judge_human_kappa=_mean_kappa(pairwise, "judge-human"),
        n_pairs=int(grid.shape[0]),
    )


# A rater's role orders the two raters of a row (the human first, the adjudicated label last)
# and names the row's kind.
_ROLE_ORDER = {"human": 0, "judge": 1, "adjudicated": 2}
_KINDS = {
    ("human", "human"): "human-human",
    ("human", "judge"): "judge-human",
    ("human", "adjudicated"): "human-adjudicated",
    ("judge", "adjudicated"): "judge-adjudicated",
}
RATER_PAIR_COLUMNS = [
    "rater_a",
    "rater_b",
    "kind",
    "n_pairs",
    "kappa",
    "kappa_quadratic",
    "agreement",
]


def rater_pairs(
    grid: NDArray[np.intp], names: NDArray[np.generic], roles: NDArray[np.str_], k: int
) -> pd.DataFrame:
    """One row per two raters who graded common units of `grid` (`RATER_PAIR_COLUMNS`).

    ``kappa`` is Cohen's unweighted kappa (J. Cohen 1960, A coefficient of agreement for
    nominal scales, Educational and Psychological Measurement 20(1)), ``kappa_quadratic`` the
    quadratic weighted one (`cohen_kappa`), ``agreement`` the share of common units graded
    alike; ``kind`` comes from the two raters' `roles` (human, judge, adjudicated).
    """
    rows = []
    for a, b in combinations(range(names.size), 2):
        if _ROLE_ORDER[roles[a]] > _ROLE_ORDER[roles[b]]:
            a, b = b, a
        both = (grid[:, a] >= 0) & (grid[:, b] >= 0)
        if not both.any():
            continue
        common = np.zeros(both.sum(), np.intp)
        counts = count_pairs(grid[both, a], grid[both, b], common, 1, k)[0]
        rows.append(
            {
                "rater_a": plain(names[a]),
                "rater_b": plain(names[b]),
                "kind": _KINDS[roles[a], roles[b]],
                "n_pairs": int(both.sum()),
                "kappa": float(cohen_kappa(counts, None)),
                "kappa_quadratic": float(cohen_kappa(counts)),
                "agreement": float(accuracy(counts)),
            }
        )
    return pd.DataFrame(rows, columns=RATER_PAIR_COLUMNS)


def grade_grid(
    units: ArrayLike, raters: ArrayLike, grades: ArrayLike, labels: Sequence[int], name: str
) -> tuple[NDArray[np.intp], NDArray[np.generic], NDArray[np.int64]]:
    """A long table of grades as a (units, raters) grid of grade positions, -1 where missing.

    Returns the grid, the sorted rater names of its columns and the checked scale. `name`
    names the unit column in messages. One grade per unit and rater: a second one is refused.
    """
    scale = check_labels(labels)
    grade_positions = encode(grades, scale, "grades")
    unit_codes, unit_keys = factorize(units, name)
    rater_codes, names = factorize(raters, "raters")
    check_same_length(grade_positions, unit_codes, rater_codes)
    grid = _grade_grid(unit_codes, rater_codes, grade_positions, unit_keys, names)
    return grid, names, scale


def _grade_grid(
    pair_codes: NDArray[np.intp],
    rater_codes: NDArray[np.intp],
    grade_positions: NDArray[np.intp],
    pairs: NDArray[np.generic],
    names: NDArray[np.generic],
) -> NDArray[np.intp]:
    """(n_pairs, n_raters) grade positions, -1 where a rater did not grade a pair."""
    flat = pair_codes * names.size + rater_codes
    _, first, counts = np.unique(flat, return_index=True, return_counts=True)
    if np.any(counts > 1):
        row = first[np.argmax(counts > 1)]
        raise MetricsInputError(
            f"pair {plain(pairs[pair_codes[row]])!r} has {counts.max()} grades from rater "
            f"{plain(names[rater_codes[row]])!r}; pass one current grade per rater and pair"
        )
    grid = np.full((pairs.size, names.size), -1, dtype=np.intp)
    grid[pair_codes, rater_codes] = grade_positions
    return grid


def _mean_kappa(pairwise: pd.DataFrame, kind: str) -> float:
    kappas = pairwise.loc[pairwise["kind"] == kind, "kappa_quadratic"].dropna()
    return float(kappas.mean()) if len(kappas) else float("nan")
