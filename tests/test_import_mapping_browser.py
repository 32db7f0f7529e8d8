"""The Data page's table import in Debian's headless chromium: a file with WANDS-like headers
imports with the suggested mapping, nothing typed; one with unknown headers imports after the
suggested mapping is edited in its table; while the Import button is disabled, its reason is
on screen."""

from __future__ import annotations

import pytest
from app_fixtures import build_store
from browser import choose, click, fill, goto, launch, new_page, see, segment, serve, settle, tab

import storage

pytestmark = pytest.mark.browser


def _waits(page) -> str:
    return page.get_by_text("Import waits:").first.inner_text()


def _set_column(page, row: int, column: str) -> None:
    """In the mapping table, set row `row`'s "your column" cell to `column` as a user does:
    select the cell (the last column, at the grid's right), open its editor, type, confirm."""
    grid = page.locator("[class*='st-key-table-map-'] [data-testid='stDataFrameResizable']").first
    width, y = grid.bounding_box()["width"], 35 * (row + 1) + 17
    # A click on the cell already selected (the last edit moves the selection down a row)
    # opens its editor: select another cell of the row first.
    grid.click(position={"x": 20, "y": y})
    grid.click(position={"x": width - 40, "y": y})
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    page.keyboard.type(column)
    page.keyboard.press("Enter")
    settle(page)


def _open_table_import(page, url: str, path) -> None:
    goto(page, f"{url}/data")
    tab(page, "Import")
    choose(page, "import-format", "CSV / TSV / JSONL / Parquet")
    segment(page, "table-source", "path")
    fill(page, "table-path", str(path))


def test_import_maps_itself_and_an_edited_mapping_imports_unknown_headers(tmp_path):
    db = tmp_path / "import.duckdb"
    build_store(db)
    wands = tmp_path / "wands-like.csv"
    wands.write_text(
        "query,product_name,product_class,label\n"
        "red sofa,Red velvet sofa,Sofas,Exact\nred sofa,Blue armchair,Chairs,Irrelevant\n"
        "oak desk,Oak desk,Desks,Partial\n"
    )
    odd = tmp_path / "odd.csv"
    odd.write_text("kw,ref,verdict\nred sofa,p1,Exact\nred sofa,p2,Irrelevant\n")
    with serve(db, tmp_path / "streamlit.log") as url, launch() as browser:
        page = new_page(browser)
        _open_table_import(page, url, wands)
        see(page, "documents are told apart by product_name")
        assert _waits(page) == "Import waits: name the dataset."
        fill(page, "import-dataset", "wands-like")
        click(page, "import")
        see(page, "Imported into “wands-like”, now the active dataset.")
        stats = storage.dataset_stats(db, "wands-like")
        assert (stats.queries, stats.documents, stats.labels) == (2, 3, {0: 1, 1: 1, 2: 1})

        _open_table_import(page, url, odd)
        fill(page, "import-dataset", "odd")
        assert _waits(page) == "Import waits: map a column to query and doc_id."
        assert page.locator(".st-key-import button:visible").first.is_disabled()
        _set_column(page, 0, "kw")  # query
        see(page, "Import waits: map a column to doc_id.")
        _set_column(page, 1, "ref")  # doc_id
        _set_column(page, 8, "verdict")  # label
        assert not page.get_by_text("Import waits:").count()
        click(page, "import")
        see(page, "Imported into “odd”, now the active dataset.")
        stats = storage.dataset_stats(db, "odd")
        assert (stats.queries, stats.documents, stats.labels) == (1, 2, {0: 1, 1: 0, 2: 1})
