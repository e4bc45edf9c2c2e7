"""Latent-class model (issue 15, point 5): what a user of ``lcmcr`` would notice.

Runs are kept short (a few thousand sweeps) so the file stays fast; coverage over many
simulations and the speed figure live in ``bench/lcmcr.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import special

from detente.estimation.capture import CaptureTable, read_capture_csv, table_from_rows
from detente.estimation.lcmcr import (
    LCMCRResult,
    effective_sample_size,
    geweke_z,
    lcmcr,
    simulate_latent_classes,
    split_rhat,
)
from detente.estimation.loglinear import independence
from detente.estimation.results import Estimate

KOSOVO = Path("/work/shared/data/mse/kosovo_1999.csv")

# Two hidden classes as in Manrique-Vallier (2016)'s first simulation: 90% of 2,000 people
# are rarely listed, 10% are on almost every list. This makes the lists look positively
# dependent, which the independence model reads as "few people missed".
SIZES = [1800, 200]
PROBS = [[0.033, 0.033, 0.099, 0.132, 0.033], [0.660, 0.825, 0.759, 0.990, 0.693]]
TRUE_N = 2000

SHORT = {"iterations": 3000, "burn_in": 1000, "thin": 5}


@pytest.fixture(scope="module")
def hetero_table() -> CaptureTable:
    return simulate_latent_classes(SIZES, PROBS, seed=15)


@pytest.fixture(scope="module")
def hetero_fit(hetero_table: CaptureTable) -> LCMCRResult:
    return lcmcr(hetero_table, seed=15, **SHORT)


def test_same_seed_same_draws_other_seed_other_draws(hetero_table: CaptureTable) -> None:
    kw = {"iterations": 400, "burn_in": 100, "thin": 4}
    a = lcmcr(hetero_table, seed=7, **kw)
    b = lcmcr(hetero_table, seed=7, **kw)
    c = lcmcr(hetero_table, seed=8, **kw)
    assert np.array_equal(a.draws, b.draws)
    assert a.summary() == b.summary()
    assert not np.array_equal(a.draws, c.draws)


def test_draws_have_the_requested_shape(hetero_fit: LCMCRResult) -> None:
    assert hetero_fit.draws.shape == (2, SHORT["iterations"] // SHORT["thin"])
    assert hetero_fit.alpha_draws.shape == hetero_fit.draws.shape
    assert (hetero_fit.samples >= hetero_fit.observed).all()
    assert (hetero_fit.classes_used >= 1).all() and (hetero_fit.classes_used <= 10).all()


def test_heterogeneous_population_interval_contains_truth_where_independence_undercounts(
    hetero_table: CaptureTable, hetero_fit: LCMCRResult
) -> None:
    lo, hi = hetero_fit.interval()
    assert lo <= TRUE_N <= hi
    ind = independence(hetero_table)
    # The independence model misses the heterogeneity and lands far below the truth,
    # with an interval that excludes it.
    assert ind.estimate < 0.6 * TRUE_N
    assert ind.interval[1] < TRUE_N
    # The latent-class estimate is closer to the truth (with ~40% of people seen and
    # most of the rarely-listed class unseen, its interval is wide).
    assert abs(hetero_fit.median - TRUE_N) < abs(ind.estimate - TRUE_N)
    assert hetero_fit.interval()[0] > ind.interval[1]


def test_summary_is_an_estimate_for_side_by_side_display(hetero_fit: LCMCRResult) -> None:
    est = hetero_fit.summary()
    assert isinstance(est, Estimate)
    assert est.method == "latent class (LCMCR)"
    assert est.model == "DP mixture, K*=10"
    assert est.interval_kind == "Bayesian credible"
    assert est.observed == hetero_fit.observed
    assert est.observed <= est.lower <= est.estimate <= est.upper
    assert est.level == 0.95
    assert est.estimate == hetero_fit.median


def test_interval_widens_with_level_and_quantiles_are_ordered(hetero_fit: LCMCRResult) -> None:
    lo80, hi80 = hetero_fit.interval(0.8)
    lo99, hi99 = hetero_fit.interval(0.99)
    assert lo99 <= lo80 < hi80 <= hi99
    assert hetero_fit.quantile(0.25) <= hetero_fit.median <= hetero_fit.quantile(0.75)
    with pytest.raises(ValueError, match="level"):
        hetero_fit.interval(1.0)


def _exact_independence_posterior(table: CaptureTable) -> tuple[np.ndarray, np.ndarray]:
    """Posterior of N for independent lists, uniform list probabilities, p(N) ∝ 1/N."""
    n = table.observed
    totals = np.asarray(list(table.list_totals().values()), dtype=np.float64)
    grid = np.arange(n, 6 * n, dtype=np.float64)
    logp = (
        -np.log(grid)
        + special.gammaln(grid + 1)
        - special.gammaln(grid - n + 1)
        + special.betaln(1 + totals[None, :], 1 + grid[:, None] - totals[None, :]).sum(axis=1)
    )
    p = np.exp(logp - logp.max())
    return grid, np.cumsum(p / p.sum())


def test_one_class_reproduces_the_exact_independence_posterior(hetero_table: CaptureTable) -> None:
    # With K* = 1 the model is plain independence, whose posterior under the same priors
    # can be computed exactly on a grid: a check of the data-augmentation machinery.
    fit = lcmcr(hetero_table, k_star=1, seed=3, iterations=4000, burn_in=200, thin=2, chains=1)
    grid, cdf = _exact_independence_posterior(hetero_table)
    exact = {q: grid[np.searchsorted(cdf, q)] for q in (0.025, 0.5, 0.975)}
    assert fit.median == pytest.approx(exact[0.5], rel=0.02)
    lo, hi = fit.interval()
    assert lo == pytest.approx(exact[0.025], rel=0.03)
    assert hi == pytest.approx(exact[0.975], rel=0.04)
    # ... and it agrees with the project's own maximum-likelihood independence fit.
    assert fit.median == pytest.approx(independence(hetero_table).estimate, rel=0.03)


def test_diagnostics_are_reported_and_a_short_run_on_kosovo_is_flagged() -> None:
    table = read_capture_csv(KOSOVO)
    short = lcmcr(table, seed=1, iterations=300, burn_in=0, thin=1)
    assert short.ess < 400
    assert len(short.geweke) == 2
    assert short.warning is not None
    assert "Run more iterations" in short.warning
    assert "independent draws" in short.warnings[0]


def test_a_healthy_run_has_finite_diagnostics(hetero_fit: LCMCRResult) -> None:
    assert np.isfinite(hetero_fit.ess) and hetero_fit.ess > 0
    assert np.isfinite(hetero_fit.rhat)
    assert all(np.isfinite(z) for z in hetero_fit.geweke)
    assert hetero_fit.capped == 0


def test_lists_that_never_overlap_hit_the_ceiling_and_say_so() -> None:
    # Nobody is on two lists: the data cannot bound the total.
    table = table_from_rows(["A", "B", "C"], [([1, 0, 0], 30), ([0, 1, 0], 25), ([0, 0, 1], 40)])
    fit = lcmcr(table, seed=2, iterations=400, burn_in=100, thin=2)
    assert fit.capped > 0
    assert fit.quantile(1.0) <= 21 * table.observed
    assert fit.warning is not None and "ceiling" in fit.warning


def test_a_prior_that_keeps_alpha_near_zero_still_gives_a_posterior(
    hetero_table: CaptureTable,
) -> None:
    # Gamma(0.01, rate 1000) keeps the concentration alpha around 1e-5: the later sticks'
    # Beta draws then have shapes near 0, which a plain Gamma draw rounds to 0 (log -inf).
    with np.errstate(divide="raise", invalid="raise", over="raise"):
        fit = lcmcr(hetero_table, seed=4, a_alpha=0.01, b_alpha=1000.0, **SHORT)
    assert fit.alpha_draws.max() < 0.1
    assert (fit.samples >= fit.observed).all()
    lo, hi = fit.interval()
    assert fit.observed < lo < fit.median < hi < 20 * fit.observed
    # Few classes are opened when alpha is that small.
    assert np.median(fit.classes_used) <= 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k_star": 0}, "k_star"),
        ({"iterations": 0}, "iterations"),
        ({"thin": 0}, "thin"),
        ({"burn_in": -1}, "burn_in"),
        ({"chains": 0}, "chains"),
        ({"iterations": 100, "thin": 10}, "draws per chain"),
        ({"level": 1.5}, "level"),
        ({"a_alpha": 0.0}, "a_alpha"),
    ],
)
def test_refuses_bad_settings(
    hetero_table: CaptureTable, kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        lcmcr(hetero_table, **kwargs)  # type: ignore[arg-type]


def test_refuses_two_lists_and_empty_tables() -> None:
    two = table_from_rows(["A", "B"], [([1, 0], 10), ([0, 1], 12), ([1, 1], 5)])
    with pytest.raises(ValueError, match="at least 3 lists"):
        lcmcr(two)
    empty = table_from_rows(["A", "B", "C"], [])
    with pytest.raises(ValueError, match="nobody"):
        lcmcr(empty)
    with pytest.raises(TypeError):
        lcmcr({"A": [1, 2]})  # type: ignore[arg-type]


def test_effective_sample_size_tells_independent_from_sticky_chains() -> None:
    rng = np.random.default_rng(0)
    iid = rng.normal(size=(2, 4000))
    assert effective_sample_size(iid) == pytest.approx(8000, rel=0.15)
    phi = 0.9
    ar = np.zeros((2, 4000))
    for t in range(1, 4000):
        ar[:, t] = phi * ar[:, t - 1] + rng.normal(size=2)
    expected = 8000 * (1 - phi) / (1 + phi)  # about 421
    assert effective_sample_size(ar) == pytest.approx(expected, rel=0.35)
    assert effective_sample_size(np.full((2, 100), 5.0)) == 200


def test_rhat_and_geweke_catch_disagreeing_and_drifting_chains() -> None:
    rng = np.random.default_rng(1)
    same = rng.normal(size=(2, 2000))
    assert split_rhat(same) < 1.01
    apart = same + np.array([[0.0], [3.0]])
    assert split_rhat(apart) > 1.5
    assert abs(geweke_z(same[0])) < 3
    drifting = rng.normal(size=2000) + np.linspace(0, 5, 2000)
    assert abs(geweke_z(drifting)) > 5
    assert split_rhat(drifting[None, :]) > 1.1
