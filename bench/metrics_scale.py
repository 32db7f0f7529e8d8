"""Metrics at WANDS scale: 233k judgments over 480 queries, all metrics and 1,000 bootstrap draws.

Prints the seconds of each step and the speed-up of the vectorised query bootstrap over a
straightforward loop that, for each draw, resamples queries, gathers their rows and calls
scikit-learn. The loop is timed in the same run on 50 draws and scaled to 1,000.

Run: .venv/bin/python bench/metrics_scale.py (`--quick`: the loop on 10 draws, scaled alike)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from sklearn import metrics as sk

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import metrics

N_PAIRS, N_QUERIES, N_CLASSES = 233_000, 480, 40
N_BOOT, N_BASELINE_DRAWS = 1000, 50
TARGET_RATIO, TARGET_SECONDS = 50.0, 2.0
LABELS = [0, 1, 2]
T = TypeVar("T")


def synthesise(seed: int = 0) -> dict[str, np.ndarray]:
    """Judgments shaped like WANDS: uneven query sizes, grades 26% / 63% / 11%, a noisy judge."""
    rng = np.random.default_rng(seed)
    share = rng.lognormal(0.0, 1.0, N_QUERIES)
    sizes = 1 + rng.multinomial(N_PAIRS - N_QUERIES, share / share.sum())
    query_ids = np.repeat(np.arange(N_QUERIES), sizes)
    query_class = rng.integers(N_CLASSES, size=N_QUERIES)[query_ids]
    human = rng.choice(LABELS, N_PAIRS, p=[0.26, 0.63, 0.11])
    # Some queries are harder for the judge than others, as in real runs.
    signal = rng.uniform(0.5, 2.5, N_QUERIES)[query_ids, None]
    logits = signal * np.eye(len(LABELS))[human] + rng.normal(0.0, 1.0, (N_PAIRS, len(LABELS)))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return {
        "query_ids": query_ids,
        "query_class": query_class,
        "human": human,
        "judge": probs.argmax(axis=1),
        "probs": probs,
        "expected": probs @ np.asarray(LABELS, dtype=float),
    }


def timed(label: str, step: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    print(f"  {label:<46} {seconds:8.3f} s")
    return result, seconds


def sklearn_loop(data: dict[str, np.ndarray], n_draws: int, seed: int) -> None:
    """The straightforward bootstrap: per draw, resample queries, gather rows, call sklearn."""
    rng = np.random.default_rng(seed)
    # Grouping rows by query once, outside the loop, is the part a careful loop would hoist.
    order = np.argsort(data["query_ids"], kind="stable")
    rows_of_query = np.split(order, np.cumsum(np.bincount(data["query_ids"]))[:-1])
    for _ in range(n_draws):
        rows = np.concatenate([rows_of_query[q] for q in rng.integers(N_QUERIES, size=N_QUERIES)])
        y_true, y_pred = data["human"][rows], data["judge"][rows]
        sk.accuracy_score(y_true, y_pred)
        sk.f1_score(y_true, y_pred, labels=LABELS, average="macro", zero_division=0)
        sk.cohen_kappa_score(y_true, y_pred, labels=LABELS, weights="quadratic")
        sk.mean_absolute_error(y_true, y_pred)
        sk.precision_recall_fscore_support(y_true, y_pred, labels=LABELS, zero_division=0)
        C = sk.confusion_matrix(y_true, y_pred, labels=LABELS)
        (C[0, -1] + C[-1, 0]) / C.sum()  # severe error rate, which scikit-learn lacks


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # each line as it finishes, piped too
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="time the loop on 10 draws, scaled alike"
    )
    baseline_draws = 10 if parser.parse_args().quick else N_BASELINE_DRAWS
    data = synthesise()
    human, judge, query_ids, probs = data["human"], data["judge"], data["query_ids"], data["probs"]
    print(f"{N_PAIRS:,} judgments over {N_QUERIES} queries, scale {LABELS}")

    print("all metrics:")
    (_, per_query), build = timed(
        "per-query confusion matrices",
        lambda: metrics.per_query_confusions(human, judge, query_ids, LABELS),
    )
    table, draws = timed(
        f"bootstrap intervals, {N_BOOT} draws",
        lambda: metrics.bootstrap_intervals(per_query, LABELS, n_boot=N_BOOT, seed=0),
    )
    other_steps: dict[str, Callable[[], object]] = {
        "confusion matrix + summarize": lambda: metrics.summarize(
            metrics.confusion_matrix(human, judge, LABELS), LABELS
        ),
        # A second run: the same queries in reverse order, for timing only.
        f"paired bootstrap, {N_BOOT} draws": lambda: metrics.paired_bootstrap(
            per_query, per_query[::-1], LABELS, n_boot=N_BOOT, seed=0
        ),
        "breakdown per query and per query class": lambda: (
            metrics.breakdown(human, judge, query_ids, LABELS),
            metrics.breakdown(human, judge, data["query_class"], LABELS, query_ids=query_ids),
        ),
        "ECE + Brier + reliability table": lambda: (
            metrics.expected_calibration_error(probs, human, LABELS),
            metrics.brier_score(probs, human, LABELS),
            metrics.reliability_table(probs, human, LABELS),
        ),
        "thresholds cross-validated over 5 query folds": lambda: metrics.cross_validated_thresholds(
            data["expected"], human, query_ids, LABELS, y_pred=judge
        ),
        "transition table": lambda: metrics.transition_table(human, judge, LABELS),
    }
    rest = sum(timed(label, step)[1] for label, step in other_steps.items())
    print(f"  {'total':<46} {build + draws + rest:8.3f} s")

    print(f"baseline: resample rows per query and call scikit-learn, {baseline_draws} draws:")
    _, loop = timed(f"{baseline_draws} draws", lambda: sklearn_loop(data, baseline_draws, 0))
    scaled = loop * N_BOOT / baseline_draws
    ours = build + draws
    print(f"  {f'scaled to {N_BOOT} draws':<46} {scaled:8.3f} s")
    met = scaled / ours >= TARGET_RATIO and ours < TARGET_SECONDS
    print(
        f"vectorised bootstrap (per-query build + {N_BOOT} draws): {ours:.3f} s, "
        f"{scaled / ours:.0f}x faster than the loop; target at least {TARGET_RATIO:.0f}x and "
        f"under {TARGET_SECONDS:.0f} s: {'met' if met else 'MISSED'}"
    )
    headline = ["accuracy", "macro_f1", "kappa_quadratic", "mae", "severe_error_rate"]
    print(table.loc[headline].round(4).to_string())


if __name__ == "__main__":
    main()
