"""Team agreement at review scale: alpha with a 1,000-draw bootstrap on 10k pairs x 3 raters.

Prints the seconds of `metrics.team_agreement` (alpha ordinal and nominal, their bootstrap
intervals over pairs, the pairwise kappas) and of the plain loop it replaces: draw the pairs
with replacement and call the `krippendorff` package, 1,000 times, in the same run, for the
ordinal level only (so the ratio understates ours, which scores both levels). The two
intervals are printed side by side: they estimate the same quantiles.

Run: .venv/bin/python bench/team_agreement.py (`--quick`: the package loop on 100 draws,
its time scaled to 1,000)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import krippendorff
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import metrics

N_UNITS, N_RATERS, N_RESAMPLES = 10_000, 3, 1000
MISSING = 0.2  # share of grades a rater did not give
TARGET_RATIO = 50.0
LABELS = [0, 1, 2]
T = TypeVar("T")


def synthesise(seed: int = 0) -> np.ndarray:
    """(raters, units) grades of three reviewers around a common truth, NaN where missing."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(LABELS, N_UNITS, p=[0.26, 0.63, 0.11])
    noise = np.array([0.2, 0.3, 0.45])[:, None]
    grades = np.where(
        rng.random((N_RATERS, N_UNITS)) < noise, rng.choice(LABELS, (N_RATERS, N_UNITS)), truth
    ).astype(float)
    grades[rng.random(grades.shape) < MISSING] = np.nan
    return grades


def timed(label: str, step: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    print(f"  {label:<52} {seconds:8.3f} s")
    return result, seconds


def package_loop(reliability: np.ndarray, seed: int, n_draws: int) -> np.ndarray:
    """The straightforward bootstrap: per draw, pick units with replacement, call the package."""
    rng = np.random.default_rng(seed)
    n_units = reliability.shape[1]
    return np.array(
        [
            krippendorff.alpha(
                reliability[:, rng.integers(n_units, size=n_units)],
                value_domain=LABELS,
                level_of_measurement="ordinal",
            )
            for _ in range(n_draws)
        ]
    )


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # each line as it finishes, piped too
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="the package loop on 100 draws, scaled to 1,000"
    )
    loop_draws = 100 if parser.parse_args().quick else N_RESAMPLES
    reliability = synthesise()
    # The package resamples every unit; ours resamples the pairable ones. Keep only those so
    # both draw from the same units.
    reliability = reliability[:, (~np.isnan(reliability)).sum(axis=0) >= 2]
    rater, unit = np.nonzero(~np.isnan(reliability))
    table = pd.DataFrame({"unit": unit, "rater": rater, "grade": reliability[rater, unit]})
    table["grade"] = table["grade"].astype(int)
    print(f"{reliability.shape[1]:,} pairs with 2+ grades, {N_RATERS} raters, scale {LABELS}")

    print("ours:")
    team, ours = timed(
        f"team_agreement, {N_RESAMPLES} draws, ordinal + nominal",
        lambda: metrics.team_agreement(
            table.unit, table.rater, table.grade, LABELS, n_resamples=N_RESAMPLES
        ),
    )
    _, one_ours = timed(
        "krippendorff_alpha once (ordinal)",
        lambda: metrics.krippendorff_alpha(table.unit, table.rater, table.grade, LABELS),
    )
    print("baseline: the krippendorff package:")
    _, one_package = timed(
        "alpha once (ordinal)",
        lambda: krippendorff.alpha(
            reliability, value_domain=LABELS, level_of_measurement="ordinal"
        ),
    )
    draws, loop = timed(
        f"{loop_draws} draws of units, alpha each (ordinal)",
        lambda: package_loop(reliability, 1, loop_draws),
    )
    if loop_draws != N_RESAMPLES:
        loop *= N_RESAMPLES / loop_draws
        print(f"  {f'scaled to {N_RESAMPLES} draws':<52} {loop:8.3f} s")
    low, high = np.quantile(draws, [0.025, 0.975])
    print(
        f"ordinal alpha {team.alpha_ordinal:.4f}: ours [{team.alpha_ordinal_ci[0]:.4f}, "
        f"{team.alpha_ordinal_ci[1]:.4f}], package loop [{low:.4f}, {high:.4f}]"
    )
    ratio = loop / ours
    print(
        f"one alpha: {one_package / one_ours:.1f}x the package's speed; bootstrap: "
        f"{ratio:.0f}x faster than the package loop; target at least {TARGET_RATIO:.0f}x: "
        f"{'met' if ratio >= TARGET_RATIO else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
