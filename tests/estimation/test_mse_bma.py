from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from scipy import special

from detente.estimation import CaptureTable, bma, decomposable_graphs, read_capture_csv

DATA = Path(__file__).resolve().parent.parent / "data" / "mse"


def load(name: str) -> CaptureTable:
    return read_capture_csv(DATA / f"{name}.csv")


def _is_chordal_brute(k: int, edges: set[tuple[int, int]]) -> bool:
    """No chordless cycle of length >= 4 (independent of the library's search)."""
    adj = {(a, b) for a, b in edges} | {(b, a) for a, b in edges}
    for r in range(4, k + 1):
        for nodes in itertools.permutations(range(k), r):
            if nodes[0] != min(nodes) or nodes[1] > nodes[-1]:
                continue
            cycle = all((nodes[i], nodes[(i + 1) % r]) in adj for i in range(r))
            chords = any(
                (nodes[i], nodes[j]) in adj
                for i in range(r)
                for j in range(i + 2, r)
                if not (i == 0 and j == r - 1)
            )
            if cycle and not chords:
                return False
    return True


def _count_components(k: int, edges: tuple[tuple[int, int], ...]) -> int:
    parent = list(range(k))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for a, b in edges:
        parent[find(a)] = find(b)
    return len({find(i) for i in range(k)})


def test_decomposable_graph_counts() -> None:
    # Labelled chordal graphs: 2, 8, 61, 822 on 2..5 vertices.
    assert [len(decomposable_graphs(k)) for k in (2, 3, 4, 5)] == [2, 8, 61, 822]


def test_graphs_are_chordal_and_junction_trees_consistent() -> None:
    k = 5
    graphs = decomposable_graphs(k)
    edge_sets = {g.edges for g in graphs}
    for mask in range(2**10):
        pairs = list(itertools.combinations(range(k), 2))
        edges = tuple(p for b, p in enumerate(pairs) if mask >> b & 1)
        assert (edges in edge_sets) == _is_chordal_brute(k, set(edges))
    for g in graphs:
        covered = 0
        for c in g.cliques:
            covered |= c
        assert covered == 2**k - 1
        # Components = cliques - (non-empty) separators; count them independently.
        components = _count_components(k, g.edges)
        assert len(g.cliques) - len(g.separators) == components


def _dirichlet_multinomial(cells: np.ndarray, alpha: float) -> float:
    total = cells.sum()
    return float(
        special.gammaln(alpha * cells.size)
        - special.gammaln(total + alpha * cells.size)
        + (special.gammaln(cells + alpha) - special.gammaln(alpha)).sum()
    )


def test_saturated_graph_posterior_matches_direct_dirichlet_formula() -> None:
    # For the complete graph the hyper-Dirichlet is one Dirichlet over all 2**k cells, so
    # the posterior of the missing count can be written down directly.
    table = CaptureTable(("A", "B", "C"), np.array([60, 49, 4, 247, 112, 142, 12]))
    graphs = decomposable_graphs(3)
    complete = next(i for i, g in enumerate(graphs) if len(g.edges) == 3)
    prior = [0.0 if i == complete else -1e6 for i in range(len(graphs))]
    grid = np.arange(0, 400, dtype=np.float64)
    delta = 1.0
    res = bma(table, delta=delta, nmissing=grid, log_prior_graphs=prior)
    n = table.observed
    logp = np.array(
        [
            _dirichlet_multinomial(np.concatenate([[m], table.counts]), delta)
            + special.gammaln(n + m + 1)
            - special.gammaln(m + 1)
            - np.log(n + m)
            for m in grid
        ]
    )
    direct = np.exp(logp - special.logsumexp(logp))
    assert np.allclose(res.posterior, direct, atol=1e-12)
    assert res.model_probs[complete] == pytest.approx(1.0)


