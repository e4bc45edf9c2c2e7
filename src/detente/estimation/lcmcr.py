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
the same seed and settings reproduce a run exactly. A sweep costs about as much for 100
people as for 100,000 (the observed are handled per pattern, the unobserved as one more
pattern), and is arranged to make few numpy calls; see :func:`_run_chains`. Nothing here
depends on Django.
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
# designs of bench/lcmcr.py this gave effective sample sizes of about 300-2,000 in a few
# seconds (docs/benchmarks.md); slowly mixing tables (Kosovo) need more, and say so.
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


def _shape_map(k: int, n_classes: int) -> FloatArray:
    """Matrix taking one chain's class counts to the shapes of its Gamma draws.

    Input row: people on list ``j`` in class ``c`` at ``j * K + c`` (``j < k``), class
    sizes at ``k * K + c``, then ``alpha`` and a constant 1. Output row: the shapes of the
    Beta pairs' first Gammas (``lambda``, then the sticks), of their second Gammas in the
    same order, and last the sticks' second shapes less one (the small-shape trick's
    exponent). All entries are 0, 1 or -1, so the product is exact.
    """
    kk = k * n_classes
    sticks = n_classes - 1
    pairs = kk + sticks
    alpha_row, one_row = (k + 1) * n_classes, (k + 1) * n_classes + 1
    a = np.zeros(((k + 1) * n_classes + 2, 2 * pairs + sticks))
    for j in range(k):
        for c in range(n_classes):
            on, size = j * n_classes + c, kk + c
            a[on, on] = 1.0  # 1 + on the list
            a[one_row, on] = 1.0
            a[size, pairs + on] = 1.0  # 1 + in the class but not on the list
            a[on, pairs + on] = -1.0
            a[one_row, pairs + on] = 1.0
    for c in range(sticks):
        a[kk + c, kk + c] = 1.0  # 1 + in the class
        a[one_row, kk + c] = 1.0
        for col in (pairs + kk + c, 2 * pairs + c):  # alpha + in later classes (+ 1)
            a[kk + c + 1 : kk + n_classes, col] = 1.0
            a[alpha_row, col] = 1.0
        a[one_row, pairs + kk + c] = 1.0
    return a


def _log_map(k: int, n_classes: int) -> FloatArray:
    """Matrix taking one chain's log Gamma draws to what the next sweep needs.

    Input row: the logs of the first Gammas of the Beta pairs (``lambda`` then the
    sticks), of the second Gammas, and of their sums. Output row: ``log(lambda /
    (1 - lambda))`` per list and class at ``j * K + c``; then per class ``log nu_c + log
    P(on no list | c)``; last ``log nu_K``, the log weight of the last class.
    """
    kk = k * n_classes
    sticks = n_classes - 1
    pairs = kk + sticks
    b = np.zeros((3 * pairs, kk + n_classes + 1))
    for j in range(k):
        for c in range(n_classes):
            x = j * n_classes + c
            b[x, x], b[pairs + x, x] = 1.0, -1.0  # log lambda - log(1 - lambda)
            b[pairs + x, kk + c] = 1.0  # log(1 - lambda), summed over the lists
            b[2 * pairs + x, kk + c] = -1.0
    for c in range(sticks):
        v_a, v_b, v_sum = kk + c, pairs + kk + c, 2 * pairs + kk + c
        b[v_a, kk + c] += 1.0  # log V_c
        b[v_sum, kk + c] -= 1.0
        for later in range(c + 1, n_classes):  # log(1 - V_c) in every later weight
            b[v_b, kk + later] += 1.0
            b[v_sum, kk + later] -= 1.0
        b[v_b, -1], b[v_sum, -1] = 1.0, -1.0
    return b


