"""Three reviewers in three chromium contexts on one blind review task with 30% overlap,
while `cli.py judge` (the bundled model) writes a run to the same store: each sees only their
own queue and no judge grade before grading; the overlap pairs they disagree on appear in
adjudication; the store holds every event each of them made; the agreement figures are a
hand computation's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from app_fixtures import DATASET, REPO, build_store
from browser import (
    body_text,
    card_pair_id,
    click,
    goto,
    heading,
    launch,
    new_page,
    pick_reviewer,
    see,
    serve,
    settle,
)
from processes import stop

import cli
import jobs
import storage

pytestmark = [pytest.mark.browser, pytest.mark.model]

REVIEWERS = ("ana", "bo", "cy")
# Each reviewer's grade of a pair: ana and bo grade alike, cy one grade up (mod 3).
SHIFT = {"ana": 0, "bo": 0, "cy": 1}
JUDGED_BY_CLI = 6


def grade_of(reviewer: str, pair_id: int) -> int:
    return (pair_id + SHIFT[reviewer]) % 3


def nominal_alpha(units: dict[int, list[int]]) -> float:
    """Krippendorff's nominal alpha by its definition: coincidences o_ck over the units with
    two or more values, each pair of values weighted 1 / (m_u - 1); then
    alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k."""
    o = [[0.0] * 3 for _ in range(3)]
    for values in units.values():
        m = len(values)
        if m < 2:
            continue
        for i, c in enumerate(values):
            for j, k in enumerate(values):
                if i != j:
                    o[c][k] += 1 / (m - 1)
    n_c = [sum(row) for row in o]
    n = sum(n_c)
    observed = sum(o[c][k] for c in range(3) for k in range(3) if c != k)
    expected = sum(n_c[c] * n_c[k] for c in range(3) for k in range(3) if c != k)
    return 1 - (n - 1) * observed / expected


def _review_my_queue(page, db: Path, task_id: int, reviewer: str) -> list[int]:
    """Open my queue from the Team page and grade every item by key, checking the card is
    blind before each grade and not after. Returns the pairs graded, in order."""
    mine = storage.team.my_queue(db, task_id, reviewer)["pair_id"].tolist()
    click(page, "open-my-queue")
    heading(page, "Review queue")
    see(page, f"my items of review task {task_id}, {len(mine)} pair")
    graded = []
    for step in range(len(mine)):
        pair_id = card_pair_id(page)
        assert pair_id in mine and pair_id not in graded  # only my items, each once
        text = body_text(page)
        assert "Blind task" in text
        assert "Raw model output" not in text and "Human label" not in text
        page.keyboard.press(str(grade_of(reviewer, pair_id) + 1))
        settle(page)
        graded.append(pair_id)
        if step == 0:  # back to the graded pair: now the judge and the labels show
            page.keyboard.press("ArrowLeft")
            settle(page)
            assert card_pair_id(page) == pair_id
            text = body_text(page)
            assert "Raw model output" in text and "Human label" in text
            page.keyboard.press("ArrowRight")
            settle(page)
    return graded


def test_three_blind_reviewers_overlap_adjudication_and_agreement(tmp_path: Path) -> None:
    db = tmp_path / "team.duckdb"
    run_id = build_store(db)
    assert (
        cli.main(
            [
                "--db",
                str(db),
                "task",
                "create",
                DATASET,
                "--name",
                "blind week",
                "--strategy",
                "random",
                "--size",
                "10",
                "--reviewers",
                ",".join(REVIEWERS),
                "--overlap",
                "0.3",
                "--blind",
                "--run",
                str(run_id),
            ]
        )  # fmt: skip
        == 0
    )
    task_id = storage.team.get_task(db, "blind week", DATASET).task_id
    judging = subprocess.Popen(
        [sys.executable, str(REPO / "cli.py"), "--db", str(db), "judge",
         "--limit", str(JUDGED_BY_CLI), "--name", "cli run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        with serve(db, tmp_path / "streamlit.log") as url, launch() as browser:
            pages = {who: new_page(browser) for who in REVIEWERS}  # one context each
            for who, page in pages.items():
                goto(page, f"{url}/team?dataset={DATASET}&run={run_id}&task={task_id}")
                heading(page, "Team review")
                pick_reviewer(page, who)
            graded = {who: _review_my_queue(page, db, task_id, who) for who, page in pages.items()}

            # The store holds every event each reviewer made, in the task.
            with storage.connect(db) as con:
                counts = dict(
                    con.execute(
                        "SELECT author, count(*) FROM label_events WHERE task_id = ? "
                        "AND source = 'review' GROUP BY author",
                        [task_id],
                    ).fetchall()
                )
            assert counts == {who: len(pairs) for who, pairs in graded.items()}
            assert sum(counts.values()) == 13  # 10 pairs, 3 of them given to two reviewers

            # Overlap pairs whose two grades differ are in adjudication, the others not.
            units: dict[int, list[int]] = {}
            for who, pairs in graded.items():
                for pair_id in pairs:
                    units.setdefault(pair_id, []).append(grade_of(who, pair_id))
            overlap = {p for p, values in units.items() if len(values) == 2}
            disputed = {p for p in overlap if len(set(units[p])) == 2}
            assert len(overlap) == 3 and disputed  # cy disagrees with the two others
            # A party to a dispute does not adjudicate it: a fourth person, the lead, does.
            lead = new_page(browser)
            goto(lead, f"{url}/team?dataset={DATASET}&run={run_id}&task={task_id}&reviewer=lead")
            for pair_id in overlap:
                shown = lead.locator(f".st-key-dispute-{pair_id}").count() > 0
                assert shown == (pair_id in disputed)
            for pair_id in disputed:
                click(lead, f"adjudicate-{pair_id}-1")
            assert {
                int(p)
                for p in storage.team.adjudication_queue(db, task_id).query("final_grade == 1")[
                    "pair_id"
                ]
            } == disputed

            # The figures are the hand computation's: on the page and from the job.
            alpha = nominal_alpha(units)
            figures = jobs.team_agreement(db, DATASET, task_id=task_id, run_id=run_id)
            assert figures.alpha_nominal == pytest.approx(alpha)
            assert figures.n_units == 3
            see(lead, "Krippendorff's alpha, nominal")
            assert f"{alpha:.2f}" in body_text(lead)
            shared = figures.pairwise.query("kind == 'human-human'")
            for row in shared.to_dict("records"):
                both = [p for p in overlap if {row["rater_a"], row["rater_b"]} <= {
                    w for w in REVIEWERS if p in graded[w]}]  # fmt: skip
                agree = [grade_of(row["rater_a"], p) == grade_of(row["rater_b"], p) for p in both]
                assert row["n_pairs"] == len(both)
                assert row["agreement"] == pytest.approx(sum(agree) / len(agree))
        out, err = judging.communicate(timeout=600)
        assert judging.returncode == 0, err
    finally:
        if judging.poll() is None:
            stop(judging, 10)
    cli_run = storage.list_runs(db, DATASET).query("name == 'cli run'")
    assert cli_run["judged"].tolist() == [JUDGED_BY_CLI]
    assert storage.check_store(db).ok
