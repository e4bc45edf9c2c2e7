"""Small-cell suppression: primary and complementary suppression, and the attacker's audit.

Two independent attackers check every publication: the LP audit in the module
(``recoverable_cells`` / ``narrowed_cells``) and, here, a brute-force search over every sum or
difference of up to three published equations (lines of every table and the equalities tying
shared margins), which also uses the public fact that a suppressed value is at least 1.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.publishing.suppression import (
    MARGIN,
    Position,
    PublishedTable,
    Table,
    feasible_interval,
    narrowed_cells,
    recoverable_cells,
    suppress,
    suppress_together,
)

FAST = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FEW = settings(FAST, max_examples=25)

# --------------------------------------------------------------------------------------------
# Helpers


def table(name: str, counts: Sequence[Sequence[int]], rows: str = "r", cols: str = "c") -> Table:
    return Table(
        name,
        tuple(f"{rows}{i}" for i in range(len(counts))),
        tuple(f"{cols}{j}" for j in range(len(counts[0]))),
        tuple(tuple(row) for row in counts),
    )


def values_of(t: Table) -> dict[tuple[int, int], int]:
    """Every value of a table by position (cells, row/column totals, grand total)."""
    out: dict[tuple[int, int], int] = {}
    for i, row in enumerate(t.counts):
        for j, v in enumerate(row):
            out[(i, j)] = v
        out[(i, MARGIN)] = sum(row)
    for j in range(len(t.col_labels)):
        out[(MARGIN, j)] = sum(row[j] for row in t.counts)
    out[(MARGIN, MARGIN)] = sum(map(sum, t.counts))
    return out


def shown(p: PublishedTable, i: int, j: int) -> int | None:
    if i == MARGIN and j == MARGIN:
        return p.total
    if j == MARGIN:
        return p.row_totals[i]
    if i == MARGIN:
        return p.col_totals[j]
    return p.cells[i][j]


def naive(tables: Sequence[Table], threshold: int = 5) -> list[PublishedTable]:
    """Primary suppression only: what a careless publisher would release."""
    out = []
    for t in tables:
        vals = {k: (None if 1 <= v < threshold else v) for k, v in values_of(t).items()}
        nr, nc = len(t.row_labels), len(t.col_labels)
        out.append(
            PublishedTable(
                t.name,
                t.row_labels,
                t.col_labels,
                tuple(tuple(vals[(i, j)] for j in range(nc)) for i in range(nr)),
                tuple(vals[(i, MARGIN)] for i in range(nr)),
                tuple(vals[(MARGIN, j)] for j in range(nc)),
                vals[(MARGIN, MARGIN)],
                threshold,
            )
        )
    return out


def suppressed_positions(published: Sequence[PublishedTable]) -> list[Position]:
    return [
        (p.name, i, j)
        for p in published
        for i in [*range(len(p.row_labels)), MARGIN]
        for j in [*range(len(p.col_labels)), MARGIN]
        if shown(p, i, j) is None
    ]


def differencing_attack(
    published: Sequence[PublishedTable], originals: Sequence[Table]
) -> tuple[set[Position], set[Position]]:
    """Brute force: every +/- combination of up to three published equations.

    Returns (values recovered exactly, small values narrowed into [1, t-1]). An equation
    whose unknowns all carry +1 and add up to their count recovers them all (each is >= 1).
    """
    unknowns: dict[Position, int] = {}
    for pos in suppressed_positions(published):
        unknowns[pos] = len(unknowns)
    equations: list[tuple[dict[int, int], int]] = []

    def add(terms: list[tuple[PublishedTable, int, int, int]]) -> None:
        coefs: dict[int, int] = {}
        const = 0  # sum of coef * unknown == const
        for p, i, j, sign in terms:
            value = shown(p, i, j)
            if value is None:
                u = unknowns[(p.name, i, j)]
                coefs[u] = coefs.get(u, 0) + sign
            else:
                const -= sign * value
        coefs = {u: c for u, c in coefs.items() if c}
        if coefs:
            equations.append((coefs, const))

    for p in published:
        nr, nc = len(p.row_labels), len(p.col_labels)
        for i in range(nr):
            add([(p, i, j, 1) for j in range(nc)] + [(p, i, MARGIN, -1)])
        for j in range(nc):
            add([(p, i, j, 1) for i in range(nr)] + [(p, MARGIN, j, -1)])
        add([(p, i, MARGIN, 1) for i in range(nr)] + [(p, MARGIN, MARGIN, -1)])
        add([(p, MARGIN, j, 1) for j in range(nc)] + [(p, MARGIN, MARGIN, -1)])
    # Shared variables: an axis of one table with the same label set as an axis of another.
    for a, b in itertools.combinations(published, 2):
        add([(a, MARGIN, MARGIN, 1), (b, MARGIN, MARGIN, -1)])
        for axis_a, labels_a in ((0, a.row_labels), (1, a.col_labels)):
            for axis_b, labels_b in ((0, b.row_labels), (1, b.col_labels)):
                if set(labels_a) != set(labels_b):
                    continue
                for k, label in enumerate(labels_a):
                    m = labels_b.index(label)
                    ia, ja = (k, MARGIN) if axis_a == 0 else (MARGIN, k)
                    ib, jb = (m, MARGIN) if axis_b == 0 else (MARGIN, m)
                    add([(a, ia, ja, 1), (b, ib, jb, -1)])

    positions = list(unknowns)
    if not equations:
        return set(), set()
    mat = np.zeros((len(equations), len(positions)), dtype=np.int64)
    rhs = np.array([const for _, const in equations], dtype=np.int64)
    for e, (coefs, _) in enumerate(equations):
        for u, c in coefs.items():
            mat[e, u] = c
    combos = []
    for r in (1, 2, 3):
        for subset in itertools.combinations(range(len(equations)), r):
            for signs in itertools.product((1, -1), repeat=r - 1):
                row = np.zeros(len(equations), dtype=np.int64)
                row[list(subset)] = (1, *signs)
                combos.append(row)
    comb = np.array(combos)
    lhs, right = comb @ mat, comb @ rhs
    lhs[right < 0] *= -1  # normalise so that sums of unknowns have a non-negative constant
    right = np.abs(right)
    nonzero = lhs != 0
    count = nonzero.sum(axis=1)
    truth = {(t.name, i, j): v for t in originals for (i, j), v in values_of(t).items()}
    threshold = published[0].threshold
    recovered: set[Position] = set()
    narrowed: set[Position] = set()
    for hit in np.flatnonzero(count == 1):  # c * x = constant
        pos = positions[int(np.flatnonzero(lhs[hit])[0])]
        recovered.add(pos)
        if truth[pos] < threshold:
            narrowed.add(pos)
    positive = (count == (lhs == 1).sum(axis=1)) & (count > 0)
    for hit in np.flatnonzero(positive):  # x1 + ... + xn = constant, each x >= 1
        members = [positions[int(u)] for u in np.flatnonzero(lhs[hit])]
        top = int(right[hit]) - (len(members) - 1)  # the most any one of them can be
        if top == 1:
            recovered.update(members)
        narrowed.update(m for m in members if top < threshold and truth[m] < threshold)
    return recovered, narrowed


def check_publication(published: list[PublishedTable], originals: Sequence[Table]) -> None:
    """Properties every publication must have, whatever the data."""
    for p, t in zip(published, originals, strict=True):
        assert (p.name, p.row_labels, p.col_labels) == (t.name, t.row_labels, t.col_labels)
        for (i, j), v in values_of(t).items():
            out = shown(p, i, j)
            if 1 <= v < p.threshold:
                assert out is None, f"small value {v} at {(p.name, i, j)} published"
            elif v == 0:
                assert out == 0, f"zero at {(p.name, i, j)} not published"
            else:
                assert out in (None, v)
        # A fully published line adds up.
        for i, row in enumerate(p.cells):
            if None not in row and p.row_totals[i] is not None:
                assert sum(c for c in row if c is not None) == p.row_totals[i]
        for j in range(len(p.col_labels)):
            col = [row[j] for row in p.cells]
            if None not in col and p.col_totals[j] is not None:
                assert sum(c for c in col if c is not None) == p.col_totals[j]
    small = [v for t in originals for v in values_of(t).values() if 1 <= v < t_of(published)]
    if not small:
        assert suppressed_positions(published) == []  # nothing to protect, nothing hidden
    assert recoverable_cells(published, originals) == []
    assert narrowed_cells(published, originals) == []


def t_of(published: Sequence[PublishedTable]) -> int:
    return published[0].threshold


# --------------------------------------------------------------------------------------------
# Strategies: many small counts, some zeros, a few large ones

counts_st = st.one_of(st.integers(0, 4), st.integers(0, 4), st.integers(0, 12), st.integers(5, 60))


@st.composite
def tables_st(draw: st.DrawFn, max_side: int = 6) -> Table:
    nr = draw(st.integers(2, max_side))
    nc = draw(st.integers(2, max_side))
    row = st.lists(counts_st, min_size=nc, max_size=nc)
    return table("t", draw(st.lists(row, min_size=nr, max_size=nr)))


DIMS = {"province": "P", "status": "S", "month": "M", "affiliation": "A"}


@st.composite
def population_st(draw: st.DrawFn, dims: tuple[str, ...], max_size: int = 4) -> np.ndarray:
    """A cross-classification of one population; tables are its two-way margins."""
    shape = tuple(draw(st.integers(2, max_size)) for _ in dims)
    cells = st.sampled_from((0, 0, 0, 0, 1, 1, 1, 2, 3, 5, 9))
    flat = draw(st.lists(cells, min_size=math.prod(shape), max_size=math.prod(shape)))
    return np.array(flat, dtype=np.int64).reshape(shape)


def crosstab(name: str, pop: np.ndarray, dims: tuple[str, ...], row: str, col: str) -> Table:
    r, c = dims.index(row), dims.index(col)
    other = tuple(k for k in range(len(dims)) if k not in (r, c))
    two_way = pop.sum(axis=other) if other else pop
    if r > c:
        two_way = two_way.T
    return Table(
        name,
        tuple(f"{DIMS[row]}{i}" for i in range(pop.shape[r])),
        tuple(f"{DIMS[col]}{j}" for j in range(pop.shape[c])),
        tuple(tuple(int(v) for v in line) for line in two_way),
    )


# --------------------------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize("bad", [0, -1, -5])
def test_threshold_below_one_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match=r"threshold must be >= 1 \(got -?\d+\)"):
        suppress(table("t", [[1, 2], [3, 4]]), bad)


@pytest.mark.parametrize("bad", [2.5, "5", True, None])
def test_threshold_must_be_an_integer(bad: object) -> None:
    with pytest.raises(ValueError, match="threshold must be an integer"):
        suppress(table("t", [[1, 2], [3, 4]]), bad)  # type: ignore[arg-type]


def test_negative_count_names_the_cell() -> None:
    with pytest.raises(ValueError, match=r"table 't': cell \(1, 0\) \['r1', 'c0'\] is -2"):
        table("t", [[1, 2], [-2, 4]])


def test_non_integer_count_names_the_cell() -> None:
    with pytest.raises(ValueError, match=r"cell \(0, 1\) .* is 2\.5"):
        table("t", [[1, 2.5], [2, 4]])  # type: ignore[list-item]


def test_ragged_rows_name_the_row() -> None:
    with pytest.raises(ValueError, match=r"row 1 \('b'\) has 1 counts, expected 2"):
        Table("t", ("a", "b"), ("x", "y"), ((1, 2), (3,)))


def test_numpy_counts_are_accepted() -> None:
    t = Table("t", ("a", "b"), ("x", "y"), np.array([[1, 20], [30, 40]]))  # type: ignore[arg-type]
    assert t.counts == ((1, 20), (30, 40))
    assert all(type(v) is int for row in t.counts for v in row)


def test_rows_must_match_labels() -> None:
    with pytest.raises(ValueError, match="1 rows of counts for 2 row labels"):
        Table("t", ("a", "b"), ("x", "y"), ((1, 2),))
    with pytest.raises(ValueError, match="duplicate column labels"):
        Table("t", ("a",), ("x", "x"), ((1, 2),))


def test_unknown_protection_is_refused() -> None:
    with pytest.raises(ValueError, match="protection must be one of"):
        suppress(table("t", [[1, 2], [3, 4]]), protection="none")  # type: ignore[arg-type]


def test_tables_from_different_populations_are_refused() -> None:
    a = table("a", [[5, 6], [7, 8]], rows="P", cols="S")
    b = table("b", [[5, 6], [7, 9]], rows="P", cols="M")  # province P1: 15 vs 16
    with pytest.raises(ValueError, match="not the same population"):
        suppress_together([a, b])


def test_same_pair_of_variables_twice_is_refused() -> None:
    a = table("a", [[5, 6], [7, 8]], rows="P", cols="S")
    b = Table("b", a.col_labels, a.row_labels, ((5, 7), (6, 8)))
    with pytest.raises(ValueError, match="cross the same two variables"):
        suppress_together([a, b])


# --------------------------------------------------------------------------------------------
# Hand-made examples


def test_primary_only_suppression_leaks_through_the_row_total() -> None:
    t = table("t", [[3, 10, 12], [8, 9, 15], [20, 30, 40]])
    careless = naive([t])
    assert careless[0].cells[0] == (None, 10, 12)
    # 25 - 10 - 12 = 3: the row total gives the hidden cell away.
    assert ("t", 0, 0) in recoverable_cells(careless, [t])
    assert ("t", 0, 0) in differencing_attack(careless, [t])[0]
    assert feasible_interval(careless, ("t", 0, 0)) == (3.0, 3.0)

    published = suppress(t)
    assert published.cells[0][0] is None
    assert sum(c is None for c in published.cells[0]) >= 2
    check_publication([published], [t])
    assert differencing_attack([published], [t]) == (set(), set())
    low, high = feasible_interval([published], ("t", 0, 0))
    assert low < 3 < 5 <= high  # the attacker cannot even tell that the cell is small


def test_a_lone_small_cell_hides_its_margins_too() -> None:
    # Row r0 is [0, 3, 0]: the zeros are published, so its total is 3 and must go as well.
    t = table("t", [[0, 3, 0], [8, 9, 15]])
    careless = naive([t])
    assert careless[0].row_totals[0] is None  # the small margin is itself primary
    assert ("t", 0, 1) in recoverable_cells(careless, [t])  # but 12 - 9 = 3 down the column
    published = suppress(t)
    assert published.cells[0] == (0, None, 0)
    assert published.row_totals[0] is None
    check_publication([published], [t])
    assert feasible_interval([published], ("t", 0, 1))[1] >= 5


def test_two_small_cells_cannot_protect_each_other() -> None:
    # x + y = 2 with x, y >= 1 gives x = y = 1: hiding both is not enough.
    t = table("t", [[1, 1, 30], [20, 25, 30], [20, 25, 30]])
    careless = naive([t])
    assert {("t", 0, 0), ("t", 0, 1)} <= set(recoverable_cells(careless, [t]))
    published = suppress(t)
    check_publication([published], [t])
    published_exact = suppress(t, protection="exact")
    assert recoverable_cells([published_exact], [t]) == []


def test_separate_suppression_leaks_across_tables_but_joint_does_not() -> None:
    by_status = table("by_status", [[14, 9, 10], [2, 0, 4]], rows="P", cols="S")
    by_month = table("by_month", [[16, 9, 8], [3, 2, 1]], rows="P", cols="M")
    both = [by_status, by_month]
    separate = [suppress(by_status), suppress(by_month)]
    # Each table is safe on its own ...
    assert recoverable_cells(separate[:1], both[:1]) == []
    assert recoverable_cells(separate[1:], both[1:]) == []
    # ... but one publishes province P1's total (6) and the other hides it.
    leaks = recoverable_cells(separate, both)
    assert ("by_month", 1, MARGIN) in leaks
    assert differencing_attack(separate, both)[0]
    joint = suppress_together(both)
    check_publication(joint, both)
    assert differencing_attack(joint, both) == (set(), set())
    assert joint[0].row_totals == joint[1].row_totals  # shared margins agree


def test_shared_axis_may_be_transposed_and_reordered() -> None:
    a = Table("a", ("north", "south", "east"), ("held", "freed"), ((3, 9), (12, 2), (7, 7)))
    b = Table("b", ("2025", "2026"), ("east", "north", "south"), ((10, 4, 6), (4, 8, 8)))
    published = suppress_together([a, b])
    check_publication(published, [a, b])
    for k, label in enumerate(a.row_labels):
        assert published[0].row_totals[k] == published[1].col_totals[b.col_labels.index(label)]
    assert published[0].total == published[1].total


def test_threshold_is_configurable() -> None:
    t = table("t", [[4, 10, 12], [8, 9, 15], [20, 30, 40]])
    assert suppress(t, 1).cells == t.counts  # counts 1..0: nothing to hide
    assert suppress(t, 3).cells == t.counts  # 4 >= 3
    assert suppress(t, 5).cells[0][0] is None
    hidden_10 = suppress(t, 10)
    assert hidden_10.threshold == 10
    assert {hidden_10.cells[0][0], hidden_10.cells[1][0], hidden_10.cells[1][1]} == {None}
    check_publication([hidden_10], [t])


def test_everything_hidden_is_unbounded() -> None:
    t = table("t", [[1, 1], [1, 1]])
    published = suppress(t)
    assert published.total is None
    assert feasible_interval([published], ("t", 0, 0)) == (1.0, math.inf)
    assert feasible_interval([published], ("t", 0, 0), suppressed_min=0) == (0.0, math.inf)


def test_json_is_plain() -> None:
    published = suppress(table("t", [[3, 10, 12], [8, 9, 15], [20, 30, 40]]))
    data = json.loads(json.dumps(published.as_json()))
    assert data["cells"][0][0] is None
    assert data["threshold"] == 5
    assert data["total"] == published.total
    assert "null" in str(data["note"])


def test_audit_refuses_mismatched_publications() -> None:
    t = table("t", [[3, 10], [8, 9]])
    other = table("t", [[3, 10], [8, 8]])  # cell (1, 1) differs
    with pytest.raises(ValueError, match=r"is published as \d+ but the original is \d+"):
        recoverable_cells([suppress(t)], [other])


def test_deterministic() -> None:
    t = table("t", [[3, 10, 12, 1], [8, 9, 15, 2], [20, 3, 40, 7], [6, 6, 6, 6]])
    assert len({suppress(t) for _ in range(3)}) == 1
    a = table("a", [[14, 9, 10], [2, 0, 4]], rows="P", cols="S")
    b = table("b", [[16, 9, 8], [3, 2, 1]], rows="P", cols="M")
    first = suppress_together([a, b])
    assert all(suppress_together([a, b]) == first for _ in range(2))


# --------------------------------------------------------------------------------------------
# Properties


@FAST
@given(tables_st())
def test_single_tables_leak_nothing(t: Table) -> None:
    published = suppress(t)
    check_publication([published], [t])
    assert suppress(t) == published  # deterministic


@FEW
@given(tables_st(), st.integers(1, 8))
def test_any_threshold(t: Table, threshold: int) -> None:
    published = suppress(t, threshold)
    check_publication([published], [t])
    if threshold == 1:
        assert suppressed_positions([published]) == []


@FEW
@given(tables_st())
def test_exact_protection_never_reveals_a_value(t: Table) -> None:
    published = suppress(t, protection="exact")
    assert recoverable_cells([published], [t]) == []
    for (i, j), v in values_of(t).items():
        if 1 <= v < 5:
            assert shown(published, i, j) is None


@FEW
@given(population_st(("province", "status", "month")))
def test_pairs_sharing_a_margin_leak_nothing(pop: np.ndarray) -> None:
    dims = ("province", "status", "month")
    tables = [
        crosstab("by_status", pop, dims, "province", "status"),
        crosstab("by_month", pop, dims, "province", "month"),
    ]
    published = suppress_together(tables)
    check_publication(published, tables)
    assert published[0].row_totals == published[1].row_totals


@FEW
@given(population_st(("province", "status", "month", "affiliation"), max_size=3))
def test_triples_sharing_margins_leak_nothing(pop: np.ndarray) -> None:
    dims = ("province", "status", "month", "affiliation")
    tables = [
        crosstab("by_status", pop, dims, "province", "status"),
        crosstab("by_month", pop, dims, "province", "month"),
        crosstab("by_affiliation", pop, dims, "affiliation", "province"),  # province as columns
    ]
    published = suppress_together(tables)
    check_publication(published, tables)
    assert published[0].row_totals == published[1].row_totals == published[2].col_totals


@FEW
@given(population_st(("province", "status", "month"), max_size=3))
def test_a_cycle_of_tables_leaks_nothing(pop: np.ndarray) -> None:
    dims = ("province", "status", "month")
    tables = [
        crosstab("ps", pop, dims, "province", "status"),
        crosstab("sm", pop, dims, "status", "month"),
        crosstab("mp", pop, dims, "month", "province"),
    ]
    published = suppress_together(tables)
    check_publication(published, tables)
    # The stronger attacker who rebuilds the province x status x month table (real solutions,
    # as documented).
    assert recoverable_cells(published, tables, model="joint", integer=False) == []
    assert narrowed_cells(published, tables, model="joint", integer=False) == []


def test_joint_attacker_beats_the_linked_one_on_a_cycle() -> None:
    # The 2 x 2 x 2 population [[[0, 3], [3, 0]], [[5, 0], [0, 0]]] by pairs of variables.
    ps = table("ps", [[3, 3], [5, 0]], rows="P", cols="S")
    sm = table("sm", [[5, 3], [3, 0]], rows="S", cols="M")
    pm = table("pm", [[3, 3], [5, 0]], rows="P", cols="M")
    tables = [ps, sm, pm]

    def pub(t: Table, row_total: int, col_total: int) -> PublishedTable:
        # What a suppression audited only by the linked system published for this population.
        return PublishedTable(
            t.name, t.row_labels, t.col_labels, ((None, None), (None, 0)),
            (row_total, None), (col_total, None), None, 5,
        )  # fmt: skip

    linked_only = [pub(ps, 6, 8), pub(sm, 8, 8), pub(pm, 6, 8)]
    assert recoverable_cells(linked_only, tables) == []
    assert narrowed_cells(linked_only, tables) == []
    assert feasible_interval(linked_only, ("ps", 0, 1)) == (1.0, 5.0)
    # Zeros say P1 are all S0 and all M0; the joint table then caps the 3s at 3.
    assert feasible_interval(linked_only, ("ps", 0, 1), model="joint") == (1.0, 3.0)
    assert ("ps", 0, 1) in narrowed_cells(linked_only, tables, model="joint")

    published = suppress_together(tables)
    check_publication(published, tables)
    assert narrowed_cells(published, tables, model="joint", integer=True) == []
    assert recoverable_cells(published, tables, model="joint", integer=True) == []


def test_a_cycle_too_large_to_audit_is_refused() -> None:
    big = [[1] * 40 for _ in range(40)]
    tables = [table("ab", big, "A", "B"), table("bc", big, "B", "C"), table("ca", big, "C", "A")]
    with pytest.raises(ValueError, match="form a cycle of variables"):
        suppress_together(tables)


def test_audit_reports_a_hidden_margin_whose_cells_are_published() -> None:
    t = table("t", [[6, 7], [8, 9]])
    hidden_total = PublishedTable(
        "t", t.row_labels, t.col_labels, t.counts, (None, 17), (14, 16), 30, 5
    )
    assert recoverable_cells([hidden_total], [t]) == [("t", 0, MARGIN)]
    assert feasible_interval([hidden_total], ("t", 0, MARGIN)) == (13.0, 13.0)
    with pytest.raises(ValueError, match="model must be"):
        recoverable_cells([hidden_total], [t], model="psychic")  # type: ignore[arg-type]


small_tables_st = st.one_of(
    tables_st(max_side=4).map(lambda t: [t]),
    population_st(("province", "status", "month"), max_size=3).map(
        lambda pop: [
            crosstab("a", pop, ("province", "status", "month"), "province", "status"),
            crosstab("b", pop, ("province", "status", "month"), "month", "province"),
        ]
    ),
)


@FAST
@given(small_tables_st)
def test_brute_force_differencing_recovers_nothing(tables: list[Table]) -> None:
    published = suppress_together(tables)
    assert differencing_attack(published, tables) == (set(), set())


@FAST
@given(small_tables_st)
def test_audit_catches_whatever_differencing_finds(tables: list[Table]) -> None:
    # Against primary-only suppression the brute force often wins; the LP audit must report
    # at least the same values (it is the checker the other tests trust).
    careless = naive(tables)
    recovered, narrowed = differencing_attack(careless, tables)
    assert recovered <= set(recoverable_cells(careless, tables))
    assert narrowed <= set(narrowed_cells(careless, tables))


def enumerate_interval(p: PublishedTable, target: tuple[int, int], cap: int) -> tuple[int, int]:
    """Min and max of one hidden cell over every integer table (cells 1..cap where hidden)
    that reproduces the published values."""
    nr, nc = len(p.row_labels), len(p.col_labels)
    hidden = [(i, j) for i in range(nr) for j in range(nc) if p.cells[i][j] is None]
    grids = np.indices((cap,) * len(hidden)).reshape(len(hidden), -1).T + 1
    full = np.zeros((grids.shape[0], nr, nc), dtype=np.int64)
    for i in range(nr):
        for j in range(nc):
            value = p.cells[i][j]
            if value is not None:
                full[:, i, j] = value
    for k, (i, j) in enumerate(hidden):
        full[:, i, j] = grids[:, k]
    ok = np.ones(grids.shape[0], dtype=bool)
    for i, v in enumerate(p.row_totals):
        if v is not None:
            ok &= full[:, i, :].sum(axis=1) == v
    for j, v in enumerate(p.col_totals):
        if v is not None:
            ok &= full[:, :, j].sum(axis=1) == v
    if p.total is not None:
        ok &= full.sum(axis=(1, 2)) == p.total
    values = full[ok, target[0], target[1]]
    return int(values.min()), int(values.max())


@FEW
@given(
    st.one_of(
        # Small enough to enumerate every candidate table.
        st.lists(st.lists(st.integers(0, 5), min_size=2, max_size=2), min_size=2, max_size=2),
        st.lists(st.lists(st.integers(0, 1), min_size=3, max_size=3), min_size=2, max_size=2),
    ),
    st.booleans(),
)
def test_feasible_interval_matches_enumeration(counts: list[list[int]], careful: bool) -> None:
    t = table("t", counts)
    published = suppress(t) if careful else naive([t])[0]
    cap = max(8, values_of(t)[(MARGIN, MARGIN)] + 1)
    for i, row in enumerate(published.cells):
        for j, v in enumerate(row):
            if v is not None:
                continue
            low, high = feasible_interval([published], ("t", i, j), integer=True)
            assert (low, high) == feasible_interval([published], ("t", i, j))  # integral LP
            e_low, e_high = enumerate_interval(published, (i, j), cap)
            assert low == e_low
            assert high == e_high or (math.isinf(high) and e_high == cap)
