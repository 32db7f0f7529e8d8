"""Coverage and width of the audit estimates' 95% intervals, over simulated audits.

Two populations, each drawn from 1,000 times (200 with --quick) per setting:

- real: the bundled WANDS sample (36 queries) with its human labels as truth and the
  baseline judge's cross-fitted grades (a new run on a temporary copy). Figures: nDCG@10 of
  the sample's tfidf-name ranking run, and the share of Exact pairs. Audit sizes 10/20/30
  (40 is more than the 36 queries). With N = 36 the judge can add little: the PPI gain is
  bounded by N/(N + n). Targets: PPI coverage >= 0.93 (judge-only coverage printed beside
  it: its interval does not move between draws, so it covers always or never), PPI++ width
  <= 1.05 x human-only.
- synthetic, WANDS-sized: 480 queries whose per-query judge figure is Beta(2, 3); the
  humans' figure is the judge's minus a bias of 0.08 (the judge overrates) plus an error
  whose spread grows with the judge's uncertainty u ~ Beta(0.5, 2) (as u^2), scaled so the
  two correlate at 0.70. Audit sizes
  10/20/40, drawn uniformly and actively (probability proportional to u, floored). Targets:
  PPI coverage >= 0.93, width PPI++ / human-only <= 0.8 at 20 audited queries, active /
  uniform PPI++ width <= 0.9 at 20.

Coverage is the share of draws whose interval holds the population's true mean; widths are
means over draws. Each line ends "target met" or "target missed" and is printed as soon as
it is measured.

Run: .venv/bin/python bench/ppi_coverage.py [--quick]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import jobs
import metrics
import storage

SAMPLE_RANKINGS = Path(__file__).resolve().parents[1] / "sample_data" / "rankings.trec"
CORRELATION, BIAS, SYNTHETIC_N = 0.70, 0.08, 480


@dataclass(frozen=True)
class Population:
    """Per-query human values (the truth), the judge's values, and the judge's uncertainty."""

    name: str
    human: NDArray[np.float64]
    judge: NDArray[np.float64]
    uncertainty: NDArray[np.float64]


@dataclass(frozen=True)
class Result:
    coverage_ppi: float
    coverage_ppi_pp: float
    coverage_human: float
    coverage_judge: float
    width_human: float
    width_ppi: float
    width_ppi_pp: float


def simulate(pop: Population, n: int, draws: int, *, active: bool, seed: int) -> Result:
    """`draws` audits of `n` queries, each estimated four ways."""
    rng = np.random.default_rng(seed)
    N, truth = len(pop.human), float(pop.human.mean())
    pi = metrics.inclusion_probabilities(pop.uncertainty if active else None, n, population=N)
    judged = metrics.judge_mean(pop.judge)
    covered = np.zeros(3)
    widths = np.zeros(3)
    for _ in range(draws):
        at = metrics.systematic_draw(pi, rng)
        w = metrics.audit_weights(pi[at], N)
        y, f = pop.human[at], pop.judge[at]
        found = (
            metrics.human_mean(y, weights=w),
            metrics.ppi_mean(y, f, pop.judge, lam=1.0, weights=w),
            metrics.ppi_mean(y, f, pop.judge, weights=w),
        )
        for i, est in enumerate(found):
            covered[i] += est.low <= truth <= est.high
            widths[i] += est.width
    covered, widths = covered / draws, widths / draws
    return Result(
        coverage_ppi=covered[1],
        coverage_ppi_pp=covered[2],
        coverage_human=covered[0],
        coverage_judge=float(judged.low <= truth <= judged.high),
        width_human=widths[0],
        width_ppi=widths[1],
        width_ppi_pp=widths[2],
    )


def real_populations() -> list[Population]:
    """The sample's per-query figures under its human labels and the baseline judge."""
    folder = Path(tempfile.mkdtemp(prefix="ppi-bench-"))
    try:
        db = folder / "sample.duckdb"
        storage.bootstrap_sample(db)
        dataset = storage.SAMPLE_DATASET
        storage.rankings.import_run_trec(db, SAMPLE_RANKINGS, dataset=dataset)
        run_id = jobs.baseline_run(db, dataset)
        table = jobs.query_figures(db, dataset, run_id)
        sources = storage.rankings.label_sources(db, dataset, run_id)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    # Uncertainty per query for completeness (the real lines draw uniformly).
    error = (1 - sources["confidence"].fillna(0.5)).groupby(sources["query_id"]).mean()
    out = []
    for figure in ("tfidf-name nDCG@10", "share Exact"):
        both = table[[f"human:{figure}", f"judge:{figure}"]].dropna()
        out.append(
            Population(
                f"real {figure}",
                both[f"human:{figure}"].to_numpy(float),
                both[f"judge:{figure}"].to_numpy(float),
                error.reindex(both.index).to_numpy(float),
            )
        )
    return out


