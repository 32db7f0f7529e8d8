"""Two exports to one folder at once: the second is refused at once with one line naming the
folder and the export that is writing it (the CLI exits 2), nothing written; the first one
finishes whole, and the lock it held goes with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import cli
import jobs
import storage
from storage.training import _folder

REPO = Path(__file__).resolve().parents[1]


def test_a_second_export_to_a_folder_being_written_is_refused_with_one_line(
    sample_db, tmp_path, capsys
):
    out = tmp_path / "exports" / "training"
    jobs.export_training(sample_db, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with _folder.staged_folder(out) as staging:  # an export in the middle of its write
        (staging / "train.jsonl").write_text("", "utf-8")
        with pytest.raises(storage.StoreError) as refused:
            jobs.export_training(sample_db, out, curation=storage.training.Curation(seed=3))
        assert str(refused.value) == (
            f"another export is writing {out} right now (pid {os.getpid()}, "
            f"{_folder.process_label()}): wait for it to finish, or export to another "
            "folder (nothing was written)"
        )
        code = cli.main(["--db", str(sample_db), "export", "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1
        assert f"another export is writing {out} right now (pid {os.getpid()}" in err
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
        (staging / "manifest.json").write_text('{"files": [{"name": "train.jsonl"}]}', "utf-8")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "train.jsonl"]
    assert [p.name for p in out.parent.iterdir()] == ["training"]  # the lock went too
    made = jobs.export_training(sample_db, out)  # and the folder is free again
    assert _folder.read_manifest(out) == made.manifest and made.manifest["counts"]["exported"]


def test_the_refusal_names_another_process_that_holds_the_folder(sample_db, tmp_path):
    out = tmp_path / "training"
    with subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; sys.path.insert(0, sys.argv[1]);"
            "from storage.training import _folder;"
            "cm = _folder.staged_folder(sys.argv[2]); cm.__enter__(); print('held', flush=True);"
            "sys.stdin.read()",
            str(REPO),
            str(out),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline() == "held\n"
            refused = rf"writing {out} right now \(pid {holder.pid}, -c "
            with pytest.raises(storage.StoreError, match=refused):
                jobs.export_training(sample_db, out)
            assert not out.exists()
        finally:
            holder.kill()
    jobs.export_training(sample_db, out)  # a dead holder's lock holds nothing
    assert (out / "train.jsonl").exists()
