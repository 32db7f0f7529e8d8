"""Whole journeys through the served app in Debian's headless chromium, on a dataset the test
imports from files it writes, with the bundled sample (and a run of it) present beside it.

One server and one browser for the module; the tests run in order and each continues where
the last one left the store: import -> make it active -> split -> judge (bundled model) ->
Overview -> confusion cell -> open a pair -> relabel by key -> undo -> re-judge -> review the
whole cell -> export -> validate; then reloads, a copied link in a new browser context,
switching datasets, and deleting the dataset. Every step checks what the user sees (text on
screen) and what the store holds (DuckDB queries).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from app_fixtures import build_store
from browser import (
    body_text,
    card_pair_id,
    check,
    choose,
    click,
    click_table_row,
    fill,
    goto,
    heading,
    launch,
    new_page,
    open_page,
    pick_reviewer,
    see,
    segment,
    serve,
    settle,
    shoot,
    sidebar_value,
    tab,
)

import cli
import storage

pytestmark = pytest.mark.browser

DATASET = "journey-shop"
SAMPLE = "wands-sample"
SAMPLE_RUN = "sample fixture run"
GRADES = {0: "Irrelevant", 1: "Partial", 2: "Exact"}
QUERIES = [
    "walnut desk",
    "velvet sofa",
    "brass floor lamp",
    "oak bookshelf",
    "wool rug",
    "linen curtains",
]
LONG = "A sturdy piece. " * 800  # 12,800 characters
HOSTILE = "<b>bold</b> **not bold** [link](http://x)"
PAGES = {
    "Overview": "Overview",
    "Confusion browser": "Confusion browser",
    "Review queue": "Review queue",
    "Runs": "Runs",
    "Data": "Data",
    "Export": "Export training data",
}


def _write_pairs(path: Path) -> int:
    """Six queries with six products each, two of each grade; one long description and one
    that holds markup, which must show as text."""
    rows = []
    for q, query in enumerate(QUERIES):
        for p in range(6):
            grade = p % 3
            description = (
                LONG
                if (q, p) == (0, 0)
                else HOSTILE
                if (q, p) == (0, 1)
                else (f"{query} variant {p}, {GRADES[grade].lower()} match")
            )
            rows.append(
                {
                    "search_term": query,
                    "sku": f"sku-{q}-{p}",
                    "name": f"{query.title()} model {p}",
                    "description": description,
                    "relevance": GRADES[grade],
                }
            )
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """(url, db, browser, page): the app over a store holding the sample and one run of it."""
    tmp = tmp_path_factory.mktemp("journeys")
    db = tmp / "journeys.duckdb"
    build_store(db, name=SAMPLE_RUN)
    with serve(db, tmp / "streamlit.log") as url, launch() as browser:
        page = new_page(browser)
        goto(page, url)
        yield url, db, browser, page, tmp


def _rows(db: Path, sql: str, *params) -> list[tuple]:
    with storage.connect(db) as con:
        return con.execute(sql, list(params)).fetchall()


def _only_active_dataset_on_screen(page, active: str, other_words: list[str]) -> None:
    """Nothing of another dataset on any page: no run name, query or banner of it."""
    for title, head in PAGES.items():
        open_page(page, title)
        heading(page, head)
        text = body_text(page)
        assert sidebar_value(page, "Active dataset") == active, title
        for word in other_words:
            assert word not in text, (title, word)
        assert not page.locator("[data-testid='stException']").count(), title


def test_import_makes_the_new_dataset_active(app):
    url, db, _, page, tmp = app
    n = _write_pairs(tmp / "shop.csv")
    open_page(page, "Data")
    tab(page, "Import")
    choose(page, "import-format", "CSV / TSV / JSONL / Parquet")
    segment(page, "table-source", "path")
    fill(page, "table-path", str(tmp / "shop.csv"))
    fill(
        page,
        "table-columns",
        "query=search_term,doc_id=sku,title=name,description=description,label=relevance",
    )
    assert page.locator(".st-key-import-dataset input").input_value() == ""  # no default
    fill(page, "import-dataset", DATASET)
    click(page, "import")
    see(page, f"Imported into “{DATASET}”, now the active dataset.")
    assert sidebar_value(page, "Active dataset") == DATASET
    assert sidebar_value(page, "Active run") == ""
    assert "none yet: start one on Runs" in page.locator("[data-testid='stSidebar']").inner_html()
    # The tab stays where the user is after the import's rerun.
    assert page.get_by_role("tab", name="Import").get_attribute("aria-selected") == "true"
    assert storage.dataset_stats(db, DATASET).pairs == n
    assert f"dataset={DATASET}" in page.url


def test_split_and_judge_the_benchmark_with_the_bundled_model(app):
    _, db, _, page, _ = app
    tab(page, "Splits")
    fill(page, "bench-queries", "2")
    fill(page, "bench-per-query", "6")
    click(page, "split-benchmark")
    see(page, "Splits made.")
    assert page.get_by_role("tab", name="Splits").get_attribute("aria-selected") == "true"
    assert _rows(
        db,
        "SELECT count(DISTINCT query_id), count(*) FROM pairs "
        "WHERE dataset = ? AND split = 'benchmark'",
        DATASET,
    ) == [(2, 12)]

    open_page(page, "Runs")
    see(page, "No judge run yet")
    assert SAMPLE_RUN not in body_text(page)
    tab(page, "Start a run")
    choose(page, "run-scope", "benchmark split (12 pairs)")
    fill(page, "run-name", "journey run")
    click(page, "start-run")
    page.get_by_text(re.compile(r"finished: run #\d+, 12 judged")).first.wait_for(timeout=300_000)
    settle(page)
    [(run_id, status, judged)] = _rows(
        db,
        "SELECT r.run_id, r.status, count(j.pair_id) FROM judge_runs r JOIN judgments j "
        "USING (run_id) WHERE r.dataset = ? GROUP BY ALL",
        DATASET,
    )
    assert (status, judged) == ("done", 12)
    assert sidebar_value(page, "Active run").startswith(f"#{run_id} journey run")
    assert f"run={run_id}" in page.url


def _first_cell(db: Path, run_id: int) -> tuple[int, int, int]:
    """(human, judge, pairs) of a non-empty cell, a disagreement when there is one."""
    counts = storage.confusion_counts(db, run_id)
    cells = [(h, j) for h in counts.index for j in counts.columns if counts.loc[h, j]]
    human, judge = sorted(cells, key=lambda c: c[0] == c[1])[0]
    return int(human), int(judge), int(counts.loc[human, judge])


def _run_id(db: Path) -> int:
    return _rows(db, "SELECT max(run_id) FROM judge_runs WHERE dataset = ?", DATASET)[0][0]


def test_overview_cell_pair_relabel_undo_rejudge(app):
    _, db, _, page, _ = app
    run_id = _run_id(db)
    open_page(page, "Overview")
    text = body_text(page)
    assert f"Run #{run_id} journey run" in text and "kappa" in text
    assert SAMPLE_RUN not in text

    open_page(page, "Confusion browser")
    human, judge, n = _first_cell(db, run_id)
    click(page, f"cell-{human}-{judge}")
    page.get_by_text(f"Human {GRADES[human]} × judge {GRADES[judge]}").wait_for()
    assert f"cell={human}_{judge}" in page.url
    first = storage.confusion_cell_pairs(db, run_id, human=human, judge=judge).rows
    shoot(page, "confusion")
    click_table_row(page, "cell-table", 0)  # a click on the row opens the pair
    heading(page, "Review queue")
    pair_id = card_pair_id(page)
    assert pair_id == int(first["pair_id"].iloc[0])
    assert f"pair={pair_id}" in page.url
    assert f"{n} pair" in body_text(page)
    shoot(page, "review")

    original = storage.current_label(db, pair_id).grade
    new = 0 if original else 1
    page.keyboard.press(str(new + 1))  # no reviewer named yet: refused, nothing written
    see(page, "Pick your reviewer name in the sidebar first")
    assert storage.label_history(db, pair_id)[-1]["source"] == "import"
    pick_reviewer(page, "ana")
    page.keyboard.press(str(new + 1))  # keys 1/2/3 are the grades in scale order
    settle(page)
    assert storage.current_label(db, pair_id).grade == new
    assert storage.label_history(db, pair_id)[-1]["source"] == "review"
    assert storage.label_history(db, pair_id)[-1]["author"] == "ana"
    page.keyboard.press("z")  # undo goes back to the pair and reverts the relabel
    settle(page)
    assert storage.current_label(db, pair_id).grade == original
    assert storage.label_history(db, pair_id)[-1]["source"] == "revert"
    assert card_pair_id(page) == pair_id

    before = storage.review_card(db, pair_id, run_id).judgment.created_at
    click(page, f"rejudge-{pair_id}")
    page.get_by_text("Last re-judge: old and new grade").wait_for(timeout=120_000)
    assert storage.review_card(db, pair_id, run_id).judgment.created_at > before

    open_page(page, "Confusion browser")  # the cell is still open
    page.get_by_text(f"Human {GRADES[human]} × judge {GRADES[judge]}").wait_for()
    click(page, "review-cell")
    heading(page, "Review queue")
    assert f"human {GRADES[human]} × judge {GRADES[judge]}, {n} pair" in body_text(page)


def test_long_and_hostile_text_is_shown_as_text(app):
    _, db, _, page, _ = app
    [(long_pair,)] = _rows(
        db, "SELECT pair_id FROM pairs WHERE dataset = ? AND doc_id = 'sku-0-0'", DATASET
    )
    [(hostile_pair,)] = _rows(
        db, "SELECT pair_id FROM pairs WHERE dataset = ? AND doc_id = 'sku-0-1'", DATASET
    )
    fill(page, "jump-pair", str(long_pair))
    assert card_pair_id(page) == long_pair
    see(page, "Show all 12,800 characters")
    grade_button = page.locator(f".st-key-grade-{long_pair}-2 button:visible").first
    assert grade_button.bounding_box()["y"] < 2000  # the grade buttons stay near the top
    fill(page, "jump-pair", str(hostile_pair))
    assert card_pair_id(page) == hostile_pair
    assert HOSTILE in body_text(page)
    assert not page.locator("[data-testid='stMain'] b", has_text="bold").count()


def test_search_finds_pairs_and_reviews_the_results(app):
    _, db, _, page, _ = app
    fill(page, "review-search", "velvet")
    text = body_text(page)
    assert "pairs containing “velvet”, 6 pairs" in text
    assert "Velvet Sofa" in text
    assert "search=velvet" in page.url or "queue=search" in page.url


def test_export_and_validate(app):
    _, db, _, page, _ = app
    open_page(page, "Export")
    click(page, "export-run")
    see(page, "24 pairs exported in the instruction format")  # benchmark pairs held out
    exported = db.parent / "exports" / "training" / "train.jsonl"
    assert len(exported.read_text().splitlines()) == 24
    assert cli.main(["--db", str(db), "validate", str(exported)]) == 0


def test_reload_keeps_the_view_on_every_page(app):
    _, db, _, page, _ = app
    for title, head in PAGES.items():
        open_page(page, title)
        shown = card_pair_id(page) if title == "Review queue" else None
        page.reload()
        settle(page)
        heading(page, head)
        shoot(page, head.split()[0].lower())
        assert sidebar_value(page, "Active dataset") == DATASET, title
        assert sidebar_value(page, "Active run").startswith(f"#{_run_id(db)} journey run"), title
        if shown is not None:
            assert card_pair_id(page) == shown


def test_a_copied_link_opens_the_same_pair_in_a_new_browser(app):
    url, db, browser, page, _ = app
    open_page(page, "Review queue")
    pair_id = card_pair_id(page)
    link = page.url
    context = browser.new_context(viewport={"width": 1280, "height": 1600})
    try:
        other = context.new_page()
        other.set_default_timeout(60_000)
        goto(other, link)
        heading(other, "Review queue")
        assert card_pair_id(other) == pair_id
        assert sidebar_value(other, "Active dataset") == DATASET
    finally:
        context.close()


def test_switching_datasets_shows_nothing_of_the_other(app):
    _, db, _, page, _ = app
    _only_active_dataset_on_screen(page, DATASET, [SAMPLE_RUN])
    open_page(page, "Overview")
    choose(page, "sidebar-dataset", SAMPLE)
    assert sidebar_value(page, "Active run").startswith("#1 " + SAMPLE_RUN)
    _only_active_dataset_on_screen(
        page, SAMPLE, ["journey run", "Velvet Sofa", "walnut desk", "finished: run"]
    )
    choose(page, "sidebar-dataset", DATASET)
    assert sidebar_value(page, "Active run").startswith(f"#{_run_id(db)} journey run")


def test_deleting_the_dataset_removes_it_everywhere(app):
    _, db, _, page, _ = app
    open_page(page, "Data")
    tab(page, "Dataset")
    check(page, f"delete-dataset-sure-{DATASET}")
    click(page, "delete-dataset")
    see(page, f"“{DATASET}” deleted")
    assert sidebar_value(page, "Active dataset") == SAMPLE
    for table in ("datasets", "queries", "documents", "pairs", "judge_runs"):
        assert _rows(db, f"SELECT count(*) FROM {table} WHERE dataset = ?", DATASET) == [(0,)]
    assert _rows(
        db, "SELECT count(*) FROM judgments WHERE run_id NOT IN (SELECT run_id FROM judge_runs)"
    ) == [(0,)]
    assert _rows(
        db, "SELECT count(*) FROM label_events WHERE pair_id NOT IN (SELECT pair_id FROM pairs)"
    ) == [(0,)]
    _only_active_dataset_on_screen(page, SAMPLE, ["journey run", "Velvet Sofa", DATASET])
