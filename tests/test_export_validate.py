"""validate_training_file: each of the seed's rules, reported on the line that breaks it."""

from __future__ import annotations

import json

import pytest

import judge
from storage import NotFoundError
from storage.training import JudgeText, validate_export_folder, validate_training_file
from storage.training._formats import (
    chat_record,
    instruction_record,
    jsonl_line,
    preference_record,
    prompt_completion_record,
)

SCORE = judge.AnswerFormat("SCORE: ", (0, 1, 2))
JUDGE = JudgeText(
    render=lambda pair: "Grade it.",
    messages=lambda pair: [{"role": "user", "content": "Grade it."}],
    answer=SCORE.render,
    completion=lambda prompt, grade: "\n" + SCORE.render(grade),
    template_name="test",
    template_sha256="0" * 64,
)


def validate(path, other=None, answers=SCORE.answers):
    return validate_training_file(path, other, answers=answers)


def pair(query_id="1", doc_id="10"):
    return {
        "query_id": query_id,
        "doc_id": doc_id,
        "query": "oak desk",
        "product_name": "desk",
        "product_class": "Desks",
        "category_hierarchy": "Furniture / Desks",
        "product_description": "a desk",
    }


def instruction(query_id="1", doc_id="10", grade=2):
    return instruction_record(pair(query_id, doc_id), grade, JUDGE)


def write(path, *records):
    path.write_text("".join(r if isinstance(r, str) else jsonl_line(r) for r in records), "utf-8")
    return path


def problems(report):
    return [(p.line, p.field) for p in report.problems]


def test_a_clean_file_has_no_problems(tmp_path):
    report = validate(write(tmp_path / "t.jsonl", instruction(), instruction("2")))
    assert report.ok and report.rows == 2 and report.format == "instruction"
    assert str(report).endswith("no problems")


def test_every_problem_is_listed_with_its_line_and_field(tmp_path):
    no_output = instruction("2")
    del no_output["output"]
    bad_input = instruction("3")
    bad_input["input"]["product_name"] = 12
    path = write(
        tmp_path / "t.jsonl",
        instruction("1"),
        no_output,
        bad_input,
        {**instruction("4"), "output": "SCORE: 3"},
        {**instruction("5"), "output": "Exact"},
        "{not json\n",
        instruction("1"),
        "[1, 2]\n",
        {**instruction("6"), "input": "flat text"},
        {k: v for k, v in instruction("7").items() if k != "query_id"},
        {**instruction("8"), "instruction": ""},
    )
    report = validate(path)
    assert problems(report) == [
        (2, "output"),
        (3, "input.product_name"),
        (4, "output"),
        (5, "output"),
        (6, None),
        (7, "product_id"),
        (8, None),
        (9, "input"),
        (10, "query_id"),
        (11, "instruction"),
    ]
    messages = [p.message for p in report.problems]
    assert messages[0] == "required field is missing"
    assert messages[2] == "'SCORE: 3' is not one of ['SCORE: 0', 'SCORE: 1', 'SCORE: 2']"
    assert messages[5] == "duplicate of line 1: query 1, product 10"
    assert "line 7, field product_id: duplicate of line 1" in str(report)


def test_the_scale_decides_the_allowed_answers(tmp_path):
    path = write(tmp_path / "t.jsonl", {**instruction(), "output": "SCORE: 3"})
    assert validate(path, answers=judge.AnswerFormat("SCORE: ", (0, 1, 2, 3)).answers).ok
    assert problems(validate(path)) == [(1, "output")]


def test_numeric_ids_name_the_same_query_as_text(tmp_path):
    path = write(
        tmp_path / "t.jsonl", {**instruction(), "query_id": 1, "product_id": 10}, instruction()
    )
    assert problems(validate(path)) == [(2, "product_id")]


def test_query_overlap_between_two_files_names_both_lines(tmp_path):
    train = write(
        tmp_path / "train.jsonl", instruction("1"), instruction("2"), instruction("3", "11")
    )
    other = write(tmp_path / "validation.jsonl", instruction("4"), instruction("3", "12"))
    report = validate(train, other)
    assert problems(report) == [(3, "query_id")]
    assert report.problems[0].message == "query 3 is also in validation.jsonl line 2"


