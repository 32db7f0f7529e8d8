"""Team agreement: alpha against the krippendorff package, pairwise kappa against scikit-learn."""

from __future__ import annotations

import warnings
from itertools import combinations

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk
from sklearn.exceptions import UndefinedMetricWarning

import metrics

SCALES = ([0, 1, 2], [0, 1, 2, 3], [1, 2, 3, 4, 5])
LEVELS = ("nominal", "ordinal")

# K. Krippendorff (2011), Computing Krippendorff's Alpha-Reliability, section C: 4 observers,
# 12 units, values 1-5, missing values as NaN. The paper's alphas: nominal 0.743, ordinal 0.815.
PAPER = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
        [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan],
    ]
)


def long_from_wide(reliability: np.ndarray) -> pd.DataFrame:
    """The package's (raters, units) matrix with NaN for missing as our long table."""
    rater, unit = np.nonzero(~np.isnan(reliability))
    return pd.DataFrame(
        {"unit": unit, "rater": rater, "grade": reliability[rater, unit].astype(int)}
    )


def random_reliability(seed: int) -> tuple[list[int], np.ndarray]:
    """2-6 raters grading a noisy truth on a random scale, 0-70% of grades missing."""
    rng = np.random.default_rng(seed)
    scale = SCALES[seed % len(SCALES)]
    n_units = (3, 12, 40, 250)[seed % 4]
    n_raters = int(rng.integers(2, 7))
    truth = rng.choice(scale, n_units)
    noise = rng.uniform(0.0, 1.0, (n_raters, 1))
    grades = np.where(
        rng.random((n_raters, n_units)) < noise, rng.choice(scale, (n_raters, n_units)), truth
    ).astype(float)
    grades[rng.random((n_raters, n_units)) < rng.uniform(0.0, 0.7)] = np.nan
    return scale, grades


def package_alpha(reliability: np.ndarray, scale: list[int], level: str) -> float:
    """The krippendorff package's alpha, NaN where it refuses (no unit with two grades)."""
    try:
        with np.errstate(invalid="ignore", divide="ignore"):
            return float(
                krippendorff.alpha(reliability, value_domain=scale, level_of_measurement=level)
            )
    except ValueError:
        return float("nan")


@pytest.mark.parametrize("seed", range(120))
def test_alpha_matches_the_krippendorff_package_on_random_data_with_missing_grades(
    seed: int,
) -> None:
    scale, reliability = random_reliability(seed)
    table = long_from_wide(reliability)
    for level in LEVELS:
        ours = metrics.krippendorff_alpha(table.unit, table.rater, table.grade, scale, level=level)
        np.testing.assert_allclose(
            ours, package_alpha(reliability, scale, level), rtol=1e-10, atol=1e-12
        )


def test_alpha_of_the_worked_example_in_krippendorffs_paper() -> None:
    table = long_from_wide(PAPER)
    nominal = metrics.krippendorff_alpha(
        table.unit, table.rater, table.grade, [1, 2, 3, 4, 5], level="nominal"
    )
    ordinal = metrics.krippendorff_alpha(table.unit, table.rater, table.grade, [1, 2, 3, 4, 5])
    assert round(nominal, 3) == 0.743
    assert round(ordinal, 3) == 0.815
    team = metrics.team_agreement(table.unit, table.rater, table.grade, [1, 2, 3, 4, 5])
    assert (team.alpha_nominal, team.alpha_ordinal) == (nominal, ordinal)
    assert (team.n_units, team.n_raters) == (11, 4)  # unit 12 has one value: it does not pair


def test_ordinal_alpha_reads_the_order_of_the_scale_not_its_values() -> None:
    table = long_from_wide(PAPER)
    recoded = table.grade.map({1: 1, 2: 2, 3: 3, 4: 10, 5: 50})
    on_values = metrics.krippendorff_alpha(table.unit, table.rater, table.grade, [1, 2, 3, 4, 5])
    on_ranks = metrics.krippendorff_alpha(table.unit, table.rater, recoded, [1, 2, 3, 10, 50])
    assert on_ranks == pytest.approx(on_values)
    # Grades nobody used are part of the scale and of the package's value domain alike.
    wider = metrics.krippendorff_alpha(table.unit, table.rater, table.grade, list(range(8)))
    assert wider == pytest.approx(package_alpha(PAPER, list(range(8)), "ordinal"))


