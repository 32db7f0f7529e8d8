"""Ranking measures against trec_eval (through ir_measures and pytrec_eval), and the
agreement of two leaderboards on planted orderings."""

from __future__ import annotations

import ir_measures
import numpy as np
import pandas as pd
import pytest
from ir_measures import RR, Judged, P, R, nDCG

import metrics

QRELS = pd.DataFrame(
    [
        ("q1", "d1", 2),
        ("q1", "d2", 1),
        ("q1", "d3", 0),
        ("q1", "d4", 2),
        ("q2", "d5", 0),  # q2: judged, but nothing relevant
        ("q2", "d6", 0),
        ("q3", "d7", 1),  # q3: graded, but the run retrieves nothing for it
    ],
    columns=["query_id", "doc_id", "level"],
)
RUN = pd.DataFrame(
    [
        ("q1", "d1", 1.0),
        ("q1", "d3", 0.9),
        ("q1", "dx", 0.8),  # unjudged, tied with d2: trec_eval puts "dx" first (id descending)
        ("q1", "d2", 0.8),
        ("q1", "d4", 0.1),
        ("q2", "d5", 0.5),
        ("q2", "d6", 0.4),
        ("q4", "d9", 1.0),  # a query the qrels do not grade: ignored
    ],
    columns=["query_id", "doc_id", "score"],
)
LIBRARY = {
    "nDCG@3": nDCG @ 3,
    "nDCG@10": nDCG @ 10,
    "RR": RR(rel=1),
    "P@3": P(rel=1) @ 3,
    "P@10": P(rel=1) @ 10,
    "R@3": R(rel=1) @ 3,
    "R@10": R(rel=1) @ 10,
}


def trec_ranks(run: pd.DataFrame) -> pd.DataFrame:
    """`run` with the ranks trec_eval gives: score descending, ties by doc id descending."""
    ordered = run.sort_values(
        ["run", "query_id", "score", "doc_id"], ascending=[True, True, False, False]
    )
    return ordered.assign(rank=ordered.groupby(["run", "query_id"]).cumcount() + 1)


def library_values(measure, qrels: pd.DataFrame, run: pd.DataFrame) -> dict[str, float]:
    library_qrels = [ir_measures.Qrel(q, d, int(g)) for q, d, g in qrels.itertuples(index=False)]
    scored = [
        ir_measures.ScoredDoc(q, d, float(s))
        for q, d, s in run[["query_id", "doc_id", "score"]].itertuples(index=False)
    ]
    return {m.query_id: m.value for m in ir_measures.iter_calc([measure], library_qrels, scored)}


def ours(qrels: pd.DataFrame, run: pd.DataFrame, names, threshold: int = 1) -> pd.DataFrame:
    lists = metrics.ranked_lists(trec_ranks(run.assign(run="A")), qrels)
    values = metrics.per_query_measures(lists, names, threshold=threshold)[:, 0, :]
    return pd.DataFrame(values.T, index=list(lists.query_ids), columns=list(names))


def test_hand_written_run_equals_trec_eval_on_every_measure():
    table = ours(QRELS, RUN, list(LIBRARY))
    for name, measure in LIBRARY.items():
        expected = library_values(measure, QRELS, RUN)
        # q3 (graded, not retrieved) scores 0 in the library too; q4 (not graded) is left out.
        assert set(expected) == {"q1", "q2", "q3"}
        for query, value in expected.items():
            assert table.loc[query, name] == pytest.approx(value, abs=1e-12), (name, query)
    # The decided cases: q2 (nothing relevant) and q3 (not retrieved) score 0; q4 (not
    # graded) is not a query of the qrels at all.
    assert table.loc["q2"].tolist() == [0.0] * len(LIBRARY)
    assert table.loc["q3"].tolist() == [0.0] * len(LIBRARY)
    assert "q4" not in table.index


