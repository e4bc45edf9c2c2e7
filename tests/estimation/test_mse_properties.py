"""Property tests (hypothesis), seeded and kept small so the suite stays fast."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.estimation import (
    CaptureTable,
    IdentifiabilityError,
    bma,
    independence,
    select_model,
    stepwise,
)

PROPS = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def tables(draw: st.DrawFn, min_k: int = 3, max_k: int = 4) -> CaptureTable:
    k = draw(st.integers(min_k, max_k))
    counts = draw(st.lists(st.integers(1, 200), min_size=2**k - 1, max_size=2**k - 1))
    return CaptureTable(tuple("ABCD"[:k]), np.array(counts, dtype=np.int64))


@PROPS
@given(tables())
def test_estimate_never_below_observed(table: CaptureTable) -> None:
    n = table.observed
    ind = independence(table)
    assert ind.estimate >= n and ind.interval[0] >= n
    step = stepwise(table).fit
    assert step.estimate >= n and step.interval[0] >= n
    avg = bma(table, nmissing=np.arange(0, 3 * n + 300))
    assert avg.mean >= n and avg.interval[0] >= n


@PROPS
@given(tables(), st.randoms(use_true_random=False))
def test_relabelling_lists_does_not_change_estimates(
    table: CaptureTable, rnd: random.Random
) -> None:
    order = list(range(table.k))
    rnd.shuffle(order)
    other = table.permuted(order)
    assert independence(other).estimate == pytest.approx(independence(table).estimate, rel=1e-9)
    assert stepwise(other).fit.estimate == pytest.approx(stepwise(table).fit.estimate, rel=1e-6)
    aic_a = select_model(table, criterion="aic")
    aic_b = select_model(other, criterion="aic")
    assert aic_b.best.estimate == pytest.approx(aic_a.best.estimate, rel=1e-6)
    grid = np.arange(0, 3 * table.observed + 300)
    a, b = bma(table, nmissing=grid), bma(other, nmissing=grid)
    assert np.sort(b.model_probs) == pytest.approx(np.sort(a.model_probs), abs=1e-10)
    assert b.mean == pytest.approx(a.mean, rel=1e-10)


def simulate_independent(
    rng: np.random.Generator, n_total: int, probs: list[float]
) -> CaptureTable:
    """Each person is on list j with probability probs[j], independently."""
    k = len(probs)
    bits = (np.arange(2**k)[:, None] >> np.arange(k)) & 1
    p = np.prod(np.where(bits == 1, probs, 1 - np.array(probs)), axis=1)
    counts = rng.multinomial(n_total, p)[1:]
    return CaptureTable(tuple(f"L{j}" for j in range(k)), counts.astype(np.int64))


@settings(max_examples=4, deadline=None, derandomize=True)
@given(
    n_total=st.integers(300, 3000),
    probs=st.lists(st.floats(0.15, 0.6), min_size=3, max_size=3),
    seed=st.integers(0, 2**32 - 1),
)
def test_independence_interval_covers_truth_on_independent_lists(
    n_total: int, probs: list[float], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    runs, covered = 100, 0
    for _ in range(runs):
        table = simulate_independent(rng, n_total, probs)
        try:
            fit = independence(table)
        except IdentifiabilityError:  # pragma: no cover - vanishingly rare at these sizes
            continue
        lo, hi = fit.interval
        covered += lo <= n_total <= hi
    assert covered >= 0.9 * runs
