"""An export folder is replaced whole: a SIGKILL at any step of the write leaves the earlier
export or the new one, never a mix, and `datasets.load_dataset(folder)` reads exactly the
manifest's rows; the next export removes what a killed one left; a folder holding files no
export wrote is refused; `validate` holds every file to the manifest."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import test_export_load

import jobs
import storage
from storage.training import _folder

WORKER = Path(__file__).with_name("export_kill_worker.py")

datasets_offline = test_export_load.datasets_offline  # the same offline `datasets` fixture


def _kill_at_every_step(db: Path, old: Path, base: Path, *mode: str) -> list[int]:
    """Run the worker; the exit of each fork, step 0 (no kill) first."""
    done = subprocess.run(
        [sys.executable, str(WORKER), str(db), str(old), str(base), *mode],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    exits = [tuple(map(int, line.split())) for line in done.stdout.splitlines()]
    assert [step for step, _ in exits] == list(range(len(exits)))
    return [code for _, code in exits]


def _contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _whole(folder: Path) -> dict:
    """The manifest of a folder holding one export whole: exactly the files it lists, each
    with the rows and sha256 it records."""
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    listed = {f["name"]: f for f in manifest["files"]}
    assert sorted(p.name for p in folder.iterdir()) == sorted(["manifest.json", *listed])
    for name, entry in listed.items():
        data = (folder / name).read_bytes()
        assert (data.count(b"\n"), hashlib.sha256(data).hexdigest()) == (
            entry["rows"],
            entry["sha256"],
        )
    return manifest


def _loads_as_the_manifest_says(datasets, folder: Path, manifest: dict, cache: Path) -> None:
    loaded = datasets.load_dataset(str(folder), cache_dir=str(cache))
    assert {split: loaded[split].num_rows for split in loaded} == {
        f["part"]: f["rows"] for f in manifest["files"]
    }


@pytest.mark.parametrize("mode", [(), ("no-exchange",)], ids=["exchange", "two-renames"])
def test_a_kill_at_every_step_leaves_the_old_export_or_the_new(
    sample_db,
    tmp_path,
    datasets_offline,
    mode,
):
    old = tmp_path / "old" / "training"
    jobs.export_training(sample_db, old)
    before = _contents(old)
    exits = _kill_at_every_step(sample_db, old, tmp_path / "steps", *mode)
    # The files' and folders' flushes, the swap and the old folder's removal.
    assert len(exits) > 5 and exits == [0] + [-signal.SIGKILL] * (len(exits) - 1)
    outcomes = []
    for step in range(1, len(exits)):
        folder = tmp_path / "steps" / f"step-{step}" / "training"
        if mode and not folder.exists():
            # Killed between the two renames: the old folder is aside, and goes back first.
            _folder.recover(folder)
        manifest = _whole(folder)
        if _contents(folder) == before:
            outcomes.append("old")
        else:
            assert manifest["curation"]["seed"] == 1
            outcomes.append("new")
        _loads_as_the_manifest_says(datasets_offline, folder, manifest, tmp_path / f"hf-{step}")
        # The next export removes whatever the killed one left beside the folder.
        jobs.export_training(
            sample_db, folder, curation=storage.training.Curation(validation_share=0.2)
        )
        assert [p.name for p in folder.parent.iterdir()] == ["training"]
        assert _whole(folder)["curation"]["validation_share"] == 0.2
    # Killed before the swap, the old export stands; after it, the new one.
    assert outcomes[0] == "old" and outcomes[-1] == "new", outcomes
    assert outcomes == sorted(outcomes, reverse=True), outcomes


def test_a_folder_holding_files_no_export_wrote_is_refused_untouched(sample_db, tmp_path):
    folder = tmp_path / "out"
    jobs.export_training(sample_db, folder)
    (folder / "train_old.jsonl").write_text('{"query_id": "1"}\n', "utf-8")
    before = _contents(folder)
    with pytest.raises(storage.StoreError, match=r"holds 1 file\(s\) an export did not write"):
        jobs.export_training(
            sample_db, folder, curation=storage.training.Curation(validation_share=0.3)
        )
    assert _contents(folder) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_folder_of_the_users_own_is_refused(sample_db, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "train.jsonl").write_text("mine\n", "utf-8")
    with pytest.raises(storage.StoreError, match=r"mine holds 1 file\(s\) .*\(train.jsonl\)"):
        jobs.export_training(sample_db, tmp_path / "mine")
    assert (tmp_path / "mine" / "train.jsonl").read_text("utf-8") == "mine\n"


def test_temporary_files_of_earlier_versions_go_with_the_old_folder(sample_db, tmp_path):
    folder = tmp_path / "out"
    jobs.export_training(sample_db, folder)
    (folder / ".train.jsonl.0123456789ab.tmp").write_text("half a line", "utf-8")
    jobs.export_training(
        sample_db, folder, curation=storage.training.Curation(validation_share=0.3)
    )
    assert _whole(folder)["curation"]["validation_share"] == 0.3


@pytest.mark.parametrize("name", ["..", ".", "", "  ", "../x", "a/b", ".hidden", "a\\b"])
def test_a_folder_name_from_the_page_stays_inside_exports(tmp_path, name):
    with pytest.raises(storage.StoreError, match="give a plain name"):
        storage.training.export_folder(tmp_path / "exports", name)


def test_a_plain_folder_name_is_a_folder_inside_exports(tmp_path):
    exports = tmp_path / "exports"
    assert storage.training.export_folder(exports, " run-7_b ") == exports / "run-7_b"


def test_validate_holds_each_file_to_the_manifest(sample_db, tmp_path):
    folder = tmp_path / "out"
    jobs.export_training(
        sample_db, folder, curation=storage.training.Curation(validation_share=0.3)
    )
    assert all(report.ok for report in jobs.validate_export(folder))
    train = folder / "train.jsonl"
    lines = train.read_text("utf-8").splitlines(keepends=True)
    train.write_text("".join(lines[:-1]), "utf-8")  # one row lost
    (folder / "train_old.jsonl").write_text(lines[-1], "utf-8")
    *_, against_manifest = jobs.validate_export(folder)
    assert [str(p) for p in against_manifest.problems] == [
        f"train.jsonl: has {len(lines) - 1} rows, the manifest says {len(lines)}",
        "train.jsonl: sha256 differs from the manifest's: it changed since",
        "train_old.jsonl: is not part of this export: datasets.load_dataset(folder) "
        "would read it as data; move it out of the folder",
    ]


def test_validate_says_when_a_folder_has_no_manifest(sample_db, tmp_path):
    folder = tmp_path / "out"
    jobs.export_training(sample_db, folder)
    (folder / "manifest.json").unlink()
    *files, against_manifest = jobs.validate_export(folder)
    assert all(report.ok for report in files)
    assert [str(p) for p in against_manifest.problems] == [
        "no readable manifest.json: the files cannot be checked against their export"
    ]
