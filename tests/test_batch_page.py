"""The Runs page writes a batch file instead of judging, and imports a batch's results into
the run it wrote, through AppTest on a real store."""

from __future__ import annotations

import json

from app_fixtures import DATASET, click, open_app

import storage


def test_the_runs_page_writes_a_batch_file_and_imports_its_results(store, tmp_path):
    db, _ = store
    requests, results = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    at = open_app("runs", query={"runs-tab": "Start a run"})
    at.selectbox(key="run-scope").set_value("benchmark").run()
    at.segmented_control(key="run-backend").set_value("openai").run()
    at.text_input(key="run-remote-model").input("judge-4b")
    at.selectbox(key="run-endpoint").set_value("completions").run()
    at.toggle(key="batch-instead").set_value(True).run()
    assert "start-run" not in [button.key for button in at.button]
    at.text_input(key="batch-file").input(str(requests)).run()
    at = click(at, "batch-write")
    benchmark = storage.dataset_stats(db, DATASET).splits["benchmark"].pairs
    lines = [json.loads(line) for line in requests.read_text().splitlines()]
    assert len(lines) == benchmark
    run_id = int(lines[0]["custom_id"].split("-")[1])
    assert f"Run #{run_id}: {benchmark:,} requests" in at.success[0].value.replace("\\", "")
    assert storage.get_run(db, run_id).status is storage.RunStatus.CANCELLED

    top = {"0": -2.0, "1": -1.0, "2": -0.2}
    answer = {"choices": [{"text": "2", "logprobs": {"tokens": ["2"], "top_logprobs": [top]}}]}
    results.write_text(
        "".join(
            json.dumps(
                {
                    "custom_id": line["custom_id"],
                    "response": {"status_code": 200, "body": answer},
                    "error": None,
                }
            )
            + "\n"
            for line in lines
        )
    )
    shown = at.selectbox(key="batch-run").options
    at.selectbox(key="batch-run").select_index(
        next(i for i, r in enumerate(shown) if r.startswith(f"#{run_id} "))
    ).run()
    at.text_input(key="batch-results").input(str(results)).run()
    at = click(at, "batch-import")
    assert f"run {run_id}: {benchmark} answers imported" in at.success[0].value.replace("\\", "")
    judged = storage.run_judgments(db, run_id)
    assert {(j["grade"], j["parse_status"]) for j in judged.values()} == {(2, "logprobs")}
    assert storage.get_run(db, run_id).status is storage.RunStatus.DONE


def test_a_results_file_that_is_not_there_is_one_error(store, tmp_path):
    at = open_app("runs", query={"runs-tab": "Start a run"})
    at.text_input(key="batch-results").input(str(tmp_path / "missing.jsonl")).run()
    at = click(at, "batch-import")
    assert len(at.error) == 1
    assert "No such file or directory" in at.error[0].value
