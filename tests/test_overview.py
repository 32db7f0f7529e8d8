"""The Overview page and the cross-run reports behind it: runs compared on the pairs all of
them graded, tables that show every row with grade names, figures whose labels cannot
overlap, and nothing of another dataset.

The runs here are written directly (storage.create_run + record_judgments) over chosen
subsets of the sample's pairs, so which pairs each run graded is known to the test.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import streamlit
from app_fixtures import DATASET, open_app
from conftest import SAMPLE_FOLDER
from sklearn.metrics import cohen_kappa_score, confusion_matrix, precision_recall_fscore_support
from streamlit.testing.v1 import AppTest

import jobs
import storage
from views import _figures as figures

GRADES = [0, 1, 2]
NAMES = ["Irrelevant", "Partial", "Exact"]


def _humans(db: Path) -> dict[int, int]:
    with storage.connect(db) as con:
        return dict(con.execute("SELECT pair_id, grade FROM current_labels").fetchall())


def _pair_ids(db: Path, dataset: str = DATASET) -> list[int]:
    """The dataset's pairs ordered by query, so a prefix holds whole queries first."""
    return [p["pair_id"] for p in storage.pairs_for_judging(db, dataset)]


def _run_over(
    db: Path,
    pair_ids: Iterable[int],
    name: str,
    grade_of: Callable[[int, int], int | None],
    dataset: str = DATASET,
    status: str = "done",
) -> int:
    """A run that gave each pair `grade_of(pair_id, human)` (None: a failed call); a finished
    one becomes the active run of its dataset, being the newest."""
    humans = _humans(db)
    run_id = storage.create_run(
        db,
        name=name,
        dataset=dataset,
        backend="llama_cpp",
        model="m.gguf",
        prompt_template="t",
        prompt_sha256="s",
        scale=GRADES,
        status=status,
    )
    records = []
    for pair_id in pair_ids:
        grade = grade_of(pair_id, humans[pair_id])
        records.append(
            {
                "pair_id": pair_id,
                "grade": grade,
                "raw_output": f"SCORE: {grade}",
                "parse_status": "error" if grade is None else "strict",
            }
        )
    storage.record_judgments(db, run_id, records)
    return run_id


def _always_partial(pair_id: int, human: int) -> int:
    return 1


def _right_but_every_fifth(pair_id: int, human: int) -> int | None:
    """Right, except a failed call on every fifth pair id and Exact on every seventh."""
    if pair_id % 5 == 0:
        return None
    return 2 if pair_id % 7 == 0 else human


# --- jobs.shared_pair_reports on a real DuckDB file ---------------------------------------


def test_shared_reports_score_every_run_on_the_pairs_all_of_them_graded(sample_db):
    db = sample_db
    pairs = _pair_ids(db)
    run_a = _run_over(db, pairs[:120], "first 120", _right_but_every_fifth)
    run_b = _run_over(db, pairs[60:], "from 60 on", _always_partial)
    graded_a = {p for p in pairs[:120] if p % 5}  # every fifth failed: not graded
    shared_ids = sorted(graded_a & set(pairs[60:]))

    shared = jobs.shared_pair_reports(db, [run_a, run_b])

    assert shared.n_pairs == len(shared_ids)
    assert shared.graded == {run_a: len(graded_a), run_b: len(pairs) - 60}
    with storage.connect(db) as con:
        queries = con.execute(
            "SELECT count(DISTINCT query_id) FROM pairs WHERE pair_id IN "
            f"({', '.join(map(str, shared_ids))})"
        ).fetchone()[0]
    assert shared.n_queries == queries
    humans = _humans(db)
    human = [humans[p] for p in shared_ids]
    for run_id, grade_of in ((run_a, _right_but_every_fifth), (run_b, _always_partial)):
        report = shared.reports[run_id]
        judged = [grade_of(p, humans[p]) for p in shared_ids]
        assert report.confusion.sum() == report.n_pairs == len(shared_ids)
        np.testing.assert_array_equal(
            report.confusion, confusion_matrix(human, judged, labels=GRADES)
        )
        kappa = report.metrics.set_index("metric").loc["kappa_quadratic", "value"]
        assert kappa == pytest.approx(cohen_kappa_score(human, judged, weights="quadratic"))
    # Alone, run A is also scored on the 48 pairs run B never judged.
    assert jobs.run_report(db, run_a).n_pairs == len(graded_a) > shared.n_pairs


