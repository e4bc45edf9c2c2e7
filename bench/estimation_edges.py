"""Benchmark (issue 15): every method together on six-list tables of 8,000 observed people.

The tables are generated here, seeded, and are of the kinds that were slow or wrong before
issue 15: sparse (many empty combinations), lists that share nobody, heterogeneous people.
For each table, every method ``detente.estimation.estimate`` knows is run in turn, as
``detente estimate --table FILE --method ...`` runs them (BMA refuses six lists quickly),
plus the warnings; the scores of the AIC search are shared with BIC, as in the command.
Each table starts with an empty cache.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/estimation_edges.py`` (prints the
timings; exits 1 if a table takes longer than the 10 s budget). With ``--before REV`` each
table is also run, just before, with the latent-class sweep as committed at ``REV`` (see
``bench/lcmcr_before.py``), for a before/after comparison in one run; the budget is
checked on today's code only. CPU seconds (this process's) are printed beside the wall
clock: on a shared machine they move less with other people's load.
"""

from __future__ import annotations

import argparse
import sys
import time
import typing

import numpy as np

from detente.estimation import CaptureTable, Method, estimate, loglinear
from detente.estimation.notices import estimate_notices, table_notices
from lcmcr_before import sampler_at, using

BUDGET_SECONDS = 10.0
N_OBSERVED = 8_000
K = 6


def _table(on: np.ndarray) -> CaptureTable:
    codes = (on * (1 << np.arange(K))).sum(axis=1)
    counts = np.bincount(codes, minlength=2**K)[1:]
    return CaptureTable(tuple(f"L{j}" for j in range(K)), counts.astype(np.int64))


def heterogeneous(seed: int) -> CaptureTable:
    """Capture probabilities 1-25%, a shared visibility (gamma) and lists L0/L1 exclusive."""
    rng = np.random.default_rng(seed)
    n_pop = 3 * N_OBSERVED
    p = rng.uniform(0.01, 0.25, K)
    visibility = rng.gamma(1.0, 1.0, n_pop)
    on = rng.random((n_pop, K)) < np.clip(p[None, :] * visibility[:, None], 0, 0.9)
    on[on[:, 0], 1] = False
    return _table(on[np.flatnonzero(on.any(axis=1))[:N_OBSERVED]])


def very_sparse(seed: int) -> CaptureTable:
    """Small lists (0.4-6%), two exclusive pairs: about 40 of the 63 combinations empty."""
    rng = np.random.default_rng(seed)
    n_pop = 12 * N_OBSERVED
    p = np.array([0.06, 0.05, 0.02, 0.01, 0.004, 0.03])
    on = rng.random((n_pop, K)) < p
    on[on[:, 0], 1] = False
    on[on[:, 2], 3] = False
    return _table(on[np.flatnonzero(on.any(axis=1))[:N_OBSERVED]])


TABLES = [
    ("heterogeneous, seed 0", heterogeneous(0)),
    ("heterogeneous, seed 1", heterogeneous(1)),
    ("very sparse, seed 0", very_sparse(0)),
    ("very sparse, seed 1", very_sparse(1)),
]


def run_all(table: CaptureTable) -> tuple[float, float, list[str]]:
    """Every method's time and figure; the total, and the total without the latent-class
    model (a sampler, far slower than the rest, so reported both ways)."""
    loglinear._SCORERS.clear()  # a cold start, as in a fresh command
    rows: list[dict[str, object]] = []
    lines = []
    start = time.perf_counter()
    cpu_start = time.process_time()
    sampler = 0.0
    for method in typing.get_args(Method):
        t0 = time.perf_counter()
        c0 = time.process_time()
        try:
            row = estimate(table, method).as_dict()
            shown = f"{row['estimate']:>9,.0f}  ({row['lower']:,.0f}-{row['upper']:,.0f})"
        except ValueError as exc:
            row = {"method": method, "refused": str(exc)}
            shown = "refused"
        rows.append(row)
        took = time.perf_counter() - t0
        cpu = time.process_time() - c0
        if method == "lcmcr":
            sampler = took
            shown += f"  ESS {row['ess']:.0f}" if row.get("ess") is not None else ""
        lines.append(f"    {method:<13} {took:6.2f} s (CPU {cpu:6.2f} s)  {shown}")
    notices = [*table_notices(table), *estimate_notices(rows)]
    total = time.perf_counter() - start
    lines.append(f"    warnings: {', '.join(n.code for n in notices) or 'none'}")
    lines.append(f"    CPU time of every method together: {time.process_time() - cpu_start:.2f} s")
    return total, total - sampler, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="REV", help="also run the LCMCR sweep of REV")
    args = parser.parse_args()
    variants: list[tuple[str, typing.Any]] = [("", None)]
    if args.before:
        variants.insert(0, (f"[lcmcr sweep of {args.before}]", sampler_at(args.before)))
    worst = 0.0
    for name, table in TABLES:
        empty = int((table.counts == 0).sum())
        print(f"{name}: {table.observed:,} observed, {empty} of 63 combinations empty")
        for label, sweep in variants:
            with using(sweep):
                total, without, lines = run_all(table)
            if sweep is None:
                worst = max(worst, total)
            if args.before:
                print(f"  {label or '[today]'}")
            print("\n".join(lines))
            print(f"    every method together: {total:.2f} s (without lcmcr: {without:.2f} s)")
    print(f"slowest table: {worst:.2f} s (budget {BUDGET_SECONDS:.0f} s)")
    return 0 if worst <= BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