def test_hand_written_values_by_hand():
    table = ours(QRELS, RUN, ["nDCG@3", "RR", "P@3", "R@10", "Judged@3", "Judged@10"])
    # q1 ranks d1 (2), d3 (0), dx (unjudged), d2 (1), d4 (2).
    dcg3 = 2 / np.log2(2)
    idcg3 = 2 / np.log2(2) + 2 / np.log2(3) + 1 / np.log2(4)
    assert table.loc["q1", "nDCG@3"] == pytest.approx(dcg3 / idcg3)
    assert table.loc["q1", "RR"] == 1.0
    assert table.loc["q1", "P@3"] == pytest.approx(1 / 3)
    assert table.loc["q1", "R@10"] == 1.0
    assert table.loc["q1", "Judged@3"] == pytest.approx(2 / 3)
    assert table.loc["q1", "Judged@10"] == pytest.approx(4 / 5)  # 5 listed, 4 judged
    assert table.loc["q2", "Judged@10"] == 1.0


def test_threshold_two_counts_only_the_top_grade():
    table = ours(QRELS, RUN, ["RR", "P@3", "R@10"], threshold=2)
    for name, measure in {"RR": RR(rel=2), "P@3": P(rel=2) @ 3, "R@10": R(rel=2) @ 10}.items():
        for query, value in library_values(measure, QRELS, RUN).items():
            assert table.loc[query, name] == pytest.approx(value)
    assert table.loc["q1", "R@10"] == 1.0 and table.loc["q1", "P@3"] == pytest.approx(1 / 3)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_runs_with_ties_equal_the_library(seed):
    rng = np.random.default_rng(seed)
    queries = [f"q{i}" for i in range(12)]
    qrels = pd.DataFrame(
        [
            (q, f"d{d}", int(rng.integers(0, 3)))
            for q in queries[:10]
            for d in rng.choice(40, int(rng.integers(1, 20)), replace=False)
        ],
        columns=["query_id", "doc_id", "level"],
    )
    run = pd.DataFrame(
        [
            (q, f"d{d}", float(rng.integers(0, 6)))  # few distinct scores: many ties
            for q in queries
            for d in rng.choice(40, int(rng.integers(1, 30)), replace=False)
        ],
        columns=["query_id", "doc_id", "score"],
    )
    table = ours(qrels, run, list(LIBRARY))
    for name, measure in LIBRARY.items():
        for query, value in library_values(measure, qrels, run).items():
            assert table.loc[query, name] == pytest.approx(value, abs=1e-12), (name, query)


def test_judged_equals_the_library_without_ties():
    run = RUN.assign(score=np.arange(len(RUN), 0, -1, dtype=float))
    table = ours(QRELS, run, ["Judged@3", "Judged@10"])
    for name, measure in {"Judged@3": Judged @ 3, "Judged@10": Judged @ 10}.items():
        for query, value in library_values(measure, QRELS, run).items():
            assert table.loc[query, name] == pytest.approx(value)


def test_several_runs_are_measured_at_once_as_one_at_a_time():
    rng = np.random.default_rng(7)
    runs = pd.concat([RUN.assign(run=name, score=rng.random(len(RUN))) for name in ("A", "B", "C")])
    lists = metrics.ranked_lists(trec_ranks(runs), QRELS)
    together = metrics.per_query_measures(lists, ["nDCG@3", "RR"])
    for position, name in enumerate(lists.runs):
        one = metrics.ranked_lists(trec_ranks(runs[runs.run == name]), QRELS)
        np.testing.assert_allclose(
            together[:, position], metrics.per_query_measures(one, ["nDCG@3", "RR"])[:, 0]
        )