def synthetic_population(seed: int = 0) -> Population:
    """480 queries: the judge's figure is Beta(2, 3); the humans' is the judge's minus BIAS
    plus an error whose spread grows with the judge's uncertainty u ~ Beta(0.5, 2) (as u^2),
    scaled so that the two correlate at CORRELATION."""
    rng = np.random.default_rng(seed)
    judge = rng.beta(2, 3, SYNTHETIC_N)
    uncertainty = rng.beta(0.5, 2, SYNTHETIC_N)
    noise = rng.normal(0, 1, SYNTHETIC_N) * uncertainty**2
    lo, hi = 0.0, 50.0
    for _ in range(60):  # bisect the error's scale to the stated correlation
        scale = (lo + hi) / 2
        r = np.corrcoef(judge, judge + scale * noise)[0, 1]
        lo, hi = (scale, hi) if r > CORRELATION else (lo, scale)
    return Population("synthetic", judge - BIAS + scale * noise, judge, uncertainty)


def _verdict(ok: bool) -> str:
    return "target met" if ok else "target missed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 draws per setting")
    parser.add_argument("--draws", type=int, help="draws per setting (default 1000)")
    args = parser.parse_args(argv)
    draws = args.draws or (200 if args.quick else 1000)
    started = time.perf_counter()
    print(f"{draws} simulated audits per setting; 95% intervals", flush=True)
    for pop in real_populations():
        for n in (10, 20, 30):
            got = simulate(pop, n, draws, active=False, seed=n)
            ok = got.coverage_ppi >= 0.93 and got.width_ppi_pp <= 1.05 * got.width_human
            print(
                f"{pop.name} (N={len(pop.human)}), uniform n={n}: coverage PPI "
                f"{got.coverage_ppi:.3f}, PPI++ {got.coverage_ppi_pp:.3f}, human-only "
                f"{got.coverage_human:.3f}, judge-only {got.coverage_judge:.3f}; width "
                f"human-only {got.width_human:.3f}, PPI {got.width_ppi:.3f}, PPI++ "
                f"{got.width_ppi_pp:.3f} ({got.width_ppi_pp / got.width_human:.2f}x human): "
                f"{_verdict(ok)}",
                flush=True,
            )
    pop = synthetic_population()
    corr = np.corrcoef(pop.human, pop.judge)[0, 1]
    print(f"synthetic: N={len(pop.human)}, correlation {corr:.2f}, judge bias +{BIAS}", flush=True)
    for n in (10, 20, 40):
        uniform = simulate(pop, n, draws, active=False, seed=n)
        active = simulate(pop, n, draws, active=True, seed=n + 1)
        for design, got in (("uniform", uniform), ("active", active)):
            ratio = got.width_ppi_pp / got.width_human
            ok, target = got.coverage_ppi >= 0.93, "PPI coverage >= 0.93"
            if n == 20 and design == "uniform":
                ok, target = ok and ratio <= 0.8, target + ", PPI++/human <= 0.8"
            if n == 20 and design == "active":
                gain = got.width_ppi_pp / uniform.width_ppi_pp
                ok, target = ok and gain <= 0.9, target + f", active/uniform {gain:.2f} <= 0.9"
            print(
                f"synthetic {design} n={n}: coverage PPI {got.coverage_ppi:.3f}, PPI++ "
                f"{got.coverage_ppi_pp:.3f}, human-only {got.coverage_human:.3f}, judge-only "
                f"{got.coverage_judge:.3f}; width human-only {got.width_human:.3f}, PPI "
                f"{got.width_ppi:.3f}, PPI++ {got.width_ppi_pp:.3f} ({ratio:.2f}x human) "
                f"[{target}]: {_verdict(ok)}",
                flush=True,
            )
    print(f"{time.perf_counter() - started:.1f} s in all", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