def team_table(seed: int, n_units: int = 120) -> pd.DataFrame:
    """Three reviewers on overlapping subsets, a judge on every unit, some units adjudicated."""
    rng = np.random.default_rng(seed)
    scale = [0, 1, 2]
    truth = rng.choice(scale, n_units, p=[0.3, 0.4, 0.3])
    rows = []
    for rater, noise, share in (
        ("ann", 0.2, 0.6),
        ("bob", 0.35, 0.6),
        ("cy", 0.5, 0.5),
        ("judge", 0.4, 1.0),
        ("final", 0.05, 0.3),
    ):
        graded = np.flatnonzero(rng.random(n_units) < share)
        grades = np.where(
            rng.random(graded.size) < noise, rng.choice(scale, graded.size), truth[graded]
        )
        rows.append(pd.DataFrame({"unit": graded, "rater": rater, "grade": grades}))
    return pd.concat(rows, ignore_index=True)


def sklearn_kappa(a: pd.Series, b: pd.Series, weights: str | None) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        return float(sk.cohen_kappa_score(a, b, labels=[0, 1, 2], weights=weights))


def expected_kind(a: str, b: str) -> str:
    """Kind of a row whose raters come in the order humans, judge, adjudicated ("final")."""
    if b == "final":
        return "judge-adjudicated" if a == "judge" else "human-adjudicated"
    return "judge-human" if b == "judge" else "human-human"


