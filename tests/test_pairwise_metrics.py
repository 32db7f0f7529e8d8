"""Pairwise measures on hand-worked examples: a planted position bias measured exactly, a
planted cycle found, Bradley-Terry reproducing a consistent order; and the comparison plan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import judge
import metrics


def frame(rows: list[tuple], **extra: list) -> pd.DataFrame:
    columns = ["query_id", "pair_a", "pair_b", "winner_ab", "winner_ba", "preference"]
    data = pd.DataFrame(rows, columns=columns + ["grade_a", "grade_b"])
    for name, values in extra.items():
        data[name] = values
    return data


def test_planted_position_bias_is_measured_exactly():
    # 10 comparisons over two queries; a is always the better product (grade 2 vs 0).
    # 6 times the judge names the first shown in both orders, once the second shown in both
    # orders, and 3 times it names a in both orders.
    rows = []
    for i in range(10):
        ab, ba = (
            ("first", "first") if i < 6 else ("second", "second") if i < 7 else ("first", "second")
        )
        pref = judge.debiased_preference(
            {"first": 0.9, "second": 0.1}[ab], {"first": 0.9, "second": 0.1}[ba]
        )
        rows.append((f"q{i % 2}", 2 * i, 2 * i + 1, ab, ba, pref, 2, 0))
    figures = metrics.pairwise_figures(frame(rows), n_boot=200)
    est = figures.estimate
    assert est["bias_first"] == pytest.approx(0.6)
    assert est["bias_second"] == pytest.approx(0.1)
    assert est["bias_difference"] == pytest.approx(0.5)
    assert est["swap_consistency"] == pytest.approx(0.3)
    assert est["tie_rate"] == 0.0
    # Position-driven verdicts cancel out (preference 0.5, half right); the 3 consistent
    # ones are right: (7 x 0.5 + 3) / 10.
    assert est["accuracy"] == pytest.approx(0.65)
    assert figures.loc["bias_first", "n"] == 10
    assert figures.loc["bias_first", "low"] <= 0.6 <= figures.loc["bias_first", "high"]


def test_a_planted_cycle_is_found_and_counted_per_query():
    # q1: 1 > 2 > 3 > 1 (a cycle), and 4 beats all three; q2: a transitive triangle.
    rows = [
        ("q1", 1, 2, "first", "second", 0.9, 2, 1),
        ("q1", 2, 3, "first", "second", 0.7, 1, 0),
        ("q1", 1, 3, "second", "first", 0.2, 2, 0),
        ("q1", 1, 4, "second", "first", 0.1, 2, 2),
        ("q1", 2, 4, "second", "first", 0.1, 1, 2),
        ("q1", 3, 4, "second", "first", 0.1, 0, 2),
        ("q2", 5, 6, "first", "second", 0.9, 2, 1),
        ("q2", 6, 7, "first", "second", 0.9, 1, 0),
        ("q2", 5, 7, "first", "second", 0.9, 2, 0),
    ]
    cycles = metrics.preference_cycles(*zip(*[(r[0], r[1], r[2], r[5]) for r in rows]))
    assert cycles.to_dict("records") == [
        {"query_id": "q1", "cycle": (1, 2, 3), "margin": pytest.approx(0.2)}
    ]
    figures = metrics.pairwise_figures(frame(rows), n_boot=100)
    assert figures.loc["cycles_per_query", "estimate"] == 0.5
    assert figures.loc["cycles_per_query", "n"] == 2


def test_bradley_terry_reproduces_a_consistent_order():
    # Five products, each preferred to every lower one with 0.8: strengths in that order.
    items = range(5)
    a, b = zip(*[(i, j) for i in items for j in items if i < j])
    strengths = metrics.bradley_terry(5, a, b, [0.8] * len(a))
    assert list(np.argsort(-strengths)) == [0, 1, 2, 3, 4]
    # Per query, the fitted order against the grades: the same order gives tau 1.
    grades = [4, 3, 2, 1, 0]
    rows = [("q", i, j, "first", "second", 0.8, grades[i], grades[j]) for i, j in zip(a, b)]
    assert metrics.pairwise_figures(frame(rows), n_boot=50).loc["bt_tau", "estimate"] == 1.0


def test_score_comparison_consistency_against_a_pointwise_run():
    rows = [
        ("q", 1, 2, "first", "second", 0.9, 2, 0),  # scores agree: consistent
        ("q", 1, 3, "first", "second", 0.9, 2, 1),  # scores reversed: inconsistent
        ("q", 2, 3, "first", "second", 0.8, 0, 1),  # scores equal: tie
        ("q", 1, 4, "tie", "tie", 0.5, 2, 2),  # verdict tie: tie
    ]
    figures = metrics.pairwise_figures(
        frame(rows, score_a=[2.0, 1.0, 1.0, 2.0], score_b=[0.5, 1.5, 1.0, 0.0]), n_boot=50
    )
    shares = figures.estimate[["score_consistent", "score_inconsistent", "score_tie"]]
    assert shares.tolist() == [0.25, 0.25, 0.5]
    assert figures.loc["tie_rate", "estimate"] == 0.25


def test_unanswered_orders_are_left_out_not_counted_wrong():
    rows = [
        ("q", 1, 2, "first", None, np.nan, 2, 0),
        ("q", 1, 3, "first", "second", 0.9, 2, 0),
    ]
    figures = metrics.pairwise_figures(frame(rows), n_boot=20)
    assert figures.loc["accuracy", ["estimate", "n"]].tolist() == [1.0, 1]
    assert figures.loc["swap_consistency", ["estimate", "n"]].tolist() == [1.0, 1]
    assert figures.loc["tie_rate", "n"] == 3


def test_missing_columns_say_which():
    with pytest.raises(metrics.MetricsInputError, match="lacks the columns preference"):
        metrics.pairwise_figures(
            pd.DataFrame(
                columns=[
                    "query_id",
                    "pair_a",
                    "pair_b",
                    "winner_ab",
                    "winner_ba",
                    "grade_a",
                    "grade_b",
                ]
            )
        )


def test_plan_is_seeded_linear_and_mixes_grades():
    pairs = [{"pair_id": i, "query_id": f"q{i // 10}"} for i in range(30)]
    grades = {i: i % 3 for i in range(30)}
    plan = judge.ComparisonPlan(per_product=1.5, same_grade_share=0.2, seed=3)
    chosen = judge.plan_comparisons(pairs, grades, plan)
    assert chosen == judge.plan_comparisons(list(reversed(pairs)), grades, plan)
    assert chosen != judge.plan_comparisons(pairs, grades, judge.ComparisonPlan(seed=4))
    assert len(chosen) == 3 * 15  # ceil(1.5 x 10) per query
    assert all(a < b and a // 10 == b // 10 for a, b in chosen)
    same = sum(grades[a] == grades[b] for a, b in chosen)
    assert same == 3 * 3  # round(15 x 0.2) per query
    # A small query is compared completely; unlabelled products fill what is left.
    small = judge.plan_comparisons(
        [{"pair_id": i, "query_id": "q"} for i in range(3)], {0: 1, 1: 1}, judge.ComparisonPlan()
    )
    assert small == [(0, 1), (0, 2), (1, 2)]


def test_plan_settings_are_checked():
    with pytest.raises(judge.SettingsError, match="same_grade_share"):
        judge.ComparisonPlan(same_grade_share=2)
