"""What an action leaves on screen belongs to that action: a run's outcome banner goes when
the user moves to another page, an export's result when the format or selection changes, and
a review queue says when it is finished and offers the next one."""

from __future__ import annotations

import re

from app_fixtures import DATASET, EXACT, PARTIAL, REPO, click, open_app, owned

import storage


def _plain(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _go(at, page: str):
    at.switch_page(str(REPO / "views" / f"{page}.py")).run()
    assert not at.exception, at.exception
    return at


def _started(monkeypatch, work):
    """The Runs page with `work` started in place of jobs.judge_dataset (on a remote backend,
    so no model is loaded), and its background job."""
    import jobs

    monkeypatch.setattr(jobs, "judge_dataset", work)
    at = open_app("runs", query={"runs-tab": "Start a run"})
    at.segmented_control(key="run-backend").set_value("ollama").run()
    at.text_input(key="run-remote-model").input("any-model").run()
    click(at, "start-run")
    return at, at.session_state["judge-jobs"][DATASET]


def test_a_runs_outcome_banner_goes_once_the_user_opens_another_page(store, monkeypatch):
    def failing_job(db, **_):
        raise RuntimeError("the endpoint hung up")

    at, job = _started(monkeypatch, failing_job)
    job.wait(timeout=30)
    at.run()  # the progress fragment reports the end
    outcome = [_plain(e.value) for e in at.error if "the endpoint hung up" in e.value]
    assert len(outcome) == 1 and "failed" in outcome[0]
    at.run()  # still on the Runs page: the banner stays with its run
    assert any("the endpoint hung up" in e.value for e in at.error)

    _go(at, "overview")
    _go(at, "runs")
    assert not any("the endpoint hung up" in e.value for e in at.error)
    assert DATASET not in at.session_state["judge-jobs"]


def test_a_run_still_judging_keeps_its_panel_while_the_user_is_elsewhere(store, monkeypatch):
    def waiting_job(db, *, control, **_):
        control.cancel.wait(30)
        raise RuntimeError("cancelled by the user")

    at, job = _started(monkeypatch, waiting_job)
    _go(at, "overview")
    assert at.session_state["judge-jobs"][DATASET] is job
    _go(at, "runs")
    assert [b.key for b in at.button if b.key == "cancel-run"] == ["cancel-run"]
    click(at, "cancel-run")
    job.wait(timeout=10)


def test_an_exports_result_goes_when_the_format_or_the_selection_changes(store):
    at = click(open_app("export"), "export-run")
    assert at.subheader[-1].value == "Result" and at.success
    at.radio(key="export-format").set_value(
        "chat (messages: the judge's user message, the assistant's answer)"
    ).run()
    assert not at.exception and not at.success
    assert "Result" not in [s.value for s in at.subheader]
    click(at, "export-run")
    assert at.success
    at.selectbox(key="export-split").set_value("train").run()
    assert not at.success and "Result" not in [s.value for s in at.subheader]


def test_the_preference_export_asks_for_the_failures_in_the_pages_words(store):
    at = open_app("export")
    preference = next(o for o in at.radio(key="export-format").options if "preference" in o)
    at.radio(key="export-format").set_value(preference).run()
    said = " ".join(_plain(w.value) for w in at.warning)
    assert "under Pairs, select “The active run's failures”" in said
    assert "judge_wrong" not in said
    assert at.button(key="export-run").disabled


def _reviewing_cell(db, run_id: int):
    """The Review queue on the cell human Exact x judge Partial, as the reviewer ana; the
    cell's pairs."""
    storage.team.set_allowed_reviewers(db, DATASET, ["ana"], actor="ana")
    at = open_app("review", {"queue": f"cell:{EXACT}_{PARTIAL}"})
    at.selectbox(key="reviewer-pick").set_value("ana").run()
    return at, storage.cell_pair_ids(db, run_id, human=EXACT, judge=PARTIAL)


def test_a_cell_queue_says_when_it_is_finished_and_offers_the_next_cell(store):
    db, run_id = store
    at, cell = _reviewing_cell(db, run_id)
    for pair_id in cell:
        assert not at.success
        click(at, f"grade-{pair_id}-{EXACT}")  # confirmed: the judge was wrong
    finished = [_plain(s.value) for s in at.success]
    assert finished == [f"Queue finished: {len(cell)} pairs reviewed."]
    counts = storage.confusion_counts(db, run_id)
    later = [
        (h, j)
        for h in counts.index
        for j in counts.columns
        if h != j and counts.loc[h, j] > 0 and (h, j) > (EXACT, PARTIAL)
    ]
    wrong = [(h, j) for h in counts.index for j in counts.columns if h != j and counts.loc[h, j]]
    nxt = (later or [c for c in wrong if c != (EXACT, PARTIAL)])[0]
    click(at, "review-next-cell")
    assert owned(at)["queue"].queue.value == f"{nxt[0]}_{nxt[1]}"
    assert owned(at)["queue"].pair_ids == storage.cell_pair_ids(
        db, run_id, human=nxt[0], judge=nxt[1]
    )
    assert not at.success  # the new queue is not finished


def test_undo_after_the_last_pair_takes_the_finished_message_back(store):
    db, run_id = store
    at, cell = _reviewing_cell(db, run_id)
    for pair_id in cell:
        click(at, f"grade-{pair_id}-{PARTIAL}")
    assert at.success
    click(at, "undo")
    assert not at.success and owned(at)["queue"].pair_id == cell[-1]
