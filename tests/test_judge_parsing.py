"""Reading grades from generated text and from next-token distributions."""

from __future__ import annotations

import math

import pytest

from judge import AnswerFormat, parse_grade
from judge._grammar import answer_grammar
from judge._parsing import distribution_from_logits, distribution_from_top_logprobs

SCALE = (0, 1, 2)
SCORE = AnswerFormat("SCORE: ", SCALE)


@pytest.mark.parametrize(
    ("text", "grade", "status"),
    [
        ("SCORE: 2", 2, "strict"),
        ("  SCORE: 0\n", 0, "strict"),
        ("SCORE:1", 1, "strict"),
        ("The desk matches.\nSCORE: 1", 1, "strict"),
        ("Earlier I said SCORE: 0 but\nSCORE: 2", 2, "strict"),
        ("**Score:** 2", 2, "fallback"),
        ("score = 1", 1, "fallback"),
        ('{"score": 0, "reasoning": "no"}', 0, "fallback"),
        ("Relevance score: 2. It fits.", 2, "fallback"),
        ("2", 2, "fallback"),
        (" 1.\n", 1, "fallback"),
        ("SCORE: 3", None, "unparsed"),
        ("SCORE: 10", None, "unparsed"),
        ("score: 1.5", None, "unparsed"),
        ("I think it is relevant.", None, "unparsed"),
        ("", None, "unparsed"),
        ("   \n", None, "unparsed"),
        ("Exact", None, "unparsed"),
    ],
)
def test_parse_grade(text, grade, status):
    parsed = parse_grade(text, SCORE)
    assert (parsed.grade, parsed.status) == (grade, status)
    assert (parsed.reason is None) == (status != "unparsed")


def test_unparsed_reasons_say_what_was_wrong():
    assert parse_grade("SCORE: 7", SCORE).reason == "answer 7 is outside the scale (0, 1, 2)"
    assert parse_grade("maybe", SCORE).reason == "no 'SCORE: N' answer found in the model output"
    assert parse_grade("", SCORE).reason == "the model returned no text"


@pytest.mark.parametrize(
    ("text", "grade", "status"),
    [
        ("Feedback: fits well. [RESULT] 4", 4, "strict"),
        ("Feedback: fine.\n[RESULT] 5", 5, "strict"),
        ("Feedback: fine. [RESULT] (3)", 3, "fallback"),
        ("Feedback: none. [RESULT] 0", None, "unparsed"),
        ("Feedback: none. [RESULT] 6", None, "unparsed"),
    ],
)
def test_parse_prometheus(text, grade, status):
    parsed = parse_grade(text, AnswerFormat("[RESULT] ", (1, 2, 3, 4, 5)))
    assert (parsed.grade, parsed.status) == (grade, status)


def test_distribution_from_logits_is_a_softmax():
    dist = distribution_from_logits([0.0, math.log(3.0), 1000.0 - 1000.0], SCALE)
    assert dist.probs == pytest.approx([0.2, 0.6, 0.2])
    assert dist.grade == 1
    assert dist.confidence == pytest.approx(0.6)
    assert dist.expected_grade == pytest.approx(1.0)


def test_distribution_from_huge_logits_does_not_overflow():
    dist = distribution_from_logits([1000.0, 990.0, 0.0], SCALE)
    assert sum(dist.probs) == pytest.approx(1.0)
    assert dist.grade == 0


def test_distribution_on_a_one_based_scale():
    dist = distribution_from_logits([0.0, 0.0, 0.0, 0.0, 0.0], (1, 2, 3, 4, 5))
    assert dist.expected_grade == pytest.approx(3.0)
    assert dist.grade == 1  # ties go to the first grade


def test_top_logprobs_merge_spaced_tokens_and_renormalise():
    top = {"2": math.log(0.3), " 2": math.log(0.1), "1": math.log(0.4), "\n": math.log(0.2)}
    dist = distribution_from_top_logprobs(top, SCALE)
    assert dist.probs == pytest.approx([0.0, 0.5, 0.5])
    assert dist.expected_grade == pytest.approx(1.5)


def test_top_logprobs_without_a_grade_token():
    assert distribution_from_top_logprobs({"Hello": -0.1, "7": -2.0, "²": -1.0}, SCALE) is None


def test_grammar_text():
    assert answer_grammar(SCORE, 40) == (
        'root ::= (reasoning [ \\n])? "SCORE: " grade\n'
        'grade ::= "0" | "1" | "2"\n'
        "reasoning ::= [ -~\\n]{1,40}\n"
    )
    assert (
        answer_grammar(AnswerFormat("[RESULT] ", (1, 2)), 0)
        == 'root ::= "[RESULT] " grade\ngrade ::= "1" | "2"\n'
    )
