"""Benchmark: 10 lists, 100,000 observed people.

Times (1) building the capture table from membership lists, (2) the two-way model
search (independence, each pair alone, all 45 pairs, all pairs but one: 92 models) with
the chosen model refitted by statsmodels and its profile-likelihood interval, (3) the
all-pairs model on its own and (4) a full stepwise run. The simulated lists are for
timing only (the true total is not controlled).

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/estimation.py`` (prints timings; exits
1 if over budget). The matrices are small (1,023 x 56), so multi-threaded BLAS gains
nothing and, on a busy machine, threads competing for cores made runs 10-20x slower.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from detente.estimation.capture import capture_table
from detente.estimation.loglinear import (
    fit_loglinear,
    neighbourhood_models,
    select_model,
    stepwise,
)

BUDGET_SECONDS = 30.0


def simulate_lists(n_observed: int = 100_000, k: int = 10, seed: int = 1) -> dict[str, list[int]]:
    """Members of ``k`` lists with mild positive dependence between neighbouring lists."""
    rng = np.random.default_rng(seed)
    n_pop = int(n_observed * 1.6)
    p = rng.uniform(0.08, 0.3, size=k)
    # A shared 'visibility' factor makes some people likelier to be on every list.
    visibility = rng.gamma(4.0, 0.25, size=n_pop)
    on = rng.random((n_pop, k)) < np.clip(p[None, :] * visibility[:, None], 0, 0.95)
    seen = np.flatnonzero(on.any(axis=1))[:n_observed]
    return {f"L{j}": [int(i) for i in seen[on[seen, j]]] for j in range(k)}


def main() -> int:
    lists = simulate_lists()
    t0 = time.perf_counter()
    table = capture_table(lists)
    t_table = time.perf_counter() - t0

    t0 = time.perf_counter()
    sel = select_model(table, criterion="aic", models=neighbourhood_models(table.k, 2))
    t_select = time.perf_counter() - t0

    t0 = time.perf_counter()
    full = fit_loglinear(table, [(i, j) for i in range(10) for j in range(i + 1, 10)])
    t_full = time.perf_counter() - t0

    t0 = time.perf_counter()
    step = stepwise(table)
    t_step = time.perf_counter() - t0

    total = t_table + t_select + t_full + t_step
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    print(f"OPENBLAS_NUM_THREADS   {threads}")
    print(f"observed people        {table.observed:,}")
    print(f"capture table          {t_table:7.2f} s")
    print(f"two-way search (n={sel.searched}) {t_select:7.2f} s  best: {sel.best.model}")
    print(f"  estimate {sel.best.estimate:,.0f}  interval {sel.best.interval}")
    print(f"all-pairs model + prof {t_full:7.2f} s  estimate {full.estimate:,.0f}")
    print(
        f"stepwise ({len(step.steps)} terms)   {t_step:7.2f} s  estimate {step.fit.estimate:,.0f}"
    )
    print(f"total                  {total:7.2f} s  (budget {BUDGET_SECONDS:.0f} s)")
    return 0 if total < BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
