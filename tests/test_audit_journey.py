"""An audit from the browser: on an imported dataset with a finished judge run and two
ranking runs, draw an audit of 10 queries on the Team page, review its pairs blind from the
reviewer's queue, then read on the Rankers page the audited count and, per ranking run, the
three estimates with their intervals: the numbers `cli.py estimate` gives."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from app_fixtures import stored_run
from browser import (
    body_text,
    card_pair_id,
    click,
    fill,
    goto,
    heading,
    launch,
    new_page,
    pick_reviewer,
    see,
    serve,
    settle,
)

import cli
import storage

pytestmark = pytest.mark.browser

DATASET = "small"
QUERIES, DOCS = 12, 2
AUDITED = 10


def _human(q: int, d: int) -> int:
    return (q + 2 * d) % 3


def _store(tmp_path: Path) -> tuple[Path, int]:
    """12 queries with 2 labelled products each, a judge run that errs on every third query,
    finished before any audit, and two ranking runs over them."""
    rows = [
        {"qid": f"q{q}", "query": f"lamp {q}", "pid": f"d{q}-{d}", "name": f"lamp model {d}",
         "rel": _human(q, d)}
        for q in range(QUERIES) for d in range(DOCS)
    ]  # fmt: skip
    table = tmp_path / "small.csv"
    pd.DataFrame(rows).to_csv(table, index=False)
    db = tmp_path / "audit.duckdb"
    storage.importers.import_table(
        db,
        table,
        dataset=DATASET,
        columns=storage.importers.ColumnMap.parse(
            "query_id=qid,query=query,doc_id=pid,title=name,label=rel"
        ),
        author="import",
    )
    pairs = storage.rankings.label_sources(db, DATASET)
    judgments = []
    for pair in pairs.itertuples():
        q = int(pair.query_id[1:])
        grade = int(pair.human) if q % 3 else (int(pair.human) + 1) % 3
        probs = [0.1, 0.1, 0.1]
        probs[grade] = 0.8 if q % 3 else 0.5
        judgments.append(
            {"pair_id": int(pair.pair_id), "grade": grade, "probs": probs,
             "expected_grade": sum(g * p for g, p in enumerate(probs)),
             "confidence": probs[grade], "raw_output": f"SCORE: {grade}",
             "parse_status": "logprobs", "latency_ms": 1.0}
        )  # fmt: skip
    run_id = stored_run(db, judgments, dataset=DATASET, name="judge")
    storage.finish_run(db, run_id, storage.RunStatus.DONE)
    trec = tmp_path / "runs.trec"
    trec.write_text(
        "".join(
            f"q{q} Q0 d{q}-{d} {rank} {3 - rank} {system}\n"
            for q in range(QUERIES)
            for system, order in (("good", (1, 0)), ("plain", (0, 1)))
            for rank, d in enumerate(order, start=1)
        )
    )
    storage.rankings.import_run_trec(db, trec, dataset=DATASET)
    return db, run_id


def test_audit_reviewed_in_the_browser_gives_three_estimates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, run_id = _store(tmp_path)
    with serve(db, tmp_path / "streamlit.log") as url, launch() as browser:
        page = new_page(browser)
        goto(page, f"{url}/team?dataset={DATASET}&run={run_id}")
        heading(page, "Team review")
        pick_reviewer(page, "ana")
        page.get_by_text("New audit (queries drawn for an estimate)").first.click()
        fill(page, "audit-name", "audit one")
        fill(page, "audit-reviewers", "ana")
        fill(page, "audit-size", str(AUDITED))
        click(page, "audit-create")
        see(page, f"{AUDITED} queries of {QUERIES} drawn uniformly")
        task = storage.team.get_task(db, "audit one", DATASET)
        mine = storage.team.my_queue(db, task.task_id, "ana")["pair_id"].tolist()
        assert len(mine) == AUDITED * DOCS
        humans = storage.rankings.label_sources(db, DATASET).set_index("pair_id")["human"]

        click(page, "open-my-queue")
        heading(page, "Review queue")
        for _ in mine:
            pair_id = card_pair_id(page)
            assert "Blind task" in body_text(page)
            page.keyboard.press(str(int(humans[pair_id]) + 1))
            settle(page)
        assert storage.team.audit_queries(db, task.task_id)["audited"].sum() == AUDITED

        goto(page, f"{url}/rankers?dataset={DATASET}&run={run_id}")
        heading(page, "Rankers")
        see(page, "Estimate from an audit")
        see(page, f"{AUDITED} audited queries (of {AUDITED} drawn, uniform design)")
        text = body_text(page)

    assert cli.main(["--db", str(db), "estimate", str(task.task_id), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["audited_queries"] == AUDITED
    assert "Audited queries" in text
    rows = [r for r in found["rankings"] if r["measure"] == "nDCG@10"]
    assert {r["run"] for r in rows} == {"good", "plain"}
    for r in rows:  # every run's three estimates, each with its interval, as the CLI's
        assert f"{r['estimate']:.3f} [{r['low']:.3f}, {r['high']:.3f}]" in text
    for method in ("human only", "judge only", "prediction-powered"):
        assert method in text
