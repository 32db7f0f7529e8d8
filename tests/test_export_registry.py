"""The export-format registry: every format declared once, with everything the writer, the
validator, the page and the CLI ask of it; a name it does not hold is an error."""

from __future__ import annotations

import dataclasses
import typing

import pytest
from app_fixtures import open_app
from test_export_validate import JUDGE, pair

import cli
import jobs
import storage
from storage.training import EXPORT_FORMATS, Answer, TrainingFormat, export_format
from storage.training._formats import jsonl_line

# The judge's text with a feedback answer too, which the prometheus format writes.
WITH_FEEDBACK = dataclasses.replace(
    JUDGE, feedback=lambda note, grade: f"Feedback: {note} {JUDGE.answer(grade)}"
)


def test_the_registry_holds_every_format_name_and_no_other():
    assert tuple(EXPORT_FORMATS) == typing.get_args(TrainingFormat)
    assert tuple(EXPORT_FORMATS) == storage.training.TRAINING_FORMATS


@pytest.mark.parametrize("declared", EXPORT_FORMATS.values(), ids=list(EXPORT_FORMATS))
def test_each_format_declares_a_builder_a_check_an_answer_and_its_words(declared):
    assert declared.label.startswith(declared.name.replace("-", " ").split(" ")[0])
    assert declared.help and "%" not in declared.help  # argparse formats help with %
    assert isinstance(declared.answer, Answer)
    assert declared.forms in ((False,), (True,), (False, True))
    assert declared.ids[0] == "query_id"
    # Records are labelled pairs, built here, or the reviewers' decisions, built by the
    # pairwise writer, whose answer is a choice between two products.
    assert (declared.make is None) is (declared.answer is Answer.CHOICE)


@pytest.mark.parametrize(
    "declared",
    [f for f in EXPORT_FORMATS.values() if f.make is not None],
    ids=[n for n, f in EXPORT_FORMATS.items() if f.make is not None],
)
def test_each_builders_records_pass_the_formats_own_check_and_are_read_back_as_it(
    declared, tmp_path
):
    record_of = declared.make(WITH_FEEDBACK, declared.forms[-1])
    labelled = {**pair(), "grade": 2, "judge_grade": 0, "note": "fits the query"}
    record = record_of(labelled)
    found: list[tuple[str, str]] = []
    answers = {JUDGE.answer(g) for g in (0, 1, 2)}
    declared.check(record, answers, found)
    assert found == []
    path = tmp_path / "one.jsonl"
    path.write_text(jsonl_line(record), "utf-8")
    report = storage.training.validate_training_file(path, answers=answers)
    assert (report.format, report.ok) == (declared.name, True)


def test_an_unknown_format_is_an_error_not_another_formats_records(sample_db, tmp_path):
    with pytest.raises(storage.StoreError, match="unknown export format 'dpo': choose one of"):
        export_format("dpo")
    with pytest.raises(storage.StoreError, match="unknown export format 'dpo'"):
        jobs.export_training(sample_db, tmp_path / "out", format="dpo")  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


def test_the_clis_choices_and_help_read_the_registry(capsys):
    with pytest.raises(SystemExit):
        cli.main(["export", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for declared in EXPORT_FORMATS.values():
        assert f"{declared.name}: {' '.join(declared.help.split())}" in shown
    assert "{" + ",".join(EXPORT_FORMATS) + "}" in shown


def test_the_pages_format_labels_are_the_registrys(store):
    at = open_app("export")
    assert at.radio(key="export-format").options == [f.label for f in EXPORT_FORMATS.values()]
