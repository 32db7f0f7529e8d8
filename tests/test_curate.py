"""The shared curation rules (`storage.training._curate`): quotas, shares, the validation
split."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_splits import GRADES, synthetic_pairs

import storage
from storage.training._curate import (
    Curation,
    apportion,
    curate,
    rebalance_quotas,
    target_shares,
    validation_count,
)


def labelled(queries=60, seed=7):
    return synthetic_pairs(queries, seed).dropna().astype({"grade": "int64"})


def test_quotas_of_a_worked_example_use_the_largest_remainder():
    # Grade 2 limits the total: 5 / 0.3 = 16.7, so 16 pairs; exact parts 4.8, 6.4, 4.8.
    # Flooring would keep 4 + 6 + 4 = 14; the two spare rows go to the largest remainders
    # (0.8 and 0.8, grades 0 and 2), not to grade 1 (0.4).
    quotas = rebalance_quotas({0: 10, 1: 30, 2: 5}, {0: 0.3, 1: 0.4, 2: 0.3})
    assert quotas == {0: 5, 1: 6, 2: 5}


def test_quotas_sum_exactly_and_never_exceed_the_counts():
    rng = np.random.default_rng(0)
    for _ in range(500):
        counts = {g: int(n) for g, n in zip(GRADES, rng.integers(1, 200, size=3))}
        weights = {g: float(w) for g, w in zip(GRADES, rng.random(3))}
        shares = target_shares(weights, GRADES)
        quotas = rebalance_quotas(counts, shares)
        total = min(math.floor(counts[g] / s + 1e-9) for g, s in shares.items())
        assert sum(quotas.values()) == total
        assert all(quotas[g] <= counts[g] for g in GRADES)
        assert all(abs(quotas[g] - shares[g] * total) < 1 for g in GRADES)
        # Rebalancing keeps as many pairs as it can: one grade is used up, up to rounding.
        assert any(counts[g] - quotas[g] <= 1 for g in GRADES)


def test_apportion_gives_ties_to_the_grade_listed_first():
    assert apportion(2, {0: 1 / 3, 1: 1 / 3, 2: 1 / 3}) == {0: 1, 1: 1, 2: 0}
    assert apportion(0, {0: 0.5, 1: 0.5}) == {0: 0, 1: 0}


def test_shares_are_weights_normalised_to_one():
    assert target_shares({0: 3, 1: 4, 2: 3}, GRADES) == pytest.approx({0: 0.3, 1: 0.4, 2: 0.3})
    # Typed as 0.33 each (the pages' default), they still mean a third each.
    assert target_shares({0: 0.33, 1: 0.33, 2: 0.33}, GRADES) == pytest.approx(
        {0: 1 / 3, 1: 1 / 3, 2: 1 / 3}
    )
    assert target_shares({2: 1}, GRADES) == {0: 0.0, 1: 0.0, 2: 1.0}


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({0: -0.1, 1: 1.0}, r"label shares \{0: -0.1\} must be non-negative numbers"),
        ({0: float("nan"), 1: 1.0}, "must be non-negative numbers"),
        ({0: 0.0, 1: 0.0}, "are all zero: give at least one grade a positive share"),
        ({}, "are all zero"),
    ],
)
def test_bad_weights_are_refused_by_every_way_in(weights, message):
    with pytest.raises(storage.StoreError, match=message):
        target_shares(weights, GRADES)
    with pytest.raises(storage.StoreError, match=message):
        storage.training.TrainingRecipe(label_shares=weights)
    with pytest.raises(storage.StoreError, match=message):
        storage.training.Curation(label_shares=weights)


def test_a_grade_off_the_scale_is_an_error_not_ignored():
    message = r"label shares name grade 3, which is not on the dataset's scale \(0, 1, 2\)"
    with pytest.raises(storage.StoreError, match=message):
        curate(labelled(), Curation(label_shares={0: 1, 3: 1}), GRADES)


def test_a_wanted_grade_with_no_pairs_is_an_error():
    pairs = labelled()
    with pytest.raises(storage.StoreError, match="no pairs have grade 2, which the target"):
        curate(pairs[pairs["grade"] != 2], Curation(label_shares={0: 1, 2: 1}), GRADES)


@pytest.mark.parametrize(
    ("queries", "share", "expected"),
    [
        (10, 0.1, 1),
        (10, 0.25, 3),  # 2.5 rounds half up; Python's round would give 2
        (5, 0.7, 4),  # 3.5, although 0.7 * 5 is 3.4999999999999996 in floats
        (3, 0.1, 1),  # 0.3 rounds to 0, but a share above 0 keeps one query
        (2, 0.9, 1),  # 1.8 rounds to 2, but training keeps one query
        (1, 0.5, 0),  # one query cannot be split: it is training
        (0, 0.5, 0),
        (50, 0.0, 0),
    ],
)
def test_validation_count(queries, share, expected):
    assert validation_count(queries, share) == expected


@pytest.mark.parametrize(("cap", "shares"), [(None, None), (5, None), (8, {0: 3, 1: 4, 2: 3})])
def test_curation_is_seeded_and_independent_of_row_order(cap, shares):
    pairs = labelled()
    rules = Curation(cap_per_query=cap, label_shares=shares, validation_share=0.2, seed=3)
    first = curate(pairs, rules, GRADES)
    shuffled = curate(pairs.sample(frac=1, random_state=5), rules, GRADES)
    pd.testing.assert_frame_equal(first.rows, shuffled.rows)
    other = curate(
        pairs,
        Curation(cap_per_query=cap, label_shares=shares, validation_share=0.2, seed=4),
        GRADES,
    )
    assert not first.rows[["pair_id", "part"]].equals(other.rows[["pair_id", "part"]])


def test_no_query_is_in_two_parts_and_the_counts_add_up():
    pairs = labelled(queries=80)
    rules = Curation(cap_per_query=6, label_shares={0: 1, 1: 1, 2: 1}, validation_share=0.3, seed=1)
    curated = curate(pairs, rules, GRADES)
    rows = curated.rows
    assert (rows.groupby("query_id")["part"].nunique() == 1).all()
    assert (rows.groupby("query_id").size() <= 6).all()
    assert rows["query_id"][rows["part"] == "validation"].nunique() == validation_count(
        rows["query_id"].nunique(), 0.3
    )
    assert len(pairs) - curated.over_cap == sum(curated.labels_before_rebalance.values())
    assert curated.labels_after_rebalance == rows["grade"].value_counts().to_dict()
    after = curated.labels_after_rebalance
    assert max(after.values()) - min(after.values()) <= 1  # equal shares, to within a row
    # Every pair kept comes from the input, with its columns unchanged.
    assert len(rows.merge(pairs, on=list(pairs.columns))) == len(rows)
