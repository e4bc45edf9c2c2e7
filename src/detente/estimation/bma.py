"""Bayesian model averaging over decomposable graphical models (Madigan & York 1997).

This follows the method as implemented in HRDAG's R package ``dga`` (Johndrow, Lum &
Ball), so that its published numbers can be reproduced:

* Models: every decomposable (chordal) graph on the ``k`` lists (``k <= 5``: 8, 61 and
  822 graphs for 3, 4, 5 lists). An edge means the two lists may depend on each other.
* Prior on the complete ``2**k`` table's cell probabilities: hyper-Dirichlet with
  ``delta`` prior counts per cell, so every marginal table has total prior weight
  ``delta * 2**k`` (each cell of a marginal over ``r`` lists gets ``delta * 2**(k-r)``).
* For a graph with cliques ``C`` and separators ``S`` the marginal likelihood of the
  complete table factorises into Dirichlet-multinomial terms, one per clique divided by
  one per separator (Dawid & Lauritzen 1993).
* The unobserved count ``m`` is unknown: each value on a grid (dga's README uses
  ``1..300``) is treated as a candidate. ``dga`` leaves the grid to the user and never
  says when it cuts the posterior off; here the default grid ``0, 1, ..., M`` starts at
  ``M = max(300, n)`` and doubles until the posterior mass on its upper half (the
  ``tail_mass``, an estimate of what a further doubling would add) is below
  ``TAIL_TOLERANCE`` (1e-4), up to ``MAX_GRID`` points; the tail mass is always reported.
  The joint weight of (graph, ``m``) is that marginal likelihood times the multinomial
  coefficient ``N! / (m! prod y!)`` with
  ``N = n + m``, times the prior on ``N`` (dga's default ``1/N``) and on graphs (uniform).
  Weights are normalised over the whole (graph, ``m``) grid; row sums are the posterior
  model probabilities and column sums the posterior of ``N``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from scipy import special

from detente.estimation.capture import CaptureTable
from detente.estimation.loglinear import IdentifiabilityError
from detente.estimation.results import Estimate

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Edge = tuple[int, int]

MAX_BMA_LISTS = 5
# The default grid grows until the posterior mass on its upper half is below this ...
TAIL_TOLERANCE = 1e-4
# ... or it has this many points (2**21: about 2 million unobserved people).
MAX_GRID = 2**21


@dataclass(frozen=True)
class DecomposableGraph:
    """A chordal graph on lists ``0..k-1`` with its cliques and separators (bitmasks)."""

    k: int
    edges: tuple[Edge, ...]
    cliques: tuple[int, ...]
    separators: tuple[int, ...]  # multiset; empty separators are left out

    def label(self, names: Sequence[str]) -> str:
        parts = []
        for c in self.cliques:
            parts.append("[" + ",".join(names[j] for j in range(self.k) if c >> j & 1) + "]")
        return "".join(parts)


def _is_chordal(k: int, adj: list[int]) -> bool:
    """Maximum cardinality search; chordal iff each vertex's earlier neighbours form a
    clique (Tarjan & Yannakakis 1984)."""
    order: list[int] = []
    weight = [0] * k
    numbered = 0
    for _ in range(k):
        v = max((u for u in range(k) if not numbered >> u & 1), key=lambda u: weight[u])
        order.append(v)
        numbered |= 1 << v
        for u in range(k):
            if adj[v] >> u & 1 and not numbered >> u & 1:
                weight[u] += 1
    seen = 0
    for v in order:
        earlier = adj[v] & seen
        for u in range(k):
            if earlier >> u & 1 and (earlier & ~(1 << u)) & ~adj[u]:
                return False
        seen |= 1 << v
    return True


def _maximal_cliques(k: int, adj: list[int]) -> list[int]:
    full = [a | (1 << v) for v, a in enumerate(adj)]
    cliques = []
    for s in range(1, 2**k):
        members = [v for v in range(k) if s >> v & 1]
        if all(full[v] & s == s for v in members):
            cliques.append(s)
    return [c for c in cliques if not any(d != c and d & c == c for d in cliques)]


def _separators(cliques: list[int]) -> list[int]:
    """Separators as the edges of a maximum-weight spanning forest of the clique graph
    (weight = size of the intersection), which is a junction tree for a chordal graph."""
    n = len(cliques)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    cand = sorted(
        ((cliques[i] & cliques[j]).bit_count(), i, j)
        for i, j in itertools.combinations(range(n), 2)
        if cliques[i] & cliques[j]
    )
    seps = []
    for _, i, j in reversed(cand):
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[ri] = rj
            seps.append(cliques[i] & cliques[j])
    return sorted(seps)


@cache
def decomposable_graphs(k: int) -> tuple[DecomposableGraph, ...]:
    """All decomposable graphs on ``k`` labelled vertices, by brute force over edge sets."""
    if not 2 <= k <= MAX_BMA_LISTS:
        raise ValueError(f"decomposable-graph BMA supports 2..{MAX_BMA_LISTS} lists, got {k}")
    pairs = list(itertools.combinations(range(k), 2))
    graphs = []
    for mask in range(2 ** len(pairs)):
        edges = tuple(p for b, p in enumerate(pairs) if mask >> b & 1)
        adj = [0] * k
        for a, b in edges:
            adj[a] |= 1 << b
            adj[b] |= 1 << a
        if not _is_chordal(k, adj):
            continue
        cliques = _maximal_cliques(k, adj)
        graphs.append(
            DecomposableGraph(
                k=k,
                edges=edges,
                cliques=tuple(sorted(cliques)),
                separators=tuple(_separators(cliques)),
            )
        )
    return tuple(graphs)


def _component_log_ml(counts: FloatArray, k: int, delta: float, nmissing: FloatArray) -> FloatArray:
    """Dirichlet-multinomial log marginal likelihood (without the total-count factor) of
    every marginal table, as a ``(2**k, len(nmissing))`` array indexed by list bitmask.

    ``counts`` is the complete table with cell 0 set to 0; the unobserved ``m`` people
    fall into cell 0 of every marginal.
    """
    size = 2**k
    patterns = np.arange(size)
    out = np.zeros((size, nmissing.size))
    for s in range(1, size):
        alpha = delta * 2 ** (k - s.bit_count())
        marg = np.bincount(patterns & s, weights=counts, minlength=size)
        cells = marg[[c for c in range(size) if c & ~s == 0]]
        # Cells with zero count contribute lgamma(alpha) - lgamma(alpha) = 0.
        rest = float((special.gammaln(cells[1:] + alpha) - special.gammaln(alpha)).sum())
        out[s] = special.gammaln(cells[0] + nmissing + alpha) - special.gammaln(alpha) + rest
    return out


@dataclass(frozen=True)
class BMAResult:
    """Posterior over graphs and over the unobserved count."""

    table: CaptureTable
    delta: float
    graphs: tuple[DecomposableGraph, ...]
    model_probs: FloatArray  # one per graph, sums to 1
    nmissing: FloatArray  # grid of unobserved counts
    posterior: FloatArray  # P(m = nmissing[i] | data), averaged over graphs
    level: float = 0.95
    grid_grown: bool = False  # True when the default grid was doubled at least once

    @property
    def tail_mass(self) -> float:
        """Posterior mass on the upper half of the grid (``m > max / 2``).

        The default grid grows until this is below ``TAIL_TOLERANCE``; for a posterior whose
        tail falls at least as fast as ``1/m**2`` it bounds the mass beyond the grid. A
        large value means the grid cut the posterior off and the interval is too short.
        """
        top = float(self.nmissing[-1])
        return float(self.posterior[self.nmissing > top / 2].sum())

    @property
    def grid_max(self) -> int:
        return int(self.nmissing[-1])

    @property
    def observed(self) -> int:
        return self.table.observed

    @property
    def totals(self) -> FloatArray:
        return self.observed + self.nmissing

    @property
    def mean(self) -> float:
        return float(self.totals @ self.posterior)

    def quantile(self, q: float) -> float:
        cdf = np.cumsum(self.posterior)
        return float(self.totals[min(int(np.searchsorted(cdf, q)), cdf.size - 1)])

    @property
    def median(self) -> float:
        return self.quantile(0.5)

    @property
    def mode(self) -> float:
        return float(self.totals[int(np.argmax(self.posterior))])

    @property
    def interval(self) -> tuple[float, float]:
        a = (1 - self.level) / 2
        return self.quantile(a), self.quantile(1 - a)

    @property
    def edge_mass(self) -> float:
        """Posterior mass on the last 1% of the grid: large means the grid is too short."""
        tail = max(1, self.posterior.size // 100)
        return float(self.posterior[-tail:].sum())

    def top_models(self, n: int = 5) -> list[tuple[str, float]]:
        order = np.argsort(-self.model_probs, kind="stable")[:n]
        return [(self.graphs[i].label(self.table.lists), float(self.model_probs[i])) for i in order]

    def summary(self) -> Estimate:
        lo, hi = self.interval
        best = self.top_models(1)[0]
        return Estimate(
            method="decomposable-graph BMA",
            model=(
                f"average over {len(self.graphs)} graphs; top {best[0]} (p={best[1]:.3f}); "
                f"prior delta {self.delta:g}"
            ),
            observed=self.observed,
            estimate=self.median,
            lower=lo,
            upper=hi,
            level=self.level,
            interval_kind="Bayesian credible (equal-tailed)",
            stratum=self.table.stratum,
            delta=self.delta,
            tail_mass=self.tail_mass,
            grid_max=self.grid_max,
        )


def default_nmissing(observed: int) -> FloatArray:
    """The starting grid ``0..max(300, observed)`` for the unobserved count (it grows)."""
    return np.arange(0, max(300, observed) + 1, dtype=np.float64)


def check_informative(table: CaptureTable) -> None:
    """Refuse tables that say nothing about the people every list missed.

    An empty list, or lists that fall into groups nobody links (no one on a list of one
    group is on a list of another; with two lists: nobody on both), leave the total
    unbounded: log-linear models have no maximum-likelihood estimate there, and a
    Bayesian answer would only repeat its prior. Raises :class:`IdentifiabilityError`.
    """
    bits = table.bits
    y = table.counts
    for j, name in enumerate(table.lists):
        if bits[:, j] @ y == 0:
            raise IdentifiabilityError(f"list {name} is empty: it carries no information")
    k = table.k
    linked = [[bool((bits[:, i] & bits[:, j]) @ y) for j in range(k)] for i in range(k)]
    group = {0}
    todo = [0]
    while todo:
        i = todo.pop()
        for j in range(k):
            if linked[i][j] and j not in group:
                group.add(j)
                todo.append(j)
    if len(group) < k:
        inside = ", ".join(table.lists[i] for i in sorted(group))
        outside = ", ".join(table.lists[i] for i in range(k) if i not in group)
        raise IdentifiabilityError(
            f"nobody on {inside} is on {outside}: with no overlap between these groups of "
            "lists nothing in the data says how many people they all missed"
        )


def bma(
    table: CaptureTable,
    *,
    delta: float | None = None,
    nmissing: npt.ArrayLike | None = None,
    log_prior_n: Callable[[FloatArray], FloatArray] | None = None,
    log_prior_graphs: Sequence[float] | None = None,
    level: float = 0.95,
    check: bool = True,
) -> BMAResult:
    """Model-averaged posterior of the total over all decomposable graphs.

    ``delta`` defaults to ``2**-k`` (one prior observation spread over the complete
    table, dga's suggested default); the Madigan & York example uses 0.5.
    ``log_prior_n`` maps totals ``N`` to log prior weights (default ``-log N``).
    Without ``nmissing`` the grid grows until it holds the posterior (module docstring).
    Tables with no information (:func:`check_informative`) are refused unless ``check``
    is False (dga's behaviour).
    """
    k = table.k
    graphs = decomposable_graphs(k)
    if check:
        check_informative(table)
    if delta is None:
        delta = 2.0**-k
    if delta <= 0:
        raise ValueError("delta must be positive")
    if log_prior_graphs is not None and len(log_prior_graphs) != len(graphs):
        raise ValueError(f"log_prior_graphs needs {len(graphs)} entries")
    n = table.observed
    counts = np.concatenate([[0.0], table.counts.astype(np.float64)])
    # Each graph's log weight is a signed sum of marginal-table terms: +1 per clique,
    # -1 per separator, so all graphs at once are one matrix product per grid chunk.
    signs = np.zeros((len(graphs), 2**k))
    n_components = np.zeros(len(graphs))
    for i, g in enumerate(graphs):
        for c in g.cliques:
            signs[i, c] += 1
        for sep in g.separators:
            signs[i, sep] -= 1
        n_components[i] = len(g.cliques) - len(g.separators)
    graph_prior = (
        np.zeros(len(graphs))
        if log_prior_graphs is None
        else np.asarray(log_prior_graphs, dtype=np.float64)
    )
    total_prior = delta * 2**k
    log_y_fact = float(special.gammaln(counts[1:] + 1).sum())

    def log_weights(grid: FloatArray) -> FloatArray:
        """``(graphs, grid)`` log joint weights of (graph, m)."""
        comp = _component_log_ml(counts, k, delta, grid)
        totals = n + grid
        log_n_prior = -np.log(totals) if log_prior_n is None else np.asarray(log_prior_n(totals))
        shared = special.gammaln(total_prior) - special.gammaln(totals + total_prior)
        common = special.gammaln(totals + 1) - special.gammaln(grid + 1) - log_y_fact + log_n_prior
        out = signs @ comp
        out += n_components[:, None] * shared[None, :] + common[None, :]
        out += graph_prior[:, None]
        return out

    chunk = 8192

    def accumulate(grid: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Per-graph log evidence and per-point log posterior (unnormalised) on ``grid``."""
        ev = np.full(len(graphs), -np.inf)
        post = np.empty(grid.size)
        for a in range(0, grid.size, chunk):
            w = log_weights(grid[a : a + chunk])
            ev = np.logaddexp(ev, special.logsumexp(w, axis=1))
            post[a : a + chunk] = special.logsumexp(w, axis=0)
        return ev, post

    grown = False
    if nmissing is None:
        grid = default_nmissing(n)
        log_ev, log_post = accumulate(grid)
        while True:
            p = np.exp(log_post - special.logsumexp(log_post))
            if p[grid > grid[-1] / 2].sum() < TAIL_TOLERANCE or 2 * grid.size > MAX_GRID:
                break
            more = np.arange(grid[-1] + 1, 2 * grid[-1] + 1, dtype=np.float64)
            ev2, post2 = accumulate(more)
            log_ev = np.logaddexp(log_ev, ev2)
            log_post = np.concatenate([log_post, post2])
            grid = np.concatenate([grid, more])
            grown = True
    else:
        grid = np.asarray(nmissing, dtype=np.float64)
        if grid.ndim != 1 or grid.size == 0 or (grid < 0).any():
            raise ValueError("nmissing must be a non-empty 1-d grid of non-negative counts")
        log_ev, log_post = accumulate(grid)
    log_total = float(special.logsumexp(log_ev))
    return BMAResult(
        table=table,
        delta=float(delta),
        graphs=graphs,
        model_probs=np.exp(log_ev - log_total),
        nmissing=grid,
        posterior=np.exp(log_post - log_total),
        level=level,
        grid_grown=grown,
    )


def graph_count(k: int) -> int:
    return len(decomposable_graphs(k))


def log_prior_uniform_n(totals: FloatArray) -> FloatArray:
    """Flat prior on the total, an alternative to dga's 1/N."""
    return np.zeros_like(totals)


__all__ = [
    "BMAResult",
    "DecomposableGraph",
    "bma",
    "check_informative",
    "decomposable_graphs",
    "default_nmissing",
    "graph_count",
    "log_prior_uniform_n",
]
