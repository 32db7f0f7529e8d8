"""How long the review loop takes in the browser on a WANDS-sized store, against an empty rerun.

Builds the folder `bench/import_scale.py` builds (480 queries, about 43k products, 233k
labels; `--labels` keeps only the first N labels, for a quick check), imports it with
`storage.importers.import_wands`, and writes one judge run over every labelled pair directly
(`storage.create_run` + `storage.record_judgments`, a fixed pattern that fills every cell of
the confusion matrix). Then it serves the app with `streamlit run` and walks Debian's
chromium through the loop a reviewer walks, `--repeat` times after one warm-up round:

  click-cell        click a confusion cell -> that cell's pair table and its count shown
  open-pair         click the first row of the cell's table -> that pair's review card shown
  relabel-and-next  press the judge's grade key on the card -> the next pair's card shown
  page-switch       click the "Confusion browser" link -> that page's heading shown
  review-all        click the cell's "Review all N" -> the card of the cell's first pair shown
                    (the page switch of open-pair from a button, with no table's wait before
                    it: timed beside the target, not in it)

Each time is taken in the browser, from the pointer-down or key-down to the first animation
frame on which the expected element (a specific heading, caption, table or widget of the new
content) is on screen and not marked stale: no fixed sleeps. The baseline is an empty
Streamlit rerun, measured the same way and interleaved with the loop in the same run: a script
with one st.button and a click counter, served the same way on another port, from the click
to the new count shown.

A click on a table row reaches the server only after Streamlit's table has waited 150 ms for
more selection changes (its frontend debounces a selection), and open-pair then switches
page; so open-pair is also put beside a second baseline taken the same way: an empty
open-pair, a script of two pages where a click on a row of a three-row table switches (from
the table's callback, as the app does) to a page that shows the click count.

The bench reads the store only before it serves the app: a reader in another process would
take the file from the app, which keeps it warm between script runs (`storage.keep_warm`)
while nobody else wants it, as nobody does while a user clicks through.

Prints each step's median, the baselines' medians and the ratios. Target: every step at most
3x the empty rerun (the button's). Exit code 0 whether the target is met or not; 1 when the
app showed an error or never showed what a step waits for. `--profile` also prints, for the
last round, the store calls each step made inside the served app and how long each took.

    .venv/bin/python bench/journey_latency.py [--labels 20000] [--repeat 7] [--profile]

`--quick` prints the same lines on 20,000 labels and 2 rounds.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(BENCH)]

from browser import (  # noqa: E402
    goto,
    launch,
    new_page,
    open_page,
    pick_reviewer,
    press_table_row,
    serve_script,
    settle,
)
from import_scale import LABELS, build_folder  # noqa: E402

import judge  # noqa: E402
import storage  # noqa: E402

DATASET = "wands-scale"
NAMES = {0: "Irrelevant", 1: "Partial", 2: "Exact"}
CELLS = ((2, 1), (1, 2))  # clicked in turn, so every click opens another cell
PAGE_SIZE = 50  # rows of a cell's table (views/confusion.py)
STEPS = ("click-cell", "open-pair", "relabel-and-next", "page-switch")
BESIDE = ("review-all",)  # timed for comparison, not in the target
TARGET_RATIO = 3.0
STORE_LOG_ENV = "JOURNEY_BENCH_STORE_LOG"

EMPTY_APP = """\
import streamlit as st

st.title("Empty rerun")
st.session_state.setdefault("clicks", 0)
if st.button("Rerun", key="rerun"):
    st.session_state.clicks += 1
st.write(f"clicks: {st.session_state.clicks}.")
"""

EMPTY_OPEN_APP = """\
import gc

import pandas as pd
import streamlit as st


@st.cache_resource
def freeze_imports():  # as app.py does, so Streamlit's GC after each run skips the imports
    gc.collect()
    gc.freeze()


freeze_imports()
st.session_state.setdefault("picks", 0)


def table():
    st.title("Table")

    def picked():
        st.session_state.picks += 1
        st.switch_page(count_page)

    st.dataframe(
        pd.DataFrame({"row": [1, 2, 3]}),
        key=f"table-{st.session_state.picks}",  # a new table each time: no row selected
        on_select=picked,
        selection_mode="single-row",
    )


def count():
    st.title("Count")
    st.write(f"picks: {st.session_state.picks}.")


