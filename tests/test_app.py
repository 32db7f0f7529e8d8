"""The app through streamlit.testing.v1.AppTest, on the WANDS sample in a temporary store."""

from __future__ import annotations

import base64
import json
import re
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from app_fixtures import (
    DATASET,
    EXACT,
    PARTIAL,
    REPO,
    build_store,
    click,
    open_app,
    owned,
    stored_run,
)
from conftest import SAMPLE_FOLDER
from sklearn.metrics import cohen_kappa_score
from streamlit.testing.v1 import AppTest

import cli
import storage

PAGES = ("overview", "confusion", "review", "runs", "data", "export")


def test_every_page_renders_on_the_sample(store):
    at = open_app()
    assert at.sidebar.selectbox(key="sidebar-dataset").value == DATASET
    assert at.sidebar.selectbox(key="sidebar-run").value == store[1]
    for page in PAGES:
        at.switch_page(str(REPO / "views" / f"{page}.py")).run()
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])


def test_the_first_start_shows_a_real_matrix_from_the_baseline(tmp_path, monkeypatch):
    """A new store gets the bundled sample and one baseline run over it, so the Confusion
    browser has a matrix before any LLM has judged; the pages say how to start an LLM run
    where a dataset has no run at all."""
    db = tmp_path / "fresh.duckdb"
    monkeypatch.setenv("WORKBENCH_DB", str(db))
    at = open_app()  # the first start imports the bundled sample by itself
    assert at.title[0].value == r"Overview: wands\-sample"  # escaped markdown
    assert storage.dataset_stats(db, DATASET).pairs > 0
    [run] = storage.list_runs(db, DATASET).to_dict("records")
    assert (run["backend"], run["status"], run["judged"]) == ("baseline", "done", 174)
    assert at.sidebar.selectbox(key="sidebar-run").value == run["run_id"]
    at.switch_page(str(REPO / "views" / "confusion.py")).run()
    assert not at.exception, at.exception
    shown = sum(
        int(b.label.split(" ")[0]) for b in at.button if b.key and b.key.startswith("cell-")
    )
    assert shown == 174
    assert "not an LLM" in at.caption[0].value

    storage.delete_run(db, run["run_id"])
    at.switch_page(str(REPO / "views" / "confusion.py")).run()
    assert [i.value for i in at.info] == ["No judge run yet: start one on the Runs page."]
    at.switch_page(str(REPO / "views" / "review.py")).run()
    assert not at.exception
    said = [i.value for i in at.info]
    assert len(said) == 1 and said[0].startswith("No judge run yet"), said
    assert all(what in said[0] for what in ("Start one on the Runs page", "find pairs above"))
    assert at.text_input(key="review-search")  # the way to review without a judge is there


def _frame_with(at: AppTest, column: str):
    """The one dataframe on the page that has `column`."""
    [frame] = [d.value for d in at.dataframe if column in d.value.columns]
    return frame


def _chart(at: AppTest, key: str) -> dict:
    [chart] = [c for c in at.get("plotly_chart") if c.proto.id.endswith(key)]
    return json.loads(chart.proto.spec)


def _array(value: list | dict) -> list:
    """A figure's data array as plotly serialises it: a list, or numpy's bytes in base64."""
    if isinstance(value, list):
        return value
    return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()


def _metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_overview_shows_the_run_metrics_with_intervals_and_the_figures(store):
    build_store(store[0], every=4, name="second run")
    at = open_app("overview")
    table = _frame_with(at, "low")
    assert {"metric", "value", "low", "high"} <= set(table.columns)
    kappa = table.set_index("metric").loc["kappa_quadratic"]
    assert kappa["low"] <= kappa["value"] <= kappa["high"]
    # Label distribution, the active run's reliability diagram, then the seed's figures:
    # metric bars, severe errors, kappa against severe errors, recall by label, and the two
    # runs' confusion matrices side by side.
    charts = at.get("plotly_chart")
    assert len(charts) == 7
    assert len(json.loads(charts[-1].proto.spec)["data"]) == 2


def test_overview_counts_the_queries_that_have_pairs(store):
    at = open_app("overview")
    shown = _metric_values(at)
    assert (shown["Queries"], shown["Pairs"], shown["Labelled"]) == ("36", "174", "174")
    assert "The dataset lists 480 queries; 444 of them have no pairs." in [
        c.value for c in at.caption
    ]


