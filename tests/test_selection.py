"""The selection through AppTest: one dataset, run, cell, queue and pair for every page, kept in
the URL, and nothing of one dataset shown on another."""

from __future__ import annotations

from pathlib import Path

from app_fixtures import DATASET, EXACT, PARTIAL, REPO, click, open_app, owned, stored_run

import storage

OTHER = "other-shop"


def _other_dataset(db: Path, tmp_path: Path) -> None:
    """A second, unjudged dataset beside the sample."""
    table = tmp_path / "other.csv"
    table.write_text(
        "query,sku,name,grade\nteak bench,b1,Teak garden bench,Exact\n"
        "teak bench,b2,Steel stool,Irrelevant\nlinen sheet,s1,Linen sheet,Exact\n"
    )
    storage.importers.import_table(
        db,
        table,
        dataset=OTHER,
        columns=storage.importers.ColumnMap.parse("query=query,doc_id=sku,title=name,label=grade"),
    )


def _texts(at) -> str:
    return "\n".join(
        str(e.value)
        for kind in (
            "title",
            "caption",
            "info",
            "success",
            "warning",
            "markdown",
            "text",
            "subheader",
        )
        for e in getattr(at, kind)
    )


def test_a_link_opens_the_same_pair_in_its_queue(store):
    db, run_id = store
    cell = storage.cell_pair_ids(db, run_id, human=EXACT, judge=PARTIAL)
    pair_id = cell[3]
    at = open_app(
        query={
            "dataset": DATASET,
            "run": str(run_id),
            "cell": f"{EXACT}_{PARTIAL}",
            "queue": f"cell:{EXACT}_{PARTIAL}",
            "pair": str(pair_id),
        }
    )
    at.switch_page(str(REPO / "views" / "review.py")).run()
    assert not at.exception, at.exception
    queue = owned(at)["queue"]
    assert (queue.pair_ids, queue.pair_id) == (cell, pair_id)
    assert any(c.value.startswith(f"pair {pair_id} · query") for c in at.caption)
    assert at.query_params["pair"] == str(pair_id)


def test_a_link_to_a_pair_outside_the_queue_still_opens_it(store):
    db, run_id = store
    agreeing = storage.cell_pair_ids(db, run_id, human=EXACT, judge=EXACT)[0]
    at = open_app("review", query={"pair": str(agreeing)})
    assert owned(at)["queue"].pair_id == agreeing
    assert any(c.value.startswith(f"pair {agreeing} · query") for c in at.caption)


def test_a_link_to_something_gone_says_so_and_shows_what_there_is(store):
    at = open_app(query={"dataset": "deleted-long-ago", "run": "99"})
    assert at.sidebar.selectbox(key="sidebar-dataset").value == DATASET
    assert [w.value for w in at.sidebar.warning] == [
        "There is no dataset named “deleted\\-long\\-ago” in this store\\: showing what this "
        "store has instead\\."
    ]
    assert at.query_params["dataset"] == DATASET


def test_changing_the_dataset_drops_what_belonged_to_the_old_one(store, tmp_path):
    db, run_id = store
    _other_dataset(db, tmp_path)
    at = open_app("confusion")
    click(at, f"cell-{EXACT}-{PARTIAL}")
    click(at, "review-cell")
    assert owned(at)["queue"].run_id == run_id
    at.sidebar.selectbox(key="sidebar-dataset").select(OTHER).run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="sidebar-run").value is None
    box = at.session_state.get("_owned")
    assert box is None or (box[0] == OTHER and "queue" not in box[1])
    assert [i.value for i in at.info] == ["No judge run yet: start one on the Runs page."]
    assert set(at.query_params) <= {"dataset"}
    for page in ("overview", "confusion", "review", "runs", "data", "export"):
        at.switch_page(str(REPO / "views" / f"{page}.py")).run()
        assert not at.exception, (page, at.exception)
        assert "fixture run" not in _texts(at), page  # the sample's run
        assert all("wands" not in str(d.value.to_dict()) for d in at.dataframe), page
    at.sidebar.selectbox(key="sidebar-dataset").select(DATASET).run()
    assert at.sidebar.selectbox(key="sidebar-run").value == run_id  # its own default again


