"""Every comparison states what it covers (pairs and queries on each side and in common) and
is not comparable below the one coverage rule: leaderboards of two qrels, two judge runs; on
the pages, in the CLI and in its JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from app_fixtures import few_queries_run, open_app

import cli
import jobs
import metrics
import storage

DATASET = "wands-sample"


def _pairs(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["query_id", "doc_id"])


def test_coverage_counts_each_side_and_the_common_part():
    a = _pairs([(f"q{q}", f"d{d}") for q in range(4) for d in range(5)])
    b = _pairs([("q0", "d0"), ("q0", "d1"), ("q9", "d1")])
    found = metrics.coverage(a, b)
    assert (found.a, found.b, found.common) == (
        metrics.Side(20, 4),
        metrics.Side(3, 2),
        metrics.Side(2, 1),
    )
    assert not found.comparable
    assert found.reason == (
        "the compared side shares 2 of the reference's 20 pairs (10%) and 1 of its 4 queries "
        "(25%); at least 50% of each is needed"
    )
    assert found.as_dict()["common"] == {"pairs": 2, "queries": 1}


@pytest.mark.parametrize(
    "b_rows, rule, comparable",
    [
        ([(f"q{q}", f"d{d}") for q in range(2) for d in range(5)], metrics.LEADERBOARDS, True),
        ([(f"q{q}", f"d{d}") for q in range(4) for d in range(2)], metrics.LEADERBOARDS, False),
        # Half the reference, but the other side holds far more: fine for a reference...
        ([(f"q{q}", f"d{d}") for q in range(2, 12) for d in range(5)], metrics.LEADERBOARDS, True),
        # ...not for two runs, where neither is the reference.
        ([(f"q{q}", f"d{d}") for q in range(2, 12) for d in range(5)], metrics.TWO_RUNS, False),
        ([], metrics.LEADERBOARDS, False),
    ],
)
def test_the_rule_needs_half_of_the_pairs_and_of_the_queries(b_rows, rule, comparable):
    a = _pairs([(f"q{q}", f"d{d}") for q in range(4) for d in range(5)])
    found = metrics.coverage(a, _pairs(b_rows), rule=rule)
    assert found.comparable is comparable
    assert (found.reason is None) is comparable


def _few_pairs_run(db) -> tuple[int, int, int]:
    """`few_queries_run` of 3 queries: its id, pairs and queries."""
    run_id, pairs = few_queries_run(db)
    return run_id, pairs, 3


def test_a_judge_run_of_a_few_queries_is_not_compared(store, capsys):
    db, full = store
    storage.rankings.import_run_trec(db, "sample_data/rankings.trec", dataset=DATASET)
    few, pairs, queries = _few_pairs_run(db)
    human = jobs.QrelsSource.parse("human")
    shown = jobs.compare_leaderboards(db, DATASET, human, jobs.QrelsSource.parse(f"judge:{few}"))
    labelled = storage.rankings.label_sources(db, DATASET)
    assert shown.coverage.a == metrics.Side(
        int(labelled["human"].notna().sum()), labelled["query_id"].nunique()
    )
    assert shown.coverage.common == metrics.Side(pairs, queries)
    assert not shown.coverage.comparable and shown.summary.empty and not shown.by_measure

    base = ["--db", str(db), "leaderboard", "--vs", f"judge:{few}", "--n-boot", "20"]
    assert cli.main(base) == 0
    out = capsys.readouterr().out
    assert f"in common: {pairs} pairs over {queries} queries" in out
    assert f"not comparable: {shown.coverage.reason}; no tau is computed" in out
    assert "tau " not in out.replace("no tau is", "")
    assert cli.main([*base, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["coverage"] == shown.coverage.as_dict() and found["summary"] == []

    whole = jobs.compare_leaderboards(db, DATASET, human, jobs.QrelsSource.parse(f"judge:{full}"))
    assert whole.coverage.comparable and whole.coverage.common == whole.coverage.a
    assert list(whole.summary["measure"]) == list(jobs.DEFAULT_MEASURES)


def test_two_runs_compare_only_on_enough_shared_pairs(store, capsys):
    db, full = store
    few, pairs, queries = _few_pairs_run(db)
    compared = jobs.compare_runs(db, full, few, n_boot=20)
    assert compared.coverage.b == metrics.Side(pairs, queries)
    assert compared.coverage.common == metrics.Side(pairs, queries)
    assert not compared.coverage.comparable and compared.differences.empty
    command = ["--db", str(db), "metrics", str(few), "--vs", str(full), "--n-boot", "20"]
    assert cli.main(command) == 0
    out = capsys.readouterr().out
    assert f"run {few}: {pairs} pairs over {queries} queries" in out
    assert f"not comparable: {compared.coverage.reason}" in out
    assert cli.main([*command, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["coverage"]["comparable"] is False


def test_the_pages_show_both_sides_and_refuse_the_few_queries_run(store):
    db, full = store
    storage.rankings.import_run_trec(db, "sample_data/rankings.trec", dataset=DATASET)
    few, pairs, queries = _few_pairs_run(db)
    at = open_app("rankers", {"vs": f"judge:{few}"})
    assert not at.error, [e.value for e in at.error]
    said = " ".join(c.value for c in at.caption).replace("\\", "")
    assert f"in common: {pairs} pairs over {queries} queries" in said
    assert [w.value for w in at.warning if w.value.startswith("Not comparable")]
    assert not [f for f in at.dataframe if "Kendall's tau" in f.value.columns]
    assert "nan" not in " ".join(str(m.value) for m in at.markdown).lower()


def test_a_qrels_of_few_queries_gives_no_nan_warning_in_the_bootstrap():
    """Most bootstrap draws of 40 queries miss both queries the compared qrels grades, so
    their means are all NaN: the winner of such a draw is none, without the `All-NaN slice`
    warning (pytest turns warnings into errors)."""
    rng = np.random.default_rng(3)
    a = rng.random((3, 40))
    b = np.full_like(a, np.nan)
    b[:, :2] = rng.random((3, 2))
    found = metrics.leaderboard_agreement(a, b, ["x", "y", "z"], n_boot=200)
    assert 0 <= found.winner_change_share <= 1
