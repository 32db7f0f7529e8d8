"""The pure parts of the export: record shapes, JSONL lines, and the rebalancing arithmetic."""

from __future__ import annotations

import json

import duckdb
import pytest

from storage._curate import apportion
from storage._training_formats import (
    answer,
    chat_record,
    instruction_record,
    instruction_text,
    jsonl_line,
    preference_record,
)

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


def render(pair):
    return f"Query: {pair['query']}\nProduct: {pair['product_description']}"


def test_answer_is_the_seed_score_line():
    assert answer(2) == "SCORE: 2"


def test_instruction_text_spells_out_the_scale():
    text = instruction_text([0, 1, 2, 3], ["no", "weak", "good", "exact"])
    assert "0 = no; 1 = weak; 2 = good; 3 = exact" in text
    assert "SCORE: N, where N is one of 0, 1, 2, 3" in text


def test_instruction_record_has_the_seed_shape():
    record = instruction_record(PAIR, 0, instruction="Grade it.")
    assert list(record) == ["query_id", "product_id", "instruction", "input", "output"]
    assert list(record["input"]) == [
        "query", "product_name", "product_class", "category_hierarchy", "product_description",
    ]
    assert record["product_id"] == "39828"
    assert record["output"] == "SCORE: 0"


def test_chat_record_is_system_user_assistant():
    record = chat_record(PAIR, 1, render_prompt=render, system="Be a judge.")
    assert [m["role"] for m in record["messages"]] == ["system", "user", "assistant"]
    assert record["messages"][0]["content"] == "Be a judge."
    assert record["messages"][1]["content"] == render(PAIR)
    assert record["messages"][2]["content"] == "SCORE: 1"


def test_preference_record_prefers_the_human_answer():
    record = preference_record(PAIR, 2, 1, render_prompt=render)
    assert (record["prompt"], record["chosen"], record["rejected"]) == (
        render(PAIR), "SCORE: 2", "SCORE: 1",
    )


def test_preference_record_refuses_a_pair_the_judge_got_right():
    with pytest.raises(ValueError, match="both grade 1"):
        preference_record(PAIR, 1, 1, render_prompt=render)


def test_jsonl_line_keeps_text_byte_for_byte():
    line = jsonl_line(instruction_record(PAIR, 2, instruction=TRICKY))
    assert line.endswith("}\n") and line.count("\n") == 1
    assert json.loads(line)["input"]["product_description"] == TRICKY
    assert "é 日本 😀" in line  # UTF-8 as is, not \u escapes


def test_jsonl_line_matches_duckdb_json_writer(tmp_path):
    """The fast path writes with DuckDB; the same record must give the same bytes."""
    out = tmp_path / "duck.jsonl"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT $t AS text, {{'inner': $t, 'n': 'SCORE: ' || 2}} AS nested) "
        f"TO '{out}' (FORMAT JSON)",
        {"t": TRICKY},
    )
    expected = jsonl_line({"text": TRICKY, "nested": {"inner": TRICKY, "n": "SCORE: 2"}})
    assert out.read_bytes() == expected.encode("utf-8")


@pytest.mark.parametrize(
    ("total", "shares"),
    [(10, {0: 0.3, 1: 0.4, 2: 0.3}), (7, {0: 0.5, 1: 0.5}), (101, {0: 0.2, 1: 0.1, 2: 0.7}),
     (3, {0: 1 / 3, 1: 1 / 3, 2: 1 / 3}), (5, {0: 0.0, 1: 1.0})],
)
def test_apportion_adds_up_and_stays_within_one_row(total, shares):
    parts = apportion(total, shares)
    assert sum(parts.values()) == total
    assert all(abs(parts[g] - s * total) < 1 for g, s in shares.items())