def _truncated_n0(rng: np.random.Generator, n: int, q: float, cap: int) -> int:
    """n0 ~ NegBin(n, q) conditioned on ``n0 <= cap``, by inversion (rarely needed)."""
    top = float(stats.nbinom.cdf(cap, n, q)) if q > 0.0 else 0.0
    return int(min(float(stats.nbinom.ppf(rng.random() * top, n, q)), cap)) if top else cap


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

    The sweep is the module docstring's, arranged so that one numpy call serves every
    chain and a sweep makes few calls; every conditional draw is as stated there:

    * steps 5 and 1 are one multinomial draw: given the same parameters, the classes of
      the unobserved (given ``n0``) and of the observed are independent, so the
      unobserved are drawn as one more capture pattern, the empty one, at the start of the
      next sweep;
    * steps 2 and 3 are one Gamma draw (Beta(a, b) = Ga / (Ga + Gb)), whose shapes are
      one matrix product of the class counts (:func:`_shape_map`), and whose logs give
      everything the next steps need in another (:func:`_log_map`);
    * the draws that do not depend on the state are made in bulk, many sweeps at once:
      the exponentials of the small-shape Gamma trick, the Gamma of the negative binomial
      (drawn as a Gamma mixture of Poissons, its definition) and the Gamma of ``alpha``.
    """
    n_patterns, k = bits.shape
    n_classes = k_star
    sticks = n_classes - 1
    cap = MAX_UNOBSERVED_RATIO * n
    lam_size = k * n_classes
    pairs = lam_size + sticks  # Beta draws per chain: lambda, then the sticks
    warm_up = min(WARM_UP, burn_in)
    total_sweeps = burn_in + iterations

    # The observed patterns, then the empty pattern (the unobserved) last. One product
    # gives, per class, the people on each list and the class size (the last row).
    bits_all = np.vstack([bits, np.zeros((1, k))])
    tally = np.vstack([bits_all.T, np.ones((1, n_patterns + 1))])
    people = np.empty((chains, n_patterns + 1), dtype=np.int64)
    people[:, :n_patterns] = counts
    people[:, n_patterns] = 0  # n0 starts at 0
    shape_map = _shape_map(k, n_classes)
    log_map = _log_map(k, n_classes)

    # Work arrays, allocated once. counts_in: class counts, alpha and 1 per chain (the
    # input of shape_map); shapes: its output; log_g: the logs of the Gamma draws and of
    # the pairs' sums (the input of log_map); state: its output; probs: the class
    # probabilities of every pattern.
    counts_in = np.ones((chains, (k + 1) * n_classes + 2))
    counted = counts_in[:, : (k + 1) * n_classes].reshape(chains, k + 1, n_classes)
    class_size = counted[:, k, :]
    alpha = counts_in[:, -2]
    shapes = np.empty((chains, 2 * pairs + sticks))
    gammas = np.empty((chains, 2 * pairs))
    log_g = np.empty((chains, 3 * pairs))
    small_shape = log_g[:, pairs + lam_size : 2 * pairs]
    state = np.empty((chains, lam_size + n_classes + 1))
    log_odds = state[:, :lam_size].reshape(chains, k, n_classes)
    base = state[:, lam_size : lam_size + n_classes]  # log nu + log P(on no list)
    log_nu_last = state[:, -1]
    probs = np.empty((chains, n_patterns + 1, n_classes))
    row_sums = np.empty((chains, n_patterns + 1))
    ones = np.ones(n_classes)

    # Start near the data, as LCMCR does: every class at the lists' observed coverage,
    # jittered per class (so the classes can separate) and per chain (so R-hat means
    # something); equal class weights, alpha = 1.
    coverage = (bits.T @ counts) / n
    jitter = np.exp(rng.normal(0.0, 0.5, size=(chains, k, n_classes)))
    lam = np.clip(coverage[None, :, None] * jitter, 0.02, 0.98)
    log_odds[...] = np.log(lam) - np.log1p(-lam)
    base[...] = np.log1p(-lam).sum(axis=1) - math.log(n_classes)

    def class_probabilities() -> list[float]:
        """Fill ``probs`` from ``state``; return log P(on no list) per chain."""
        np.matmul(bits_all, log_odds, out=probs)
        np.add(probs, base[:, None, :], out=probs)
        # Log joint probabilities are at most 0, so exp() cannot overflow; only a pattern
        # with a probability under 1e-300 (or a NaN) needs the max taken out first.
        np.exp(probs, out=probs)
        np.matmul(probs, ones, out=row_sums)
        if row_sums.min() > 1e-300:
            np.divide(probs, row_sums[:, :, None], out=probs)
            return np.log(row_sums[:, n_patterns]).tolist()
        np.matmul(bits_all, log_odds, out=probs)
        np.add(probs, base[:, None, :], out=probs)
        top = probs.max(axis=2, keepdims=True)
        np.subtract(probs, top, out=probs)
        np.exp(probs, out=probs)
        total = probs.sum(axis=2, keepdims=True)
        np.divide(probs, total, out=probs)
        return (top[:, n_patterns, 0] + np.log(total[:, n_patterns, 0])).tolist()

    class_probabilities()

    kept = iterations // thin
    n_draws = np.empty((chains, kept), dtype=np.int64)
    alpha_draws = np.empty((chains, kept), dtype=np.float64)
    used_draws = np.empty((chains, kept), dtype=np.int64)
    capped = 0
    block = min(total_sweeps, 4096)
    n0 = [0] * chains

    for it in range(total_sweeps):
        j = it % block
        if j == 0:
            size = (min(block, total_sweeps - it), chains)
            log_u = -rng.standard_exponential((*size, sticks))  # log of uniforms
            gamma_n = rng.standard_gamma(float(n), size).tolist()
            gamma_alpha = rng.standard_gamma(a_alpha + sticks, size)

        # 1 and 5. classes of the observed (one multinomial per capture pattern and chain)
        # and of the unobserved (the last pattern)
        z = rng.multinomial(people, probs)  # (chains, patterns + 1, classes)
        np.matmul(tally, z, out=counted)

        if it == warm_up:
            # Relabel the classes largest first, once, as LCMCR does after its warm-up:
            # the stick-breaking prior favours big early classes, and starting from that
            # order spares the sampler a slow shuffle. A relabelling changes no fit, and
            # the parameters are all drawn afresh from the relabelled classes below.
            order = np.argsort(-class_size, axis=1, kind="stable")
            counted[...] = np.take_along_axis(counted, order[:, None, :], axis=2)

        # 2 and 3. capture probabilities per list and class, and the stick-breaking
        # weights, as Gamma pairs
        np.matmul(counts_in, shape_map, out=shapes)
        rng.standard_gamma(shapes[:, : 2 * pairs], out=gammas)
        np.log(gammas, out=log_g[:, : 2 * pairs])
        if sticks:
            # Gamma(s) = Gamma(s + 1) U^(1/s): a shape near 0 never underflows to log(0).
            small_shape += log_u[j] / shapes[:, 2 * pairs :]
        np.logaddexp(log_g[:, :pairs], log_g[:, pairs : 2 * pairs], out=log_g[:, 2 * pairs :])
        np.matmul(log_g, log_map, out=state)

        # 4. number unobserved, with their classes summed out: under the 1/N prior,
        # NegBin(n, 1 - p0), drawn as Poisson(G p0 / (1 - p0)) with G ~ Gamma(n)
        log_p0 = class_probabilities()
        for c in range(chains):
            q = -math.expm1(log_p0[c])  # 1 - p0, accurate when p0 is near 1
            mean = gamma_n[j][c] * math.exp(log_p0[c]) / q if q > 0.0 else math.inf
            draw = int(rng.poisson(mean)) if mean < 1e15 else cap + 1
            if draw > cap:
                draw = _truncated_n0(rng, n, q, cap)
                capped += it >= burn_in
            n0[c] = draw
        people[:, n_patterns] = n0

        # 6. concentration of the stick-breaking prior
        if sticks:
            np.divide(gamma_alpha[j], b_alpha - log_nu_last, out=alpha)

        if it >= burn_in:
            step = it - burn_in + 1
            if step % thin == 0:
                i = step // thin - 1
                n_draws[:, i] = n0
                alpha_draws[:, i] = alpha
                used_draws[:, i] = np.count_nonzero(class_size, axis=1)
    n_draws += n
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