def test_overview_shows_calibration_and_thresholds_measured_on_held_out_queries(store):
    """The fixture judge puts 0.8 on its grade and is wrong on every third pair id: one
    confidence bin, (0.7, 0.8], with all 174 pairs and 2/3 of them right. So ECE is
    |2/3 - 0.8|, and the Brier score is 0.1² + 0.1² + 0.2² = 0.06 on a right pair and
    0.9² + 0.8² + 0.1² = 1.46 on a wrong one: 2/3 * 0.06 + 1/3 * 1.46 = 0.527."""
    at = open_app("overview")
    shown = _metric_values(at)
    assert shown["Expected calibration error (ECE)"] == f"{0.8 - 116 / 174:.3f}" == "0.133"
    assert shown["Brier score"] == f"{116 / 174 * 0.06 + 58 / 174 * 1.46:.3f}" == "0.527"
    judge = next(t for t in _chart(at, "reliability")["data"] if t["name"] == "judge")
    assert _array(judge["x"]) == [pytest.approx(0.8)]
    assert _array(judge["y"]) == [pytest.approx(116 / 174)]

    # The judge's own grades are the argmax of its probabilities; every pair is scored once,
    # in the fold that held its query out, so the argmax kappa is the run's quadratic kappa.
    kappa = _frame_with(at, "low").set_index("metric").loc["kappa_quadratic", "value"]
    assert shown["Quadratic kappa, judge's grade (argmax)"] == f"{kappa:.3f}"
    assert "Quadratic kappa, tuned thresholds (held out)" in shown
    folds = _frame_with(at, "kappa_tuned")
    assert folds["n_pairs"].sum() == 174 and folds["n_queries"].sum() == 36
    assert any("never saw its query" in c.value for c in at.caption)
    assert any(
        c.value.startswith("No rater agreement: this dataset has fewer than two named")
        for c in at.caption
    )


def test_overview_says_why_thresholds_are_not_tuned_on_two_queries(store):
    db, _ = store
    run_id = stored_run(
        db,
        [
            {
                "pair_id": p["pair_id"],
                "grade": 1,
                "probs": [0.2, 0.7, 0.1],
                "expected_grade": 0.9,
                "confidence": 0.7,
                "parse_status": "logprobs",
                "raw_output": "1",
            }
            for p in storage.pairs_for_judging(db, DATASET, split="benchmark")
        ],
        name="benchmark only",
        backend="llama_cpp",
        status="done",
    )
    at = open_app()
    at.sidebar.selectbox(key="sidebar-run").select(run_id).run()
    assert not at.exception, at.exception
    assert "Expected calibration error (ECE)" in _metric_values(at)
    assert (
        "Not tuned: cross-validation over queries needs at least 5 queries with "
        "probabilities; this run has 2."
    ) in [c.value for c in at.caption]


def test_overview_sets_the_judge_beside_two_named_annotators(store, wands_copy):
    """Ann gives the sample's labels, Bob the same but Exact on its first 20 rows: the page
    shows human-human kappa (Ann vs Bob) and judge-human kappa (the mean of judge vs Ann and
    judge vs Bob), each as scikit-learn computes it on all 174 pairs."""
    db, run_id = store
    storage.importers.import_wands(db, SAMPLE_FOLDER, dataset=DATASET, author="ann")
    label = wands_copy / "label.csv"
    lines = label.read_text().splitlines()
    lines[1:21] = [line.rsplit("\t", 1)[0] + "\tExact" for line in lines[1:21]]
    label.write_text("\n".join(lines) + "\n")
    storage.importers.import_wands(db, wands_copy, dataset=DATASET, author="bob")

    raters = storage.rater_labels(db, DATASET).pivot(
        index="pair_id", columns="author", values="grade"
    )
    judged = storage.run_labels(db, run_id).set_index("pair_id")["judge"].reindex(raters.index)
    human = cohen_kappa_score(raters["ann"], raters["bob"], weights="quadratic")
    judge = (
        cohen_kappa_score(raters["ann"], judged, weights="quadratic")
        + cohen_kappa_score(raters["bob"], judged, weights="quadratic")
    ) / 2
    assert human < 1  # Bob's 20 changed rows are not all Exact already

    at = open_app("overview")
    shown = _metric_values(at)
    assert shown["Human-human kappa"] == f"{human:.3f}"
    assert shown["Judge-human kappa"] == f"{judge:.3f}"
    pairwise = _frame_with(at, "rater_b")
    assert pairwise[["rater_a", "rater_b", "n_pairs"]].values.tolist() == [
        ["ann", "bob", 174],
        ["ann", "judge", 174],
        ["bob", "judge", 174],
    ]
    assert any("174 pairs graded by two or more annotators" in c.value for c in at.caption)


