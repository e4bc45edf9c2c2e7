"""Stratified estimates summed across strata, and sensitivity to record matching.

Stratifying (by period, region ...) lets capture probabilities differ between groups;
the total is the sum of the per-stratum estimates. Its interval:

* log-linear: parametric bootstrap in the manner of Buckland & Garthwaite (1991). For
  each stratum the complete table (the unobserved cell included) is redrawn from a
  multinomial with the fitted probabilities and the estimated total as its size, the
  *same* model is refitted and the per-stratum estimates are summed. The percentile
  interval of those sums is reported. Model-selection uncertainty is not included.
* BMA: the per-stratum posteriors of the unobserved count are independent, so the
  posterior of their sum is their convolution; the credible interval is read off it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import signal

from detente.estimation._poisson import poisson_newton
from detente.estimation.bma import BMAResult, bma
from detente.estimation.capture import CaptureTable, capture_table
from detente.estimation.loglinear import LoglinearFit, design_matrix, stepwise
from detente.estimation.results import Estimate

FloatArray = npt.NDArray[np.float64]
Membership = Mapping[str, Iterable[Hashable]]


def _stepwise_fit(table: CaptureTable) -> LoglinearFit:
    return stepwise(table).fit


@dataclass(frozen=True)
class StratifiedEstimate:
    strata: dict[str, Estimate]
    total: Estimate
    failed_replicates: int = 0


def stratified_loglinear(
    tables: Mapping[str, CaptureTable],
    *,
    fit: Callable[[CaptureTable], LoglinearFit] = _stepwise_fit,
    n_boot: int = 500,
    seed: int = 0,
    level: float = 0.95,
) -> StratifiedEstimate:
    """Fit each stratum with ``fit`` (default: stepwise) and bootstrap the sum."""
    if not tables:
        raise ValueError("no strata given")
    rng = np.random.default_rng(seed)
    fits = {name: fit(t) for name, t in tables.items()}
    sums = np.zeros(n_boot)
    ok = np.ones(n_boot, dtype=bool)
    for f in fits.values():
        t = f.table
        x = design_matrix(t.bits, f.terms)
        m0 = f.unobserved
        probs = np.concatenate([[m0], f.fitted])
        probs /= probs.sum()
        size = round(f.estimate)
        draws = rng.multinomial(size, probs, size=n_boot)[:, 1:].astype(np.float64)
        for b in range(n_boot):
            y = draws[b]
            margins = x.T @ y
            if (margins[1:] == 0).any():  # a term lost all its information: refit impossible
                ok[b] = False
                continue
            r = poisson_newton(x, y, f.params)
            if not r.converged:
                ok[b] = False
                continue
            sums[b] += y.sum() + math.exp(float(r.beta[0]))
    good = sums[ok]
    observed = sum(f.observed for f in fits.values())
    point = sum(f.estimate for f in fits.values())
    a = (1 - level) / 2
    lo, hi = (float(q) for q in np.quantile(good, [a, 1 - a])) if good.size else (math.nan,) * 2
    total = Estimate(
        method="log-linear, stratified",
        model="; ".join(f"{n}: {f.model}" for n, f in fits.items()),
        observed=observed,
        estimate=point,
        lower=max(lo, float(observed)),
        upper=hi,
        level=level,
        interval_kind=f"parametric bootstrap percentile ({int(good.size)} replicates)",
    )
    return StratifiedEstimate(
        strata={n: f.summary() for n, f in fits.items()},
        total=total,
        failed_replicates=int(n_boot - good.size),
    )


def convolve_posteriors(results: Iterable[BMAResult]) -> tuple[FloatArray, FloatArray]:
    """Posterior of the summed unobserved count: ``(grid, probabilities)``.

    Each result's grid must be the consecutive integers starting at 0.
    """
    grid = np.zeros(1)
    post = np.ones(1)
    for r in results:
        g = r.nmissing
        if g[0] != 0 or (np.diff(g) != 1).any():
            raise ValueError("convolution needs each stratum's nmissing grid to be 0, 1, 2, ...")
        post = np.clip(signal.fftconvolve(post, r.posterior), 0.0, None)
        post /= post.sum()
        grid = np.arange(post.size, dtype=np.float64)
    return grid, post


@dataclass(frozen=True)
class StratifiedBMA:
    strata: dict[str, BMAResult]
    nmissing: FloatArray
    posterior: FloatArray
    total: Estimate


def stratified_bma(
    tables: Mapping[str, CaptureTable],
    *,
    delta: float | None = None,
    nmissing: npt.ArrayLike | None = None,
    level: float = 0.95,
) -> StratifiedBMA:
    """BMA per stratum (see :func:`bma` for ``delta``/``nmissing``), posteriors convolved."""
    if not tables:
        raise ValueError("no strata given")
    results = {n: bma(t, delta=delta, nmissing=nmissing, level=level) for n, t in tables.items()}
    grid, post = convolve_posteriors(results.values())
    observed = sum(r.observed for r in results.values())
    cdf = np.cumsum(post)
    a = (1 - level) / 2

    def q(p: float) -> float:
        return observed + float(grid[min(int(np.searchsorted(cdf, p)), grid.size - 1)])

    total = Estimate(
        method="decomposable-graph BMA, stratified",
        model="per-stratum model averaging",
        observed=observed,
        estimate=q(0.5),
        lower=q(a),
        upper=q(1 - a),
        level=level,
        interval_kind="Bayesian credible (convolution of stratum posteriors)",
        delta=next(iter(results.values())).delta,
        tail_mass=max(r.tail_mass for r in results.values()),
    )
    return StratifiedBMA(strata=results, nmissing=grid, posterior=post, total=total)


# ---------------------------------------------------------------------------------------
# sensitivity to matching


@dataclass(frozen=True)
class MatchingSensitivity:
    """The same estimator run with grey-zone matches accepted and rejected."""

    accepted: Estimate
    rejected: Estimate

    @property
    def difference(self) -> float:
        return self.rejected.estimate - self.accepted.estimate

    def rows(self) -> list[dict[str, object]]:
        return [
            {"grey_zone": "accepted", **self.accepted.as_dict()},
            {"grey_zone": "rejected", **self.rejected.as_dict()},
        ]


def _default_estimator(table: CaptureTable) -> Estimate:
    return stepwise(table).fit.summary("log-linear, stepwise")


def _as_table(data: CaptureTable | Membership) -> CaptureTable:
    return data if isinstance(data, CaptureTable) else capture_table(data)


def matching_sensitivity(
    accepted: CaptureTable | Membership,
    rejected: CaptureTable | Membership,
    *,
    estimator: Callable[[CaptureTable], Estimate] = _default_estimator,
) -> MatchingSensitivity:
    """Estimate from two versions of the data and return both side by side.

    ``accepted``: grey-zone candidate matches treated as the same person (fewer, more
    overlapping people); ``rejected``: treated as different people. Each may be a
    capture table or a ``{list: person ids}`` mapping. The lists must be the same.
    """
    a, r = _as_table(accepted), _as_table(rejected)
    if a.lists != r.lists:
        raise ValueError(f"the two inputs use different lists: {a.lists} vs {r.lists}")
    return MatchingSensitivity(accepted=estimator(a), rejected=estimator(r))


def merge_matches(
    lists: Membership, links: Iterable[tuple[Hashable, Hashable]]
) -> dict[str, list[Hashable]]:
    """Relabel ids so that every linked pair (transitively) shares one id.

    Use it to build the "accepted" membership from the "rejected" one plus the grey-zone
    links: ``matching_sensitivity(merge_matches(lists, grey), lists)``.
    """
    parent: dict[Hashable, Hashable] = {}

    def find(a: Hashable) -> Hashable:
        root = a
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(a, a) != root:  # path compression
            parent[a], a = root, parent[a]
        return root

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    return {name: [find(pid) for pid in ids] for name, ids in lists.items()}
