"""Pairwise runs on the Runs page through AppTest: listed beside the graded runs with their
kind and counts, resumed, renamed and deleted there, and never the active run of the pages
that need a graded one."""

from __future__ import annotations

import math
import re
import time

import pytest
from app_fixtures import DATASET, click, open_app
from pairwise_fixtures import pairwise_run, planned_pairwise_run

import judge
import storage


def _sidebar_run_ids(at) -> list[int]:
    """The run ids the sidebar offers, read from their labels ('#3 name (model) ...')."""
    return [int(o.split()[0][1:]) for o in at.sidebar.selectbox(key="sidebar-run").options]


def test_the_runs_table_lists_a_pairwise_run_with_its_kind_and_counts(store):
    db, graded = store
    pw = pairwise_run(db)  # 4 comparisons, 8 orders
    storage.pairwise.finish_pairwise_run(db, pw, storage.RunStatus.CANCELLED)
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
    storage.pairwise.record_preference(db, 3, 6, preferred=6, author="ana")
    at = open_app("runs")
    at.selectbox(key="manage-run").set_value(pw).run()
    at.text_input(key=f"rename-run-{pw}").input("swap check").run()
    click(at, "rename-run")
    assert storage.pairwise.get_pairwise_run(db, pw).name == "swap check"
    assert at.dataframe[0].value.set_index("run_id").loc[pw, "name"] == "swap check"
    sure = at.checkbox(key=f"delete-run-sure-{pw}")
    assert sure.label == (
        f"Delete run #{pw} and its 8 pairwise verdicts (labels and reviewers' preferences are kept)"
    )
    sure.check().run()
    click(at, "delete-run")
    assert not storage.pairwise.is_pairwise_run(db, pw)
    assert storage.pairwise.current_preference(db, 3, 6) == 6
    assert at.dataframe[0].value["run_id"].tolist() == [graded]
    assert at.sidebar.selectbox(key="sidebar-run").value == graded


@pytest.mark.model
def test_a_cancelled_pairwise_run_resumes_on_the_runs_page(store):
    db, graded = store
    template = judge.list_pairwise_templates()[0]
    comparisons = [[3, 4], [4, 5]]
    pw = storage.pairwise.create_pairwise_run(
        db,
        name="cut short",
        dataset=DATASET,
        backend="llama_cpp",
        model=str(judge.default_model_path()),
        prompt_template=template.text,
        prompt_sha256="0" * 64,
        params={"comparisons": comparisons},
    )
    storage.pairwise.record_pairwise_judgments(
        db,
        pw,
        [
            {"first_pair_id": 3, "second_pair_id": 4, "winner": "first", "p_first": 0.6,
             "p_second": 0.4, "parse_status": "logprobs"},
        ],
    )  # fmt: skip
    storage.pairwise.finish_pairwise_run(db, pw, storage.RunStatus.CANCELLED)
    at = open_app("runs", query={"runs-tab": "Start a run"})
    at.selectbox(key="resume-run").set_value(pw).run()
    click(at, "resume")
    job = at.session_state["judge-jobs"][DATASET]
    job.wait(timeout=300)
    assert not job.running and job.error is None, job.error
    at.run()  # the progress fragment reports the end
    at.run()
    assert not at.exception, at.exception
    assert storage.pairwise.get_pairwise_run(db, pw).status == "done"
    assert storage.pairwise.judged_orders(db, pw) == {(3, 4), (4, 3), (4, 5), (5, 4)}
    kept = storage.pairwise.pairwise_comparisons(db, pw).set_index(["pair_a", "pair_b"])
    assert kept.loc[(3, 4), "p_first_ab"] == 0.6  # the order judged before is skipped
    done = " ".join(s.value for s in at.success).replace("\\", "")
    assert f"pairwise run #{pw} resuming finished: run #{pw}, 3 orders judged, 1 skipped" in done
    assert at.sidebar.selectbox(key="sidebar-run").value == graded


def _verdicts_ago(db, run_id: int, orders: list[tuple[int, int]], seconds: float, now, *,
                  status: str = "logprobs") -> None:  # fmt: skip
    """Record `orders` as one batch written `seconds` before `now` (the store's clock read
    once), as another process judging the run writes them."""
    storage.pairwise.record_pairwise_judgments(
        db,
        run_id,
        [
            {"first_pair_id": a, "second_pair_id": b, "parse_status": status,
             "winner": "first" if status == "logprobs" else None}
            for a, b in orders
        ],
    )  # fmt: skip
    with storage.connect(db) as con:
        con.execute(
            "UPDATE pairwise_judgments SET created_at = ?::TIMESTAMP - to_microseconds(?) "
            "WHERE run_id = ? AND list_contains(?, [first_pair_id, second_pair_id])",
            [now, int(seconds * 1e6), run_id, [list(o) for o in orders]],
        )


def _bars(at) -> list[str]:
    return [p.text.replace("\\", "") for p in at.progress]


def test_a_pairwise_run_judged_elsewhere_shows_its_orders_until_it_ends(store):
    """A pairwise run the CLI judges (here: its rows written between reruns) has a live bar
    on the Runs page, counting its planned orders, as a graded run judged elsewhere has."""
    db, graded = store
    comparisons = [[3, 4], [4, 5], [3, 5], [3, 6], [4, 6]]  # 10 orders
    pw = planned_pairwise_run(db, comparisons, name="from the cli")
    at = open_app("runs")
    [bar] = _bars(at)
    assert re.fullmatch(
        rf"#{pw} from the cli \(m\.gguf\) · pairwise: 0/10 orders, no judgment yet, "
        r"started \d+ s ago",
        bar,
    ), bar
    assert at.progress[0].value == 0

    started = time.monotonic()
    with storage.connect(db) as con:
        now = con.execute("SELECT current_timestamp::TIMESTAMP").fetchall()[0][0]
    _verdicts_ago(db, pw, [(3, 4), (4, 3), (4, 5), (5, 4)], 30, now)
    _verdicts_ago(db, pw, [(3, 5)], 10, now)
    _verdicts_ago(db, pw, [(5, 3)], 10, now, status="error")
    at.run()
    rendered_s = time.monotonic() - started  # the page's clock is this much past `now`
    assert not at.exception, at.exception
    [bar] = _bars(at)
    # 2 orders written in the 20 s after the oldest recent batch: 0.1 orders/s, so the 4
    # orders left take 40 s.
    shown = re.fullmatch(
        rf"#{pw} from the cli \(m\.gguf\) · pairwise: 6/10 orders, 0\.1 orders/s, about "
        r"40 s left, last judgment (\d+) s ago, 1 failure",
        bar,
    )
    assert shown and 10 <= int(shown[1]) <= 10 + rendered_s + 1, bar
    assert at.progress[0].value == 60  # percent
    table = at.dataframe[0].value.set_index("run_id")
    assert table.loc[pw, ["status", "judged", "failed"]].tolist() == ["running", 5, 1]

    storage.pairwise.finish_pairwise_run(
        db, pw, storage.RunStatus.DONE
    )  # the CLI ends: the bar goes
    at.run()
    assert not at.exception, at.exception
    assert _bars(at) == []
    assert at.dataframe[0].value.set_index("run_id").loc[pw, "status"] == "done"
    assert at.sidebar.selectbox(key="sidebar-run").value == graded