def test_chat_rules(tmp_path):
    good = chat_record(pair(), 1, JUDGE)
    with_system = json.loads(json.dumps(chat_record(pair("8"), 1, JUDGE)))
    with_system["messages"].insert(0, {"role": "system", "content": "Judge."})
    wrong_role = json.loads(json.dumps(chat_record(pair("9"), 1, JUDGE)))
    wrong_role["messages"][0]["role"] = "assistant"
    bad_answer = json.loads(json.dumps(chat_record(pair("2"), 1, JUDGE)))
    bad_answer["messages"][1]["content"] = "SCORE: 1 because"
    short = {**chat_record(pair("3"), 1, JUDGE)}
    short["messages"] = short["messages"][:1]
    path = write(tmp_path / "c.jsonl", good, with_system, wrong_role, bad_answer, short)
    report = validate(path)
    assert report.format == "chat"
    assert problems(report) == [(3, "messages"), (4, "messages[1].content"), (5, "messages")]
    assert report.problems[0].message == (
        "roles must be user, assistant or system, user, assistant, got assistant, assistant"
    )


def test_prompt_completion_rules_in_both_forms(tmp_path):
    plain = prompt_completion_record(pair(), 2, JUDGE, conversational=False)
    talk = prompt_completion_record(pair("2"), 1, JUDGE, conversational=True)
    mixed = {**prompt_completion_record(pair("3"), 1, JUDGE, conversational=True)}
    mixed["completion"] = "SCORE: 1"
    bad = {**prompt_completion_record(pair("4"), 1, JUDGE, conversational=False)}
    bad["completion"] = " 1"
    report = validate(write(tmp_path / "pc.jsonl", plain, talk, mixed, bad))
    assert report.format == "prompt-completion"
    assert problems(report) == [(3, "completion"), (4, "completion")]


def test_preference_rules(tmp_path):
    good = preference_record(pair(), 2, 1, JUDGE)
    same = {**preference_record(pair("2"), 2, 1, JUDGE), "rejected": "SCORE: 2"}
    no_prompt = preference_record(pair("3"), 0, 2, JUDGE)
    del no_prompt["prompt"]
    talk = preference_record(pair("4"), 0, 2, JUDGE, conversational=True)
    talk_bad = preference_record(pair("5"), 0, 2, JUDGE, conversational=True)
    talk_bad["chosen"][0]["role"] = "user"
    report = validate(write(tmp_path / "p.jsonl", good, same, no_prompt, talk, talk_bad))
    assert report.format == "preference"
    assert problems(report) == [(2, "rejected"), (3, "prompt"), (5, "chosen")]


def test_an_export_folder_is_checked_file_by_file_and_across(tmp_path):
    write(tmp_path / "train.jsonl", instruction("1"), instruction("2"))
    write(tmp_path / "validation.jsonl", instruction("2", "11"))
    train, validation, manifest = validate_export_folder(tmp_path, answers=SCORE.answers)
    assert (train.rows, validation.rows) == (2, 1)
    assert problems(train) == [(2, "query_id")] and validation.ok
    assert problems(manifest) == [(None, None)]  # no manifest to hold the files to
    with pytest.raises(NotFoundError, match="has no train.jsonl"):
        validate_export_folder(tmp_path / "empty", answers=SCORE.answers)


@pytest.mark.parametrize("content", ["", "\n"])
def test_an_empty_line_is_a_problem_but_an_empty_file_is_not(tmp_path, content):
    report = validate(write(tmp_path / "t.jsonl", content))
    assert problems(report) == ([(1, None)] if content else [])


def test_bytes_that_are_not_utf8_are_a_problem_on_their_line(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(jsonl_line(instruction()).encode() + b'{"query_id": "\xff"}\n')
    report = validate(path)
    assert [(p.line, p.message) for p in report.problems] == [
        (2, "not UTF-8 text: byte 15 is 0xff")
    ]


def test_a_missing_file_is_an_error_not_a_report(tmp_path):
    with pytest.raises(NotFoundError, match="no such file: .*missing.jsonl"):
        validate(tmp_path / "missing.jsonl")
