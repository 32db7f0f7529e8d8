"""Agreement among several raters: human-human kappa next to judge-human kappa."""

from __future__ import annotations

import warnings
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk
from sklearn.exceptions import UndefinedMetricWarning

import metrics

LABELS = [0, 1, 2]


def long_table(seed: int) -> pd.DataFrame:
    """Three humans each grading a random subset of 80 pairs, and a judge grading them all."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(LABELS, 80, p=[0.3, 0.4, 0.3])
    rows = []
    for rater, noise in (("ann", 0.2), ("bob", 0.3), ("cy", 0.4), ("judge", 0.5)):
        graded = np.arange(80) if rater == "judge" else np.flatnonzero(rng.random(80) < 0.6)
        grades = np.where(
            rng.random(graded.size) < noise, rng.choice(LABELS, graded.size), truth[graded]
        )
        rows.append(pd.DataFrame({"pair_id": graded, "rater": rater, "grade": grades}))
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("seed", range(10))
def test_pairwise_kappas_match_sklearn_on_multiply_graded_pairs(seed: int) -> None:
    table = long_table(seed)
    result = metrics.rater_agreement(table.pair_id, table.rater, table.grade, LABELS, judge="judge")
    wide = table.pivot(index="pair_id", columns="rater", values="grade")
    wide = wide[wide[["ann", "bob", "cy"]].notna().sum(axis=1) >= 2]
    assert result.n_pairs == len(wide)
    expected_rows = []
    for a, b in combinations(["ann", "bob", "cy", "judge"], 2):
        both = wide[[a, b]].dropna().astype(int)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            kappa = sk.cohen_kappa_score(both[a], both[b], labels=LABELS, weights="quadratic")
        kind = "judge-human" if "judge" in (a, b) else "human-human"
        expected_rows.append((a, b, kind, len(both), kappa))
    got = list(result.pairwise.itertuples(index=False, name=None))
    assert [row[:4] for row in got] == [row[:4] for row in expected_rows]
    assert [row[4] for row in got] == pytest.approx([row[4] for row in expected_rows])
    humans = result.pairwise[result.pairwise.kind == "human-human"].kappa_quadratic
    judges = result.pairwise[result.pairwise.kind == "judge-human"].kappa_quadratic
    assert result.human_human_kappa == pytest.approx(humans.mean())
    assert result.judge_human_kappa == pytest.approx(judges.mean())


def test_pairs_with_one_human_grade_are_left_out_for_the_judge_too() -> None:
    result = metrics.rater_agreement(
        ["p1", "p1", "p1", "p2", "p2", "p2", "p3", "p3", "p4", "p4"],
        ["ann", "bob", "judge", "ann", "bob", "judge", "ann", "judge", "bob", "judge"],
        [2, 2, 2, 0, 1, 0, 1, 2, 0, 2],
        LABELS,
        judge="judge",
    )
    assert result.n_pairs == 2  # p3 and p4 have one human grade each
    assert result.pairwise.n_pairs.tolist() == [2, 2, 2]


def test_judge_is_optional_and_must_be_a_rater() -> None:
    result = metrics.rater_agreement([1, 1, 2, 2], ["a", "b", "a", "b"], [0, 0, 2, 1], LABELS)
    assert result.pairwise.kind.tolist() == ["human-human"]
    assert np.isnan(result.judge_human_kappa)
    with pytest.raises(metrics.MetricsInputError, match="judge 'run-7' is not among the raters"):
        metrics.rater_agreement([1, 1], ["a", "b"], [0, 0], LABELS, judge="run-7")


def test_two_grades_from_one_rater_for_one_pair_are_refused() -> None:
    with pytest.raises(metrics.MetricsInputError, match="pair 'p1' has 2 grades from rater 'a'"):
        metrics.rater_agreement(["p1", "p1", "p1"], ["a", "a", "b"], [0, 1, 1], LABELS)
