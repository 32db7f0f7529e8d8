"""The Export page through AppTest: choose pairs, format and curation, export, read the result."""

from __future__ import annotations

import json
import re

import pytest
from app_fixtures import DATASET, click, open_app

import jobs
import storage
from views._common import md


def _export(at):
    at = click(at, "export-run")
    assert not at.error, [e.value for e in at.error]
    return at


def test_export_the_sample_with_a_validation_split(store):
    db, _ = store
    at = open_app("export")
    at.slider(key="export-validation").set_value(0.2).run()
    at.number_input(key="export-cap").set_value(3).run()
    at = _export(at)
    folder = db.parent / "exports" / "training"
    train, validation = folder / "train.jsonl", folder / "validation.jsonl"
    assert train.exists() and validation.exists()
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest["counts"]["dropped"]["benchmark"] > 0  # the fixture's benchmark split
    exported = manifest["counts"]["exported"]
    assert [s.value for s in at.success] == [
        f"{exported} pairs exported in the instruction format (of "
        f"{manifest['counts']['selected']} pairs selected)."
    ]
    files = at.dataframe[0].value
    assert files["file"].tolist() == ["train.jsonl", "validation.jsonl"]
    assert files["pairs"].sum() == exported
    assert all(
        re.fullmatch(r"(Irrelevant|Partial|Exact) \d+(, (Partial|Exact) \d+)*", labels)
        for labels in files["labels"]
    )
    previews = [c.value for c in at.code]
    assert previews[0] == "\n".join(train.read_text("utf-8").splitlines()[:5])
    labels = [b.label for b in at.get("download_button")]
    assert labels == [
        "Download train.jsonl",
        "Download validation.jsonl",
        "Download manifest.json",
    ]


def test_preference_pairs_from_one_cell_of_the_active_run(store):
    db, run_id = store
    at = open_app("export")
    at.radio(key="export-kind").set_value(
        "The active run's failures (judge grade differs from the label)"
    ).run()
    at.selectbox(key="export-cell").set_value((2, 1)).run()
    at.radio(key="export-format").set_value(
        "preference / DPO (TRL's prompt, chosen, rejected)"
    ).run()
    at.toggle(key="export-conversational").set_value(True).run()
    at.text_input(key="export-name").set_value("dpo").run()
    at = _export(at)
    folder = db.parent / "exports" / "dpo"
    rows = [json.loads(line) for line in (folder / "train.jsonl").read_text("utf-8").splitlines()]
    assert rows and {(r["chosen"][0]["content"], r["rejected"][0]["content"]) for r in rows} == {
        ("SCORE: 2", "SCORE: 1")
    }
    assert [m["role"] for m in rows[0]["prompt"]] == ["user"]
    assert rows[0]["prompt"][0]["content"].startswith("Given a search query")
    assert json.loads((folder / "manifest.json").read_text("utf-8"))["conversational"] is True


def test_an_impossible_export_says_why_in_escaped_markdown(store):
    """The store's message can quote file names, dataset names and the user's choices; the
    page shows it escaped, so markdown characters appear as written instead of formatting."""
    db, _ = store
    with pytest.raises(storage.StoreError) as raised:
        jobs.export_training(
            db,
            db.parent / "unused",
            selection=storage.training.Selection(kind="corrected", dataset=DATASET),
        )
    message = str(raised.value)
    assert message.startswith("nothing to export: no pair is corrected yet")
    at = open_app("export")
    at.radio(key="export-kind").set_value(
        "Corrected pairs (a reviewer changed the imported grade)"
    ).run()
    at = click(at, "export-run")
    assert [e.value for e in at.error] == [md(message)]
    assert at.error[0].value.startswith(r"nothing to export\: no pair is corrected yet")
    assert re.sub(r"\\(.)", r"\1", at.error[0].value) == message  # escaping only adds "\"


def test_a_template_on_another_scale_is_refused_with_both_scales(store):
    db, _ = store
    at = open_app("export")
    assert at.selectbox(key="export-template").value == "wands"  # the dataset's scale
    at.radio(key="export-format").set_value(
        "chat (messages: the judge's user message, the assistant's answer)"
    ).run()
    at.selectbox(key="export-template").set_value("prometheus_1_5").run()
    at = click(at, "export-run")
    assert [e.value for e in at.error] == [
        md(
            f"template prometheus_1_5 grades 1..5, dataset {DATASET} grades 0..2: pick a "
            "template on the dataset's scale or import with --scale"
        )
    ]
    assert not (db.parent / "exports" / "training").exists()


def test_the_counts_before_an_export_are_the_counts_after(store):
    db, _ = store
    at = open_app("export")
    at.slider(key="export-validation").set_value(0.2).run()
    (before,) = [c.value for c in at.caption if " selected: " in c.value]
    at = _export(at)
    manifest = json.loads((db.parent / "exports" / "training" / "manifest.json").read_text("utf-8"))
    counts = manifest["counts"]
    parts = ", ".join(
        f"{f['rows']} pairs ({f['queries']} queries) to {f['part']}" for f in manifest["files"]
    )
    benchmark = storage.training.LEFT_OUT["benchmark"]
    left_out = f"Left out: {counts['dropped']['benchmark']} pairs {md(benchmark)}."
    assert before.startswith(
        f"{counts['selected']} pairs selected: {counts['exported']} pairs to export, {parts}. "
        f"{left_out} Split: "
    )
    assert [s.value for s in at.success] == [
        f"{counts['exported']} pairs exported in the instruction format (of "
        f"{counts['selected']} pairs selected)."
    ]
    assert left_out in [c.value for c in at.caption]


@pytest.mark.parametrize("name", ["..", ".", "../x"])
def test_a_folder_name_that_leaves_exports_is_refused(store, name):
    db, _ = store
    at = open_app("export")
    at.text_input(key="export-name").set_value(name).run()
    assert [e.value for e in at.error] == [
        md(
            f"folder name {name!r}: give a plain name such as training (letters, digits, "
            f"- or _; no / or \\, not starting with a dot), so the export stays in "
            f"{db.parent / 'exports'}"
        )
    ]
    assert "export-run" not in [b.key for b in at.button]  # nothing to click: no export
