"""A dozen pairs over three queries, every metric worked out by hand, pinning the definitions.

Scale 0 Irrelevant, 1 Partial, 2 Exact. Pairs (human -> judge):

    q1 (furniture): 2->2, 2->1, 2->1, 1->1
    q2 (furniture): 0->0, 0->2, 1->1, 2->2
    q3 (lighting):  1->1, 1->0, 0->0, 2->0

Confusion matrix, rows human, columns judge:

             judge 0  1  2   | row sum
    human 0 [      2, 0, 1 ] | 3
    human 1 [      1, 3, 0 ] | 4
    human 2 [      1, 2, 2 ] | 5
    col sum        4  5  3     n = 12

accuracy          = (2 + 3 + 2) / 12 = 7/12
recall            = 2/3, 3/4, 2/5           (diagonal / row sum)
precision         = 2/4, 3/5, 2/3           (diagonal / column sum)
F1 = 2 C_gg / (row_g + col_g) = 4/7, 6/9, 4/8;  macro F1 = (4/7 + 2/3 + 1/2) / 3 = 73/126
MAE               = (1*2 [0->2] + 1*1 [1->0] + 1*2 [2->0] + 2*1 [2->1]) / 12 = 7/12
severe error rate = (C[0,2] + C[2,0]) / 12 = 2/12: one Irrelevant judged Exact, one Exact
                    judged Irrelevant
share of Exact judged Partial = 2/5

Quadratic kappa, W = (i - j)^2:
    observed = sum W*C = 4*1 [0->2] + 1*1 [1->0] + 4*1 [2->0] + 1*2 [2->1] = 11
    chance   = sum_ij row_i W_ij col_j = 3*(0*4 + 1*5 + 4*3) + 4*(1*4 + 0 + 1*3)
               + 5*(4*4 + 1*5 + 0) = 51 + 28 + 105 = 184
    kappa    = 1 - observed * n / chance = 1 - 132/184 = 13/46
Linear kappa, W = |i - j|: observed 7, chance 3*11 + 4*7 + 5*13 = 126, kappa = 1 - 84/126 = 1/3
Unweighted: p_o = 7/12, p_e = (3*4 + 4*5 + 5*3)/144 = 47/144, kappa = (84 - 47)/(144 - 47) = 37/97

Per query (4 pairs each):
    q1: C = [[0,0,0],[0,1,0],[0,2,1]], accuracy 2/4, rows (0,1,3), cols (0,3,1),
        observed 2, chance 1*1 + 3*3 = 10, kappa = 1 - 2*4/10 = 1/5; MAE 2/4; severe 0
    q2: C = [[1,0,1],[0,1,0],[0,0,1]], accuracy 3/4, rows (2,1,1), cols (1,1,2),
        observed 4, chance 2*9 + 1*3 + 1*5 = 26, kappa = 1 - 16/26 = 5/13; MAE 2/4; severe 1/4
    q3: C = [[1,0,0],[1,1,0],[1,0,0]], accuracy 2/4, rows (1,2,1), cols (3,1,0),
        observed 5, chance 1*1 + 2*3 + 1*13 = 20, kappa = 1 - 20/20 = 0; MAE 3/4; severe 1/4
Worst first (accuracy, then kappa): q3, q1, q2.
Per class: furniture 8 pairs over 2 queries, accuracy 5/8; lighting 4 pairs, accuracy 2/4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import metrics

LABELS = [0, 1, 2]
PAIRS = pd.DataFrame(
    {
        "query_id": ["q1"] * 4 + ["q2"] * 4 + ["q3"] * 4,
        "query_class": ["furniture"] * 8 + ["lighting"] * 4,
        "human": [2, 2, 2, 1, 0, 0, 1, 2, 1, 1, 0, 2],
        "judge": [2, 1, 1, 1, 0, 2, 1, 2, 1, 0, 0, 0],
    }
)


def test_confusion_matrix() -> None:
    C = metrics.confusion_matrix(PAIRS.human, PAIRS.judge, LABELS)
    assert C.tolist() == [[2, 0, 1], [1, 3, 0], [1, 2, 2]]


def test_headline_metrics() -> None:
    C = metrics.confusion_matrix(PAIRS.human, PAIRS.judge, LABELS)
    expected = {
        "accuracy": 7 / 12,
        "macro_f1": 73 / 126,
        "kappa_quadratic": 13 / 46,
        "mae": 7 / 12,
        "severe_error_rate": 2 / 12,
        "precision_0": 2 / 4,
        "precision_1": 3 / 5,
        "precision_2": 2 / 3,
        "recall_0": 2 / 3,
        "recall_1": 3 / 4,
        "recall_2": 2 / 5,
        "f1_0": 4 / 7,
        "f1_1": 6 / 9,
        "f1_2": 4 / 8,
    }
    assert metrics.summarize(C, LABELS) == pytest.approx(expected)
    assert metrics.cohen_kappa(C, "linear") == pytest.approx(1 / 3)
    assert metrics.cohen_kappa(C, None) == pytest.approx(37 / 97)
    assert metrics.row_shares(C)[2, 1] == pytest.approx(2 / 5)  # Exact judged Partial


def test_per_query_confusions_and_breakdown() -> None:
    query_ids, per_query = metrics.per_query_confusions(
        PAIRS.human, PAIRS.judge, PAIRS.query_id, LABELS
    )
    assert query_ids.tolist() == ["q1", "q2", "q3"]
    assert per_query.tolist() == [
        [[0, 0, 0], [0, 1, 0], [0, 2, 1]],
        [[1, 0, 1], [0, 1, 0], [0, 0, 1]],
        [[1, 0, 0], [1, 1, 0], [1, 0, 0]],
    ]
    table = metrics.breakdown(PAIRS.human, PAIRS.judge, PAIRS.query_id, LABELS)
    assert table.query_id.tolist() == ["q3", "q1", "q2"]
    assert table.n.tolist() == [4, 4, 4]
    assert table.accuracy.tolist() == pytest.approx([2 / 4, 2 / 4, 3 / 4])
    assert table.kappa_quadratic.tolist() == pytest.approx([0, 1 / 5, 5 / 13])
    assert table.mae.tolist() == pytest.approx([3 / 4, 2 / 4, 2 / 4])
    assert table.severe_error_rate.tolist() == pytest.approx([1 / 4, 0, 1 / 4])


def test_per_class_breakdown() -> None:
    table = metrics.breakdown(
        PAIRS.human, PAIRS.judge, PAIRS.query_class, LABELS, query_ids=PAIRS.query_id
    )
    assert table[["query_class", "n", "n_queries"]].values.tolist() == [
        ["lighting", 4, 1],
        ["furniture", 8, 2],
    ]
    assert table.accuracy.tolist() == pytest.approx([2 / 4, 5 / 8])


def test_transition_table_counts_moves() -> None:
    table = metrics.transition_table(PAIRS.human, PAIRS.judge, LABELS)
    assert table.loc[2, 1] == 2  # two pairs moved from Exact to Partial
    assert np.trace(table.values) == 7  # seven kept their grade
