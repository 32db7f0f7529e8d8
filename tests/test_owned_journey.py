"""In chromium: a dataset's team work goes with it. A team task with allowed reviewers and a
guideline, made on the Team page, is listed in the Data page's delete confirmation and
deleted with the dataset; the same CSV imported again under the same name brings none of
it back; a rename takes all of it to the new name."""

from __future__ import annotations

import pytest
from browser import (
    check,
    choose,
    click,
    fill,
    goto,
    launch,
    new_page,
    open_page,
    pick_reviewer,
    see,
    segment,
    serve,
    settle,
    tab,
)
from test_owned import COLUMNS, _import, _write_dataset

import cli
import storage

pytestmark = pytest.mark.browser

DATASET = "team-shop"
RENAMED = "team-shop-2"


def _make_team_work(page) -> None:
    """On the Team page: a task for two reviewers, who become the only ones allowed, and a
    guideline, all as ana, who becomes the dataset's owner by setting its allowed list."""
    open_page(page, "Team review")
    pick_reviewer(page, "ana")
    fill(page, "task-name", "t1")
    fill(page, "task-reviewers", "ana,bob")
    fill(page, "task-size", "6")
    click(page, "task-create")
    see(page, "“t1”: 6 pairs")
    fill(page, "allowed-reviewers", "ana, bob")
    box = page.locator(".st-key-guideline-text textarea:visible").first
    box.fill("Exact: the product is what was asked.")
    box.press("Control+Enter")
    settle(page)
    click(page, "guideline-save")
    see(page, "Version 1")


def test_delete_reimport_and_rename_take_the_team_along(tmp_path, capsys):
    table, _ = _write_dataset(tmp_path, "shop")
    db = tmp_path / "store.duckdb"
    _import(db, table, DATASET)
    with serve(db, tmp_path / "streamlit.log") as url, launch() as browser:
        page = new_page(browser)
        goto(page, url)
        _make_team_work(page)
        assert storage.team.allowed_reviewers(db, DATASET) == ["ana", "bob"]
        assert len(storage.team.list_tasks(db, DATASET)) == 1

        open_page(page, "Data")
        tab(page, "Dataset")
        sure = page.locator(f".st-key-delete-dataset-sure-{DATASET} label:visible").first
        words = sure.inner_text()
        assert words == f"Delete “{DATASET}” with its {storage.dataset_footprint(db, DATASET)}"
        for said in ("2 allowed reviewers", "1 review task", "1 guideline version"):
            assert said in words
        check(page, f"delete-dataset-sure-{DATASET}")
        click(page, "delete-dataset")
        see(page, f"“{DATASET}” deleted")

        tab(page, "Import")
        choose(page, "import-format", "CSV / TSV / JSONL / Parquet")
        segment(page, "table-source", "path")
        fill(page, "table-path", str(table))
        fill(page, "table-columns", COLUMNS)
        fill(page, "import-dataset", DATASET)
        click(page, "import")
        see(page, f"Imported into “{DATASET}”, now the active dataset.")
        assert storage.team.allowed_reviewers(db, DATASET) == []
        assert storage.team.guideline(db, DATASET) is None
        assert storage.team.list_tasks(db, DATASET).empty
        assert storage.check_store(db).ok
        open_page(page, "Team review")
        see(page, "No review task yet")

        _make_team_work(page)
        open_page(page, "Data")
        tab(page, "Dataset")
        fill(page, f"rename-dataset-{DATASET}", RENAMED)
        click(page, "rename-dataset")
        see(page, f"“{DATASET}” renamed to “{RENAMED}”.")
        open_page(page, "Team review")
        see(page, "Version 1")
        task = page.locator(".st-key-team-task [role='combobox']").first.input_value()
        assert task == f"#{storage.team.list_tasks(db, RENAMED)['task_id'].iloc[0]} t1"
        assert page.locator(".st-key-allowed-reviewers input").input_value() == "ana, bob"
    assert storage.team.allowed_reviewers(db, RENAMED) == ["ana", "bob"]
    assert storage.team.allowed_reviewers(db, DATASET) == []
    assert storage.team.guideline(db, RENAMED).text.startswith("Exact:")
    assert cli.main(["--db", str(db), "task", "status", "t1", "--dataset", RENAMED]) == 0
    assert "t1" in capsys.readouterr().out
    assert storage.check_store(db).ok
