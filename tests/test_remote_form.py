"""The Runs page's remote form: timeout, max tokens and retries reach the stored run, and
the endpoint the probe picked is said on the page, against a real server on 127.0.0.1."""

from __future__ import annotations

from app_fixtures import DATASET, click, open_app
from judge_fault_server import FaultServer

import storage


def test_the_remote_form_runs_with_its_limits_and_says_which_endpoint(store):
    db, _ = store
    with FaultServer(default_fault="nochat2") as server:
        at = open_app("runs", query={"runs-tab": "Start a run"})
        at.selectbox(key="run-scope").set_value("benchmark").run()
        at.segmented_control(key="run-backend").set_value("openai").run()
        at.text_area(key="run-base-url").input(server.url)
        at.text_input(key="run-remote-model").input("my-judge")
        at.number_input(key="run-timeout").set_value(7.0)
        at.number_input(key="run-max-tokens").set_value(12)
        at.number_input(key="run-retries").set_value(1).run()
        assert at.selectbox(key="run-endpoint").value == "auto"
        at = click(at, "start-run")
        job = at.session_state["judge-jobs"][DATASET]
        job.wait(timeout=60)
        assert job.error is None, job.error
        at.run()
    assert not at.exception
    shown = " ".join(s.value for s in at.success)
    assert (
        "Endpoint completions: chat: the server refused it with HTTP 400 (it said"
        in shown.replace("\\", "")
    )
    run = storage.get_run(db, job.outcome.run_id)
    params = run.params
    assert (params["endpoint"], params["timeout_s"], params["max_retries"]) == (
        "completions",
        7.0,
        1,
    )
    assert params["max_tokens"] == 12  # completions asks for one token whatever this says
    judged = storage.run_judgments(db, run.run_id)
    benchmark = storage.dataset_stats(db, DATASET).splits["benchmark"].pairs
    assert len(judged) == benchmark
    assert {(j["grade"], j["parse_status"]) for j in judged.values()} == {(2, "logprobs")}
