"""`cli.py metrics RUN` on a pairwise run (its own block, text and JSON) and `judge
--pairwise` on bad input: one line, exit 2, no run left behind."""

from __future__ import annotations

import json

import pytest

import cli
import storage


def pairwise_run(db) -> int:
    run_id = storage.create_pairwise_run(
        db,
        name="pw",
        dataset="wands-sample",
        backend="llama_cpp",
        model="m.gguf",
        prompt_template="t",
        prompt_sha256="0" * 64,
    )
    # Query 9 (pairs 3-6): 3 > 4 > 5 > 3 is a cycle; every order names the product first shown
    # for (3, 6), a consistent verdict elsewhere.
    verdicts = []
    for a, b, pref_a in ((3, 4, 0.9), (4, 5, 0.8), (3, 5, 0.2), (3, 6, None)):
        if pref_a is None:
            orders = [(a, b, "first", 0.9), (b, a, "first", 0.9)]
        else:
            winner = "first" if pref_a > 0.5 else "second"
            other = "second" if winner == "first" else "first"
            orders = [(a, b, winner, pref_a), (b, a, other, 1 - pref_a)]
        for first, second, won, p_first in orders:
            verdicts.append(
                {
                    "first_pair_id": first,
                    "second_pair_id": second,
                    "winner": won,
                    "p_first": p_first,
                    "p_second": 1 - p_first,
                    "parse_status": "logprobs",
                }
            )
    storage.record_pairwise_judgments(db, run_id, verdicts)
    storage.finish_pairwise_run(db, run_id, storage.RunStatus.DONE)
    return run_id


def test_metrics_shows_the_pairwise_block(sample_db, capsys):
    run_id = pairwise_run(sample_db)
    assert cli.main(["--db", str(sample_db), "metrics", str(run_id), "--n-boot", "50"]) == 0
    out = capsys.readouterr().out
    assert f"pairwise run {run_id}: 4 comparisons" in out
    assert "Swap consistency" in out and "0.750" in out
    assert "Bias toward first" in out and "0.250" in out
    assert "query 9: 3 > 4 > 5 > 3" in out
    assert (
        cli.main(["--db", str(sample_db), "metrics", str(run_id), "--json", "--n-boot", "20"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    figures = {f["metric"]: f["value"] for f in data["figures"]}
    assert figures["swap_consistency"] == 0.75
    assert figures["cycles_per_query"] == 1.0
    assert data["cycles"] == [{"query_id": "9", "cycle": [3, 4, 5], "margin": pytest.approx(0.3)}]


def test_judge_pairwise_refuses_a_grading_template(sample_db, capsys):
    code = cli.main(["--db", str(sample_db), "judge", "--pairwise", "--template", "reasoning_0_3"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "'reasoning_0_3' is not a pairwise template: choose one of pairwise, pairwise_ab" in err
    assert storage.list_pairwise_runs(sample_db).empty