@pytest.mark.parametrize("seed", range(15))
def test_pairwise_kappas_match_sklearn_on_every_two_raters(seed: int) -> None:
    table = team_table(seed, n_units=int(np.random.default_rng(seed).integers(8, 150)))
    team = metrics.team_agreement(
        table.unit,
        table.rater,
        table.grade,
        [0, 1, 2],
        judge="judge",
        adjudicated="final",
        n_resamples=50,
    )
    wide = table.pivot(index="unit", columns="rater", values="grade")
    expected = []
    for a, b in combinations(["ann", "bob", "cy", "judge", "final"], 2):
        both = wide[[a, b]].dropna().astype(int)
        if both.empty:
            continue
        expected.append(
            {
                "rater_a": a,
                "rater_b": b,
                "kind": expected_kind(a, b),
                "n_pairs": len(both),
                "kappa": sklearn_kappa(both[a], both[b], None),
                "kappa_quadratic": sklearn_kappa(both[a], both[b], "quadratic"),
                "agreement": sk.accuracy_score(both[a], both[b]),
            }
        )
    order = ["human-human", "judge-human", "human-adjudicated", "judge-adjudicated"]
    expected_frame = (
        pd.DataFrame(expected)
        .sort_values("kind", key=lambda kind: kind.map(order.index), kind="stable")
        .reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(team.pairwise, expected_frame, check_exact=False, rtol=1e-10)
    # The judge's and the adjudicated grades stay out of alpha and out of the human range.
    humans = table[table.rater.isin(["ann", "bob", "cy"])]
    assert team.alpha_ordinal == pytest.approx(
        metrics.krippendorff_alpha(humans.unit, humans.rater, humans.grade, [0, 1, 2]),
        nan_ok=True,
    )
    human_kappas = expected_frame[expected_frame.kind == "human-human"].kappa_quadratic.dropna()
    assert team.human_range == pytest.approx((human_kappas.min(), human_kappas.max()))
    assert team.n_raters == 3
    assert team.n_units == int((wide[["ann", "bob", "cy"]].notna().sum(axis=1) >= 2).sum())


def planted(judge_noise: float, n_units: int = 3000) -> metrics.TeamAgreement:
    """Humans at noise 0.2, 0.3, 0.5 (kappas far apart) and a judge at `judge_noise`."""
    rng = np.random.default_rng(7)
    truth = rng.choice([0, 1, 2], n_units)
    rows = []
    for rater, noise in (("ann", 0.2), ("bob", 0.3), ("cy", 0.5), ("judge", judge_noise)):
        grades = np.where(rng.random(n_units) < noise, rng.choice([0, 1, 2], n_units), truth)
        rows.append(pd.DataFrame({"unit": np.arange(n_units), "rater": rater, "grade": grades}))
    table = pd.concat(rows)
    return metrics.team_agreement(
        table.unit, table.rater, table.grade, [0, 1, 2], judge="judge", n_resamples=200
    )


def test_a_judge_inside_the_humans_range_is_as_good_as_a_human() -> None:
    inside = planted(0.35)
    low, high = inside.human_range
    assert low < inside.judge_kappa < high
    assert inside.judge_in_human_range is True
    judged = inside.pairwise[inside.pairwise.kind == "judge-human"]
    assert judged.rater_b.tolist() == ["judge"] * 3
    assert inside.judge_kappa == pytest.approx(judged.kappa_quadratic.mean())

    guessing = planted(1.0)  # grades at random: kappa near 0
    assert guessing.judge_kappa < 0.1 < guessing.human_range[0]
    assert guessing.judge_in_human_range is False

    # Above every human pair is no worse than a human.
    better = planted(0.0)
    assert better.judge_kappa > better.human_range[1]
    assert better.judge_in_human_range is True


def test_judge_in_range_is_undecided_without_a_judge_or_a_human_pair() -> None:
    no_judge = metrics.team_agreement([1, 1, 2, 2], ["a", "b", "a", "b"], [0, 1, 2, 2], [0, 1, 2])
    assert no_judge.judge_in_human_range is None
    one_human = metrics.team_agreement(
        [1, 1, 2, 2], ["a", "judge", "a", "judge"], [0, 1, 2, 2], [0, 1, 2], judge="judge"
    )
    assert one_human.judge_in_human_range is None
    assert np.isnan(one_human.human_range).all()
    assert one_human.pairwise.kind.tolist() == ["judge-human"]


def alpha_interval(n_units: int, seed: int = 3) -> tuple[float, tuple[float, float]]:
    table = team_table(seed, n_units)
    team = metrics.team_agreement(
        table.unit, table.rater, table.grade, [0, 1, 2], judge="judge", adjudicated="final"
    )
    return team.alpha_ordinal, team.alpha_ordinal_ci


def test_the_interval_holds_the_estimate_and_narrows_with_more_units() -> None:
    small, (small_low, small_high) = alpha_interval(60)
    large, (large_low, large_high) = alpha_interval(3000)
    assert small_low <= small <= small_high
    assert large_low <= large <= large_high
    assert large_high - large_low < (small_high - small_low) / 3  # about sqrt(50) narrower


def test_the_interval_is_seeded_and_covers_both_levels() -> None:
    table = team_table(5, 200)
    args = (table.unit, table.rater, table.grade, [0, 1, 2])
    first = metrics.team_agreement(*args, judge="judge", adjudicated="final", random_state=1)
    again = metrics.team_agreement(*args, judge="judge", adjudicated="final", random_state=1)
    other = metrics.team_agreement(*args, judge="judge", adjudicated="final", random_state=2)
    assert first.alpha_nominal_ci == again.alpha_nominal_ci
    assert first.alpha_ordinal_ci != other.alpha_ordinal_ci
    low, high = first.alpha_nominal_ci
    assert low <= first.alpha_nominal <= high
    wider = metrics.team_agreement(
        *args, judge="judge", adjudicated="final", confidence_level=0.99, random_state=1
    )
    assert wider.alpha_nominal_ci[0] <= low and high <= wider.alpha_nominal_ci[1]


def test_the_bootstrap_draws_alpha_as_resampling_units_with_the_package_does() -> None:
    """Our draws (count patterns) against a plain loop: draw units, call the package."""
    rng = np.random.default_rng(11)
    scale, reliability = random_reliability(3)  # 250 units
    reliability = reliability[:, (~np.isnan(reliability)).sum(axis=0) >= 2]
    table = long_from_wide(reliability)
    team = metrics.team_agreement(
        table.unit, table.rater, table.grade, scale, n_resamples=4000, random_state=0
    )
    n_units = reliability.shape[1]
    loop = [
        package_alpha(reliability[:, rng.integers(n_units, size=n_units)], scale, "ordinal")
        for _ in range(1000)
    ]
    low, high = np.quantile(loop, [0.025, 0.975])
    width = high - low
    assert team.alpha_ordinal_ci == pytest.approx((low, high), abs=width / 10)


def test_no_pairable_unit_gives_nan_never_a_crash() -> None:
    labels = [0, 1, 2]
    cases = {
        "one rater": ([1, 2, 3], ["a", "a", "a"], [0, 1, 2]),
        "no overlap": ([1, 2, 3, 4], ["a", "a", "b", "b"], [0, 1, 2, 0]),
        "no grades": ([], [], []),
    }
    for units, raters, grades in cases.values():
        assert np.isnan(metrics.krippendorff_alpha(units, raters, grades, labels))
        team = metrics.team_agreement(units, raters, grades, labels, adjudicated="final")
        assert np.isnan([team.alpha_ordinal, team.alpha_nominal]).all()
        assert np.isnan([*team.alpha_ordinal_ci, *team.alpha_nominal_ci, *team.human_range]).all()
        assert team.n_units == 0
        assert team.pairwise.empty
        assert team.judge_in_human_range is None


def test_all_equal_grades_have_no_variation_to_agree_on() -> None:
    team = metrics.team_agreement([1, 1, 2, 2], ["a", "b", "a", "b"], [2, 2, 2, 2], [0, 1, 2])
    assert np.isnan([team.alpha_ordinal, team.alpha_nominal]).all()
    assert np.isnan([*team.alpha_ordinal_ci, *team.human_range]).all()
    row = team.pairwise.iloc[0]
    assert (row.n_pairs, row.agreement) == (2, 1.0)
    assert np.isnan([row.kappa, row.kappa_quadratic]).all()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: metrics.team_agreement([1, 1], ["a", "b"], [0, 0], [0, 1], judge="run-7"),
            "judge 'run-7' is not among the raters",
        ),
        (
            lambda: metrics.team_agreement(
                [1, 1], ["a", "j"], [0, 0], [0, 1], judge="j", adjudicated="j"
            ),
            "judge and adjudicated are both 'j'",
        ),
        (
            lambda: metrics.team_agreement([1, 1, 1], ["a", "a", "b"], [0, 1, 1], [0, 1]),
            "pair 1 has 2 grades from rater 'a'",
        ),
        (
            lambda: metrics.krippendorff_alpha([1, 1], ["a", "b"], [0, 3], [0, 1, 2]),
            r"grades\[1\] = 3 is not a grade on the scale \[0, 1, 2\]",
        ),
        (
            lambda: metrics.krippendorff_alpha([1, 1], ["a", "b"], [0, np.nan], [0, 1, 2]),
            "grades has 1 missing grades",
        ),
        (
            lambda: metrics.krippendorff_alpha([1, 1], ["a", "b"], [0, 1], [0, 1], level="ratio"),
            'level must be "nominal" or "ordinal"',
        ),
        (
            lambda: metrics.team_agreement([1, 1], ["a", "b"], [0, 1], [0, 1], n_resamples=0),
            "n_resamples must be 1 or more",
        ),
        (
            lambda: metrics.team_agreement([1, 1], ["a", "b"], [0, 1], [0, 1], confidence_level=95),
            r"level is a coverage in \(0, 1\)",
        ),
    ],
)
def test_bad_input_is_refused_with_a_message_that_says_what_to_do(call, message: str) -> None:
    with pytest.raises(metrics.MetricsInputError, match=message):
        call()