table_page = st.Page(table, title="Table", default=True)
count_page = st.Page(count, title="Count")
st.navigation([table_page, count_page]).run()
"""

# The moment of the user's action, taken in the capture phase, before any handler of the app.
MARK_ACTIONS = """() => {
  if (window.__benchMarked) return;
  window.__benchMarked = true;
  for (const type of ["pointerdown", "keydown"])
    window.addEventListener(type, () => { window.__actedAt = performance.now(); }, true);
}"""

# Once every (selector, text) names an element outside any stale container whose text starts
# with that text: the milliseconds since the action. Polled on every animation frame.
SHOWN = """(wanted) => {
  if (window.__actedAt === null) return null;
  const fresh = ([selector, text]) => [...document.querySelectorAll(selector)].some(
    e => !e.closest("[data-stale='true']") && e.innerText.trim().startsWith(text));
  return wanted.every(fresh) ? {ms: performance.now() - window.__actedAt} : null;
}"""

ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
HEADING = "[data-testid='stHeading']"
CAPTION = "[data-testid='stCaptionContainer']"
CELL_TABLE = "[class*='st-key-cell-table'] [data-testid='stDataFrameResizable']"


class AppError(RuntimeError):
    """The app showed an error, or never showed what a step waits for."""


@dataclass(frozen=True)
class Store:
    db: Path
    run_id: int
    labels: int


# ---- the store ---------------------------------------------------------------------------


def judged_grade(pair_id: int, human: int) -> int:
    """The bench's judge: right on three pairs in five, one grade up (mod 3) on the fourth, two
    up on the fifth, so every cell of the 3x3 matrix has pairs."""
    return (human + max(0, pair_id % 5 - 2)) % 3


def keep_first_labels(folder: Path, labels: int) -> None:
    """Cut label.csv to its first `labels` rows (a smaller store with the same products)."""
    path = folder / "label.csv"
    frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    frame.head(labels).to_csv(path, sep="\t", index=False)


def judge_every_pair(db: Path) -> int:
    """One finished run of the bundled model's provenance (so the review page offers re-judging
    as it would for a real run) with a judgment for every labelled pair; returns its id."""
    settings = judge.JudgeSettings(n_threads=2)
    run_id = storage.create_run(
        db, name="bench run", dataset=DATASET, status="done", **settings.provenance()
    )
    with storage.connect(db) as con:
        humans = con.execute(
            "SELECT c.pair_id, c.grade FROM current_labels c JOIN pairs p USING (pair_id) "
            "WHERE p.dataset = ? AND c.grade IS NOT NULL",
            [DATASET],
        ).fetchall()
    records = []
    for pair_id, human in humans:
        grade = judged_grade(pair_id, human)
        probs = [0.1, 0.1, 0.1]
        probs[grade] = 0.8
        records.append(
            {
                "pair_id": pair_id,
                "grade": grade,
                "probs": probs,
                "expected_grade": sum(g * p for g, p in enumerate(probs)),
                "confidence": 0.5 + (pair_id % 50) / 100,
                "raw_output": f"SCORE: {grade}",
                "parse_status": "logprobs",
                "latency_ms": 10.0,
            }
        )
    storage.record_judgments(db, run_id, records)
    return run_id


def build_store(tmp: Path, labels: int) -> Store:
    folder = tmp / "wands"
    folder.mkdir()
    build_folder(folder)
    if labels < LABELS:
        keep_first_labels(folder, labels)
    db = tmp / "bench.duckdb"
    summary = storage.importers.import_wands(db, folder, dataset=DATASET)
    return Store(db=db, run_id=judge_every_pair(db), labels=summary.pairs)


# ---- store calls timed inside the served app (--profile) ---------------------------------


def time_store_calls(log: Path) -> None:
    """Wrap every public function of `storage` and its sub-rooms so that each call appends
    its name and its seconds to `log`. Runs inside the served app, from the sitecustomize
    `--profile` writes: the pages call `storage.name(...)` and `storage.team.name(...)`, so
    they get the wrapped functions."""
    context_managers = {"connect", "transaction", "on_store_wait"}  # their time is the body's
    subrooms = (storage.importers, storage.pairwise, storage.rankings, storage.team)
    for room in (storage, *subrooms, storage.training):
        for name in room.__all__:
            fn = getattr(room, name)
            if inspect.isfunction(fn) and name not in context_managers:
                setattr(room, name, _logged(fn, log))


def _logged(fn: Callable, log: Path) -> Callable:
    @functools.wraps(fn)
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            with open(log, "a") as out:
                out.write(f"{fn.__name__}\t{time.perf_counter() - start:.6f}\n")

    return timed


def connection_floors(db: Path, repeat: int) -> tuple[float, float]:
    """Median seconds to open and close a store connection and do nothing, what every store
    call pays before its query (`storage.connect`: the turn, DuckDB's open, the schema check):
    in a process that opens the file anew each time, and in one that keeps it warm between
    connections (`storage.keep_warm`, as the app does)."""

    def once() -> float:
        start = time.perf_counter()
        with storage.connect(db):
            pass
        return time.perf_counter() - start

    cold = statistics.median(once() for _ in range(repeat))
    storage.keep_warm(db)
    return cold, statistics.median(once() for _ in range(repeat))


def profile_env(tmp: Path) -> tuple[dict[str, str], Path]:
    """The environment that makes the served app log its store calls, and the log's path."""
    hook = tmp / "hook"
    hook.mkdir()
    log = tmp / "store-calls.tsv"
    log.touch()
    (hook / "sitecustomize.py").write_text(
        f"import os, sys\nsys.path.insert(0, {str(BENCH)!r})\nimport journey_latency\n"
        f"journey_latency.time_store_calls(os.environ[{STORE_LOG_ENV!r}])\n"
    )
    return {"PYTHONPATH": str(hook), STORE_LOG_ENV: str(log)}, log


class StoreCalls:
    """The store calls the app logged since the last `take` (empty when not profiling)."""

    def __init__(self, log: Path | None) -> None:
        self._log = log
        self._offset = log.stat().st_size if log else 0

    def take(self) -> list[tuple[str, float]]:
        if self._log is None:
            return []
        with open(self._log) as file:
            file.seek(self._offset)
            lines = file.read().splitlines()
            self._offset = file.tell()
        return [(name, float(seconds)) for name, seconds in (line.split("\t") for line in lines)]


# ---- the browser -------------------------------------------------------------------------


def timed_action(page, act: Callable[[], None], wanted: list[tuple[str, str]]) -> float:
    """Seconds from the action `act` starts (its pointer-down or key-down) to the first frame
    on which every (selector, text) of `wanted` is shown fresh; then waits out the rest of
    the script runs the action started and checks that the app shows no error."""
    page.evaluate(MARK_ACTIONS)
    page.evaluate("() => { window.__actedAt = null; }")
    act()
    try:
        shown = page.wait_for_function(SHOWN, arg=wanted, polling="raf")
    except PlaywrightTimeout as error:
        raise AppError(f"never shown: {wanted}; {screen_errors(page)}") from error
    seconds = shown.json_value()["ms"] / 1000
    settle(page)
    if errors := screen_errors(page):
        raise AppError(errors)
    return seconds


def screen_errors(page) -> str:
    boxes = page.locator(ERRORS)
    return " | ".join(boxes.nth(i).inner_text() for i in range(boxes.count()))


def button(page, key: str) -> Callable[[], None]:
    return lambda: page.locator(f".st-key-{key} button:visible").first.click()


def card_of(pair_id: int) -> list[tuple[str, str]]:
    """The review card of `pair_id`, whole: its grade buttons come after its three columns."""
    return [(f".st-key-grade-{pair_id}-0 button", "")]


def empty_rerun(page, clicks: int) -> float:
    """One click of the empty app's button, until it shows its new count `clicks`."""
    return timed_action(
        page, button(page, "rerun"), [("[data-testid='stMarkdownContainer']", f"clicks: {clicks}.")]
    )


def empty_open(page, picks: int) -> float:
    """One click on the first row of the empty open-pair's table, until the page it switches
    to shows its new count `picks`; then back to the table (not timed)."""
    seconds = timed_action(
        page,
        lambda: press_table_row(page, "table", 0),
        [("[data-testid='stMarkdownContainer']", f"picks: {picks}.")],
    )
    page.get_by_role("link", name="Table").first.click()
    page.locator("[class*='st-key-table'] [data-testid='stDataFrameResizable']").wait_for()
    settle(page)
    return seconds


@dataclass
class CellQueue:
    """A cell's pairs in review order, read before the app is served: each visit's
    relabel-and-next agrees with the judge, so its first pair leaves the cell."""

    total: int
    pair_ids: list[int]
    visits: int = 0

    def visit(self) -> tuple[int, int, int]:
        """(pairs in the cell, its first pair, the pair after it) at the next visit."""
        k, self.visits = self.visits, self.visits + 1
        return self.total - k, self.pair_ids[k], self.pair_ids[k + 1]


def cell_queues(store: Store) -> dict[tuple[int, int], CellQueue]:
    counts = storage.confusion_counts(store.db, store.run_id)
    return {
        (human, judged): CellQueue(
            int(counts.loc[human, judged]),
            storage.cell_pair_ids(store.db, store.run_id, human=human, judge=judged),
        )
        for human, judged in CELLS
    }


def review_round(
    page, cell: tuple[int, int], queue: CellQueue, calls: StoreCalls
) -> dict[str, tuple[float, list]]:
    """One walk through the loop from the Confusion browser: open `cell`, open its first pair,
    relabel it with the judge's grade, go back. Each step's seconds and store calls."""
    human, judged = cell
    total, first, following = queue.visit()
    actions = {
        "click-cell": (
            button(page, f"cell-{human}-{judged}"),
            [
                (HEADING, f"Human {NAMES[human]} × judge {NAMES[judged]}"),
                (CELL_TABLE, ""),
                (CAPTION, f"{total:,} pairs, {PAGE_SIZE} a page"),
            ],
        ),
        "open-pair": (lambda: press_table_row(page, "cell-table", 0), card_of(first)),
        # keys 1/2/3 are the grades in scale order: agree with the judge, the pair leaves the cell
        "relabel-and-next": (lambda: page.keyboard.press(str(judged + 1)), card_of(following)),
        "page-switch": (
            lambda: page.get_by_role("link", name="Confusion browser").first.click(),
            [(HEADING, "Confusion browser")],
        ),
        # the cell's queue from its first pair, now the one after the relabelled pair
        "review-all": (button(page, "review-cell"), card_of(following)),
    }
    calls.take()
    walk = {
        step: (timed_action(page, act, wanted), calls.take())
        for step, (act, wanted) in actions.items()
    }
    page.get_by_role("link", name="Confusion browser").first.click()  # for the next round
    page.locator(HEADING, has_text="Confusion browser").wait_for()
    settle(page)
    return walk


@contextmanager
def served(tmp: Path, store: Store, profile: bool) -> Iterator[tuple[str, str, str, Path | None]]:
    """(the app's URL, the empty app's URL, the empty open-pair's URL, the store-call log
    when profiling)."""
    empty = tmp / "empty_app.py"
    empty.write_text(EMPTY_APP)
    opener = tmp / "empty_open_app.py"
    opener.write_text(EMPTY_OPEN_APP)
    env, log = profile_env(tmp) if profile else ({}, None)
    with (
        serve_script(
            ROOT / "app.py", tmp / "app.log", {"WORKBENCH_DB": str(store.db), **env}
        ) as app_url,
        serve_script(empty, tmp / "empty.log", {}) as empty_url,
        serve_script(opener, tmp / "empty_open.log", {}) as open_url,
    ):
        yield app_url, empty_url, open_url, log


@dataclass(frozen=True)
class Baselines:
    """The baselines' seconds per round: the empty rerun (a button) and the empty open-pair
    (a table row that switches page)."""

    rerun: list[float]
    open_pair: list[float]


def measure(
    tmp: Path, store: Store, repeat: int, profile: bool
) -> tuple[dict[str, list[float]], Baselines, dict[str, list]]:
    """Each step's seconds per round, the empty reruns' seconds, and the last round's store
    calls per step. One warm-up round first (the first script runs import and compile)."""
    times: dict[str, list[float]] = defaultdict(list)
    baselines = Baselines(rerun=[], open_pair=[])
    last_calls: dict[str, list] = {}
    queues = cell_queues(store)  # read now: the bench opens no connection while the app serves
    with (
        served(tmp, store, profile) as (app_url, empty_url, open_url, log),
        launch() as browser,
    ):
        app, empty, opener = (new_page(browser) for _ in range(3))
        goto(app, f"{app_url}/confusion?dataset={DATASET}&run={store.run_id}")
        open_page(app, "Review queue")  # a label needs the reviewer's name, once a session
        pick_reviewer(app, "bench")
        open_page(app, "Confusion browser")
        goto(empty, empty_url)
        goto(opener, open_url)
        calls = StoreCalls(log)
        for n in range(repeat + 1):
            rerun = empty_rerun(empty, clicks=n + 1)
            opened = empty_open(opener, picks=n + 1)
            cell = CELLS[n % len(CELLS)]
            walk = review_round(app, cell, queues[cell], calls)
            if n == 0:
                continue
            baselines.rerun.append(rerun)
            baselines.open_pair.append(opened)
            for step, (seconds, _) in walk.items():
                times[step].append(seconds)
            last_calls = {step: step_calls for step, (_, step_calls) in walk.items()}
    return times, baselines, last_calls


# ---- the report --------------------------------------------------------------------------


def _ms(seconds: list[float]) -> str:
    return ", ".join(f"{s * 1000:.0f}" for s in seconds)


def report(times: dict[str, list[float]], baselines: Baselines) -> None:
    base, floor = statistics.median(baselines.rerun), statistics.median(baselines.open_pair)
    print(f"empty Streamlit rerun: median {base * 1000:7.1f} ms (of {_ms(baselines.rerun)})")
    print(
        f"empty open-pair (a table row's page switch): median {floor * 1000:7.1f} ms "
        f"(of {_ms(baselines.open_pair)}; the table waits 150 ms before it sends a selection)"
    )

    def line(step: str, note: str = "") -> str:
        median = statistics.median(times[step])
        beside = f", {median / floor:.1f}x the empty open-pair" if step == "open-pair" else ""
        return (
            f"{step:<17} median {median * 1000:7.1f} ms   {median / base:5.1f}x the empty rerun"
            f"{beside}   (of {_ms(times[step])}{note})"
        )

    for step in STEPS:
        print(line(step))
    met = all(statistics.median(times[step]) / base <= TARGET_RATIO for step in STEPS)
    print(
        f"target (every step <= {TARGET_RATIO:.0f}x the empty rerun): {'met' if met else 'NOT met'}"
    )
    for step in BESIDE:
        print(line(step, "; not in the target"))


def report_calls(
    last_calls: dict[str, list], times: dict[str, list[float]], floors: tuple[float, float]
) -> None:
    print(
        "store calls inside the app in the last round, all the script runs each step "
        "started (also after its new content showed):"
    )
    print(
        f"  (opening and closing a store connection alone takes {floors[0] * 1000:.1f} ms here, "
        f"{floors[1] * 1000:.1f} ms in a process that keeps the store warm, as the app does; "
        "each call opens at least one)"
    )
    for step in STEPS + BESIDE:
        by_name: dict[str, list[float]] = defaultdict(list)
        for name, seconds in last_calls[step]:
            by_name[name].append(seconds)
        total = sum(sum(s) for s in by_name.values())
        print(
            f"  {step}: {len(last_calls[step])} calls, {total * 1000:.0f} ms; the step took "
            f"{times[step][-1] * 1000:.0f} ms"
        )
        for name, spent in sorted(by_name.items(), key=lambda item: -sum(item[1])):
            print(f"    {name:<22} x{len(spent):<3} {sum(spent) * 1000:7.1f} ms")


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # each line as it finishes, piped too
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--labels",
        type=int,
        default=LABELS,
        help="labels in the store (the first N of the WANDS-sized folder)",
    )
    parser.add_argument("--repeat", type=int, default=7, help="rounds of the loop timed")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also print the store calls of each step, timed inside the app",
    )
    parser.add_argument(
        "--quick", action="store_true", help="the same lines on 20,000 labels and 2 rounds"
    )
    args = parser.parse_args()
    if args.quick:
        args.labels, args.repeat = min(args.labels, 20_000), 2
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        start = time.perf_counter()
        store = build_store(tmp, args.labels)
        counts = storage.confusion_counts(store.db, store.run_id)
        print(
            f"store: {store.labels:,} labelled pairs, all judged by run #{store.run_id}, "
            f"built in {time.perf_counter() - start:.0f} s; cells "
            + ", ".join(f"{h}x{j} {int(counts.loc[h, j]):,}" for h, j in CELLS)
        )
        try:
            times, baselines, last_calls = measure(tmp, store, args.repeat, args.profile)
        except AppError as error:
            print(f"the app failed: {error}")
            print((tmp / "app.log").read_text()[-3000:])
            return 1
        report(times, baselines)
        if args.profile:  # the store is still there: time its connections, the app stopped
            report_calls(last_calls, times, connection_floors(store.db, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
