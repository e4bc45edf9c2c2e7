"""Log-linear (Poisson GLM) multiple systems estimation.

A model is the intercept, one main effect per list, and a set of interaction *terms*
(tuples of list indices, at least two lists each). The design matrix has one row per
observable pattern (``CaptureTable`` order) and the column of a term is the product of
its lists' 0/1 indicators. The unobserved pattern (on no list) has every indicator 0,
so its expected count is ``exp(intercept)``: the estimate of the total is
``observed + exp(intercept)`` (Fienberg 1972; Bishop, Fienberg & Holland 1975).

Identifiability (see :func:`check_identifiable`) follows Fienberg & Rinaldo (2012) as
used in SparseMSE (Chan, Silverman & Vincent 2021): the design must have full column
rank and the maximum-likelihood estimate must exist (the observed margins must lie in
the interior of the cone spanned by the design rows). The interaction of *all* lists
can never be estimated.

Intervals: the profile-likelihood interval for the total follows Cormack (1992) — the
complete ``2**k`` table is a multinomial sample of size ``N`` with the unobserved count
``N - n`` in cell 0; for each ``N`` the model is fitted to that complete table, and the
interval is every ``N`` whose profile log-likelihood is within ``chi2_1(level) / 2`` of
the maximum. The Wald interval on the log scale (``observed + exp(b0 ± z·se)``) that
SparseMSE reports is also given.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt
import statsmodels.api as sm
from scipy import optimize, special, stats
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from detente.estimation._poisson import poisson_newton
from detente.estimation.capture import CaptureTable, pattern_bits
from detente.estimation.results import Estimate

FloatArray = npt.NDArray[np.float64]
Term = tuple[int, ...]
TermSpec = str | Sequence[str] | Sequence[int]
Criterion = Literal["aic", "bic"]


class IdentifiabilityError(ValueError):
    """The model cannot be estimated from this table; the message says why."""


# ---------------------------------------------------------------------------------------
# terms and designs


def term_label(table: CaptureTable, term: Term) -> str:
    return ":".join(table.lists[i] for i in term)


def model_label(table: CaptureTable, terms: Sequence[Term]) -> str:
    """Main effects plus the highest-order terms; lower-order ones they imply are implicit."""
    return _label(table.lists, terms)


def _label(lists: Sequence[str], terms: Sequence[Term]) -> str:
    maximal = [t for t in terms if not any(set(t) < set(u) for u in terms)]
    inter = " + ".join(":".join(lists[i] for i in t) for t in maximal)
    return "independence" if not inter else f"main effects + {inter}"


def parse_term(table: CaptureTable, spec: TermSpec) -> Term:
    """``"A:B"``, ``("A", "B")`` or ``(0, 1)`` -> ``(0, 1)``."""
    parts: list[str | int]
    parts = list(spec.split(":")) if isinstance(spec, str) else list(spec)
    idx: list[int] = []
    for p in parts:
        if isinstance(p, str):
            if p not in table.lists:
                raise ValueError(f"unknown list {p!r} in term {spec!r}; lists: {table.lists}")
            idx.append(table.lists.index(p))
        else:
            i = int(p)
            if not 0 <= i < table.k:
                raise ValueError(f"list index {i} out of range in term {spec!r}")
            idx.append(i)
    term = tuple(sorted(set(idx)))
    if len(term) < 2:
        raise ValueError(f"an interaction term needs at least two lists: {spec!r}")
    return term


def normalise_terms(table: CaptureTable, terms: Iterable[TermSpec | Term]) -> tuple[Term, ...]:
    """Parse, de-duplicate and order terms (by order, then lexicographically)."""
    parsed = {parse_term(table, t) for t in terms}
    return tuple(sorted(parsed, key=lambda t: (len(t), t)))


def hierarchical_closure(terms: Iterable[Term]) -> tuple[Term, ...]:
    """Add every lower-order interaction implied by the given terms."""
    out: set[Term] = set()
    for t in terms:
        for r in range(2, len(t) + 1):
            out.update(itertools.combinations(t, r))
    return tuple(sorted(out, key=lambda t: (len(t), t)))


def design_matrix(bits: npt.NDArray[np.int64], terms: Sequence[Term]) -> FloatArray:
    """Columns: intercept, main effects, then one product column per term."""
    cols = [np.ones(bits.shape[0]), *bits.T.astype(np.float64)]
    for t in terms:
        cols.append(np.prod(bits[:, list(t)], axis=1).astype(np.float64))
    return np.column_stack(cols)


def _full_bits(k: int) -> npt.NDArray[np.int64]:
    """Pattern bits *including* the unobserved all-zero pattern as row 0."""
    return np.vstack([np.zeros((1, k), dtype=np.int64), pattern_bits(k)])


# ---------------------------------------------------------------------------------------
# identifiability


def _margin(bits: npt.NDArray[np.int64], y: FloatArray, term: Term) -> float:
    return float(np.prod(bits[:, list(term)], axis=1) @ y)


@dataclass(frozen=True)
class ModelStructure:
    """How a model meets a table's empty overlaps (the SparseMSE rule).

    ``empty``: the model's terms whose lists nobody is on together (and no smaller such
    term of the model explains it). As in SparseMSE's ``buildmodel``, every pattern that
    contains such a term is removed from the fit (its expected count is zero: the
    interaction is minus infinity) and the term's own column is left out; the term still
    counts as a parameter in AIC/BIC (SparseMSE adds 2 to the AIC per empty overlap).
    ``redundant``: zero-overlap terms that contain an empty one and so add nothing (their
    column would be identically zero): a model with one is not identifiable.
    ``fitted``: the terms with a column in the design. ``keep``: mask of the observable
    patterns left in the fit.
    """

    fitted: tuple[Term, ...]
    empty: tuple[Term, ...]
    redundant: tuple[Term, ...]
    keep: npt.NDArray[np.bool_]


def model_structure(table: CaptureTable, terms: Sequence[Term]) -> ModelStructure:
    bits = table.bits
    y = table.counts.astype(np.float64)
    zero = [t for t in terms if _margin(bits, y, t) == 0]
    empty = tuple(t for t in zero if not any(set(s) < set(t) for s in zero))
    redundant = tuple(t for t in zero if t not in empty)
    keep = np.ones(bits.shape[0], dtype=bool)
    for t in empty:
        keep &= np.prod(bits[:, list(t)], axis=1) == 0
    fitted = tuple(t for t in terms if t not in zero)
    return ModelStructure(fitted=fitted, empty=empty, redundant=redundant, keep=keep)


def _redundant_message(table: CaptureTable, term: Term, empty: Sequence[Term]) -> str:
    inner = next(e for e in empty if set(e) < set(term))
    names = " and ".join(table.lists[i] for i in inner)
    return (
        f"term {term_label(table, term)} has no information: nobody is on {names} "
        f"together, so {term_label(table, inner)} already removes every pattern it "
        "describes; drop the term"
    )


def _mle_exists(x: FloatArray, y: FloatArray, *, explain: bool = True) -> tuple[bool, list[int]]:
    """Fienberg-Rinaldo linear-programming test for existence of the Poisson MLE.

    The MLE exists iff some strictly positive vector ``z`` has the same sufficient
    statistics as the data (``x.T z = x.T y``). Returns ``(exists, forced_zero_cells)``;
    the forced cells (one more LP each) are only looked for when ``explain``.
    """
    zero = np.flatnonzero(y == 0)
    if zero.size == 0:
        return True, []
    n, _ = x.shape
    t = x.T @ y
    # variables: z (n of them), s; maximise s subject to x.T z = t, z_i >= s, s <= 1.
    c = np.zeros(n + 1)
    c[-1] = -1.0
    a_eq = np.hstack([x.T, np.zeros((x.shape[1], 1))])
    a_ub = np.hstack([-np.eye(n), np.ones((n, 1))])
    res = optimize.linprog(
        c,
        A_ub=a_ub,
        b_ub=np.zeros(n),
        A_eq=a_eq,
        b_eq=t,
        bounds=[(0, None)] * n + [(None, 1.0)],
        method="highs",
    )
    if res.status == 0 and -res.fun > 1e-9:
        return True, []
    if not explain:
        return False, []
    # Name the culprits: zero cells that no table with these margins can make positive.
    forced: list[int] = []
    for i in zero:
        ci = np.zeros(n)
        ci[i] = -1.0
        r = optimize.linprog(
            ci,
            A_eq=x.T,
            b_eq=t,
            bounds=[(0, max(float(y.sum()), 1.0))] * n,
            method="highs",
        )
        if r.status == 0 and -r.fun <= 1e-9:
            forced.append(int(i))
    return False, forced


def check_identifiable(table: CaptureTable, terms: Sequence[Term]) -> None:
    """Raise :class:`IdentifiabilityError` unless the model can be estimated.

    Checks, in order: the all-lists interaction (never estimable, because its only
    pattern's information is used up estimating the unobserved cell); lists with nobody
    on them; terms with no information because a smaller zero-overlap term of the model
    already removes their patterns; then, on the patterns left once each empty overlap's
    patterns are removed (SparseMSE's ``buildmodelmatrix``), rank deficiency and
    existence of the maximum-likelihood estimate (Fienberg & Rinaldo 2012; SparseMSE's
    ``checkident``).
    """
    k = table.k
    for t in terms:
        if len(t) >= k:
            raise IdentifiabilityError(
                f"the interaction of all {k} lists ({term_label(table, t)}) can never be "
                "estimated: the one pattern it describes is also all the information about "
                "the unobserved count"
            )
    bits = table.bits
    y = table.counts.astype(np.float64)
    for j, name in enumerate(table.lists):
        if bits[:, j] @ y == 0:
            raise IdentifiabilityError(f"list {name} is empty: it carries no information")
    st = model_structure(table, terms)
    if st.redundant:
        raise IdentifiabilityError(_redundant_message(table, st.redundant[0], st.empty))
    x = design_matrix(bits[st.keep], st.fitted)
    yk = y[st.keep]
    rank = int(np.linalg.matrix_rank(x)) if x.shape[0] else 0
    if rank < x.shape[1]:
        if st.empty:
            gone = ", ".join(term_label(table, t) for t in st.empty)
            raise IdentifiabilityError(
                f"the model is not identifiable: with the patterns of {gone} removed "
                "(nobody is on those lists together) too few patterns are left for its "
                "parameters; drop a term"
            )
        # Find the first column that adds nothing to the ones before it.
        labels = ["intercept", *table.lists, *(term_label(table, t) for t in st.fitted)]
        for j in range(1, x.shape[1] + 1):
            if np.linalg.matrix_rank(x[:, :j]) < j:
                raise IdentifiabilityError(
                    f"the model is not identifiable: column {labels[j - 1]} is a linear "
                    "combination of the others"
                )
    exists, forced = _mle_exists(x, yk)
    if not exists:
        kept = np.flatnonzero(st.keep)
        cells = ", ".join(table.pattern_label(int(kept[i])) for i in forced) or "(undetermined)"
        raise IdentifiabilityError(
            "the maximum-likelihood estimate does not exist for "
            f"{model_label(table, terms)}: the zero counts at patterns {cells} cannot be "
            "fitted by any positive table with the same margins; remove a term involving them"
        )


# ---------------------------------------------------------------------------------------
# fitting


@dataclass(frozen=True)
class LoglinearFit:
    """A fitted log-linear model and its estimate of the total population."""

    table: CaptureTable
    terms: tuple[Term, ...]
    params: FloatArray
    bse: FloatArray
    fitted: FloatArray
    loglik: float
    deviance: float
    df_resid: int
    level: float
    profile_interval: tuple[float, float] | None
    wald_interval: tuple[float, float]
    notes: tuple[str, ...] = field(default=())
    # Terms of the model whose lists nobody is on together: their patterns were removed
    # from the fit (SparseMSE's rule) and ``fitted`` is 0 there; see ModelStructure.
    empty_terms: tuple[Term, ...] = field(default=())

    @property
    def observed(self) -> int:
        return self.table.observed

    @property
    def unobserved(self) -> float:
        return float(math.exp(self.params[0]))

    @property
    def estimate(self) -> float:
        return self.observed + self.unobserved

    @property
    def n_params(self) -> int:
        """Fitted coefficients plus one per empty overlap (as SparseMSE counts them)."""
        return len(self.params) + len(self.empty_terms)

    @property
    def aic(self) -> float:
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        # log(number of people observed), the usual choice in MSE (e.g. Rcapture).
        return -2.0 * self.loglik + math.log(max(self.observed, 1)) * self.n_params

    @property
    def model(self) -> str:
        return model_label(self.table, self.terms)

    @property
    def interval(self) -> tuple[float, float]:
        return self.profile_interval if self.profile_interval is not None else self.wald_interval

    def summary(self, method: str = "log-linear") -> Estimate:
        kind = "profile likelihood" if self.profile_interval is not None else "Wald (log scale)"
        lo, hi = self.interval
        return Estimate(
            method=method,
            model=self.model,
            observed=self.observed,
            estimate=self.estimate,
            lower=lo,
            upper=hi,
            level=self.level,
            interval_kind=kind,
            stratum=self.table.stratum,
            aic=self.aic,
            bic=self.bic,
        )


def _poisson_loglik(y: FloatArray, mu: FloatArray) -> float:
    """Full Poisson log-likelihood (with the log y! constant), comparable across models."""
    return float((special.xlogy(y, mu) - mu - special.gammaln(y + 1)).sum())


def fit_loglinear(
    table: CaptureTable,
    terms: Iterable[TermSpec | Term] = (),
    *,
    level: float = 0.95,
    profile: bool = True,
    check: bool = True,
) -> LoglinearFit:
    """Fit main effects plus ``terms`` with a statsmodels Poisson GLM.

    Lower-order terms implied by higher-order ones are added (models are hierarchical).
    A term whose lists nobody is on together is kept the SparseMSE way: the patterns
    containing it are removed from the fit (see :class:`ModelStructure`). Raises
    :class:`IdentifiabilityError` (a ``ValueError``) when the model cannot be estimated
    from this table.
    """
    parsed = hierarchical_closure(normalise_terms(table, terms))
    if check:
        check_identifiable(table, parsed)
    st = model_structure(table, parsed)
    x = design_matrix(table.bits[st.keep], st.fitted)
    y = table.counts.astype(np.float64)[st.keep]
    # A saturated model fits exactly with zero residual df: statsmodels then reports
    # "perfect prediction" and divides by zero in a scale the Poisson family never uses.
    # Identifiability has been checked above, so both are noise here.
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        res = sm.GLM(y, x, family=sm.families.Poisson()).fit()
    params = np.asarray(res.params, dtype=np.float64)
    bse = np.asarray(res.bse, dtype=np.float64)
    fitted = np.zeros(table.counts.size)
    fitted[st.keep] = np.asarray(res.fittedvalues, dtype=np.float64)
    z = float(stats.norm.ppf(0.5 + level / 2))
    n = table.observed
    wald = (n + math.exp(params[0] - z * bse[0]), n + math.exp(params[0] + z * bse[0]))
    prof = profile_interval(table, parsed, level=level) if profile else None
    return LoglinearFit(
        table=table,
        terms=parsed,
        params=params,
        bse=bse,
        fitted=fitted,
        loglik=_poisson_loglik(y, fitted[st.keep]),
        deviance=float(res.deviance),
        df_resid=round(float(res.df_resid)),
        level=level,
        profile_interval=prof,
        wald_interval=wald,
        empty_terms=st.empty,
    )


def independence(table: CaptureTable, *, level: float = 0.95) -> LoglinearFit:
    """Main effects only: the lists are assumed independent (Lincoln-Petersen for k=2)."""
    return fit_loglinear(table, (), level=level)


# ---------------------------------------------------------------------------------------
# profile likelihood (Cormack 1992)


def profile_interval(
    table: CaptureTable, terms: Sequence[Term], *, level: float = 0.95
) -> tuple[float, float]:
    """Profile-likelihood interval for the total (see module docstring).

    The upper end is ``inf`` if the likelihood never drops far enough (it can happen with
    very little overlap between lists).
    """
    k = table.k
    n = float(table.observed)
    st = model_structure(table, terms)
    # The unobserved pattern (row 0) is never one of an empty overlap's patterns.
    keep = np.concatenate([[True], st.keep])
    x = design_matrix(_full_bits(k)[keep], st.fitted)
    y_obs = table.counts.astype(np.float64)[st.keep]
    start: list[FloatArray | None] = [None]

    def loglik(total: float) -> float:
        n0 = total - n
        y = np.concatenate([[n0], y_obs])
        fit = poisson_newton(x, y, start[0])
        start[0] = fit.beta
        p_log = np.log(np.maximum(fit.mu, 1e-300) / total)
        return float(special.gammaln(total + 1) - special.gammaln(n0 + 1) + y @ p_log)

    # Conditional MLE of the unobserved count, the natural centre of the search.
    x_obs = x[1:]
    m0 = math.exp(float(poisson_newton(x_obs, y_obs).beta[0]))
    eps = min(0.5, m0 / 100)
    lo_n, hi_n = n + eps, n + 4 * m0 + 10
    opt = optimize.minimize_scalar(
        lambda t: -loglik(t), bounds=(lo_n, hi_n), method="bounded", options={"xatol": 1e-6}
    )
    n_max = float(opt.x)
    l_max = -float(opt.fun)
    cut = l_max - float(stats.chi2.ppf(level, 1)) / 2

    def g(t: float) -> float:
        return loglik(t) - cut

    lower = n if g(lo_n) >= 0 else float(optimize.brentq(g, lo_n, n_max, xtol=1e-6))
    upper = math.inf
    hi = n_max
    for _ in range(60):
        nxt = n + 2 * (hi - n) + 1
        if g(nxt) < 0:
            upper = float(optimize.brentq(g, hi, nxt, xtol=1e-6))
            break
        hi = nxt
    return lower, upper


# ---------------------------------------------------------------------------------------
# model enumeration and selection


def count_hierarchical_models(k: int, max_order: int) -> int:
    """Number of hierarchical models with interactions of order <= ``max_order``."""
    return sum(1 for _ in hierarchical_models(k, max_order))


def hierarchical_models(k: int, max_order: int) -> Iterator[tuple[Term, ...]]:
    """Every hierarchical model whose interactions have 2..``max_order`` lists.

    The all-lists interaction is excluded (never estimable), so ``max_order`` is capped
    at ``k - 1``. For order 2 these are the ``2**(k*(k-1)/2)`` graphs on the lists.
    """
    max_order = min(max_order, k - 1)
    if max_order < 2:
        yield ()
        return

    def extend(chosen: frozenset[Term], order: int) -> Iterator[frozenset[Term]]:
        if order > max_order:
            yield chosen
            return
        allowed = [
            t
            for t in itertools.combinations(range(k), order)
            if order == 2 or all(s in chosen for s in itertools.combinations(t, order - 1))
        ]
        for r in range(len(allowed) + 1):
            for subset in itertools.combinations(allowed, r):
                yield from extend(chosen | frozenset(subset), order + 1)

    for model in extend(frozenset(), 2):
        yield tuple(sorted(model, key=lambda t: (len(t), t)))


def neighbourhood_models(k: int, max_order: int = 2) -> list[tuple[Term, ...]]:
    """The reduced set searched when the full enumeration is too large.

    Independence; each single interaction added to it; all interactions of order
    <= ``max_order`` together; and that full model with each interaction removed in turn
    (keeping hierarchy). For 10 lists and order 2 this is 1 + 45 + 1 + 45 = 92 models.
    """
    max_order = min(max_order, k - 1)
    all_terms = [t for r in range(2, max_order + 1) for t in itertools.combinations(range(k), r)]
    models: list[tuple[Term, ...]] = [()]
    models += [hierarchical_closure([t]) for t in all_terms]
    full = tuple(all_terms)
    models.append(full)
    for t in all_terms:
        # Removing t also removes every higher-order term containing it.
        models.append(tuple(u for u in full if not set(t) <= set(u)))
    seen: set[tuple[Term, ...]] = set()
    out = []
    for m in models:
        if m not in seen:
            seen.add(m)
            out.append(m)
    return out


@dataclass(frozen=True)
class ModelScore:
    terms: tuple[Term, ...]
    lists: tuple[str, ...]
    n_params: int
    loglik: float
    aic: float
    bic: float
    estimate: float

    @property
    def label(self) -> str:
        return _label(self.lists, self.terms)

    def value(self, criterion: Criterion) -> float:
        return self.aic if criterion == "aic" else self.bic


@dataclass(frozen=True)
class SearchRun:
    """One greedy run of a non-exhaustive search: where it started and what it found."""

    direction: str  # "forward" (from independence), "backward" (from all terms), "restart"
    start: tuple[Term, ...]
    best: ModelScore | None


@dataclass(frozen=True)
class ModelSelection:
    """Result of an AIC/BIC search: ranked scores and the chosen model refitted.

    ``exhaustive`` says whether every hierarchical model in the class was scored;
    ``searched`` counts the models looked at (refused ones included) and ``ranking`` the
    ones that could be estimated, best first. A non-exhaustive search also has its greedy
    ``runs`` (forward, backward and the restarts), each with the best model it found.
    """

    criterion: Criterion
    exhaustive: bool
    searched: int
    refused: dict[str, int]
    ranking: tuple[ModelScore, ...]
    best: LoglinearFit
    runs: tuple[SearchRun, ...] = ()
    max_order: int = 2

    def best_of(self, direction: str) -> ModelScore | None:
        found = [r.best for r in self.runs if r.direction == direction and r.best is not None]
        return min(found, key=lambda s: s.value(self.criterion), default=None)

    @property
    def description(self) -> str:
        if self.exhaustive:
            return f"exhaustive: all {self.searched:,} hierarchical models scored"
        restarts = sum(1 for r in self.runs if r.direction == "restart")
        return (
            f"not exhaustive: {self.searched:,} models scored by forward and backward "
            f"greedy search with {restarts} restarts, plus the neighbourhood set"
        )

    def summary(self) -> Estimate:
        label = "log-linear, AIC" if self.criterion == "aic" else "log-linear, BIC"
        est = self.best.summary(label)
        search: dict[str, object] = {"criterion": self.criterion, "max_order": self.max_order}
        if not self.exhaustive:
            for direction in ("forward", "backward", "restart"):
                b = self.best_of(direction)
                search[direction] = (
                    None
                    if b is None
                    else {
                        "model": b.label,
                        self.criterion: b.value(self.criterion),
                        "estimate": b.estimate,
                    }
                )
        return replace(
            est,
            exhaustive=self.exhaustive,
            models_tried=self.searched,
            search=search,
        )


def _screen(table: CaptureTable, terms: tuple[Term, ...]) -> ModelScore | str:
    """Careful fit of one model for ranking; a refusal reason when not estimable."""
    st = model_structure(table, terms)
    if st.redundant:
        return "zero margin"
    bits = table.bits[st.keep]
    y = table.counts.astype(np.float64)[st.keep]
    x = design_matrix(bits, st.fitted)
    if x.shape[0] < x.shape[1]:
        return "rank deficient"
    fit = poisson_newton(x, y)
    # Non-convergence or a fitted cell collapsing to zero means the MLE is on the
    # boundary (does not exist); the LP test confirms before refusing.
    suspicious = not fit.converged or float(np.abs(fit.beta).max()) > 25
    if suspicious:
        if np.linalg.matrix_rank(x) < x.shape[1]:
            return "rank deficient"
        exists, _ = _mle_exists(x, y, explain=False)
        if not exists:
            return "MLE does not exist"
    return _score(table, terms, y, fit.mu, x.shape[1] + len(st.empty), float(fit.beta[0]))


def _score(
    table: CaptureTable,
    terms: tuple[Term, ...],
    y: FloatArray,
    mu: FloatArray,
    p: int,
    intercept: float,
) -> ModelScore:
    loglik = _poisson_loglik(y, mu)
    return ModelScore(
        terms=terms,
        lists=table.lists,
        n_params=p,
        loglik=loglik,
        aic=-2 * loglik + 2 * p,
        bic=-2 * loglik + math.log(max(table.observed, 1)) * p,
        estimate=table.observed + math.exp(intercept),
    )


class _Scorer:
    """Scores many models of one table at once, and remembers every score.

    The models share one design with a column for every candidate term; each model is a
    column mask and a row mask (its empty overlaps' patterns removed). Newton steps for a
    whole batch are one matrix product (the Hessians ``X' diag(mu) X`` as ``mu @ O`` with
    ``O`` the row-wise outer products of the design) and one batched solve. A model that
    does not converge cleanly is handed to :func:`_screen` (rank and LP checks).
    """

    chunk = 2048

    def __init__(self, table: CaptureTable, max_order: int) -> None:
        self.table = table
        k = table.k
        self.max_order = min(max_order, k - 1)
        self.terms = tuple(
            t for r in range(2, self.max_order + 1) for t in itertools.combinations(range(k), r)
        )
        bits = table.bits
        self.y = table.counts.astype(np.float64)
        self.x = design_matrix(bits, self.terms)
        n, p = self.x.shape
        self.outer = (self.x[:, :, None] * self.x[:, None, :]).reshape(n, p * p)
        self.col = {t: 1 + k + i for i, t in enumerate(self.terms)}
        self.rows = {t: np.prod(bits[:, list(t)], axis=1).astype(bool) for t in self.terms}
        self.margin = {t: float(self.rows[t] @ self.y) for t in self.terms}
        self.log_y_fact = special.gammaln(self.y + 1)
        base = poisson_newton(self.x[:, : 1 + k], self.y)
        self.start = np.zeros(p)
        self.start[: 1 + k] = base.beta
        self.scores: dict[tuple[Term, ...], ModelScore | str] = {}
        self.betas: dict[tuple[Term, ...], FloatArray] = {}
        # Models asked for since the last reset (one search's "models tried").
        self.seen: set[tuple[Term, ...]] = set()

    def score(
        self, models: Sequence[tuple[Term, ...]], warm: FloatArray | None = None
    ) -> list[ModelScore | str]:
        self.seen.update(models)
        todo = [m for m in dict.fromkeys(models) if m not in self.scores]
        for a in range(0, len(todo), self.chunk):
            self._batch(todo[a : a + self.chunk], warm)
        return [self.scores[m] for m in models]

    def _batch(self, models: list[tuple[Term, ...]], warm: FloatArray | None) -> None:
        k = self.table.k
        n, p = self.x.shape
        masks: list[FloatArray] = []
        weights: list[FloatArray] = []
        n_empty: list[int] = []
        batch: list[tuple[Term, ...]] = []
        for m in models:
            if any(len(t) >= k for t in m):
                self.scores[m] = "all-lists term"
                continue
            zero = [t for t in m if self.margin[t] == 0]
            empty = [t for t in zero if not any(set(u) < set(t) for u in zero)]
            if len(empty) < len(zero):
                self.scores[m] = "zero margin"
                continue
            mask = np.zeros(p)
            mask[: 1 + k] = 1.0
            keep = np.ones(n)
            for t in m:
                if t in empty:
                    keep[self.rows[t]] = 0.0
                else:
                    mask[self.col[t]] = 1.0
            if keep.sum() < mask.sum():
                self.scores[m] = "rank deficient"
                continue
            masks.append(mask)
            weights.append(keep)
            n_empty.append(len(empty))
            batch.append(m)
        if not batch:
            return
        mk = np.array(masks)
        w = np.array(weights)
        eye = np.eye(p)
        mm = mk[:, :, None] * mk[:, None, :]
        pad = eye[None, :, :] * (1.0 - mk)[:, None, :]
        # Models with patterns removed can lose rank: test X' W X before any Newton step.
        dropped = np.flatnonzero(w.min(axis=1) == 0)
        if dropped.size:
            gram = (w[dropped] @ self.outer).reshape(-1, p, p) * mm[dropped] + pad[dropped]
            ev = np.linalg.eigvalsh(gram)
            bad = ev[:, 0] <= 1e-9 * ev[:, -1]
            for i in dropped[bad]:
                self.scores[batch[i]] = "rank deficient"
            ok = np.ones(len(batch), dtype=bool)
            ok[dropped[bad]] = False
            if not ok.all():
                idx = np.flatnonzero(ok)
                batch = [batch[i] for i in idx]
                mk, w, mm, pad = mk[idx], w[idx], mm[idx], pad[idx]
                n_empty = [n_empty[i] for i in idx]
                if not batch:
                    return
        beta = np.tile(self.start if warm is None else warm, (len(batch), 1)) * mk
        wy = w * self.y
        beta, converged = _newton_batch(self.x, self.outer, wy, w, mk, mm, pad, beta)
        mu = np.exp(np.minimum(beta @ self.x.T, _ETA_MAX))
        ll = (w * (special.xlogy(self.y, mu) - mu - self.log_y_fact)).sum(axis=1)
        npar = mk.sum(axis=1).astype(int) + np.array(n_empty)
        log_n = math.log(max(self.table.observed, 1))
        sound = converged & (np.abs(beta).max(axis=1) <= 25)
        for i, m in enumerate(batch):
            if not sound[i]:
                self.scores[m] = _screen(self.table, m)
                continue
            self.scores[m] = ModelScore(
                terms=m,
                lists=self.table.lists,
                n_params=int(npar[i]),
                loglik=float(ll[i]),
                aic=float(-2 * ll[i] + 2 * npar[i]),
                bic=float(-2 * ll[i] + log_n * npar[i]),
                estimate=self.table.observed + math.exp(float(beta[i, 0])),
            )
            self.betas[m] = beta[i]


_ETA_MAX = 700.0


def _newton_batch(
    x: FloatArray,
    outer: FloatArray,
    wy: FloatArray,
    w: FloatArray,
    mk: FloatArray,
    mm: FloatArray,
    pad: FloatArray,
    beta: FloatArray,
    *,
    tol: float = 1e-10,
    max_iter: int = 60,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Damped Newton for many masked Poisson log-linear models at once."""
    b_count, p = beta.shape

    def loglik(eta: FloatArray, rows: npt.NDArray[np.intp]) -> FloatArray:
        return np.asarray(
            (wy[rows] * eta - w[rows] * np.exp(np.minimum(eta, _ETA_MAX))).sum(axis=1)
        )

    everyone = np.arange(b_count)
    eta = beta @ x.T
    ll = loglik(eta, everyone)
    converged = np.zeros(b_count, dtype=bool)
    for _ in range(max_iter):
        idx = np.flatnonzero(~converged)
        if idx.size == 0:
            break
        mu = w[idx] * np.exp(np.minimum(eta[idx], _ETA_MAX))
        grad = ((wy[idx] - mu) @ x) * mk[idx]
        hess = (mu @ outer).reshape(-1, p, p) * mm[idx] + pad[idx]
        try:
            step = np.linalg.solve(hess, grad[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            step = np.einsum("bij,bj->bi", np.linalg.pinv(hess), grad)
        t = np.ones(idx.size)
        for _halving in range(30):
            new_beta = beta[idx] + t[:, None] * step
            new_eta = new_beta @ x.T
            new_ll = loglik(new_eta, idx)
            worse = new_ll < ll[idx] - 1e-12 * np.abs(ll[idx])
            if not worse.any():
                break
            t[worse] /= 2
        gain = new_ll - ll[idx]
        beta[idx], eta[idx], ll[idx] = new_beta, new_eta, new_ll
        moved = np.abs(t[:, None] * step).max(axis=1)
        converged[idx] = (np.abs(gain) <= tol * (np.abs(new_ll) + 1.0)) & (moved < 1e-6)
    return beta, converged


# The scores of the last few tables searched, shared by AIC and BIC (and repeated calls).
_SCORERS: dict[tuple[object, ...], _Scorer] = {}
_SCORER_CACHE_SIZE = 4


def _scorer(table: CaptureTable, max_order: int) -> _Scorer:
    key = (table.lists, table.counts.tobytes(), min(max_order, table.k - 1))
    found = _SCORERS.pop(key, None)
    if found is None:
        found = _Scorer(table, max_order)
    _SCORERS[key] = found  # most recently used last
    while len(_SCORERS) > _SCORER_CACHE_SIZE:
        _SCORERS.pop(next(iter(_SCORERS)))
    return found


def _neighbours(model: tuple[Term, ...], terms: Sequence[Term]) -> list[tuple[Term, ...]]:
    """Hierarchical models one term away: add a term whose sub-terms are all in, or
    remove a term that no larger term of the model contains."""
    have = set(model)
    out: list[tuple[Term, ...]] = []
    for t in terms:
        if t in have:
            if not any(set(t) < set(u) for u in have):
                out.append(tuple(u for u in model if u != t))
        elif len(t) == 2 or all(s in have for s in itertools.combinations(t, len(t) - 1)):
            out.append(tuple(sorted((*model, t), key=lambda u: (len(u), u))))
    return out


def _greedy(
    scorer: _Scorer, start: tuple[Term, ...], criterion: Criterion, max_steps: int = 500
) -> ModelScore | None:
    """Best-improvement hill climb over single-term additions and removals."""
    current = scorer.score([start])[0]
    model = start
    if isinstance(current, str):
        # An unestimable start (e.g. all terms): walk down by removals until one fits.
        while model and isinstance(current, str):
            smaller = [m for m in _neighbours(model, scorer.terms) if len(m) < len(model)]
            good = [
                (m, sc)
                for m, sc in zip(smaller, scorer.score(smaller), strict=True)
                if not isinstance(sc, str)
            ]
            if good:
                model, current = min(good, key=lambda ms: ms[1].value(criterion))
            else:
                model = smaller[0] if smaller else ()
                current = scorer.score([model])[0]
        if isinstance(current, str):
            return None
    for _ in range(max_steps):
        options = _neighbours(model, scorer.terms)
        warm = scorer.betas.get(model)
        scored = scorer.score(options, warm)
        best: tuple[tuple[Term, ...], ModelScore] | None = None
        for m, s in zip(options, scored, strict=True):
            if isinstance(s, str):
                continue
            if best is None or s.value(criterion) < best[1].value(criterion):
                best = (m, s)
        if best is None or best[1].value(criterion) >= current.value(criterion) - 1e-9:
            break
        model, current = best
    return current


def count_hierarchical_models_upto(k: int, max_order: int, limit: int) -> int | None:
    """The number of hierarchical models, or None when it is above ``limit``."""
    order = min(max_order, k - 1)
    n_pairs = k * (k - 1) // 2
    if order <= 2:
        return 2**n_pairs if 2**n_pairs <= limit else None
    if n_pairs > 10:
        return None
    count = count_hierarchical_models(k, order)
    return count if count <= limit else None


def select_model(
    table: CaptureTable,
    *,
    criterion: Criterion = "aic",
    max_order: int = 2,
    max_models: int = 40_000,
    models: Iterable[tuple[Term, ...]] | None = None,
    level: float = 0.95,
    restarts: int = 4,
    seed: int = 0,
) -> ModelSelection:
    """Rank hierarchical models by AIC or BIC and refit the best with statsmodels.

    All hierarchical models up to ``max_order`` are scored when there are at most
    ``max_models`` of them (order 2: 1,024 models for 5 lists, 32,768 for 6); the search
    is then ``exhaustive``. Otherwise (7-10 lists) it is not, and says so: the
    :func:`neighbourhood_models` set is scored, then a greedy search moves one term at a
    time (add a term, or remove one) to the best neighbour while the criterion improves,
    from independence ("forward"), from every term ("backward") and from ``restarts``
    random models (seeded by ``seed``); the best model scored by any of them is chosen
    and each run's best is kept in ``runs``. Models that cannot be estimated from this
    table are skipped and counted in ``refused``. Scores are cached per table, so AIC
    and BIC on the same table share one search's fits.
    """
    order = min(max_order, table.k - 1)
    scorer = _scorer(table, order)
    runs: list[SearchRun] = []
    if models is not None:
        candidates = [hierarchical_closure(normalise_terms(table, m)) for m in models]
        scorer_for = _Scorer(table, max(2, max((len(t) for m in candidates for t in m), default=2)))
        scored = scorer_for.score(candidates)
        exhaustive = True
        looked = dict(zip(candidates, scored, strict=True))
    elif count_hierarchical_models_upto(table.k, order, max_models) is not None:
        candidates = list(hierarchical_models(table.k, order))
        scored = scorer.score(candidates)
        exhaustive = True
        looked = dict(zip(candidates, scored, strict=True))
    else:
        exhaustive = False
        scorer.seen = set()
        scorer.score(neighbourhood_models(table.k, order))
        rng = np.random.default_rng(seed)
        pairs = [t for t in scorer.terms if len(t) == 2]
        starts: list[tuple[str, tuple[Term, ...]]] = [
            ("forward", ()),
            ("backward", hierarchical_closure(scorer.terms)),
        ]
        for _ in range(restarts):
            chosen = [t for t in pairs if rng.random() < 0.5]
            starts.append(("restart", tuple(sorted(chosen))))
        for direction, start in starts:
            runs.append(SearchRun(direction, start, _greedy(scorer, start, criterion)))
        looked = {m: scorer.scores[m] for m in scorer.seen}
    scores = [s for s in looked.values() if not isinstance(s, str)]
    refused: dict[str, int] = {}
    for s in looked.values():
        if isinstance(s, str):
            refused[s] = refused.get(s, 0) + 1
    if not scores:
        raise IdentifiabilityError("no candidate model can be estimated from this table")
    scores.sort(key=lambda s: (s.value(criterion), s.n_params))
    best = fit_loglinear(table, scores[0].terms, level=level)
    return ModelSelection(
        criterion=criterion,
        exhaustive=exhaustive,
        searched=len(looked),
        refused=refused,
        ranking=tuple(scores),
        best=best,
        runs=tuple(runs),
        max_order=order,
    )


# ---------------------------------------------------------------------------------------
# stepwise selection (UK Home Office / SparseMSE rule)


@dataclass(frozen=True)
class StepwiseStep:
    added: str
    p_value: float
    estimate: float


@dataclass(frozen=True)
class StepwiseResult:
    fit: LoglinearFit
    steps: tuple[StepwiseStep, ...]
    p_threshold: float


def _overlap_p_value(observed: float, expected: float) -> float:
    """Smaller tail of a Poisson(expected) at ``observed``."""
    below = float(stats.poisson.cdf(observed, expected))
    above = float(stats.poisson.sf(observed - 1, expected))
    return min(below, above)


def _can_add(table: CaptureTable, fit: LoglinearFit, pair: Term) -> bool:
    """Would ``fit``'s model plus ``pair`` be estimable?

    A warm-started Newton fit that converges to finite coefficients proves the MLE
    exists; only when it does not is the (much slower) full check run.
    """
    terms = [*fit.terms, pair]
    st = model_structure(table, terms)
    if st.redundant:
        return False
    bits = table.bits[st.keep]
    y = table.counts.astype(np.float64)[st.keep]
    x = design_matrix(bits, st.fitted)
    if x.shape[0] >= x.shape[1] and np.linalg.matrix_rank(x) == x.shape[1]:
        # An empty pair adds no column (its patterns leave the fit instead).
        start = fit.params if pair in st.empty else np.append(fit.params, 0.0)
        if start.size == x.shape[1]:
            trial = poisson_newton(x, y, start, max_iter=40)
            if trial.converged and float(np.abs(trial.beta).max()) <= 25:
                return True
    try:
        check_identifiable(table, terms)
    except IdentifiabilityError:
        return False
    return True


def stepwise(
    table: CaptureTable, *, p_threshold: float = 0.02, level: float = 0.95
) -> StepwiseResult:
    """Forward stepwise addition of two-list interactions.

    This is the rule of Chan, Silverman & Vincent (2021), implemented in the R package
    SparseMSE (``stepwisefit``), which formalises the UK Home Office analysis (Silverman
    2014; Bales, Hesketh & Silverman 2015). Start from independence. For each pair of
    lists not yet in the model, compare the number of people observed on both lists
    with its expectation under the current model: the p-value is the smaller Poisson
    tail. Add the pair with the smallest p-value if it is below ``p_threshold`` and the
    enlarged model passes :func:`check_identifiable`; stop otherwise.

    A pair nobody is on together is a candidate like any other, as in ``stepwisefit``:
    its p-value is the chance of seeing no overlap, ``exp(-expected)``, and when it is
    added the patterns containing both lists leave the fit (``buildmodel``), which can
    move the estimate a long way when the model expected many people there. Ties go to
    the first pair in list order, as in SparseMSE.
    """
    k = table.k
    bits = table.bits
    y = table.counts.astype(np.float64)
    pairs = list(itertools.combinations(range(k), 2))
    overlap = {p: float(np.prod(bits[:, list(p)], axis=1) @ y) for p in pairs}
    terms: list[Term] = []
    fit = fit_loglinear(table, terms, level=level, profile=False)
    steps: list[StepwiseStep] = []
    while True:
        best: tuple[float, Term] | None = None
        for p in pairs:
            if p in terms:
                continue
            expected = float(np.prod(bits[:, list(p)], axis=1) @ fit.fitted)
            pv = _overlap_p_value(overlap[p], expected)
            if best is not None and pv >= best[0]:
                continue
            if pv >= p_threshold:
                continue
            if not _can_add(table, fit, p):
                continue
            best = (pv, p)
        if best is None:
            break
        terms.append(best[1])
        fit = fit_loglinear(table, terms, level=level, profile=False, check=False)
        steps.append(StepwiseStep(term_label(table, best[1]), best[0], fit.estimate))
    final = fit_loglinear(table, terms, level=level, check=False)
    return StepwiseResult(fit=final, steps=tuple(steps), p_threshold=p_threshold)
