"""`judge` on a damaged store: refused before it writes when a table it uses cannot be read,
and a run that fails halfway (the store refusing a batch) ends failed, never running."""

from __future__ import annotations

from pathlib import Path

import pytest
from judge_fault_server import FaultServer
from store_damage import damage_table

import cli
import jobs
import judge
import storage

DATASET = "wands-sample"


def remote_judge(db: Path, server: FaultServer, *extra: str) -> int:
    return cli.main(
        [
            "--db",
            str(db),
            "judge",
            "--backend",
            "openai",
            "--model",
            "m",
            "--base-url",
            server.url,
            "--mode",
            "generate",
            "--endpoint",
            "chat",
            *extra,
        ]
    )


@pytest.mark.parametrize("table", ["pairs", "documents", "label_events", "judgments"])
def test_judge_refuses_a_store_whose_tables_fail_the_probe(sample_db, capsys, table):
    if table == "judgments":  # a run to damage
        with FaultServer(default_fault="ok1") as server:
            assert remote_judge(sample_db, server, "--limit", "3") == 0
        capsys.readouterr()
    runs = run_ids(sample_db)
    damage_table(sample_db, table)
    before = sample_db.read_bytes()
    with FaultServer(default_fault="ok1") as server:
        assert remote_judge(sample_db, server, "--limit", "3") == 2
        assert sum(server.requests.values()) == 0  # refused before any pair was judged
    # The price line may come first (it reads no label events); the refusal is the last line.
    err = capsys.readouterr().err.splitlines(keepends=True)[-1]
    # Refused by the probe, or by a read before it that meets the damaged block.
    assert err.startswith(f"error: {sample_db}: the store could not be read or written (")
    assert err.endswith("if it is damaged, `python cli.py check` lists what is wrong\n")
    assert sample_db.read_bytes() == before
    if table != "judgments":
        assert run_ids(sample_db) == runs


def test_a_store_that_refuses_a_batch_mid_run_ends_the_run_failed(sample_db, monkeypatch):
    """The first batch goes in; the store then refuses every batch (as a damaged block or a
    full disk would): the run ends failed with what was stored, and can be resumed."""
    batches = []

    def record(store, run_id, records):
        batches.append(len(records))
        if len(batches) > 1:
            raise storage.StoreIOError(store.path, "Corrupt database file")
        return storage.record_judgments(store, run_id, records)

    failing = jobs._judging.RunWriter(record=record, finish=storage.finish_run)
    monkeypatch.setattr(jobs._judging, "GRADED", failing)
    with (
        FaultServer(default_fault="ok1") as server,
        pytest.raises(storage.StoreIOError, match="Corrupt database file"),
    ):
        remote_judge_job(sample_db, server, limit=80)
    (run_id,) = run_ids(sample_db)
    assert storage.get_run(sample_db, run_id).status == "failed"
    assert len(storage.run_judgments(sample_db, run_id)) == batches[0]


def run_ids(db: Path) -> list[int]:
    return storage.list_runs(db, DATASET)["run_id"].tolist()


def remote_judge_job(db: Path, server: FaultServer, *, limit: int) -> None:
    settings = judge.JudgeSettings(
        backend="openai",
        model="m",
        base_url=server.url,
        mode="generate",
        endpoint="chat",
        concurrency=1,
    )
    jobs.judge_dataset(db, dataset=DATASET, settings=settings, limit=limit)