def test_shared_reports_of_runs_with_no_common_pair_are_empty(sample_db):
    pairs = _pair_ids(sample_db)
    run_a = _run_over(sample_db, pairs[:50], "first 50", _always_partial)
    run_b = _run_over(sample_db, pairs[50:], "the rest", _always_partial)
    shared = jobs.shared_pair_reports(sample_db, [run_a, run_b])
    assert (shared.n_pairs, shared.n_queries) == (0, 0)
    assert shared.graded == {run_a: 50, run_b: len(pairs) - 50}
    assert all(r.confusion.sum() == 0 and r.metrics.empty for r in shared.reports.values())


def test_shared_reports_refuse_runs_of_two_datasets(sample_db):
    storage.importers.import_wands(sample_db, SAMPLE_FOLDER, dataset="other")
    run_a = _run_over(sample_db, _pair_ids(sample_db)[:5], "here", _always_partial)
    run_b = _run_over(
        sample_db, _pair_ids(sample_db, "other")[:5], "there", _always_partial, dataset="other"
    )
    with pytest.raises(storage.StoreError, match="runs of different datasets"):
        jobs.shared_pair_reports(sample_db, [run_a, run_b])


def test_per_grade_rows_match_scikit_learn_by_grade_name(sample_db):
    pairs = _pair_ids(sample_db)
    run_id = _run_over(sample_db, pairs, "all", _right_but_every_fifth)
    report = jobs.run_report(sample_db, run_id, n_boot=50)
    humans = _humans(sample_db)
    graded = [p for p in pairs if p % 5]
    human = [humans[p] for p in graded]
    judged = [_right_but_every_fifth(p, humans[p]) for p in graded]
    precision, recall, f1, _ = precision_recall_fscore_support(
        human, judged, labels=GRADES, zero_division=0
    )
    per_grade = report.per_grade
    assert per_grade["name"].tolist() == NAMES
    np.testing.assert_allclose(per_grade["precision"], precision)
    np.testing.assert_allclose(per_grade["recall"], recall)
    np.testing.assert_allclose(per_grade["f1"], f1)
    assert (per_grade["recall_low"] <= per_grade["recall"]).all()
    assert (per_grade["recall"] <= per_grade["recall_high"]).all()
    assert report.headline["label"].tolist() == [
        "Accuracy",
        "Macro-F1",
        "Quadratic kappa",
        "MAE",
        "Severe error rate",
    ]


# --- figures -------------------------------------------------------------------------------


def _metrics_of(db: Path, run_ids: list[int]) -> dict[str, Any]:
    shared = jobs.shared_pair_reports(db, run_ids, n_boot=20)
    return {f"#{r} run": report.metrics for r, report in shared.reports.items()}


def test_runs_keep_one_colour_across_figures_and_are_named_by_legend(sample_db):
    pairs = _pair_ids(sample_db)
    run_ids = [
        _run_over(sample_db, pairs, name, grade_of)
        for name, grade_of in (("a", _always_partial), ("b", _right_but_every_fifth))
    ]
    by_run = _metrics_of(sample_db, run_ids)
    scatter = figures.kappa_vs_severe(by_run)
    assert [t.name for t in scatter.data] == list(by_run)
    assert all("text" not in t.mode for t in scatter.data)
    assert scatter.layout.showlegend is not False
    colours = {t.name: t.marker.color for t in scatter.data}
    assert len(set(colours.values())) == 2
    for fig in (
        figures.metric_bars(by_run),
        figures.severe_bars(by_run),
        figures.recall_bars(by_run, dict(zip(GRADES, NAMES))),
    ):
        assert {t.name: t.marker.color for t in fig.data} == colours


