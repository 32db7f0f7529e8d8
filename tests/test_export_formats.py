"""The pure parts of the export: record shapes, JSONL lines, and the rebalancing arithmetic."""

from __future__ import annotations

import json

import pytest

from storage.training import JudgeText
from storage.training._curate import apportion
from storage.training._formats import (
    chat_record,
    instruction_record,
    jsonl_line,
    preference_record,
    prompt_completion_record,
)
from storage.training._registry import export_format

TRICKY = 'a "quoted" \\ back\\u001f slash / new\nline\ttab\r\x01\x1f\x7f é 日本 😀 \u2028 end'

PAIR = {
    "pair_id": 7,
    "query_id": "15",
    "doc_id": "39828",
    "query": "black 5 drawer dresser",
    "product_name": "fairlin 5 drawer storage cabinet",
    "product_class": "Office Storage Cabinets",
    "category_hierarchy": "Furniture / Office Furniture / Office Storage Cabinets",
    "product_description": TRICKY,
}

# A stand-in for the judge's side, so the shapes are tested without a template.
JUDGE = JudgeText(
    render=lambda pair: f"Query: {pair['query']}\nProduct: {pair['product_description']}",
    messages=lambda pair: [{"role": "user", "content": JUDGE.render(pair)}],
    answer=lambda grade: f"[RESULT] {grade}",
    completion=lambda prompt, grade: f"\n[RESULT] {grade}",
    template_name="test",
    template_sha256="0" * 64,
)


def test_instruction_record_has_the_seed_shape_and_the_judges_prompt():
    record = instruction_record(PAIR, 0, JUDGE)
    assert list(record) == ["query_id", "product_id", "instruction", "input", "output"]
    assert list(record["input"]) == [
        "query",
        "product_name",
        "product_class",
        "category_hierarchy",
        "product_description",
    ]
    assert record["product_id"] == "39828"
    assert record["instruction"] == JUDGE.render(PAIR)
    assert record["input"]["product_description"] == TRICKY
    assert record["output"] == "[RESULT] 0"


def test_chat_record_is_the_judges_messages_then_the_answer_with_no_system_message():
    record = chat_record(PAIR, 1, JUDGE)
    assert record["messages"] == [
        {"role": "user", "content": JUDGE.render(PAIR)},
        {"role": "assistant", "content": "[RESULT] 1"},
    ]


def test_prompt_completion_records_in_both_of_trls_forms():
    plain = prompt_completion_record(PAIR, 2, JUDGE, conversational=False)
    assert (plain["prompt"], plain["completion"]) == (JUDGE.render(PAIR), "\n[RESULT] 2")
    talk = prompt_completion_record(PAIR, 2, JUDGE, conversational=True)
    assert talk["prompt"] == [{"role": "user", "content": JUDGE.render(PAIR)}]
    assert talk["completion"] == [{"role": "assistant", "content": "[RESULT] 2"}]


def test_preference_record_prefers_the_human_answer():
    record = preference_record(PAIR, 2, 1, JUDGE)
    assert (record["prompt"], record["chosen"], record["rejected"]) == (
        JUDGE.render(PAIR),
        "\n[RESULT] 2",
        "\n[RESULT] 1",
    )


def test_conversational_preference_record_holds_messages():
    record = preference_record(PAIR, 0, 2, JUDGE, conversational=True)
    assert record["prompt"] == JUDGE.messages(PAIR)
    assert record["chosen"] == [{"role": "assistant", "content": "[RESULT] 0"}]
    assert record["rejected"] == [{"role": "assistant", "content": "[RESULT] 2"}]


def test_preference_record_refuses_a_pair_the_judge_got_right():
    with pytest.raises(ValueError, match="both grade 1"):
        preference_record(PAIR, 1, 1, JUDGE)


@pytest.mark.parametrize("conversational", [False, True])
@pytest.mark.parametrize("format", ["instruction", "chat", "prompt-completion", "preference"])
def test_each_formats_maker_reads_the_grades_off_the_pair(format, conversational):
    pair = {**PAIR, "grade": 2, "judge_grade": 0}
    make = export_format(format).make
    assert make is not None
    made = make(JUDGE, conversational)(pair)
    expected = {
        "instruction": lambda: instruction_record(pair, 2, JUDGE),
        "chat": lambda: chat_record(pair, 2, JUDGE),
        "prompt-completion": lambda: prompt_completion_record(
            pair, 2, JUDGE, conversational=conversational
        ),
        "preference": lambda: preference_record(pair, 2, 0, JUDGE, conversational=conversational),
    }[format]()
    assert made == expected


def test_jsonl_line_keeps_text_byte_for_byte():
    line = jsonl_line(instruction_record(PAIR, 2, JUDGE))
    assert line.endswith("}\n") and line.count("\n") == 1
    assert json.loads(line)["input"]["product_description"] == TRICKY
    assert "é 日本 😀" in line  # UTF-8 as is, not \u escapes


def test_jsonl_line_writes_what_json_dumps_writes():
    every_ascii = "".join(map(chr, range(128)))
    values = [every_ascii, TRICKY, "plain", "", "é", "one\nline\x7f", "\u2028", 'a "b" \\ c']
    records = [{"text": v, "nested": {"k": [v, 3, None, True, 1.5]}, v: "as key"} for v in values]
    records.append(instruction_record(PAIR, 2, JUDGE))
    assert [jsonl_line(r) for r in records] == [
        json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records
    ]


@pytest.mark.parametrize(
    ("total", "shares"),
    [
        (10, {0: 0.3, 1: 0.4, 2: 0.3}),
        (7, {0: 0.5, 1: 0.5}),
        (101, {0: 0.2, 1: 0.1, 2: 0.7}),
        (3, {0: 1 / 3, 1: 1 / 3, 2: 1 / 3}),
        (5, {0: 0.0, 1: 1.0}),
    ],
)
def test_apportion_adds_up_and_stays_within_one_row(total, shares):
    parts = apportion(total, shares)
    assert sum(parts.values()) == total
    assert all(abs(parts[g] - s * total) < 1 for g, s in shares.items())