def test_runs_encoded_once_equal_arranging_them_under_each_qrels():
    rng = np.random.default_rng(11)
    runs = trec_ranks(
        pd.concat([RUN.assign(run=name, score=rng.random(len(RUN))) for name in ("A", "B")])
    )
    other = QRELS.assign(level=[0, 2, 2, 1, 1, 0, 0])  # q2 now has relevant documents
    # The store hands ids over as categoricals, with ids no run or qrels uses among them.
    as_stored = runs.assign(
        run=pd.Categorical(runs["run"], categories=["B", "A", "unused"]),
        query_id=pd.Categorical(runs["query_id"], categories=["q9", "q4", "q2", "q1"]),
        doc_id=pd.Categorical(runs["doc_id"], categories=sorted({*runs["doc_id"], "d99"})),
    )
    query_ids = ["q1", "q2", "q3"]
    encoded = metrics.encode_runs(as_stored, runs=["A", "B"], query_ids=query_ids)
    for qrels in (QRELS, other, QRELS):
        once = encoded.lists(qrels)
        each = metrics.ranked_lists(runs, qrels, runs=["A", "B"], query_ids=query_ids)
        assert once.runs == each.runs == ("A", "B") and once.query_ids == each.query_ids
        np.testing.assert_array_equal(once.levels, each.levels)
        np.testing.assert_array_equal(once.ideal, each.ideal)
        np.testing.assert_array_equal(once.graded, each.graded)
    # q2's two documents (d5, d6): nothing relevant under QRELS, d5 Partial under `other`.
    assert sorted(encoded.lists(QRELS).levels[0, 1, :2]) == [0, 0]
    assert sorted(encoded.lists(other).levels[0, 1, :2]) == [0, 1]


@pytest.mark.parametrize(
    "text, expected",
    [("nDCG@10", "nDCG@10"), ("mrr", "RR"), ("Recall@100", "R@100"), ("judged@5", "Judged@5")],
)
def test_measure_names(text, expected):
    assert str(metrics.Measure.parse(text)) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("ERR@10", "unknown measure 'ERR@10'"),
        ("nDCG", "nDCG needs a cutoff of at least 1"),
        ("RR@10", "RR reads the whole list"),
    ],
)
def test_bad_measure_names_say_what_to_write(text, message):
    with pytest.raises(metrics.MetricsInputError, match=message):
        metrics.Measure.parse(text)


def test_planted_swap_at_the_bottom_gives_exact_tau_and_tau_ap():
    human = [0.9, 0.7, 0.5, 0.3]  # A > B > C > D
    judge = [0.8, 0.6, 0.2, 0.4]  # A > B > D > C
    assert metrics.kendall_tau(human, judge) == pytest.approx(4 / 6)
    assert metrics.tau_ap(human, judge) == pytest.approx(7 / 9)


def test_identical_orderings_with_ties_agree_fully():
    scores = [0.9, 0.5, 0.5, 0.1]
    assert metrics.tau_ap(scores, scores) == 1.0
    assert metrics.kendall_tau(scores, scores) == 1.0
    # C ties B in the second ordering only: half agreeing, so p(C) = (1 + 1/2) / 2.
    assert metrics.tau_ap([4, 3, 2, 1], [4, 3, 3, 1]) == pytest.approx(2 / 3 * (1 + 3 / 4 + 1) - 1)


def test_planted_swap_at_the_top_costs_tau_ap_more():
    human = [0.9, 0.7, 0.5, 0.3]
    judge = [0.6, 0.8, 0.5, 0.3]  # B > A > C > D
    assert metrics.kendall_tau(human, judge) == pytest.approx(4 / 6)
    assert metrics.tau_ap(human, judge) == pytest.approx(1 / 3)