# --- the page ------------------------------------------------------------------------------


def _chart(at: AppTest, key: str) -> dict:
    [chart] = [c for c in at.get("plotly_chart") if c.proto.id.endswith(key)]
    return json.loads(chart.proto.spec)


def _has_chart(at: AppTest, key: str) -> bool:
    return any(c.proto.id.endswith(key) for c in at.get("plotly_chart"))


def _captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def _counts_in(heatmap: dict) -> int:
    """The pairs a confusion heatmap shows: the counts before '<br>' in its cell texts."""
    return sum(int(cell.split("<br>")[0]) for row in heatmap["text"] for cell in row)


def test_overview_compares_runs_on_their_shared_pairs_and_says_how_many(store):
    db, fixture_run = store  # the fixture run graded all 174 pairs
    pairs = _pair_ids(db)
    subset = _run_over(db, pairs[:40], "first 40", _always_partial)
    at = open_app("overview")
    with storage.connect(db) as con:
        queries = con.execute(
            "SELECT count(DISTINCT query_id) FROM pairs WHERE pair_id IN "
            f"({', '.join(map(str, pairs[:40]))})"
        ).fetchone()[0]
    assert queries > 1
    assert (
        f"Compared on the 40 labelled pairs ({queries} queries) that both runs graded; on "
        f"their own, \\#{fixture_run} fixture run graded 174."
    ) in _captions(at)
    assert at.multiselect[0].value == [subset, fixture_run]
    grid = _chart(at, "confusion-grid")
    assert [_counts_in(h) for h in grid["data"]] == [40, 40]
    assert [a["text"] for a in grid["layout"]["annotations"]] == [
        f"#{subset} first 40",
        f"#{fixture_run} fixture run",
    ]

    # Leaving the small run out compares the fixture run alone, on all it graded.
    at.multiselect[0].unselect(subset).run()
    assert not at.exception, at.exception
    assert "Compared on the 174 labelled pairs (36 queries) that the run graded." in _captions(at)
    assert [_counts_in(h) for h in _chart(at, "confusion-grid")["data"]] == [174]


def test_overview_shows_no_cross_run_figure_when_the_runs_share_no_pair(store):
    db, fixture_run = store
    pairs = _pair_ids(db)
    with storage.connect(db) as con:  # the fixture run now covers only the first 100 pairs
        con.execute(
            f"DELETE FROM judgments WHERE run_id = {fixture_run} AND pair_id IN "
            f"({', '.join(map(str, pairs[100:]))})"
        )
    rest = _run_over(db, pairs[100:], "the rest", _always_partial)
    at = open_app("overview")
    assert [w.value for w in at.warning] == [
        f"These runs have no labelled pair that both runs graded (\\#{rest} the rest graded "
        f"{len(pairs) - 100}, \\#{fixture_run} fixture run graded 100), so there is nothing "
        "to compare them on. Leave out a run to compare the others."
    ]
    for key in ("metric-bars", "severe-bars", "kappa-severe", "recall-bars", "confusion-grid"):
        assert not _has_chart(at, key)


def test_overview_counts_one_pair_and_one_query_in_the_singular(store):
    db, fixture_run = store
    _run_over(db, _pair_ids(db)[:1], "one pair", _always_partial)
    at = open_app("overview")
    captions = _captions(at)
    assert (
        f"Compared on the 1 labelled pair (1 query) that both runs graded; on their own, "
        f"\\#{fixture_run} fixture run graded 174."
    ) in captions
    assert any(c.startswith("1 judged pair with a human label, 0 of them stale") for c in captions)


def test_no_figure_on_the_page_prints_text_beside_its_points(store):
    db, _ = store
    # Cancelled, so the fixture run (with probabilities: a reliability diagram) stays active.
    _run_over(db, _pair_ids(db), "second", _right_but_every_fifth, status="cancelled")
    at = open_app("overview")
    charts = at.get("plotly_chart")
    assert len(charts) == 7  # labels, reliability, then the five cross-run figures
    for chart in charts:
        for trace in json.loads(chart.proto.spec)["data"]:
            assert "text" not in trace.get("mode", ""), (chart.proto.id, trace.get("name"))
    scatter = _chart(at, "kappa-severe")
    assert [t["name"] for t in scatter["data"]] == [m for m in at.multiselect[0].options]


