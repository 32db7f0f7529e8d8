"""Every page's words, rendered through AppTest on the sample and on an imported dataset of
one query: a count takes its noun's number ('1 query', '2 pairs'), and grades are shown by
name, never as bare '0: 22, 1: 29' counts."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd
import pytest
from app_fixtures import REPO
from streamlit.testing.v1 import AppTest
from words_fixtures import imported_dataset

import jobs
import judge

WRONG_PLURAL = re.compile(r"\b1 (queries|pairs|runs|judgments|reviewers|orders)\b")
WRONG_SINGULAR = re.compile(r"\b([02-9]|\d{2,}) (query|pair|run)\b")
BARE_GRADE_COUNT = re.compile(r"(?<![\w.:])[0-2]: \d")

# Each page with the tabs it renders (a tab bound to the URL renders only when open).
PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "overview": ("", ("",)),
    "confusion": ("confusion-tab", ("Matrix", "By query", "Search")),
    "review": ("", ("",)),
    "runs": ("runs-tab", ("Runs", "Start a run", "Compare two runs")),
    "rankers": ("", ("",)),
    "pairwise": ("", ("",)),
    "team": ("", ("",)),
    "data": ("data-tab", ("Dataset", "Splits", "Import", "Rubric")),
    "export": ("", ("",)),
}
ONE_QUERY = "one-query"
GRADES = ("Irrelevant", "Partial", "Exact")


def _nodes(node: object) -> Iterator[object]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def page_text(at: AppTest) -> str:
    """Every string the page shows: each element's labels, values, options, help and
    placeholders (from its message), and each table's cells."""
    parts = []
    for node in _nodes(at._tree):
        value = getattr(node, "value", None) if type(node).__name__ == "Dataframe" else None
        if isinstance(value, pd.DataFrame):
            parts.append(value.to_string())
        elif getattr(node, "proto", None) is not None and type(node).__name__ != "Dataframe":
            parts.append(str(node.proto).encode().decode("unicode_escape", errors="ignore"))
    return "\n".join(parts)


def wrong_words(text: str) -> list[str]:
    return [
        m.group(0)
        for pattern in (WRONG_PLURAL, WRONG_SINGULAR, BARE_GRADE_COUNT)
        for m in pattern.finditer(text)
    ]


def _rendered(page: str, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.query_params.update(query)
    at.run()
    at.switch_page(str(REPO / "views" / f"{page}.py")).run()
    assert not at.exception, (page, query, at.exception)
    return at


@pytest.mark.parametrize("on", ["sample", "imported"])
def test_every_page_says_counts_in_the_right_number_and_grades_by_name(store, tmp_path, on):
    db, run_id = store
    query = {"dataset": "wands-sample", "run": str(run_id)}
    if on == "imported":
        rows = [("oak desk", f"d{g}", f"desk {g}", name) for g, name in enumerate(GRADES)]
        query = {"dataset": ONE_QUERY, "run": str(imported_dataset(db, tmp_path, ONE_QUERY, rows))}
    found = {}
    for page, (key, tabs) in PAGES.items():
        for tab in tabs:
            at = _rendered(page, {**query, **({key: tab} if key else {})})
            wrong = wrong_words(page_text(at))
            if wrong:
                found[(page, tab)] = wrong
    if on == "sample":  # a split's report counts queries and pairs per grade
        at = _rendered("data", {**query, "data-tab": "Splits"})
        at.number_input(key="bench-queries").set_value(1).run()
        at.button(key="split-benchmark").click().run()
        made = " ".join(t.value for t in at.text)
        assert "benchmark: 1 query, " in made and ", labels Irrelevant " in made, made
        if wrong := wrong_words(page_text(at)):
            found[("data", "benchmark made")] = wrong
    assert found == {}


def test_the_checks_catch_what_they_are_for():
    text = "only 1 queries; 3 pair; labels 0: 22, 1: 29, 2: 11; 1 query, 2 pairs, 12:30"
    assert wrong_words(text) == ["1 queries", "3 pair", "0: 2", "1: 2", "2: 1"]


def test_a_learned_run_says_why_it_is_not_judged_again_and_what_to_do(store):
    db, judged = store
    baseline = jobs.baseline_run(db, "wands-sample")
    head = jobs.stack_run(db, judged)
    said = {}
    for run_id in (baseline, head):
        with pytest.raises(judge.SettingsError) as refused:
            jobs.settings_for_run(db, run_id)
        said[run_id] = str(refused.value)
    assert said == {
        baseline: f"run {baseline} cannot be judged again pair by pair: it is the lexical "
        "baseline, trained on the labels rather than prompted; train it again on the Runs "
        "page or with `cli.py judge --backend baseline`",
        head: f"run {head} cannot be judged again pair by pair: it is a learned head stacked "
        f"on run {judged}, trained on the labels rather than prompted; train a new head on "
        "the Runs page",
    }
