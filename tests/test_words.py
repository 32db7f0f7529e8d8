"""Counts in words (words.py): the one pluraliser of every room."""

from __future__ import annotations

import doctest

import pytest

import words
from words import plural


@pytest.mark.parametrize(
    ("n", "noun", "expected"),
    [
        (1, "query", "1 query"),
        (0, "query", "0 queries"),
        (2, "day", "2 days"),  # a vowel before the "y"
        (1204, "pair", "1,204 pairs"),
        (1, "labelled pair", "1 labelled pair"),
        (3, "judged pair", "3 judged pairs"),
    ],
)
def test_a_count_takes_its_noun_in_the_right_number(n, noun, expected):
    assert plural(n, noun) == expected


def test_an_irregular_plural_is_given():
    assert (plural(1, "child", "children"), plural(2, "child", "children")) == (
        "1 child",
        "2 children",
    )


def test_the_docstring_examples_hold():
    assert doctest.testmod(words).failed == 0