def test_a_cancelled_part_run_is_not_made_active(store):
    db, run_id = store
    newer = stored_run(
        db,
        [
            {"pair_id": p, "grade": 1, "parse_status": "logprobs"}
            for p in storage.cell_pair_ids(db, run_id)[:3]
        ],
        name="stopped",
        status="cancelled",
    )
    at = open_app()
    run = at.sidebar.selectbox(key="sidebar-run")
    assert run.value == run_id  # the newest finished run, not the newer part-run
    assert run.format_func(newer).endswith(" · cancelled")
    run.select(newer).run()  # the user may still pick it
    assert at.query_params["run"] == str(newer)


def test_the_tab_stays_after_a_split(store):
    db, _ = store
    at = open_app("data", query={"data-tab": "Splits"})
    at.number_input(key="bench-queries").set_value(3).run()
    click(at, "split-benchmark")
    assert at.session_state["data-tab"] == "Splits"
    assert any("Splits made\\." in s.value for s in at.success)


def test_a_split_that_takes_most_queries_asks_first(store):
    db, _ = store
    before = storage.dataset_stats(db, DATASET).splits
    at = open_app("data", query={"data-tab": "Splits"})
    at.number_input(key="bench-queries").set_value(30).run()
    assert at.warning, "no warning for a benchmark of 30 of 36 queries"
    assert at.button(key="split-benchmark").disabled
    assert storage.dataset_stats(db, DATASET).splits == before
    at.checkbox(key="split-benchmark-anyway").check().run()
    click(at, "split-benchmark")
    assert storage.dataset_stats(db, DATASET).splits["benchmark"].queries == 30


def test_the_baseline_and_a_head_start_from_the_runs_page(store):
    db, run_id = store
    at = open_app("runs", query={"runs-tab": "Start a run"})
    click(at, "baseline-run")
    baseline = storage.list_runs(db, DATASET).iloc[0]
    assert baseline["backend"] == "baseline" and baseline["judged"] == 174
    assert at.sidebar.selectbox(key="sidebar-run").value == baseline["run_id"]
    assert any("recorded, now the active run" in s.value for s in at.success)
    # The fixture run is an LLM run: a head stacks on it; the baseline itself is not offered.
    assert at.selectbox(key="stack-on").options == [
        at.selectbox(key="stack-on").format_func(run_id)
    ]
    click(at, "stack-run")
    head = storage.list_runs(db, DATASET).iloc[0]
    assert head["backend"] == "stack"
    assert storage.get_run(db, int(head["run_id"])).params["stacked_on"] == run_id


def test_a_change_made_elsewhere_shows_on_the_next_rerun(store):
    """What a rerun reads is cached until the store is written: a rename, a new run and a
    finished run from another connection all show on the next rerun, none of them after."""
    db, run_id = store
    at = open_app()
    run = at.sidebar.selectbox(key="sidebar-run")
    assert not run.format_func(run_id).startswith("#1 renamed elsewhere")
    storage.rename_run(db, run_id, "renamed elsewhere")
    newer = stored_run(db, name="judging elsewhere", status="running")
    at.run()
    run = at.sidebar.selectbox(key="sidebar-run")
    assert run.format_func(run_id).startswith(f"#{run_id} renamed elsewhere")
    assert [option.split(" ")[0] for option in run.options] == [f"#{newer}", f"#{run_id}"]
    assert run.format_func(newer).endswith(" · running")
    storage.finish_run(db, newer, storage.RunStatus.DONE)
    at.run()
    assert not at.sidebar.selectbox(key="sidebar-run").format_func(newer).endswith(" · running")
