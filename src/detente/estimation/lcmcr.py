"""Latent-class capture-recapture: a Dirichlet-process mixture of independent lists.

The model (Manrique-Vallier 2016, "Bayesian population size estimation using Dirichlet
process mixtures", *Biometrics* 72(4); R package LCMCR by the same author)
-------------------------------------------------------------------------------------
Every person belongs to one of ``K*`` hidden classes. Within a class the lists are
independent: a person of class ``c`` is on list ``j`` with probability ``lambda[j, c]``.
Classes differ freely, so people who are "visible to everyone" and people whom almost
no list reaches can sit in different classes. That is how the model absorbs
*heterogeneous* capture probabilities, which make lists look positively dependent and
make a log-linear model that misses the dependence undercount.

The class weights follow a truncated stick-breaking (Dirichlet-process) prior with
concentration ``alpha``; ``alpha`` has a Gamma(a, b) prior (shape a, rate b), so the data
decide how many classes are really used. Each ``lambda[j, c]`` has a uniform Beta(1, 1)
prior, and the total ``N`` has the improper prior ``p(N) ∝ 1/N``.

The sampler (data augmentation Gibbs, as in the paper)
-----------------------------------------------------
1. class of every observed person, drawn per capture *pattern*: all people with the same
   pattern share the same class probabilities, so one multinomial draw per pattern
   replaces one categorical draw per person (cost: patterns times classes);
2. ``lambda`` given the class counts (Beta, counting the imputed unobserved people as
   "not on the list");
3. the stick-breaking weights given the class sizes;
4. the number unobserved, ``n0``, with the classes of the unobserved summed out: under the
   ``1/N`` prior it is negative binomial, ``n0 ~ NB(n, 1 - p0)`` with ``p0`` the
   probability of being on no list;
5. the classes of the ``n0`` unobserved people: one multinomial draw;
6. ``alpha`` given the weights (Gamma).

Like LCMCR, ``n0`` is capped at ``MAX_UNOBSERVED_RATIO * n`` (a truncation of the prior that
keeps a chain from drifting off when the data bound ``N`` poorly); the result records how
often the cap was reached and says so in its warnings.

The chains advance together (every array carries a leading chain axis, so one numpy call
serves all chains) and draw from one :class:`numpy.random.Generator` seeded by ``seed``:
the same seed and settings reproduce a run exactly. Nothing here depends on Django.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from detente.estimation.capture import CaptureTable, pattern_bits, table_from_rows
from detente.estimation.results import Estimate

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MIN_LISTS = 3
DEFAULT_K_STAR = 10
# Per chain: 10,000 burn-in sweeps (LCMCR's lcmCR_PostSampl default), then 50,000 sweeps
# of which every 50th is kept: 1,000 draws per chain, 2,000 in all. On the simulated
# designs of bench/lcmcr.py this gave effective sample sizes of about 300-2,000 in 8-25 s
# on a shared 2-core machine; slowly mixing tables (Kosovo) need more, and say so.
DEFAULT_ITERATIONS = 50_000
DEFAULT_BURN_IN = 10_000
DEFAULT_THIN = 50
DEFAULT_CHAINS = 2
A_ALPHA = 0.25  # LCMCR's lcmCR() defaults: a_alpha = b_alpha = 0.25
B_ALPHA = 0.25
MAX_UNOBSERVED_RATIO = 20  # LCMCR redraws n0 while n0 > 20 n; we draw the truncated law
MIN_DRAWS_PER_CHAIN = 20
WARM_UP = 500  # after this many sweeps the classes are relabelled largest first
ESS_WARNING = 400.0  # Vehtari et al. (2021): ESS > 400 before trusting R-hat/quantiles
RHAT_WARNING = 1.01  # Vehtari et al. (2021)
GEWEKE_WARNING = 2.576  # two-sided 1% normal quantile


# ---------------------------------------------------------------------------------------
# convergence diagnostics (numpy only)


def _autocovariance(x: FloatArray) -> FloatArray:
    """Autocovariance of each row of ``x`` at lags 0..n-1 (biased, via FFT)."""
    n = x.shape[-1]
    centred = x - x.mean(axis=-1, keepdims=True)
    size = 1 << (2 * n - 1).bit_length()
    f = np.fft.rfft(centred, n=size, axis=-1)
    acov = np.fft.irfft(f * np.conjugate(f), n=size, axis=-1)[..., :n]
    return np.asarray(acov / n, dtype=np.float64)


def effective_sample_size(draws: npt.ArrayLike) -> float:
    """Effective number of independent draws in ``draws`` (chains x draws, or one chain).

    Multi-chain autocorrelation combined as in Gelman et al., *Bayesian Data Analysis*
    (3rd ed., §11.5), truncated with Geyer's (1992) initial monotone sequence. A chain that
    never moves (all draws equal) carries no autocorrelation to estimate: its ESS is the
    number of draws.
    """
    x = np.atleast_2d(np.asarray(draws, dtype=np.float64))
    m, n = x.shape
    if n < 4:
        return float(m * n)
    acov = _autocovariance(x)
    chain_var = acov[:, 0] * n / (n - 1.0)
    within = float(chain_var.mean())
    var_plus = within * (n - 1.0) / n
    if m > 1:
        var_plus += float(x.mean(axis=1).var(ddof=1))
    if var_plus <= 0.0:
        return float(m * n)
    rho = 1.0 - (within - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    # Geyer: sum pairs (rho[2t] + rho[2t+1]) while positive, forced non-increasing.
    pairs = rho[: 2 * (n // 2)].reshape(-1, 2).sum(axis=1)
    positive = np.flatnonzero(pairs <= 0.0)
    stop = int(positive[0]) if positive.size else pairs.size
    pairs = np.minimum.accumulate(pairs[:stop])
    tau = -1.0 + 2.0 * float(pairs.sum()) if pairs.size else 1.0
    tau = max(tau, 1.0 / math.log10(max(m * n, 10)))
    return float(min(m * n / tau, m * n * math.log10(max(m * n, 10))))


def split_rhat(draws: npt.ArrayLike) -> float:
    """Split potential scale reduction factor (Gelman et al., BDA3 §11.4).

    Each chain is cut in two halves, so a single chain that drifts is caught too. Values
    near 1 mean the halves agree; Vehtari et al. (2021) suggest distrusting above 1.01.
    """
    x = np.atleast_2d(np.asarray(draws, dtype=np.float64))
    half = x.shape[1] // 2
    if half < 2:
        return float("nan")
    halves = np.concatenate([x[:, :half], x[:, -half:]], axis=0)
    within = float(halves.var(axis=1, ddof=1).mean())
    between_of_means = float(halves.mean(axis=1).var(ddof=1))
    if within <= 0.0:
        return 1.0 if between_of_means <= 0.0 else float("inf")
    var_plus = within * (half - 1.0) / half + between_of_means
    return float(math.sqrt(var_plus / within))


def geweke_z(chain: npt.ArrayLike, first: float = 0.1, last: float = 0.5) -> float:
    """Geweke (1992) z-score: mean of the first 10% against the last 50% of one chain.

    The variance of each segment's mean is estimated from its own autocorrelation
    (variance / effective sample size). Under convergence z is roughly standard normal.
    """
    x = np.asarray(chain, dtype=np.float64).ravel()
    n = x.size
    a = x[: max(int(first * n), 2)]
    b = x[n - max(int(last * n), 2) :]
    var_a = float(a.var(ddof=1)) / effective_sample_size(a)
    var_b = float(b.var(ddof=1)) / effective_sample_size(b)
    diff = float(a.mean() - b.mean())
    if var_a + var_b <= 0.0:
        return 0.0 if diff == 0.0 else math.copysign(float("inf"), diff)
    return diff / math.sqrt(var_a + var_b)


# ---------------------------------------------------------------------------------------
# result


@dataclass(frozen=True)
class LCMCRResult:
    """Posterior draws of the total ``N`` from :func:`lcmcr`, with diagnostics.

    ``draws`` has one row per chain (after burn-in and thinning); ``alpha_draws`` and
    ``classes_used`` (number of occupied classes) are kept at the same iterations.
    """

    table: CaptureTable
    draws: IntArray
    alpha_draws: FloatArray
    classes_used: IntArray
    k_star: int
    a_alpha: float
    b_alpha: float
    iterations: int
    burn_in: int
    thin: int
    seed: int | None
    level: float
    capped: int  # post-burn-in iterations whose n0 draw hit the cap
    ess: float
    rhat: float
    geweke: tuple[float, ...]  # one z per chain

    @property
    def observed(self) -> int:
        return self.table.observed

    @property
    def chains(self) -> int:
        return int(self.draws.shape[0])

    @property
    def samples(self) -> IntArray:
        """All chains' draws of ``N`` in one array."""
        return np.asarray(self.draws.ravel(), dtype=np.int64)

    @property
    def mean(self) -> float:
        return float(self.samples.mean())

    @property
    def median(self) -> float:
        return self.quantile(0.5)

    def quantile(self, q: float) -> float:
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"a quantile must be between 0 and 1, got {q}")
        return float(np.quantile(self.samples, q))

    def interval(self, level: float | None = None) -> tuple[float, float]:
        """Equal-tailed credible interval for ``N`` (default: the run's ``level``)."""
        lev = self.level if level is None else level
        if not 0.0 < lev < 1.0:
            raise ValueError(f"level must be between 0 and 1, got {lev}")
        tail = (1.0 - lev) / 2.0
        return self.quantile(tail), self.quantile(1.0 - tail)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Plain-English reasons to distrust this run; empty when the checks pass."""
        out: list[str] = []
        if self.ess < ESS_WARNING:
            out.append(
                f"The sampler produced the equivalent of only {self.ess:.0f} independent "
                f"draws of the total (at least {ESS_WARNING:.0f} are needed for a stable "
                "interval). Run more iterations."
            )
        if not self.rhat <= RHAT_WARNING:
            out.append(
                f"The chains disagree with each other (R-hat {self.rhat:.3f}, should be at "
                f"most {RHAT_WARNING}): the sampler has not settled. Run more iterations or "
                "a longer burn-in."
            )
        worst = max((abs(z) for z in self.geweke), default=0.0)
        if not worst <= GEWEKE_WARNING:
            out.append(
                f"The start and the end of a chain give different totals (Geweke z = "
                f"{worst:.1f}): the sampler may still be drifting. Use a longer burn-in."
            )
        if self.capped:
            kept = self.draws.size * self.thin
            out.append(
                f"In {self.capped} of {kept} iterations the number unseen reached the "
                f"model's ceiling ({MAX_UNOBSERVED_RATIO} times the number observed): the lists "
                "overlap too little to bound the total, and the upper end of the interval "
                "reflects that ceiling, not the data."
            )
        return tuple(out)

    @property
    def warning(self) -> str | None:
        """All warnings in one paragraph, or ``None`` when there is nothing to warn about."""
        return " ".join(self.warnings) or None

    @property
    def model(self) -> str:
        return f"DP mixture, K*={self.k_star}"

    def summary(self) -> Estimate:
        lo, hi = self.interval()
        return Estimate(
            method="latent class (LCMCR)",
            model=self.model,
            observed=self.observed,
            estimate=self.median,
            lower=lo,
            upper=hi,
            level=self.level,
            interval_kind="Bayesian credible",
            stratum=self.table.stratum,
            ess=self.ess,
            rhat=self.rhat,
            geweke=max((abs(z) for z in self.geweke), default=0.0),
            capped_share=self.capped / max(self.draws.size * self.thin, 1),
        )


# ---------------------------------------------------------------------------------------
# sampler


def _log_gamma(rng: np.random.Generator, shape: FloatArray) -> FloatArray:
    """log of Gamma(shape, 1) draws, accurate for tiny shapes.

    Uses Gamma(a) = Gamma(a + 1) · U^(1/a), so a shape near 0 never underflows to log(0).
    """
    g = rng.standard_gamma(shape + 1.0)
    u = 1.0 - rng.random(shape.shape)  # in (0, 1]
    return np.asarray(np.log(g) + np.log(u) / shape, dtype=np.float64)


def _log_beta(
    rng: np.random.Generator, a: FloatArray, b: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """``(log x, log(1 - x))`` for x ~ Beta(a, b), computed without cancellation."""
    la = _log_gamma(rng, a)
    lb = _log_gamma(rng, b)
    total = np.logaddexp(la, lb)
    return la - total, lb - total


def _softmax_last(logits: FloatArray) -> FloatArray:
    p = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return np.asarray(p / p.sum(axis=-1, keepdims=True), dtype=np.float64)


def _draw_n0(
    rng: np.random.Generator, n: int, log_p0: FloatArray, cap: int
) -> tuple[IntArray, IntArray]:
    """Per chain, n0 ~ NegBin(n, 1 - p0) truncated to ``n0 <= cap``, and whether it bit."""
    q = -np.expm1(log_p0)  # 1 - p0, accurate when p0 is near 1
    n0 = np.empty(q.size, dtype=np.int64)
    hit = np.zeros(q.size, dtype=np.int64)
    for c, qc in enumerate(q.tolist()):  # scalar draws: far cheaper than array ones
        draw = int(rng.negative_binomial(n, qc)) if qc > 0.0 else cap + 1
        if draw > cap:
            # Exact draw from the truncated law by inversion (the cap is rarely reached).
            hit[c] = 1
            top = float(stats.nbinom.cdf(cap, n, qc)) if qc > 0.0 else 0.0
            draw = int(min(float(stats.nbinom.ppf(rng.random() * top, n, qc)), cap)) if top else cap
        n0[c] = draw
    return n0, hit


def _run_chains(
    rng: np.random.Generator,
    chains: int,
    bits: FloatArray,
    counts: IntArray,
    n: int,
    k_star: int,
    a_alpha: float,
    b_alpha: float,
    burn_in: int,
    iterations: int,
    thin: int,
) -> tuple[IntArray, FloatArray, IntArray, int]:
    """All chains advance together, each array carrying a leading chain axis.

    One numpy call then serves every chain, which halves the per-sweep overhead for two.
    """
    k = bits.shape[1]
    cap = MAX_UNOBSERVED_RATIO * n
    lam_size = k * k_star
    warm_up = min(WARM_UP, burn_in)

    # Start near the data, as LCMCR does: every class at the lists' observed coverage,
    # jittered per class (so the classes can separate) and per chain (so R-hat means
    # something). n0 starts at 0.
    coverage = (bits.T @ counts) / n
    jitter = np.exp(rng.normal(0.0, 0.5, size=(chains, k, k_star)))
    lam = np.clip(coverage[None, :, None] * jitter, 0.02, 0.98)
    log_lam1 = np.log(lam)
    log_lam0 = np.log1p(-lam)
    log_nu = np.full((chains, k_star), -math.log(k_star))
    alpha = np.ones(chains)
    count0 = np.zeros((chains, k_star), dtype=np.int64)
    counts_c = np.broadcast_to(counts, (chains, counts.size))

    kept = iterations // thin
    n_draws = np.empty((chains, kept), dtype=np.int64)
    alpha_draws = np.empty((chains, kept), dtype=np.float64)
    used_draws = np.empty((chains, kept), dtype=np.int64)
    capped = 0

    for it in range(burn_in + iterations):
        # 1. classes of the observed, one multinomial per capture pattern and chain
        log_miss = log_lam0.sum(axis=1)  # log P(on no list | class), (chains, classes)
        logits = (log_nu + log_miss)[:, None, :] + bits @ (log_lam1 - log_lam0)
        z = rng.multinomial(counts_c, _softmax_last(logits))  # (chains, patterns, classes)
        class_size = z.sum(axis=1) + count0

        if it == warm_up:
            # Relabel the classes largest first, once, as LCMCR does after its warm-up:
            # the stick-breaking prior favours big early classes, and starting from that
            # order spares the sampler a slow shuffle. A relabelling changes no fit.
            order = np.argsort(-class_size, axis=1, kind="stable")
            z = np.take_along_axis(z, order[:, None, :], axis=2)
            class_size = np.take_along_axis(class_size, order, axis=1)
            count0 = np.take_along_axis(count0, order, axis=1)
            log_lam1 = np.take_along_axis(log_lam1, order[:, None, :], axis=2)
            log_lam0 = np.take_along_axis(log_lam0, order[:, None, :], axis=2)

        # 2 and 3. capture probabilities per list and class, and the stick-breaking
        # weights, drawn together (one Beta draw for the lot keeps numpy calls few)
        on_list = bits.T @ z  # (chains, lists, classes)
        off_list = class_size[:, None, :] - on_list
        later = np.cumsum(class_size[:, ::-1], axis=1)[:, ::-1][:, 1:]  # in later classes
        shape_a = np.concatenate(
            [(1.0 + on_list).reshape(chains, -1), 1.0 + class_size[:, :-1]], axis=1
        )
        shape_b = np.concatenate(
            [(1.0 + off_list).reshape(chains, -1), alpha[:, None] + later], axis=1
        )
        log_x, log_1mx = _log_beta(rng, shape_a, shape_b)
        log_lam1 = log_x[:, :lam_size].reshape(chains, k, k_star)
        log_lam0 = log_1mx[:, :lam_size].reshape(chains, k, k_star)
        if k_star > 1:
            run = np.cumsum(log_1mx[:, lam_size:], axis=1)  # log prod (1 - V) so far
            log_nu = np.concatenate([log_x[:, lam_size:], run[:, -1:]], axis=1)
            log_nu[:, 1:-1] += run[:, :-1]

        # 4. number unobserved, with their classes summed out
        log_joint = log_nu + log_lam0.sum(axis=1)
        top = log_joint.max(axis=1)
        log_p0 = top + np.log(np.exp(log_joint - top[:, None]).sum(axis=1))
        n0, hit = _draw_n0(rng, n, log_p0, cap)

        # 5. classes of the unobserved
        count0 = rng.multinomial(n0, _softmax_last(log_joint))

        # 6. concentration of the stick-breaking prior
        if k_star > 1:
            alpha = rng.standard_gamma(a_alpha + k_star - 1.0, size=chains) / (
                b_alpha - log_nu[:, -1]
            )

        if it >= burn_in:
            capped += int(hit.sum())
            step = it - burn_in + 1
            if step % thin == 0:
                i = step // thin - 1
                n_draws[:, i] = n + n0
                alpha_draws[:, i] = alpha
                used_draws[:, i] = np.count_nonzero(class_size, axis=1)
    return n_draws, alpha_draws, used_draws, capped


def lcmcr(
    table: CaptureTable,
    *,
    k_star: int = DEFAULT_K_STAR,
    iterations: int = DEFAULT_ITERATIONS,
    burn_in: int = DEFAULT_BURN_IN,
    thin: int = DEFAULT_THIN,
    chains: int = DEFAULT_CHAINS,
    a_alpha: float = A_ALPHA,
    b_alpha: float = B_ALPHA,
    seed: int | None = None,
    level: float = 0.95,
) -> LCMCRResult:
    """Posterior of the total under the latent-class model (see module docstring).

    ``iterations`` are kept-phase Gibbs sweeps *per chain* after ``burn_in`` discarded
    sweeps; every ``thin``-th is kept. ``k_star`` is the most classes the model may use.
    ``seed`` makes the run reproducible (``None`` draws fresh entropy).
    """
    if not isinstance(table, CaptureTable):
        raise TypeError("lcmcr() needs a CaptureTable")
    if table.k < MIN_LISTS:
        raise ValueError(
            f"the latent-class model needs at least {MIN_LISTS} lists, got {table.k}: with "
            "two lists any amount of heterogeneity fits the overlap equally well, so the "
            "data cannot say how many people were missed"
        )
    n = table.observed
    if n == 0:
        raise ValueError("nobody is on any list: there is nothing to estimate from")
    for name, value, low in (
        ("k_star", k_star, 1),
        ("iterations", iterations, 1),
        ("thin", thin, 1),
        ("chains", chains, 1),
        ("burn_in", burn_in, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ValueError(f"{name} must be a whole number of at least {low}, got {value!r}")
    if iterations // thin < MIN_DRAWS_PER_CHAIN:
        raise ValueError(
            f"iterations / thin leaves {iterations // thin} draws per chain; at least "
            f"{MIN_DRAWS_PER_CHAIN} are needed to summarise the posterior"
        )
    if not (a_alpha > 0 and b_alpha > 0 and math.isfinite(a_alpha) and math.isfinite(b_alpha)):
        raise ValueError("a_alpha and b_alpha must be positive numbers")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, got {level}")

    present = table.counts > 0
    bits = pattern_bits(table.k)[present].astype(np.float64)
    counts = table.counts[present].astype(np.int64)
    draws, alpha_draws, classes_used, capped = _run_chains(
        np.random.default_rng(seed),
        int(chains),
        bits,
        counts,
        n,
        int(k_star),
        float(a_alpha),
        float(b_alpha),
        int(burn_in),
        int(iterations),
        int(thin),
    )
    return LCMCRResult(
        table=table,
        draws=draws,
        alpha_draws=alpha_draws,
        classes_used=classes_used,
        k_star=int(k_star),
        a_alpha=float(a_alpha),
        b_alpha=float(b_alpha),
        iterations=int(iterations),
        burn_in=int(burn_in),
        thin=int(thin),
        seed=seed,
        level=level,
        capped=capped,
        ess=effective_sample_size(draws),
        rhat=split_rhat(draws),
        geweke=tuple(geweke_z(row) for row in draws),
    )


# ---------------------------------------------------------------------------------------
# simulation helper (tests and bench/lcmcr.py)


def simulate_latent_classes(
    sizes: Sequence[int],
    capture_probs: Sequence[Sequence[float]],
    seed: int | None = None,
    lists: Sequence[str] | None = None,
) -> CaptureTable:
    """Capture table of a simulated population made of hidden classes.

    ``sizes[c]`` people belong to class ``c``; each is on list ``j`` independently with
    probability ``capture_probs[c][j]``. People on no list are dropped, as in real data.
    """
    probs = np.asarray(capture_probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[0] != len(sizes):
        raise ValueError("capture_probs needs one row of list probabilities per class")
    k = probs.shape[1]
    names = tuple(lists) if lists is not None else tuple(f"L{j}" for j in range(k))
    rng = np.random.default_rng(seed)
    weights = 1 << np.arange(k, dtype=np.int64)
    pattern_counts = np.zeros(2**k, dtype=np.int64)
    for size, p in zip(sizes, probs, strict=True):
        on = rng.random((int(size), k)) < p[None, :]
        pattern_counts += np.bincount(on.astype(np.int64) @ weights, minlength=2**k)
    bits = pattern_bits(k)
    rows = [(list(map(int, bits[i])), int(pattern_counts[i + 1])) for i in range(2**k - 1)]
    return table_from_rows(names, rows)
