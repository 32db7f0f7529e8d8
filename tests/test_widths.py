"""At 1280x900 in chromium every page reads whole, on the sample and on an imported dataset:
the columns a reader needs are fully visible and wide enough for their header and first rows,
and no metric label, button or placeholder is cut (tests/widths_probe.py measures)."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_fixtures import DATASET, EXACT, PARTIAL, build_store
from browser import click, goto, launch, new_page, serve
from team_fixtures import two_reviewer_task
from widths_probe import cut_columns, measure
from words_fixtures import imported_dataset

import storage

WIDTH, HEIGHT = 1280, 900
IMPORTED = "imported-csv"

# The one declaration of what must show whole: per page, the columns a reader needs.
ESSENTIAL: dict[str, set[str]] = {
    "overview": {"label", "pairs", "split", "queries"},
    "confusion": {"pair", "query", "product", "human", "judge", "split"},
    "review": {"grade", "by", "when", "source", "note"},
    "runs": {"run", "name", "kappa", "accuracy", "macro-F1", "severe"},
    "team": {"task_id", "name", "created_at", "done", "items"},
    "data": {"label", "pairs", "split", "queries"},
    "export": set(),
    "rankers": set(),
    "pairwise": set(),
}


ROWS = [
    ("oak desk", "d1", "Oak writing desk", "Exact"),
    ("oak desk", "d2", "Pine desk with a long name for a product", "Partial"),
    ("oak desk", "d3", "Desk lamp", "Irrelevant"),
    ("velvet sofa", "s1", "Green velvet sofa", "Exact"),
    ("velvet sofa", "s2", "Leather armchair", "Irrelevant"),
]


@pytest.fixture(scope="module")
def widths_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The judged sample with a review task, and an imported dataset with its run."""
    folder = tmp_path_factory.mktemp("widths")
    db = folder / "widths.duckdb"
    runs = {DATASET: build_store(db)}
    two_reviewer_task(db, runs[DATASET], ("ana", "bo"), author="ana")
    runs[IMPORTED] = imported_dataset(db, folder, IMPORTED, ROWS)
    two_reviewer_task(db, runs[IMPORTED], ("ana", "bo"), author="ana", dataset=IMPORTED, size=2)
    return db, runs


def _cut_on(page, name: str) -> list[str]:
    shown = measure(page)
    tables = [t for t in shown["tables"] if t["width"] > 0]  # a closed tab's table
    return [
        *(f"column {c}" for c in cut_columns(tables, ESSENTIAL[name])),
        *(f"metric label {m!r}" for m in shown["metrics"]),
        *(f"button {b!r}" for b in shown["buttons"]),
        *(f"placeholder {p!r}" for p in shown["placeholders"]),
    ]


@pytest.mark.parametrize("dataset", [DATASET, IMPORTED])
def test_every_page_reads_whole_at_1280_px(widths_store, tmp_path, dataset):
    db, runs = widths_store
    selected = f"dataset={dataset}&run={runs[dataset]}"
    found: dict[str, list[str]] = {}
    with serve(db, tmp_path / "streamlit.log") as url, launch() as browser:
        page = new_page(browser, WIDTH, HEIGHT)
        for name in ESSENTIAL:
            path = "" if name == "overview" else name
            query = selected + (f"&queue=cell:{EXACT}_{PARTIAL}" if name == "review" else "")
            goto(page, f"{url}/{path}?{query}")
            if name == "confusion":  # a cell's pair list
                counts = storage.confusion_counts(db, runs[dataset])
                human, judged = next(
                    (h, j) for h in counts.index for j in counts.columns if counts.loc[h, j]
                )
                click(page, f"cell-{human}-{judged}")
            page.wait_for_timeout(500)  # the grids size their columns after they draw
            if cut := _cut_on(page, name):
                found[name] = cut
    assert found == {}


def test_the_probe_finds_a_column_past_the_frame_and_a_narrow_one():
    tables = [
        {
            "width": 800,
            "columns": [
                {"title": "name", "left": 0, "width": 700, "need": 90},
                {"title": "when", "left": 700, "width": 75, "need": 130},
                {"title": "split", "left": 775, "width": 75, "need": 50},
            ],
        }
    ]
    assert cut_columns(tables, {"name", "when", "split"}) == [
        "when (width 75 < 130 its text needs)",
        "split (left 775 + width 75 > table 800)",
    ]
