"""`cli.py metrics RUN` on a pairwise run (its own block, text and JSON) and `judge
--pairwise` on bad input: one line, exit 2, no run left behind."""

from __future__ import annotations

import json

import pytest
from pairwise_fixtures import pairwise_run

import cli
import storage


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
    assert storage.pairwise.list_pairwise_runs(sample_db).empty


def test_judge_resume_names_a_pairwise_run_without_the_pairwise_flag(sample_db, capsys):
    """Run ids are shared by graded and pairwise runs, so `--resume N` takes a pairwise run
    down the pairwise path (here to the fixture's template, which cannot be judged with)."""
    run_id = pairwise_run(sample_db)
    db = ["--db", str(sample_db)]
    assert cli.main([*db, "judge", "--pairwise", "--resume", str(run_id)]) == 2
    flagged = capsys.readouterr().err
    assert cli.main([*db, "judge", "--resume", str(run_id)]) == 2
    assert capsys.readouterr().err == flagged
    assert "a pairwise template must name its answer lines" in flagged
