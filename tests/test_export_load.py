"""Export folders as people load them: Hugging Face's `datasets` reads exactly the two
splits, and every record has the shape TRL's trainers read.

TRL itself is not installed (it needs torch), so its rules are written here from its
documentation (https://huggingface.co/docs/trl/dataset_formats and the `is_conversational`
entry of https://huggingface.co/docs/trl/data_utils): a dataset's *type* is given by its
columns (language modeling: `messages`; prompt-completion: `prompt`, `completion`;
preference: `prompt`, `chosen`, `rejected`), and its *format* is conversational when the
first of those columns holds a list of messages, each a dict with `role` and `content`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import jobs
import storage

TRL_TYPES = {
    "language modeling": ("messages",),
    "prompt-completion": ("prompt", "completion"),
    "preference": ("prompt", "chosen", "rejected"),
}
_TRL_KEYS = ("prompt", "chosen", "rejected", "completion", "messages")


def trl_is_conversational(example: dict[str, Any]) -> bool:
    """TRL's documented rule: a supported key holds a list whose first item is a dict with
    `role` and `content`."""
    keys = [key for key in _TRL_KEYS if key in example]
    if not keys:
        return False
    value = example[keys[0]]
    return isinstance(value, list) and bool(value) and {"role", "content"} <= set(value[0])


def trl_type(example: dict[str, Any]) -> str:
    """The TRL dataset type whose columns the example has (and no other type's)."""
    found = {key for key in _TRL_KEYS if key in example}
    (kind,) = [kind for kind, columns in TRL_TYPES.items() if found == set(columns)]
    return kind


def check_trl_messages(messages: list[dict[str, str]], roles: tuple[str, ...]) -> None:
    """Messages as TRL's chat templates read them: role and content text, in this order."""
    assert [m["role"] for m in messages] == list(roles)
    assert all(isinstance(m["content"], str) and m["content"] for m in messages)


@pytest.fixture(scope="module")
def datasets_offline():
    """The real `datasets` package, told to stay off the network: a local folder needs none."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_DATASETS_OFFLINE", "1")
        patch.setenv("HF_HUB_OFFLINE", "1")
        import datasets

        datasets.disable_progress_bars()
        yield datasets


def _wrong_run(db: Path) -> int:
    """A run that grades every third pair one grade off, for preference records."""
    with storage.connect(db) as con:
        labels = dict(con.execute("SELECT pair_id, grade FROM current_labels").fetchall())
    run = storage.create_run(
        db,
        name="off by one",
        dataset=storage.SAMPLE_DATASET,
        backend="fake",
        model="fake",
        prompt_template="wands",
        prompt_sha256="0" * 64,
        scale=[0, 1, 2],
    )
    storage.record_judgments(
        db,
        run,
        [
            {"pair_id": p, "grade": (g + 1) % 3 if p % 3 == 0 else g, "parse_status": "ok"}
            for p, g in labels.items()
        ],
    )
    return run


def _export(db: Path, folder: Path, format: str, conversational: bool) -> dict[str, Any]:
    selection = (
        storage.training.Selection(kind="judge_wrong", run_id=_wrong_run(db))
        if format == "preference"
        else storage.training.Selection()
    )
    result = jobs.export_training(
        db,
        folder,
        selection=selection,
        format=format,
        conversational=conversational,
        curation=storage.training.Curation(validation_share=0.25, seed=3),
    )
    return result.manifest


FORMS = [
    ("chat", False, "language modeling", True),
    ("prompt-completion", False, "prompt-completion", False),
    ("prompt-completion", True, "prompt-completion", True),
    ("preference", False, "preference", False),
    ("preference", True, "preference", True),
]


@pytest.mark.parametrize(("format", "conversational", "kind", "messages"), FORMS)
def test_load_dataset_reads_exactly_the_two_splits_in_trls_shapes(
    sample_db, tmp_path, datasets_offline, format, conversational, kind, messages
):
    folder = tmp_path / "export"
    manifest = _export(sample_db, folder, format, conversational)
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.json",
        "train.jsonl",
        "validation.jsonl",
    ]
    rows = {f["part"]: f["rows"] for f in manifest["files"]}
    assert manifest["conversational"] is messages
    cache = tmp_path / "hf-cache"
    for loaded in (
        datasets_offline.load_dataset("json", data_dir=str(folder), cache_dir=str(cache)),
        datasets_offline.load_dataset(str(folder), cache_dir=str(cache)),
    ):
        assert sorted(loaded) == ["train", "validation"]
        assert {split: loaded[split].num_rows for split in loaded} == rows
        train_queries = set(loaded["train"]["query_id"])
        assert train_queries and not train_queries & set(loaded["validation"]["query_id"])
        for split in loaded.values():
            for example in split:
                assert trl_type(example) == kind
                assert trl_is_conversational(example) is messages
                _check_shape(example, kind, messages)


def _check_shape(example: dict[str, Any], kind: str, messages: bool) -> None:
    """Each type's documented shape; the judge sends its prompt as one user message."""
    if kind == "language modeling":
        check_trl_messages(example["messages"], ("user", "assistant"))
        return
    answers = ("completion",) if kind == "prompt-completion" else ("chosen", "rejected")
    if messages:
        check_trl_messages(example["prompt"], ("user",))
        for key in answers:
            check_trl_messages(example[key], ("assistant",))
    else:
        assert isinstance(example["prompt"], str) and example["prompt"]
        assert all(isinstance(example[key], str) for key in answers)
    if kind == "preference":
        assert example["chosen"] != example["rejected"]


def test_the_manifest_is_no_split_of_its_own(sample_db, tmp_path, datasets_offline):
    """With no validation share the folder holds train.jsonl and the manifest: loaders see
    one split, never the manifest as data."""
    folder = tmp_path / "export"
    manifest = jobs.export_training(sample_db, folder).manifest
    loaded = datasets_offline.load_dataset(str(folder), cache_dir=str(tmp_path / "cache"))
    assert list(loaded) == ["train"] and loaded["train"].num_rows == manifest["counts"]["exported"]
    assert json.loads((folder / "manifest.json").read_text("utf-8")) == manifest