def test_cli_metrics_prints_the_numbers_the_overview_shows(store, capsys):
    db, run_id = store
    shown = _metric_values(open_app("overview"))
    assert cli.main(["--db", str(db), "metrics", str(run_id), "--n-boot", "50"]) == 0
    out = capsys.readouterr().out
    assert f"  Expected calibration error     {shown['Expected calibration error (ECE)']}\n" in out
    assert f"  Brier score                    {shown['Brier score']}\n" in out
    assert "(0.7, 0.8]        174            0.800        0.667\n" in out
    assert "5-fold cross-validation over queries (kappa on held-out queries only)" in out
    argmax = shown["Quadratic kappa, judge's grade (argmax)"]
    assert f"  Quadratic kappa, argmax        {argmax}\n" in out
    assert "rater agreement: none (the dataset has fewer than two named annotators)" in out

    assert cli.main(["--db", str(db), "metrics", str(run_id), "--n-boot", "50", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    calibration = report["calibration"]
    assert (calibration["pairs"], calibration["queries"]) == (174, 36)
    assert f"{calibration['ece']:.3f}" == shown["Expected calibration error (ECE)"]
    assert [r["count"] for r in calibration["reliability"]] == [174]
    folds = calibration["held_out_thresholds"]["folds"]
    assert sum(f["n_pairs"] for f in folds) == 174 and len(folds) == 5
    assert report["agreement"] is None


def test_a_cell_lists_its_pairs_and_opens_them_for_review(store):
    db, run_id = store
    expected = int(storage.confusion_counts(db, run_id).loc[EXACT, PARTIAL])
    assert expected > 0
    at = click(open_app("confusion"), f"cell-{EXACT}-{PARTIAL}")
    rows = at.dataframe[0].value
    assert len(rows) == min(expected, 50)
    assert set(rows["human"]) == {"Exact"} and set(rows["judge"]) == {"Partial"}
    click(at, "review-cell")
    assert at.title[0].value == "Review queue"
    assert owned(at)["queue"].pair_ids == storage.cell_pair_ids(
        db, run_id, human=EXACT, judge=PARTIAL
    )
    assert at.query_params["queue"] == f"cell:{EXACT}_{PARTIAL}"
    assert "Exact × judge Partial" in at.caption[0].value
    assert f"{expected:,} pairs" in at.caption[0].value


def test_cell_filters_narrow_the_matrix(store):
    at = open_app("confusion")
    at.selectbox(key=f"filter-split-{DATASET}").select("benchmark").run()
    assert not at.exception
    shown = sum(
        int(b.label.split(" ")[0].replace(",", ""))
        for b in at.button
        if b.key and b.key.startswith("cell-")
    )
    assert 0 < shown < 174


def test_relabel_unsure_note_and_undo_write_label_events(store):
    db, _ = store
    # the sidebar's picker offers them
    storage.team.set_allowed_reviewers(db, "wands-sample", ["ana", "bo"], actor="ana")
    at = open_app("review")
    queue = owned(at)["queue"]
    first, second = queue.pair_ids[:2]
    original = storage.current_label(db, first).grade
    new_grade = (original + 1) % 3

    click(at, f"grade-{first}-{new_grade}")  # no reviewer named yet: refused
    assert storage.label_history(db, first)[-1]["source"] == "import"
    assert "Pick your reviewer name in the sidebar first" in at.error[0].value
    at.selectbox(key="reviewer-pick").set_value("ana").run()
    at.text_input(key=f"note-{first}").input("brand mismatch").run()
    click(at, f"grade-{first}-{new_grade}")
    events = storage.label_history(db, first)
    assert (
        events[-1]["source"],
        events[-1]["grade"],
        events[-1]["author"],
        events[-1]["note"],
    ) == ("review", new_grade, "ana", "brand mismatch")
    assert storage.current_label(db, first).grade == new_grade
    assert owned(at)["queue"].pair_id == second  # moved on

    click(at, f"unsure-{second}")
    assert storage.current_label(db, second).unsure is True

    click(at, "undo")  # undoes the unsure mark on the second pair and goes back to it
    assert storage.current_label(db, second).unsure is False
    click(at, "undo")  # then the relabel of the first
    assert storage.current_label(db, first).grade == original
    assert owned(at)["queue"].pair_id == first
    assert [e["source"] for e in storage.label_history(db, first)][-2:] == ["review", "revert"]

    at.switch_page(str(REPO / "views" / "confusion.py")).run()
    at.switch_page(str(REPO / "views" / "review.py")).run()
    assert at.selectbox(key="reviewer-pick").value == "ana"  # kept for the session
    assert at.query_params["reviewer"] == "ana"  # and in the URL, for a reload or a new tab


def test_runs_page_lists_and_compares_runs(store):
    db, run_id = store
    second = build_store(db, every=4, name="second run")  # to compare with
    at = open_app("runs")
    assert set(at.dataframe[0].value["run_id"]) == {run_id, second}
    at = open_app("runs", query={"runs-tab": "Compare two runs"})
    differences = at.dataframe[0].value.set_index("metric")
    assert differences.loc["accuracy", "difference"] > 0  # the second run errs less often
    disagreements = at.dataframe[1].value  # pairs where the two runs disagree
    assert len(disagreements) > 0
    assert set(disagreements["judge_a"]) <= {"Irrelevant", "Partial", "Exact"}


@pytest.mark.model
def test_rejudge_the_current_pair_with_the_real_model(store):
    db, run_id = store
    at = open_app("review")
    pair_id = owned(at)["queue"].pair_id
    before = storage.review_card(db, pair_id, run_id).judgment
    click(at, f"rejudge-{pair_id}")
    after = storage.review_card(db, pair_id, run_id).judgment
    assert after.created_at > before.created_at
    assert after.parse_status == "logprobs"
    assert abs(sum(after.probs) - 1.0) < 1e-3
    shown = at.dataframe[-1].value
    assert shown["pair"].tolist() == [pair_id]
    assert shown["new grade"].iloc[0] in {"Irrelevant", "Partial", "Exact"}

    storage.team.set_allowed_reviewers(db, "wands-sample", ["ana"], actor="ana")
    at.run()
    at.selectbox(key="reviewer-pick").set_value("ana").run()
    click(at, f"grade-{pair_id}-0")  # a relabel makes the judgment stale
    assert storage.stale_pair_ids(db, run_id) == [pair_id]
    click(at, "rejudge-stale")
    assert storage.stale_pair_ids(db, run_id) == []


@pytest.mark.model
def test_start_a_run_in_the_background_on_a_split(store):
    db, _ = store
    at = open_app("runs", query={"runs-tab": "Start a run"})
    at.selectbox(key="run-scope").select("benchmark").run()
    click(at, "start-run")
    job = at.session_state["judge-jobs"][DATASET]
    job.wait(timeout=300)
    assert not job.running and job.error is None, job.error
    at.run()  # the progress fragment reports the end and selects the new run
    at.run()
    assert not at.exception
    run_id = job.outcome.run_id
    assert at.sidebar.selectbox(key="sidebar-run").value == run_id
    assert storage.get_run(db, run_id).status == "done"
    benchmark = storage.dataset_stats(db, DATASET).splits["benchmark"].pairs
    assert len(storage.run_labels(db, run_id)) == benchmark


def _start_stand_in_job(monkeypatch, work) -> AppTest:
    """The Runs page with `work` started in place of jobs.judge_dataset, on a remote backend
    so that no model is loaded."""
    import jobs

    monkeypatch.setattr(jobs, "judge_dataset", work)
    at = open_app("runs", query={"runs-tab": "Start a run"})
    at.segmented_control(key="run-backend").set_value("ollama").run()
    at.text_input(key="run-remote-model").input("any-model").run()
    return click(at, "start-run")


def test_cancel_stops_a_background_run(store, monkeypatch):
    """Cancel sets the event the job checks; a slow stand-in job shows it is honoured."""

    def slow_job(db, *, control, **_):
        while not control.cancel.wait(0.05):
            pass
        raise RuntimeError("cancelled by the user")

    at = _start_stand_in_job(monkeypatch, slow_job)
    job = at.session_state["judge-jobs"][DATASET]
    assert job.running
    at.run()
    click(at, "cancel-run")
    job.wait(timeout=10)
    assert not job.running and "cancelled" in job.error


def _plain(text: str) -> str:
    """Text as shown, without the markdown escapes common.md adds."""
    return re.sub(r"\\(.)", r"\1", text)


def _outside_run(db: Path, name: str, pair_ids: list[int] | None = None) -> int:
    """A running run as the CLI or another session records it."""
    return stored_run(db, name=name, params={"pair_ids": pair_ids})


def _judged_ago(
    db: Path,
    run_id: int,
    pair_ids: list[int],
    seconds: float,
    now: datetime,
    status: str = "logprobs",
) -> None:
    """Record judgments of `pair_ids` as one batch written `seconds` before `now` (a time of
    the store's clock read once, so a slow machine does not stretch the gaps between
    batches)."""
    storage.record_judgments(
        db,
        run_id,
        [
            {"pair_id": p, "grade": 1 if status == "logprobs" else None, "parse_status": status}
            for p in pair_ids
        ],
    )
    with storage.connect(db) as con:
        con.execute(
            "UPDATE judgments SET created_at = ?::TIMESTAMP - to_microseconds(?) "
            "WHERE run_id = ? AND list_contains(?, pair_id)",
            [now, int(seconds * 1e6), run_id, pair_ids],
        )


def _store_now(db: Path) -> datetime:
    with storage.connect(db) as con:
        return con.execute("SELECT current_timestamp::TIMESTAMP").fetchall()[0][0]


def test_runs_page_follows_runs_judged_outside_the_session(store):
    db, _ = store
    pairs = [p["pair_id"] for p in storage.pairs_for_judging(db, DATASET)]
    live = _outside_run(db, "cli run")  # the whole dataset: 174 pairs
    started = time.monotonic()
    now = _store_now(db)
    _judged_ago(db, live, pairs[:2], 30, now)
    _judged_ago(db, live, pairs[2:5], 20, now)
    _judged_ago(db, live, pairs[5:6], 10, now, status="error")
    stopped = _outside_run(db, "killed run", pair_ids=pairs[10:15])
    _judged_ago(db, stopped, pairs[10:12], 600, now)
    silent = _outside_run(db, "never judged")
    with storage.connect(db) as con:
        con.execute(
            "UPDATE judge_runs SET started_at = current_timestamp::TIMESTAMP - "
            "INTERVAL 3 HOUR WHERE run_id = ?",
            [silent],
        )

    at = open_app("runs")
    rendered_s = time.monotonic() - started  # the page's clock is this much past `now`
    bars = {int(t.split()[0][1:]): t for t in (_plain(p.text) for p in at.progress)}
    assert set(bars) == {live, stopped, silent}
    # 4 judgments written in the 20 s after the oldest recent batch: 0.2 pairs/s, so the
    # 168 pairs left take 840 s.
    shown = re.fullmatch(
        r"#\d+ cli run \(m\.gguf\): 6/174 pairs, 0\.2 pairs/s, about 14 min "
        r"left, last judgment (\d+) s ago, 1 failure",
        bars[live],
    )
    assert shown and 10 <= int(shown[1]) <= 10 + rendered_s + 1, bars[live]
    stopped_ago = re.search(r": 2/5 pairs, last judgment (\d+) min ago$", bars[stopped])
    assert stopped_ago and 10 <= int(stopped_ago[1]) <= (600 + rendered_s + 30) // 60, bars[stopped]
    assert bars[silent].endswith(": 0/174 pairs, no judgment yet, started 3.0 h ago")
    warnings = [_plain(w.value) for w in at.warning]
    assert len(warnings) == 2
    assert warnings[0].startswith(
        f"#{silent} never judged (m.gguf): no judgment since it "
        "started 3.0 h ago. The process judging it may have stopped"
    )
    assert warnings[1].startswith(
        f"#{stopped} killed run (m.gguf): no judgment for {stopped_ago[1]} min."
    )
    assert "resume it under Resume in the “Start a run” tab" in warnings[1]

    storage.finish_run(db, live, "done")  # the CLI finishes: its bar goes, its row says so
    at.run()
    assert not at.exception, at.exception
    assert {int(_plain(p.text).split()[0][1:]) for p in at.progress} == {stopped, silent}
    table = at.dataframe[0].value.set_index("run_id")
    assert table.loc[live, "status"] == "done" and table.loc[live, "judged"] == 5


def test_the_sessions_own_run_shows_once(store, monkeypatch):
    """A run this session judges has its own panel (with cancel), not a second bar."""

    def recording_job(db, *, control, **_):
        control.on_run(_outside_run(db, "own run"))
        control.cancel.wait(30)
        raise RuntimeError("cancelled by the user")

    at = _start_stand_in_job(monkeypatch, recording_job)
    job = at.session_state["judge-jobs"][DATASET]
    for _ in range(100):  # until the thread has recorded its run
        if job.run_id is not None:
            break
        job.wait(0.05)
    assert job.run_id is not None
    at.run()
    shown = [_plain(p.text) for p in at.progress]
    assert shown == [f"judging {DATASET} (whole dataset): loading…"]
    click(at, "cancel-run")
    job.wait(timeout=10)
    assert not job.running


def test_data_page_picks_a_benchmark_by_query(store):
    db, _ = store
    at = open_app("data", query={"data-tab": "Splits"})
    at.number_input(key="bench-queries").set_value(3).run()
    at.number_input(key="bench-per-query").set_value(2).run()
    click(at, "split-benchmark")
    assert "Splits made\\." in at.success[0].value
    splits = storage.dataset_stats(db, DATASET).splits
    assert splits["benchmark"].queries == 3


def test_data_page_imports_a_csv_by_path(store, tmp_path):
    db, _ = store
    table = tmp_path / "pairs.csv"
    table.write_text(
        "search_term,product_uid,product_name,relevance\n"
        "red sofa,p1,Red velvet sofa,Exact\nred sofa,p2,Blue armchair,Irrelevant\n"
    )
    at = open_app("data", query={"data-tab": "Import"})
    at.selectbox(key="import-format").select("CSV / TSV / JSONL / Parquet").run()
    at.segmented_control(key="table-source").set_value("path").run()
    at.text_input(key="table-path").input(str(table)).run()
    at.text_input(key="table-columns").input(
        "query=search_term,doc_id=product_uid,title=product_name,label=relevance"
    ).run()
    at.text_input(key="import-dataset").input("csv-test").run()
    click(at, "import")
    assert at.success[0].value == "Imported into “csv\\-test”, now the active dataset\\."
    assert storage.dataset_stats(db, "csv-test").labels == {0: 1, 1: 0, 2: 1}
    assert at.sidebar.selectbox(key="sidebar-dataset").value == "csv-test"
    assert at.sidebar.selectbox(key="sidebar-run").value is None  # the new dataset's: none
    assert at.query_params["dataset"] == "csv-test"


def test_a_run_imported_from_another_tool_can_be_browsed_but_not_rejudged(store):
    db, _ = store
    run_id = stored_run(
        db,
        [
            {"pair_id": p, "grade": 2, "raw_output": "looks exact", "parse_status": "strict"}
            for p in storage.cell_pair_ids(db, 1)[:5]
        ],
        name="judgement-ai file",
        backend="judgement-ai",
        model="gpt-x",
        prompt_template="",
        prompt_sha256="",
        status="imported",
    )
    at = open_app()
    at.sidebar.selectbox(key="sidebar-run").select(run_id).run()
    for page in ("overview", "confusion", "review", "runs"):
        at.switch_page(str(REPO / "views" / f"{page}.py")).run()
        assert not at.exception, (page, at.exception)
        if page == "overview":  # grades without probabilities: no calibration to show
            assert "No calibration: none of this run's grades comes with probabilities" in [
                c.value.split(" (")[0] for c in at.caption
            ]
            assert not any(c.proto.id.endswith("reliability") for c in at.get("plotly_chart"))
    at.switch_page(str(REPO / "views" / "review.py")).run()
    assert (
        f"Run {run_id} cannot be judged again pair by pair: it was imported from "
        "judgement-ai; start a new run on the Runs page or with `cli.py judge`"
    ) in [c.value.replace("\\", "") for c in at.caption]
