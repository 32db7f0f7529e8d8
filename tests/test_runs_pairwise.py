"""Pairwise runs on the Runs page through AppTest: listed beside the graded runs with their
kind and counts, resumed, renamed and deleted there, and never the active run of the pages
that need a graded one."""

from __future__ import annotations

import math

import pytest
from app_fixtures import DATASET, click, open_app
from pairwise_fixtures import pairwise_run

import judge
import storage


def _sidebar_run_ids(at) -> list[int]:
    """The run ids the sidebar offers, read from their labels ('#3 name (model) ...')."""
    return [int(o.split()[0][1:]) for o in at.sidebar.selectbox(key="sidebar-run").options]


def test_the_runs_table_lists_a_pairwise_run_with_its_kind_and_counts(store):
    db, graded = store
    pw = pairwise_run(db)  # 4 comparisons, 8 orders
    storage.finish_pairwise_run(db, pw, storage.RunStatus.CANCELLED)
    at = open_app("runs")
    assert not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value.set_index("run_id")
    assert table.loc[pw, ["kind", "status", "judged", "failed", "unparsed"]].tolist() == [
        "pairwise",
        "cancelled",
        8,
        0,
        0,
    ]
    assert table.loc[graded, ["kind", "judged"]].tolist() == ["graded", 174]
    assert math.isnan(table.loc[pw, "kappa"]) and not math.isnan(table.loc[graded, "kappa"])
    # The active run stays the graded one, and the sidebar never offers the pairwise run.
    assert at.sidebar.selectbox(key="sidebar-run").value == graded
    assert _sidebar_run_ids(at) == [graded]
    at = open_app("runs", query={"runs-tab": "Start a run"})
    options = at.selectbox(key="resume-run").options
    assert options == [f"#{pw} pw (m.gguf) · pairwise: cancelled, 8 orders judged"]


def test_a_link_naming_a_pairwise_run_falls_back_to_a_graded_run(store):
    db, graded = store
    pw = pairwise_run(db)
    at = open_app(query={"run": str(pw)})
    warned = " ".join(w.value for w in at.sidebar.warning).replace("\\", "")
    assert f"Run #{pw} is not a run of “{DATASET}”" in warned
    assert at.sidebar.selectbox(key="sidebar-run").value == graded
    assert at.query_params["run"] == str(graded)


def test_rename_and_delete_a_pairwise_run_on_the_runs_page(store):
    db, graded = store
    pw = pairwise_run(db)
    storage.record_preference(db, 3, 6, preferred=6, author="ana")
    at = open_app("runs")
    at.selectbox(key="manage-run").set_value(pw).run()
    at.text_input(key=f"rename-run-{pw}").input("swap check").run()
    click(at, "rename-run")
    assert storage.get_pairwise_run(db, pw).name == "swap check"
    assert at.dataframe[0].value.set_index("run_id").loc[pw, "name"] == "swap check"
    sure = at.checkbox(key=f"delete-run-sure-{pw}")
    assert sure.label == (
        f"Delete run #{pw} and its 8 pairwise verdicts (labels and reviewers' preferences are kept)"
    )
    sure.check().run()
    click(at, "delete-run")
    assert not storage.is_pairwise_run(db, pw)
    assert storage.current_preference(db, 3, 6) == 6
    assert at.dataframe[0].value["run_id"].tolist() == [graded]
    assert at.sidebar.selectbox(key="sidebar-run").value == graded


@pytest.mark.model
def test_a_cancelled_pairwise_run_resumes_on_the_runs_page(store):
    db, graded = store
    template = judge.list_pairwise_templates()[0]
    comparisons = [[3, 4], [4, 5]]
    pw = storage.create_pairwise_run(
        db,
        name="cut short",
        dataset=DATASET,
        backend="llama_cpp",
        model=str(judge.default_model_path()),
        prompt_template=template.text,
        prompt_sha256="0" * 64,
        params={"comparisons": comparisons},
    )
    storage.record_pairwise_judgments(
        db,
        pw,
        [
            {"first_pair_id": 3, "second_pair_id": 4, "winner": "first", "p_first": 0.6,
             "p_second": 0.4, "parse_status": "logprobs"},
        ],
    )  # fmt: skip
    storage.finish_pairwise_run(db, pw, storage.RunStatus.CANCELLED)
    at = open_app("runs", query={"runs-tab": "Start a run"})
    at.selectbox(key="resume-run").set_value(pw).run()
    click(at, "resume")
    job = at.session_state["judge-jobs"][DATASET]
    job.wait(timeout=300)
    assert not job.running and job.error is None, job.error
    at.run()  # the progress fragment reports the end
    at.run()
    assert not at.exception, at.exception
    assert storage.get_pairwise_run(db, pw).status == "done"
    assert storage.judged_orders(db, pw) == {(3, 4), (4, 3), (4, 5), (5, 4)}
    kept = storage.pairwise_comparisons(db, pw).set_index(["pair_a", "pair_b"])
    assert kept.loc[(3, 4), "p_first_ab"] == 0.6  # the order judged before is skipped
    done = " ".join(s.value for s in at.success).replace("\\", "")
    assert f"pairwise run #{pw} resuming finished: run #{pw}, 3 orders judged, 1 skipped" in done
    assert at.sidebar.selectbox(key="sidebar-run").value == graded