def test_independence_graph_factorises_into_list_margins() -> None:
    table = CaptureTable(("A", "B", "C"), np.array([60, 49, 4, 247, 112, 142, 12]))
    graphs = decomposable_graphs(3)
    empty = next(i for i, g in enumerate(graphs) if not g.edges)
    prior = [0.0 if i == empty else -1e6 for i in range(len(graphs))]
    grid = np.arange(0, 400, dtype=np.float64)
    delta = 0.25
    res = bma(table, delta=delta, nmissing=grid, log_prior_graphs=prior)
    n = table.observed
    on = table.bits.T @ table.counts  # people on each list
    logp = []
    for m in grid:
        total = n + m
        lml = sum(
            _dirichlet_multinomial(np.array([total - on_j, on_j], dtype=float), delta * 4)
            for on_j in on
        )
        logp.append(lml + special.gammaln(total + 1) - special.gammaln(m + 1) - np.log(total))
    arr = np.array(logp)
    assert np.allclose(res.posterior, np.exp(arr - special.logsumexp(arr)), atol=1e-12)


def test_bma_summaries_are_coherent() -> None:
    res = bma(load("kosovo_1999"))
    assert res.model_probs.sum() == pytest.approx(1.0)
    assert res.posterior.sum() == pytest.approx(1.0)
    lo, hi = res.interval
    assert res.observed <= lo <= res.median <= hi
    assert res.edge_mass < 1e-6  # default grid long enough for this table
    summary = res.summary()
    assert summary.estimate == res.median and summary.lower == lo


def test_more_than_five_lists_refused() -> None:
    with pytest.raises(ValueError, match=r"2\.\.5 lists"):
        bma(load("uk_modern_slavery_2013"))


# Three lists that overlap little (seeded simulation of 3,000 people, 426 seen): the
# posterior of the total reaches far beyond ten times the number observed.
SPARSE_OVERLAP = [145, 172, 6, 94, 3, 6, 0]


def test_default_grid_grows_until_it_holds_the_posterior() -> None:
    table = CaptureTable(("A", "B", "C"), np.array(SPARSE_OVERLAP))
    res = bma(table)
    assert res.grid_grown and res.tail_mass < 1e-4
    # The old default grid, 0..10n, cut most of the posterior off and the interval short.
    old = bma(table, nmissing=np.arange(0, 10 * table.observed + 1))
    assert old.tail_mass > 0.5 and old.interval[1] < 0.7 * res.interval[1]
    # A much longer fixed grid agrees with the grown one.
    long = bma(table, nmissing=np.arange(0, 4 * res.grid_max + 1))
    assert abs(long.interval[1] - res.interval[1]) <= 0.002 * res.interval[1]
    assert long.median == res.median
    summary = res.summary()
    assert summary.delta == 2.0**-3 and summary.tail_mass == res.tail_mass
    assert "prior delta 0.125" in summary.model
    out = summary.as_dict()
    assert out["delta"] == 0.125 and out["tail_mass"] == res.tail_mass


def test_fixed_grid_reports_its_tail_mass() -> None:
    table = CaptureTable(("A", "B", "C"), np.array(SPARSE_OVERLAP))
    res = bma(table, nmissing=np.arange(1, 301))
    assert not res.grid_grown and res.tail_mass > 0.1


@pytest.mark.parametrize(
    ("lists", "counts", "message"),
    [
        (("A", "B"), [60, 38, 0], r"nobody on A is on B"),
        (("A", "B", "C"), [10, 12, 5, 0, 0, 0, 0], r"list C is empty"),
        (("A", "B", "C"), [10, 12, 5, 9, 0, 0, 0], r"nobody on A, B is on C"),
    ],
)
def test_tables_without_information_are_refused(
    lists: tuple[str, ...], counts: list[int], message: str
) -> None:
    # dga answers anyway (two lists sharing nobody: 98, 90-694); log-linear refuses.
    with pytest.raises(ValueError, match=message):
        bma(CaptureTable(lists, np.array(counts)))
    bma(CaptureTable(lists, np.array(counts)), check=False, nmissing=np.arange(301))
