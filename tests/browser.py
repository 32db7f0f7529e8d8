"""The served app and Debian's headless chromium, for the journey tests and the latency bench.

`serve(db)` starts `streamlit run app.py` on a free port of 127.0.0.1 with `WORKBENCH_DB=db`
(`serve_script` serves any other script the same way, as the latency bench's baseline);
`launch()` opens chromium through Playwright (it cannot download a browser here). The other
helpers act as a user does (click a widget by its key, choose from a selectbox, press a key)
and wait until Streamlit has finished the script run the action started.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from processes import free_port, stop

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = REPO / "test-output" / "screenshots"
WAIT_MS = 60_000  # Streamlit's websocket and first script run on a busy 2-core machine


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


@contextlib.contextmanager
def serve(db: Path, log_path: Path) -> Iterator[str]:
    """The app served on a free port over the store `db`; yields its URL."""
    with serve_script(REPO / "app.py", log_path, {"WORKBENCH_DB": str(db)}) as url:
        yield url


@contextlib.contextmanager
def serve_script(
    script: Path, log_path: Path, env: dict[str, str], port: int | None = None
) -> Iterator[str]:
    """`streamlit run script` on `port` (default: a free one) of 127.0.0.1, from the
    repository (so with its .streamlit/config.toml) and with `env` added to the environment;
    yields its URL."""
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(script),
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=REPO,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_healthy(url, server)
            yield url
        finally:
            stop(server, timeout_s=20)


@contextlib.contextmanager
def launch() -> Iterator[object]:
    """A Playwright chromium browser (Debian's binary)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, width: int = 1280, height: int = 1600):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(WAIT_MS)
    return page


def settle(page) -> None:
    """Wait until Streamlit has finished the script runs the last action started (a button
    that calls st.rerun starts a second one) and has dropped the elements of the previous
    run (they stay on screen, marked stale, meanwhile)."""
    for _ in range(2):
        page.wait_for_timeout(250)
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
        page.wait_for_function("!document.querySelector(\"[data-stale='true']\")")


def see(page, text: str, timeout_ms: float = WAIT_MS) -> None:
    """Wait until `text` is on screen (a substring of some element's text)."""
    page.get_by_text(text).first.wait_for(timeout=timeout_ms)


def goto(page, url: str) -> None:
    page.goto(url, timeout=WAIT_MS)
    page.get_by_role("heading").first.wait_for()
    settle(page)


def open_page(page, title: str) -> None:
    """Follow the navigation link `title` and wait for its heading."""
    page.get_by_role("link", name=title).first.click()
    settle(page)
    heading(page, title)


def heading(page, title: str) -> None:
    page.get_by_role("heading", name=re.compile(f"^{re.escape(title)}")).first.wait_for()


def click(page, key: str) -> None:
    """Click the button with widget key `key` (Streamlit also renders a hidden copy of a
    button's label to measure it, so only the visible one counts)."""
    page.locator(f".st-key-{key} button:visible").first.click()
    settle(page)


def fill(page, key: str, text: str) -> None:
    """Type `text` into the text or number input with widget key `key` and commit it."""
    box = page.locator(f".st-key-{key} input:visible, .st-key-{key} textarea:visible").first
    box.fill(text)
    box.press("Enter")
    settle(page)


def choose(page, key: str, option: str) -> None:
    """Pick `option` (its shown text, exactly) in the selectbox with widget key `key`."""
    page.locator(f".st-key-{key} button[aria-label='Open']").first.click()
    page.get_by_role("option", name=option, exact=True).first.click()
    settle(page)


def pick_reviewer(page, name: str) -> None:
    """Name the reviewer of this browser session in the sidebar's picker: typed and entered,
    so a new name is added. The app itself then takes the focus out of the picker, so the
    card's keys work."""
    box = page.locator(".st-key-reviewer-pick input:visible").first
    box.click()
    box.fill(name)
    box.press("Enter")
    settle(page)


def tab(page, label: str) -> None:
    page.get_by_role("tab", name=label).first.click()
    settle(page)


def check(page, key: str) -> None:
    page.locator(f".st-key-{key} label:visible").first.click()
    settle(page)


def segment(page, key: str, option: str) -> None:
    """Pick `option` in the segmented control with widget key `key`."""
    page.locator(f".st-key-{key} button:visible", has_text=option).first.click()
    settle(page)


def click_table_row(page, key_prefix: str, row: int) -> None:
    """Click data row `row` (0 is the first) of the dataframe whose widget key starts with
    `key_prefix`, and wait for the script runs it starts."""
    press_table_row(page, key_prefix, row)
    settle(page)


def press_table_row(page, key_prefix: str, row: int) -> None:
    """Click data row `row` of the dataframe whose key starts with `key_prefix`, without
    waiting for anything after: the grid is a canvas, so the click goes to the row's position."""
    grid = page.locator(
        f"[class*='st-key-{key_prefix}'] [data-testid='stDataFrameResizable']"
    ).first
    grid.wait_for()
    row_height = 35  # Streamlit's default row height, the header has the same
    # x: the row-marker column at the grid's left edge, which selects the whole row.
    grid.click(position={"x": 14, "y": row_height * (row + 1) + row_height / 2})


def body_text(page) -> str:
    return page.locator("[data-testid='stApp']").inner_text()


def sidebar_value(page, label: str) -> str:
    """The shown value of the sidebar selectbox labelled `label` ("" when none is chosen)."""
    return page.locator(
        f"[data-testid='stSidebar'] [role='combobox'][aria-label='{label}']"
    ).first.input_value()


def card_pair_id(page) -> int:
    """The pair the review card shows, from its caption 'pair 12 · query ...'."""
    caption = page.get_by_text(re.compile(r"^pair \d+ · query")).first.inner_text()
    return int(re.match(r"pair (\d+)", caption).group(1))


def shoot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
