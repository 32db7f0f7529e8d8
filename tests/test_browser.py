"""One walk through the running app in Debian's headless chromium, driven by Playwright.

The app is served by `streamlit run app.py` on 127.0.0.1 with a temporary store holding the
WANDS sample and a judged run. The walk opens the confusion browser, clicks the human Exact x
judge Partial cell, opens a pair, relabels it with a click and the next one with a keyboard
shortcut, and checks the label events in DuckDB.
Screenshots of every page go to test-output/screenshots/.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import storage
from app_fixtures import EXACT, PARTIAL, REPO, build_store
from processes import free_port, stop

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
SCREENSHOTS = REPO / "test-output" / "screenshots"
WAIT_MS = 60_000  # Streamlit's websocket and first script run on a busy 2-core machine
PAGES = {"Overview": "overview", "Confusion browser": "confusion", "Review queue": "review",
         "Runs": "runs", "Data": "data", "Export": "export"}


def _wait_healthy(url: str, server: subprocess.Popen, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer on {url} within {timeout_s:.0f} s")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    """(url, db, run_id) of the app served on a free port with a judged store."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    tmp = tmp_path_factory.mktemp("served")
    db = tmp / "browser.duckdb"
    build_store(db, every=4, name="earlier run")  # a second run for the cross-run figures
    run_id = build_store(db)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp / "streamlit.log", "w")  # noqa: SIM115 - closed after the server stops
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=REPO, env={**os.environ, "WORKBENCH_DB": str(db)}, stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_healthy(url, server)
        yield url, db, run_id
    finally:
        stop(server, timeout_s=20)
        log.close()


@pytest.fixture(scope="module")
def browser_page(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 2000})
        page.set_default_timeout(WAIT_MS)
        yield page
        browser.close()


def _settle(page) -> None:
    """Wait until Streamlit has finished the script run the last action started and has
    dropped the elements of the previous run (they stay on screen, marked stale, meanwhile)."""
    page.wait_for_timeout(500)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
    page.wait_for_function("!document.querySelector(\"[data-stale='true']\")")


def _open(page, title: str) -> None:
    page.get_by_role("link", name=title).first.click()
    _settle(page)
    page.get_by_role("heading", name=re.compile(f"^{re.escape(title)}")).first.wait_for()


def _click(page, key: str) -> None:
    """Click the button with widget key `key` (Streamlit also renders a hidden copy of a
    button's label to measure it, so only the visible one counts)."""
    page.locator(f".st-key-{key} button:visible").click()
    _settle(page)


def _card_pair_id(page) -> int:
    """The pair the review card shows, from its caption 'pair 12 · query ...'."""
    caption = page.get_by_text(re.compile(r"^pair \d+ · query")).first.inner_text()
    return int(re.match(r"pair (\d+)", caption).group(1))


def _newest_event(db: Path, pair_id: int, wait_s: float = 30.0) -> tuple[str, int | None]:
    """(source, grade) of the pair's newest label event, once a review event has arrived."""
    deadline = time.monotonic() + wait_s
    while True:
        newest = storage.label_history(db, pair_id)[-1]
        if newest["source"] == "review" or time.monotonic() > deadline:
            return newest["source"], newest["grade"]
        time.sleep(0.5)


def _shoot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_relabel_a_pair_from_the_exact_partial_cell(served, browser_page):
    url, db, run_id = served
    page = browser_page
    page.goto(url, timeout=WAIT_MS)
    page.get_by_role("heading", name=re.compile("^Overview")).first.wait_for()
    _settle(page)

    _open(page, "Confusion browser")
    _click(page, f"cell-{EXACT}-{PARTIAL}")
    page.get_by_text("Human Exact × judge Partial").wait_for()
    _shoot(page, "confusion")

    _click(page, "open-pair")
    page.get_by_role("heading", name="Review queue").wait_for()
    pair_id = _card_pair_id(page)
    assert storage.current_label(db, pair_id).grade == EXACT
    _shoot(page, "review")

    _click(page, f"grade-{pair_id}-0")  # relabel as Irrelevant
    assert _newest_event(db, pair_id) == ("review", 0)
    assert storage.current_label(db, pair_id).grade == 0

    # The card moved on to the next pair; grade it from the keyboard: 2 is Partial.
    next_id = _card_pair_id(page)
    assert next_id != pair_id
    page.keyboard.press("2")
    _settle(page)
    assert _newest_event(db, next_id) == ("review", PARTIAL)


def test_screenshot_every_page(served, browser_page):
    page = browser_page
    if not page.url.startswith(served[0]):
        page.goto(served[0], timeout=WAIT_MS)
    for title, name in PAGES.items():
        _open(page, title)
        assert not page.locator("[data-testid='stException']").count(), title
        _shoot(page, name)