def test_planted_qrels_through_the_whole_path():
    """Two qrels that order 4 systems identically except one swap (C and D), from ranked
    lists to the agreement: exact tau 2/3 and tau-AP 7/9, one flipped pair, the same winner."""
    systems = ["A", "B", "C", "D"]
    queries = [f"q{q}" for q in range(6)]
    ranked = pd.DataFrame(
        [(s, q, f"{s}{rank}", rank) for s in systems for q in queries for rank in range(1, 5)],
        columns=["run", "query_id", "doc_id", "rank"],
    )

    def qrels(relevant: list[str]) -> pd.DataFrame:
        docs = ranked[["query_id", "doc_id"]].drop_duplicates()
        return docs.assign(level=docs["doc_id"].isin(relevant).astype(int))

    human = qrels(["A1", "B2", "C3", "D4"])  # RR: A 1, B 1/2, C 1/3, D 1/4
    judge = qrels(["A1", "B2", "C4", "D3"])  # RR: A 1, B 1/2, C 1/4, D 1/3
    per_query = [
        metrics.per_query_measures(metrics.ranked_lists(ranked, q), ["RR"])[0]
        for q in (human, judge)
    ]
    agreement = metrics.leaderboard_agreement(*per_query, systems, n_boot=200)
    scores = agreement.scores.set_index("system")
    assert scores["a"].tolist() == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4])
    assert scores["b"].tolist() == pytest.approx([1, 1 / 2, 1 / 4, 1 / 3])
    assert scores["rank_b"].tolist() == [1, 2, 4, 3]
    assert agreement.tau[0] == pytest.approx(4 / 6)
    assert agreement.tau_ap[0] == pytest.approx(7 / 9)
    # Every query says the same, so every bootstrap draw does: the interval is the point.
    assert agreement.tau[1:] == pytest.approx((4 / 6, 4 / 6))
    assert agreement.flips[["system", "other"]].values.tolist() == [["C", "D"]]
    assert agreement.flips["flip_share"].iloc[0] == 1.0
    assert (agreement.winner_a, agreement.winner_b, agreement.winner_changes) == ("A", "A", False)
    assert agreement.winner_change_share == 0.0


def test_bootstrap_means_and_paired_differences_reuse_the_query_draws():
    per_query = np.array([[1.0, 0.0, 0.5, np.nan], [0.2, 0.2, 0.2, 0.2]])
    table = metrics.bootstrap_means(per_query, n_boot=300)
    assert table["estimate"].tolist() == pytest.approx([0.5, 0.2])
    assert table.loc[1, "low"] == table.loc[1, "high"] == pytest.approx(0.2)
    assert table.loc[0, "low"] < 0.5 < table.loc[0, "high"]
    diff = metrics.paired_mean_differences(per_query, per_query + 0.1, n_boot=300)
    assert diff["difference"].tolist() == pytest.approx([0.1, 0.1])
    assert diff["low"].tolist() == pytest.approx([0.1, 0.1])


def test_ranked_rows_without_a_query_or_document_are_left_out():
    ranked = pd.DataFrame(
        {
            "run": ["A"] * 3,
            "query_id": pd.Categorical(["q1", None, "q1"]),
            "doc_id": ["d1", "d2", None],
            "rank": [1, 2, 3],
        }
    )
    qrels = pd.DataFrame({"query_id": ["q1", "q1"], "doc_id": ["d1", "d2"], "level": [2, 1]})
    lists = metrics.ranked_lists(ranked, qrels)
    assert lists.levels.tolist() == [[[2, metrics.NO_DOCUMENT, metrics.NO_DOCUMENT]]]


def test_systems_with_the_same_top_mean_tie_for_winner():
    """P@10 0.200 each is a tie, not a win for the one listed first; the same values in
    another order (whose float sums differ in the last bit) tie too."""
    human = [[0.1, 0.2, 0.3], [0.3, 0.2, 0.1], [0.0, 0.0, 0.0]]
    assert sum(human[0]) != sum(human[1])
    judge = [[0.0, 0.2, 0.1], [0.1, 0.2, 0.3], [0.0, 0.0, 0.0]]
    agreement = metrics.leaderboard_agreement(human, judge, ["A", "B", "C"], n_boot=100)
    assert agreement.best_a == ("A", "B")
    assert (agreement.winner_a, agreement.winner_b) == ("tie: A, B", "B")
    assert agreement.winner_changes
    assert agreement.scores["rank_a"].tolist() == [1, 1, 3]
    # A tie under one qrels is no flip, whichever way the other orders the pair.
    assert agreement.flips.empty
    assert agreement.tau[0] == pytest.approx(2 / (3 * 2) ** 0.5)
    same = metrics.leaderboard_agreement(human, human, ["A", "B", "C"], n_boot=100)
    assert (same.winner_a, same.winner_changes, same.winner_change_share) == (
        "tie: A, B",
        False,
        0.0,
    )
