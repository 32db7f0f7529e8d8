"""The answer line, defined once: what each shipped template asks for, and that every writer
and reader of answers (render, parser, grammar, logprob prompt) agrees on it."""

from __future__ import annotations

import pytest

from judge import (
    AnswerFormat,
    TemplateError,
    answer_format,
    list_templates,
    parse_grade,
    template_info,
)
from judge._grammar import answer_grammar


@pytest.mark.parametrize(
    ("name", "prefix", "answers"),
    [
        ("wands", "SCORE: ", ("SCORE: 0", "SCORE: 1", "SCORE: 2")),
        ("reasoning_0_3", "SCORE: ", ("SCORE: 0", "SCORE: 1", "SCORE: 2", "SCORE: 3")),
        ("prometheus_1_5", "[RESULT] ", tuple(f"[RESULT] {g}" for g in range(1, 6))),
    ],
)
def test_each_shipped_template_names_its_answer_line(name, prefix, answers):
    info = template_info(name)
    answer = answer_format(info.text, info.scale)
    assert (answer.prefix, answer.answers) == (prefix, answers)


@pytest.mark.parametrize("info", list_templates(), ids=lambda info: info.name)
def test_the_parser_reads_back_every_rendered_answer(info):
    answer = answer_format(info.text, info.scale)
    for grade in info.scale:
        parsed = parse_grade(answer.render(grade), answer)
        assert (parsed.grade, parsed.status) == (grade, "strict")
        assert f'"{answer.prefix}" grade' in answer_grammar(answer, 0)


def test_the_logprob_prompt_ends_with_the_prefix_on_its_own_line():
    answer = AnswerFormat("[RESULT] ", (1, 2, 3, 4, 5))
    assert answer.after("Feedback:") == "Feedback:\n[RESULT] "
    assert answer.after("Feedback:\n") == "Feedback:\n[RESULT] "


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: AnswerFormat("Grade: ", (0, 1)), "answer prefix 'Grade: ' is not one of"),
        (lambda: AnswerFormat("SCORE: ", (0, 10)), "grade outside 0-9"),
        (
            lambda: AnswerFormat("SCORE: ", (0, 1, 2)).render(3),
            r"grade 3 is not on the scale \(0, 1, 2\) of the answer SCORE: N",
        ),
        (lambda: answer_format("Grade it: {query}", (0, 1)), "never states the answer format"),
    ],
)
def test_bad_answer_formats_say_what_is_wrong(make, message):
    with pytest.raises(TemplateError, match=message):
        make()