def _array(value: list | dict) -> list:
    """A figure's data array as plotly serialises it: a list, or numpy's bytes in base64."""
    if isinstance(value, list):
        return value
    flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    shape = [int(n) for n in str(value.get("shape", flat.size)).split(",")]
    return flat.reshape(shape).tolist()


def test_reliability_counts_are_in_the_hover_text_not_on_the_plot(store):
    at = open_app("overview")
    judge = next(t for t in _chart(at, "reliability")["data"] if t["name"] == "judge")
    assert "text" not in judge
    assert [row[2] for row in _array(judge["customdata"])] == [174]  # shown as "174 pairs" on hover
    assert "%{customdata[2]:,} pairs" in judge["hovertemplate"]


@pytest.fixture
def dataframe_calls(monkeypatch) -> list[dict[str, Any]]:
    """The keyword arguments of every st.dataframe call the page makes, data included."""
    calls: list[dict[str, Any]] = []
    real = streamlit.dataframe

    def spy(data: Any = None, *args: Any, **kwargs: Any) -> Any:
        calls.append({"data": data, **kwargs})
        return real(data, *args, **kwargs)

    monkeypatch.setattr(streamlit, "dataframe", spy)
    return calls


def _columns(call: dict[str, Any]) -> list[str]:
    return list(call.get("column_order") or call["data"].columns)


def test_metric_tables_show_every_row_with_grade_names_and_explain_the_metrics(
    store, dataframe_calls
):
    at = open_app("overview")
    headline, per_grade = (
        next(c for c in dataframe_calls if "label" in _columns(c) and "low" in _columns(c)),
        next(c for c in dataframe_calls if "recall_interval" in _columns(c)),
    )
    # Every row in view: the tables grow to their content instead of scrolling after ten.
    assert headline["height"] == per_grade["height"] == "content"
    assert headline["data"]["label"].tolist() == [
        "Accuracy",
        "Macro-F1",
        "Quadratic kappa",
        "MAE",
        "Severe error rate",
    ]
    shown = per_grade["data"]
    assert shown["name"].tolist() == NAMES
    assert not shown.map(lambda v: isinstance(v, dict)).any().any()
    assert all(re.fullmatch(r"\d\.\d{3} – \d\.\d{3}", v) for v in shown["recall_interval"])
    explained = " ".join(_captions(at))
    assert "Quadratic kappa**: agreement beyond chance; 1 is perfect, 0 is what chance" in explained
    assert (
        "**Severe error rate**: the share of pairs the judge said Exact where humans said "
        "Irrelevant, or the reverse"
    ) in explained
    # Thresholds are written between the grades they separate, not as bare numbers.
    folds = next(c for c in dataframe_calls if "kappa_tuned" in _columns(c))
    assert folds["height"] == "content"
    assert set(folds["data"]["thresholds"]) == {"Irrelevant < 0.50 ≤ Partial < 1.50 ≤ Exact"}


def test_overview_shows_only_the_runs_of_the_active_dataset(store):
    db, fixture_run = store
    storage.importers.import_wands(db, SAMPLE_FOLDER, dataset="other")
    other = _run_over(
        db, _pair_ids(db, "other"), "run of the other set", _always_partial, dataset="other"
    )
    at = open_app("overview")
    assert at.multiselect[0].options == [f"#{fixture_run} fixture run"]
    seen = " ".join([*_captions(at), *(h.value for h in at.header)])
    assert "other set" not in seen

    at = open_app("overview", query={"dataset": "other"})
    assert at.multiselect[0].options == [f"#{other} run of the other set"]
    assert "fixture run" not in " ".join([*_captions(at), *(h.value for h in at.header)])
