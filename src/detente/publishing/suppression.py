"""Small-cell suppression for fixed public tables, with an attacker's audit.

What is published
-----------------
A :class:`Table` (rows x columns of counts of people) is published as a
:class:`PublishedTable`: every cell, every row total, every column total and the grand total,
each either a number or ``None`` (suppressed). Nothing else is ever answered about the data:
free count queries would allow differencing attacks that no suppression pattern can stop.

Rules (``threshold`` t, default 5)
----------------------------------
* **Primary suppression.** Any value ``v`` with ``1 <= v < t`` is suppressed: cells *and*
  margins, since a row total of 3 says "3 people from this province" just as a cell would.
* **Zeros are always published**, and a zero is never used as a complement. A zero reveals
  no individual, and publishing every zero lets the rules be stated plainly: an attacker then
  knows that every suppressed value is at least 1, and the audit below grants the attacker
  exactly that knowledge (``suppressed_min=1``). The price, accepted and documented: a zero
  reveals a *composition*. If a province's row is ``[0, 3, 0]``, the zeros say that everybody
  counted there has the middle status. What is protected is the *number* of such people: the
  3 and the row total are suppressed and, by the default ``protection="range"``, the attacker
  cannot even tell that the number is below t (see below). Callers who must hide
  compositions should publish coarser tables.
* **Complementary suppression.** First the line rules, on every line (a row or column with
  its total; the row totals or column totals with the grand total): no line keeps a single
  hidden value, and hidden values under a published total must leave room for a small one to
  reach t. Then the audit below; for each value it rejects, the first nearby value (sharing
  a line; smallest non-zero, cells before margins, ties by position) whose suppression makes
  it pass is suppressed, and so on until the audit passes. Deterministic.
* **Protection.** For every suppressed value, over all non-negative solutions of the
  attacker's linear system (every published cell and margin, every published value of the
  other tables in the same set, the equalities that tie shared margins across tables, and
  suppressed values >= 1):

  - ``"exact"``: the value is not determined (the solutions give it at least two integer
    values);
  - ``"range"`` (default): in addition, no primary value can be narrowed into
    ``[1, t - 1]``; its feasible interval reaches t or more, so the attacker cannot even
    learn that the cell is small.

  Suppressing every non-zero value always satisfies both (the published zeros and the
  margin equalities are then homogeneous, so scaling the true tables up is a solution), so
  the greedy search below always ends with a safe pattern.

Several tables about one population
-----------------------------------
:func:`suppress_together` takes tables that count the *same people*. An axis of one table
whose label set equals an axis of another table is the same variable (say "province"): the
two tables then share those margins, which are suppressed in both or in neither, and the
audit includes the equalities between them. All grand totals are the same number. Margins of
shared axes and the grand totals must agree, or ``ValueError`` is raised. The two axes of one
table may carry the same labels (a transition table, province of arrest x province of
detention); they are then distinct variables, but no other table may use that label set
(ambiguous). Two tables over the same pair of variables are refused (publish one).

When three or more tables form a cycle of variables (province x status, status x month,
month x province), an attacker can do better than the linked system by reading them as margins
of one cross-classification of the population (Frechet-type bounds). For such sets the
suppression is also audited against that *joint* system, restricted to the tables on cycles
(over real solutions: see limitations below). Tree-shaped sets gain nothing from it.

Guarantees and limitations
--------------------------
* Linked system: audited over integer solutions (integer programs run only when a linear
  program's optimum is fractional, which the network structure of one table, or of a tree
  of tables, avoids).
* Joint system (cycles only): audited over real solutions, a value counting as undetermined
  only if it can move by a whole unit; integer bounds there are NP-hard in general and may be
  tighter. Cycles whose cross-classification exceeds :data:`MAX_JOINT_CELLS` are refused.
* The pattern of suppression itself is not treated as information (standard practice).
* Zeros reveal compositions (see above).

Positions
---------
Values are addressed as ``(table name, row, column)``; a row total is ``(name, i, -1)``, a
column total ``(name, -1, j)`` and the grand total ``(name, -1, -1)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_array

Protection = Literal["exact", "range"]
Model = Literal["linked", "joint"]
Position = tuple[str, int, int]
FloatArray = npt.NDArray[np.float64]

MARGIN = -1
"""Index standing for "total" in a :data:`Position` (row totals have column ``-1``)."""

DEFAULT_THRESHOLD = 5
_PROTECTIONS = ("exact", "range")
MAX_JOINT_CELLS = 50_000
"""Largest joint cross-classification audited for a cycle of tables (see module docs)."""
_TOL = 1e-6


# --------------------------------------------------------------------------------------------
# Public data types


def _labels(name: str, axis: str, labels: object) -> tuple[str, ...]:
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise ValueError(f"table {name!r}: {axis} labels must be a sequence of strings")
    out = tuple(labels)
    if not out:
        raise ValueError(f"table {name!r}: needs at least one {axis} label")
    for k, label in enumerate(out):
        if not isinstance(label, str):
            raise ValueError(f"table {name!r}: {axis} label {k} is {label!r}, not a string")
    if len(set(out)) != len(out):
        dupes = sorted({label for label in out if out.count(label) > 1})
        raise ValueError(f"table {name!r}: duplicate {axis} labels {dupes}")
    return out


@dataclass(frozen=True)
class Table:
    """Counts of people, ``counts[i][j]`` for ``row_labels[i]`` x ``col_labels[j]``.

    Validated on construction; lists are accepted and stored as tuples.
    """

    name: str
    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"table name must be a non-empty string, got {self.name!r}")
        name = self.name
        rows = _labels(name, "row", self.row_labels)
        cols = _labels(name, "column", self.col_labels)
        given: object = self.counts
        if isinstance(given, np.ndarray):
            given = given.tolist()
        if isinstance(given, str) or not isinstance(given, Sequence):
            raise ValueError(f"table {name!r}: counts must be a sequence of rows")
        if len(given) != len(rows):
            raise ValueError(
                f"table {name!r}: {len(given)} rows of counts for {len(rows)} row labels"
            )
        counts: list[tuple[int, ...]] = []
        for i, row in enumerate(given):
            if isinstance(row, str) or not isinstance(row, Sequence):
                raise ValueError(f"table {name!r}: row {i} ({rows[i]!r}) is not a sequence")
            if len(row) != len(cols):
                raise ValueError(
                    f"table {name!r}: row {i} ({rows[i]!r}) has {len(row)} counts, "
                    f"expected {len(cols)} (one per column)"
                )
            for j, value in enumerate(row):
                if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
                    raise ValueError(
                        f"table {name!r}: cell ({i}, {j}) [{rows[i]!r}, {cols[j]!r}] is "
                        f"{value!r}; counts must be non-negative integers"
                    )
            counts.append(tuple(int(value) for value in row))
        object.__setattr__(self, "row_labels", rows)
        object.__setattr__(self, "col_labels", cols)
        object.__setattr__(self, "counts", tuple(counts))


@dataclass(frozen=True)
class PublishedTable:
    """A table as published; ``None`` marks a suppressed value."""

    name: str
    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]
    col_totals: tuple[int | None, ...]
    total: int | None
    threshold: int

    def as_json(self) -> dict[str, object]:
        """JSON-ready dict; suppressed values are ``null``."""
        return {
            "name": self.name,
            "threshold": self.threshold,
            "row_labels": list(self.row_labels),
            "col_labels": list(self.col_labels),
            "cells": [list(row) for row in self.cells],
            "row_totals": list(self.row_totals),
            "col_totals": list(self.col_totals),
            "total": self.total,
            "note": (
                f"null = suppressed: fewer than {self.threshold} people, or withheld so that "
                "such a count cannot be worked out from the others"
            ),
        }


def _check_threshold(threshold: object) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, Integral):
        raise ValueError(f"threshold must be an integer >= 1, got {threshold!r}")
    if threshold < 1:
        raise ValueError(
            f"threshold must be >= 1 (got {threshold}); counts 1..threshold-1 are suppressed, "
            "so threshold=1 suppresses nothing"
        )
    return int(threshold)


def _check_protection(protection: str) -> None:
    if protection not in _PROTECTIONS:
        raise ValueError(f"protection must be one of {_PROTECTIONS}, got {protection!r}")


# --------------------------------------------------------------------------------------------
# Layout: the cells, margins and lines of a set of tables, and how their axes are shared


@dataclass(frozen=True)
class _Shape:
    name: str
    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]


@dataclass(frozen=True)
class _Model:
    """What the attacker's unknowns are: each occurrence is the sum of some base variables."""

    n_vars: int
    exprs: tuple[tuple[int, ...], ...]


class _Layout:
    """Every value of a set of tables as a sum of cells, plus the shared-margin structure.

    *Occurrences* are the values as they appear in each table (table order; per table: cells
    row-major, row totals, column totals, grand total). *Nodes* are the distinct quantities:
    one per cell, one per (shared variable, label) margin, one grand total; a node is
    published or suppressed as a whole, so shared margins never differ between tables.
    """

    def __init__(self, shapes: Sequence[_Shape]) -> None:
        if not shapes:
            raise ValueError("need at least one table")
        names = [shape.name for shape in shapes]
        if len(set(names)) != len(names):
            raise ValueError(f"table names must be distinct: {names}")
        self.shapes = tuple(shapes)
        self._assign_dimensions()
        self._build_occurrences()
        self._build_lines()
        self.linked = _Model(self.n_cells, tuple(self.exprs))
        self.joint = self._joint_model()

    def _assign_dimensions(self) -> None:
        groups: dict[frozenset[str], list[tuple[int, int]]] = {}
        for t, shape in enumerate(self.shapes):
            for axis, labels in enumerate((shape.row_labels, shape.col_labels)):
                groups.setdefault(frozenset(labels), []).append((t, axis))
        self.dims: list[tuple[str, ...]] = []
        axis_dim: dict[tuple[int, int], int] = {}
        for axes in groups.values():
            tables = [t for t, _ in axes]
            if len(set(tables)) == len(tables):
                parts = [axes]
            elif len(set(tables)) == 1:  # a transition table: two distinct variables
                parts = [[axis] for axis in axes]
            else:
                raise ValueError(
                    f"ambiguous shared labels: table {self.shapes[tables[0]].name!r} uses "
                    f"the same labels on both axes, and other tables use them too"
                )
            for part in parts:
                t0, a0 = part[0]
                shape0 = self.shapes[t0]
                self.dims.append(shape0.row_labels if a0 == 0 else shape0.col_labels)
                for axis_key in part:
                    axis_dim[axis_key] = len(self.dims) - 1
        self.axis_dim = [(axis_dim[(t, 0)], axis_dim[(t, 1)]) for t in range(len(self.shapes))]
        seen: dict[frozenset[int], int] = {}
        for t, pair in enumerate(self.axis_dim):
            crossed = frozenset(pair)
            if crossed in seen:
                raise ValueError(
                    f"tables {self.shapes[seen[crossed]].name!r} and {self.shapes[t].name!r} "
                    "cross the same two variables; publish only one of them"
                )
            seen[crossed] = t
        self.dim_index = [{label: k for k, label in enumerate(labels)} for labels in self.dims]

    def _build_occurrences(self) -> None:
        self.cell_base: list[int] = []
        n_cells = 0
        for shape in self.shapes:
            self.cell_base.append(n_cells)
            n_cells += len(shape.row_labels) * len(shape.col_labels)
        self.n_cells = n_cells
        self.dim_base: list[int] = []
        n_nodes = n_cells
        for labels in self.dims:
            self.dim_base.append(n_nodes)
            n_nodes += len(labels)
        self.total_node = n_nodes
        self.n_nodes = n_nodes + 1

        self.positions: list[Position] = []
        self.occ_table: list[int] = []
        self.exprs: list[tuple[int, ...]] = []  # cells summed by each occurrence
        self.occ_node: list[int] = []
        self.table_occ: list[dict[tuple[int, int], int]] = []
        for t, shape in enumerate(self.shapes):
            nr, nc = len(shape.row_labels), len(shape.col_labels)
            base = self.cell_base[t]
            rdim, cdim = self.axis_dim[t]
            entries: list[tuple[int, int, tuple[int, ...], int]] = []
            for i in range(nr):
                for j in range(nc):
                    entries.append((i, j, (base + i * nc + j,), base + i * nc + j))
            for i in range(nr):
                node = self.margin_node(rdim, shape.row_labels[i])
                entries.append((i, MARGIN, tuple(base + i * nc + j for j in range(nc)), node))
            for j in range(nc):
                node = self.margin_node(cdim, shape.col_labels[j])
                entries.append((MARGIN, j, tuple(base + i * nc + j for i in range(nr)), node))
            entries.append((MARGIN, MARGIN, tuple(range(base, base + nr * nc)), self.total_node))
            index: dict[tuple[int, int], int] = {}
            for i, j, expr, node in entries:
                index[(i, j)] = len(self.positions)
                self.positions.append((shape.name, i, j))
                self.occ_table.append(t)
                self.exprs.append(expr)
                self.occ_node.append(node)
            self.table_occ.append(index)
        self.node_occs: list[list[int]] = [[] for _ in range(self.n_nodes)]
        for occ, node in enumerate(self.occ_node):
            self.node_occs[node].append(occ)
        # Equal quantities seen from different tables: the attacker may equate them.
        links: list[tuple[int, int]] = []
        for group in self.node_occs:
            links.extend((group[0], other) for other in group[1:])
        self.links = tuple(links)

    def _joint_model(self) -> _Model | None:
        """Unknowns of an attacker who knows that all tables count the same people.

        Only tables on a cycle of variables (the 2-core of the graph whose nodes are variables
        and whose edges are tables) gain from it: their values become sums over one joint
        cross-classification of the core variables. Tables off the cycles share at most one
        variable with the rest, and the margin equalities already say all there is to say
        about them, so they keep their own cells. ``None`` when there is no cycle.
        """
        alive = set(range(len(self.dims)))
        core_tables = set(range(len(self.shapes)))
        while True:
            degree = dict.fromkeys(alive, 0)
            for t in core_tables:
                for d in self.axis_dim[t]:
                    degree[d] += 1
            leaves = {d for d, n in degree.items() if n <= 1}
            if not leaves:
                break
            alive -= leaves
            core_tables = {t for t in core_tables if set(self.axis_dim[t]) <= alive}
        if not core_tables:
            return None
        core = sorted(alive)
        shape = tuple(len(self.dims[d]) for d in core)
        size = math.prod(shape)
        if size > MAX_JOINT_CELLS:
            raise ValueError(
                f"tables {sorted(self.shapes[t].name for t in core_tables)} form a cycle of "
                f"variables whose cross-classification has {size} cells (limit "
                f"{MAX_JOINT_CELLS}); publish a tree-shaped set of tables instead"
            )
        grid = np.arange(size).reshape(shape)
        offset: dict[int, int] = {}
        n_vars = size
        for t in range(len(self.shapes)):
            if t not in core_tables:
                offset[t] = n_vars - self.cell_base[t]
                n_vars += len(self.shapes[t].row_labels) * len(self.shapes[t].col_labels)
        exprs: list[tuple[int, ...]] = []
        for occ, (_, i, j) in enumerate(self.positions):
            t = self.occ_table[occ]
            if t not in core_tables:
                exprs.append(tuple(offset[t] + cell for cell in self.exprs[occ]))
                continue
            rdim, cdim = self.axis_dim[t]
            index: list[int | slice] = [slice(None)] * len(core)
            if i != MARGIN:
                index[core.index(rdim)] = self.dim_index[rdim][self.shapes[t].row_labels[i]]
            if j != MARGIN:
                index[core.index(cdim)] = self.dim_index[cdim][self.shapes[t].col_labels[j]]
            exprs.append(tuple(int(v) for v in grid[tuple(index)].ravel()))
        return _Model(n_vars, tuple(exprs))

    def model(self, kind: Model) -> _Model:
        if kind == "joint" and self.joint is not None:
            return self.joint
        return self.linked

    def margin_node(self, dim: int, label: str) -> int:
        return self.dim_base[dim] + self.dim_index[dim][label]

    def _build_lines(self) -> None:
        # A line: children nodes that add up to a parent node.
        lines: list[tuple[tuple[int, ...], int]] = []
        for t, shape in enumerate(self.shapes):
            nr, nc = len(shape.row_labels), len(shape.col_labels)
            base = self.cell_base[t]
            rdim, cdim = self.axis_dim[t]
            for i in range(nr):
                cells = tuple(base + i * nc + j for j in range(nc))
                lines.append((cells, self.margin_node(rdim, shape.row_labels[i])))
            for j in range(nc):
                cells = tuple(base + i * nc + j for i in range(nr))
                lines.append((cells, self.margin_node(cdim, shape.col_labels[j])))
        for d, labels in enumerate(self.dims):
            margins = tuple(self.dim_base[d] + k for k in range(len(labels)))
            lines.append((margins, self.total_node))
        self.lines = tuple(lines)
        self.node_lines: list[list[int]] = [[] for _ in range(self.n_nodes)]
        for li, (children, parent) in enumerate(lines):
            for node in (*children, parent):
                self.node_lines[node].append(li)

    def occurrence(self, position: Position) -> int:
        name, i, j = position
        for t, shape in enumerate(self.shapes):
            if shape.name == name:
                if (i, j) not in self.table_occ[t]:
                    raise ValueError(f"table {name!r} has no position ({i}, {j})")
                return self.table_occ[t][(i, j)]
        raise ValueError(f"no table named {name!r}")

    def table_values(self, tables: Sequence[Table]) -> list[int]:
        """True value of every occurrence (tables in layout order)."""
        cells: list[int] = []
        for table in tables:
            for row in table.counts:
                cells.extend(row)
        return [sum(cells[c] for c in expr) for expr in self.exprs]

    def node_values(self, tables: Sequence[Table]) -> list[int]:
        """True value of every node; raises if tables disagree on a shared quantity."""
        occ_values = self.table_values(tables)
        values = [0] * self.n_nodes
        for node, occs in enumerate(self.node_occs):
            values[node] = occ_values[occs[0]]
            for occ in occs[1:]:
                if occ_values[occ] != values[node]:
                    first, other = self.positions[occs[0]], self.positions[occ]
                    what = "grand totals" if node == self.total_node else "shared margins"
                    raise ValueError(
                        f"not the same population: {what} differ, {first} is "
                        f"{values[node]} but {other} is {occ_values[occ]}"
                    )
        return values


def _layout_of(tables: Sequence[Table] | Sequence[PublishedTable]) -> _Layout:
    return _Layout([_Shape(t.name, t.row_labels, t.col_labels) for t in tables])


# --------------------------------------------------------------------------------------------
# The attacker's linear system


class _System:
    """The linear system an attacker can write from published values.

    Unknowns are the model's base variables (table cells, or cells of the joint
    cross-classification) that published values do not fix, each >= 0, a suppressed cell >=
    ``suppressed_min``, all <= ``cap`` when given (which keeps "maximise" problems bounded).
    Equations: each published value equals the sum of its base variables, a suppressed one is
    at least ``suppressed_min``, and a quantity equals itself as seen from every other table.
    """

    def __init__(
        self,
        layout: _Layout,
        model: _Model,
        values: Sequence[int | None],
        suppressed_min: int,
        cap: float | None,
    ) -> None:
        self.layout = layout
        fixed: dict[int, int] = {}
        lower = dict.fromkeys(range(model.n_vars), 0)

        def fix(var: int, value: int, occ: int) -> None:
            if fixed.setdefault(var, value) != value:
                raise ValueError(f"published values are inconsistent at {layout.positions[occ]}")

        for occ, (expr, value) in enumerate(zip(model.exprs, values, strict=True)):
            if value == 0:
                for var in expr:  # counts are non-negative: a published 0 fixes all its parts
                    fix(var, 0, occ)
            elif len(expr) == 1:
                if value is None:
                    lower[expr[0]] = max(lower[expr[0]], suppressed_min)
                else:
                    fix(expr[0], value, occ)
        free_vars = [var for var in range(model.n_vars) if var not in fixed]
        var_of = {var: k for k, var in enumerate(free_vars)}
        self.n_vars = len(free_vars)
        self.lower = np.array([float(lower[var]) for var in free_vars])
        self.cap = cap
        self.parts: list[tuple[tuple[int, ...], int]] = []  # (free variables, constant)
        for expr in model.exprs:
            free = tuple(var_of[var] for var in expr if var in var_of)
            self.parts.append((free, sum(fixed[var] for var in expr if var not in var_of)))
        rows: list[dict[int, float]] = []
        rhs: list[float] = []
        ub_rows: list[dict[int, float]] = []
        ub_rhs: list[float] = []

        def equation(coefs: dict[int, float], right: int, what: str) -> None:
            coefs = {v: c for v, c in coefs.items() if c != 0}
            if coefs:
                rows.append(coefs)
                rhs.append(float(right))
            elif right != 0:
                raise ValueError(f"published values are inconsistent: {what}")

        for occ, value in enumerate(values):
            free, const = self.parts[occ]
            if value is not None:
                equation(
                    dict.fromkeys(free, 1.0),
                    value - const,
                    f"{layout.positions[occ]} = {value} disagrees with its cells",
                )
            elif not free and const < suppressed_min:
                raise ValueError(
                    f"published values are inconsistent with suppressed_min={suppressed_min}: "
                    f"{layout.positions[occ]} is suppressed but its cells are published"
                    f" and add up to {const}"
                )
            elif free and max(self.lower[v] for v in free) + const < suppressed_min:
                ub_rows.append(dict.fromkeys(free, -1.0))  # sum >= suppressed_min - const
                ub_rhs.append(float(const - suppressed_min))
        for a, b in layout.links:
            (free_a, const_a), (free_b, const_b) = self.parts[a], self.parts[b]
            coefs: dict[int, float] = {}
            for v in free_a:
                coefs[v] = coefs.get(v, 0.0) + 1.0
            for v in free_b:
                coefs[v] = coefs.get(v, 0.0) - 1.0
            pa, pb = layout.positions[a], layout.positions[b]
            equation(coefs, const_b - const_a, f"{pa} and {pb} should be equal")
        self.a_eq = self._matrix(rows)
        self.b_eq = np.asarray(rhs, dtype=np.float64)
        self.a_ub = self._matrix(ub_rows)
        self.b_ub = np.asarray(ub_rhs, dtype=np.float64)

    def _matrix(self, rows: list[dict[int, float]]) -> csr_array:
        data: list[float] = []
        indices: list[int] = []
        indptr = [0]
        for row in rows:
            for v in sorted(row):
                indices.append(v)
                data.append(row[v])
            indptr.append(len(indices))
        return csr_array(
            (np.asarray(data, dtype=np.float64), np.asarray(indices), np.asarray(indptr)),
            shape=(len(rows), self.n_vars),
        )

    def objective(self, occs: Sequence[int], sign: float) -> FloatArray:
        c = np.zeros(self.n_vars)
        for occ in occs:
            for v in self.parts[occ][0]:
                c[v] += sign
        return c

    def solve(self, c: FloatArray, integer: bool) -> FloatArray | None:
        """Minimise ``c @ x``; ``None`` when unbounded. Integer solutions when ``integer``."""
        if self.n_vars == 0:
            return np.zeros(0)
        has_eq, has_ub = self.a_eq.shape[0] > 0, self.a_ub.shape[0] > 0
        upper = np.full(self.n_vars, np.inf if self.cap is None else self.cap)
        result = linprog(
            c,
            A_ub=self.a_ub if has_ub else None,
            b_ub=self.b_ub if has_ub else None,
            A_eq=self.a_eq if has_eq else None,
            b_eq=self.b_eq if has_eq else None,
            bounds=np.column_stack([self.lower, upper]),
            method="highs-ds",  # simplex: vertex solutions, integral when the system is TU
        )
        if result.status == 3:
            return None
        self._raise_unless_solved(result.status, result.message)
        x = np.asarray(result.x, dtype=np.float64)
        if integer and not _integral(x):
            return self._solve_integer(c, upper)
        return x

    def _solve_integer(self, c: FloatArray, upper: FloatArray) -> FloatArray | None:
        constraints = []
        if self.a_eq.shape[0]:
            constraints.append(LinearConstraint(self.a_eq, self.b_eq, self.b_eq))
        if self.a_ub.shape[0]:
            constraints.append(LinearConstraint(self.a_ub, -np.inf, self.b_ub))
        result = milp(
            c,
            integrality=np.ones(self.n_vars),
            bounds=Bounds(self.lower, upper),
            constraints=constraints,
        )
        if result.status == 3 or (result.status == 4 and "nbounded" in str(result.message)):
            return None
        self._raise_unless_solved(result.status, result.message)
        return np.asarray(np.round(result.x), dtype=np.float64)

    @staticmethod
    def _raise_unless_solved(status: int, message: object) -> None:
        if status == 2:
            raise ValueError(
                "published values are inconsistent: no non-negative tables match them "
                "(tables from different populations, or zeros suppressed with "
                "suppressed_min=1?)"
            )
        if status != 0:
            raise RuntimeError(f"linear program failed: {message}")

    def value_at(self, occ: int, x: FloatArray) -> float:
        free, const = self.parts[occ]
        return const + float(sum(x[v] for v in free))

    def interval(self, occ: int, integer: bool) -> tuple[float, float]:
        free, const = self.parts[occ]
        if not free:
            return float(const), float(const)
        low = self.solve(self.objective([occ], 1.0), integer)
        high = self.solve(self.objective([occ], -1.0), integer)
        lo = -math.inf if low is None else self.value_at(occ, low)
        hi = math.inf if high is None else self.value_at(occ, high)
        return lo, hi

    def audit(
        self, targets: Sequence[int], truth: Sequence[int], threshold: int, integer: bool
    ) -> tuple[list[int], list[int]]:
        """(exactly determined, narrowed into [1, threshold-1]) among suppressed ``targets``.

        Any solution where a value differs from the truth proves it undetermined, and any
        where a primary value reaches the threshold proves it not narrowed; so a few
        "maximise/minimise the sum of the open cases" solves settle most targets at once,
        and only the rest get a solve of their own.
        """
        # Over the reals a value must move by a whole unit: a stand-in for an integer solution.
        tol = 0.5 if integer else 1 - _TOL
        exact: list[int] = []
        move: set[int] = set()
        reach: set[int] = set()
        narrowed: list[int] = []
        for occ in targets:
            if not self.parts[occ][0]:  # a constant: determined by published values alone
                exact.append(occ)
                if truth[occ] < threshold:
                    narrowed.append(occ)
            else:
                move.add(occ)
                if truth[occ] < threshold:
                    reach.add(occ)

        def settle(x: FloatArray | None) -> bool:
            if x is None:
                return False
            before = len(move) + len(reach)
            for occ in list(move):
                if abs(self.value_at(occ, x) - truth[occ]) > tol:
                    move.discard(occ)
            for occ in list(reach):
                if self.value_at(occ, x) >= threshold - _TOL:
                    reach.discard(occ)
            return len(move) + len(reach) < before

        while (move or reach) and settle(
            self.solve(self.objective(sorted(move | reach), -1.0), integer)
        ):
            pass
        while move and settle(self.solve(self.objective(sorted(move), 1.0), integer)):
            pass
        for occ in sorted(reach):
            if occ in reach:
                settle(self.solve(self.objective([occ], -1.0), integer))
                if occ in reach:
                    narrowed.append(occ)
        for occ in sorted(move):
            if occ in move:
                settle(self.solve(self.objective([occ], -1.0), integer))
            if occ in move:
                settle(self.solve(self.objective([occ], 1.0), integer))
            if occ in move:
                exact.append(occ)
        return sorted(exact), sorted(narrowed)


def _integral(x: FloatArray) -> bool:
    return bool(np.all(np.abs(x - np.round(x)) <= _TOL))


# --------------------------------------------------------------------------------------------
# Suppression


class _Suppressor:
    """Greedy search for a safe set of suppressed nodes (see "Complementary suppression")."""

    def __init__(
        self, layout: _Layout, values: list[int], threshold: int, protection: Protection
    ) -> None:
        self.layout = layout
        self.values = values
        self.threshold = threshold
        self.protection = protection
        self.truth = [values[node] for node in layout.occ_node]
        # Large enough that capping the unknowns never hides a way to reach the threshold.
        self.cap = float(2 * max(values) + 2 * threshold + 10)

    def is_margin(self, node: int) -> bool:
        return node >= self.layout.n_cells

    def run(self) -> set[int]:
        primary = {n for n, v in enumerate(self.values) if 1 <= v < self.threshold}
        suppressed = self.close(primary)
        while True:
            failing = self.failing(suppressed, None)
            if not failing:
                return suppressed
            suppressed = self.repair(suppressed, self.layout.occ_node[failing[0]])

    def failing(self, suppressed: set[int], node: int | None) -> list[int]:
        """Occurrences (of ``node``, or of all suppressed nodes) that the audit rejects."""
        layout = self.layout
        published = [
            None if layout.occ_node[occ] in suppressed else self.truth[occ]
            for occ in range(len(layout.exprs))
        ]
        targets = [occ for occ, value in enumerate(published) if value is None]
        if node is not None:
            targets = [occ for occ in targets if layout.occ_node[occ] == node]
        threshold = self.threshold if self.protection == "range" else 0
        bad: set[int] = set()
        # Linear programs on the linked system have integral optima for one table or a tree of
        # tables, so its integer audit is cheap; on the joint system integer programs can take
        # seconds each, so it is audited over real solutions (see module docs).
        for model, integer in ((layout.linked, True), (layout.joint, False)):
            if model is not None and targets:
                system = _System(layout, model, published, 1, self.cap)
                exact, narrowed = system.audit(targets, self.truth, threshold, integer)
                bad.update(exact, narrowed)
                targets = [occ for occ in targets if occ not in bad]
        return sorted(bad)

    def repair(self, suppressed: set[int], node: int) -> set[int]:
        """Suppress one more value near ``node`` (one that protects it, if any does)."""
        near = sorted(
            {
                member
                for li in self.layout.node_lines[node]
                for member in (*self.layout.lines[li][0], self.layout.lines[li][1])
                if member not in suppressed and self.values[member] > 0
            },
            key=self.cost,
        )
        if not near:
            near = sorted(
                (n for n in range(self.layout.n_nodes) if n not in suppressed and self.values[n]),
                key=self.cost,
            )
        if not near:  # cannot happen: with every non-zero value hidden the audit passes
            raise RuntimeError("suppression found no safe pattern")
        for candidate in near:
            trial = self.close(suppressed | {candidate})
            if not self.failing(trial, node):
                return trial
        return self.close(suppressed | {near[0]})

    def cost(self, node: int) -> tuple[bool, int, int]:
        return (self.is_margin(node), self.values[node], node)

    def close(self, suppressed: set[int]) -> set[int]:
        """Apply the line rules until every line is safe on its own."""
        suppressed = set(suppressed)
        changed = True
        while changed:
            changed = False
            for li in range(len(self.layout.lines)):
                extra = self.line_needs(li, suppressed)
                if extra is not None:
                    suppressed.add(extra)
                    changed = True
        return suppressed

    def line_needs(self, li: int, suppressed: set[int]) -> int | None:
        children, parent = self.layout.lines[li]
        members = (*children, parent)
        hidden = [n for n in members if n in suppressed]
        if not hidden:
            return None
        open_ = [n for n in members if n not in suppressed and self.values[n] > 0]
        if len(hidden) == 1:
            # A lone suppressed value is the margin minus the others: hide one more, preferring
            # one that also mends another such line.
            def key(node: int) -> tuple[bool, bool, int, int]:
                mends = any(
                    other != li and self.lone(other, suppressed)
                    for other in self.layout.node_lines[node]
                )
                return (self.is_margin(node), not mends, self.values[node], node)

            return min(open_, key=key)
        if parent in suppressed:
            return None
        # Published margin: the hidden children add up to `total`, each >= 1, so one of them
        # can reach at most `top`; that must leave room (>= threshold for a small cell).
        total = sum(self.values[n] for n in hidden)
        top = total - (len(hidden) - 1)
        small = any(self.values[n] < self.threshold for n in hidden)
        need = self.threshold if self.protection == "range" and small else 2
        if top >= need:
            return None
        kids = [n for n in open_ if n != parent]
        if not kids:
            return parent
        enough = [n for n in kids if top + self.values[n] - 1 >= need]
        if enough:
            return min(enough, key=lambda n: (self.values[n], n))
        return max(kids, key=lambda n: (self.values[n], -n))

    def lone(self, li: int, suppressed: set[int]) -> bool:
        children, parent = self.layout.lines[li]
        return sum(n in suppressed for n in (*children, parent)) == 1


def suppress(
    table: Table, threshold: int = DEFAULT_THRESHOLD, *, protection: Protection = "range"
) -> PublishedTable:
    """Publishable version of one table (see the module docstring for the rules)."""
    return suppress_together([table], threshold, protection=protection)[0]


def suppress_together(
    tables: Sequence[Table],
    threshold: int = DEFAULT_THRESHOLD,
    *,
    protection: Protection = "range",
) -> list[PublishedTable]:
    """Suppress tables about one population jointly, so that shared margins agree and no
    differencing within or across the tables recovers a suppressed value."""
    threshold = _check_threshold(threshold)
    _check_protection(protection)
    for table in tables:
        if not isinstance(table, Table):
            raise ValueError(f"expected Table objects, got {type(table).__name__}")
    layout = _layout_of(tables)
    values = layout.node_values(tables)
    suppressed = _Suppressor(layout, values, threshold, protection).run()
    out: list[PublishedTable] = []
    for t, table in enumerate(tables):
        shown = {
            key: None if layout.occ_node[occ] in suppressed else values[layout.occ_node[occ]]
            for key, occ in layout.table_occ[t].items()
        }
        nr, nc = len(table.row_labels), len(table.col_labels)
        out.append(
            PublishedTable(
                name=table.name,
                row_labels=table.row_labels,
                col_labels=table.col_labels,
                cells=tuple(tuple(shown[(i, j)] for j in range(nc)) for i in range(nr)),
                row_totals=tuple(shown[(i, MARGIN)] for i in range(nr)),
                col_totals=tuple(shown[(MARGIN, j)] for j in range(nc)),
                total=shown[(MARGIN, MARGIN)],
                threshold=threshold,
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# The attacker's audit


def _published_values(layout: _Layout, published: Sequence[PublishedTable]) -> list[int | None]:
    values: list[int | None] = []
    for table in published:
        if len(table.cells) != len(table.row_labels) or any(
            len(row) != len(table.col_labels) for row in table.cells
        ):
            raise ValueError(f"published table {table.name!r} has a ragged shape")
        if len(table.row_totals) != len(table.row_labels) or len(table.col_totals) != len(
            table.col_labels
        ):
            raise ValueError(f"published table {table.name!r} has margins of the wrong length")
        for row in table.cells:
            values.extend(row)
        values.extend(table.row_totals)
        values.extend(table.col_totals)
        values.append(table.total)
    if len(values) != len(layout.exprs):
        raise ValueError("published tables do not match their labels")
    return values


def _paired(
    published: Sequence[PublishedTable], originals: Sequence[Table]
) -> tuple[_Layout, list[int | None], list[int]]:
    by_name = {table.name: table for table in originals}
    if sorted(by_name) != sorted(table.name for table in published):
        raise ValueError("published tables and originals must have the same names")
    ordered = [by_name[table.name] for table in published]
    for pub, orig in zip(published, ordered, strict=True):
        if (pub.row_labels, pub.col_labels) != (orig.row_labels, orig.col_labels):
            raise ValueError(f"table {pub.name!r}: published labels differ from the original")
    layout = _layout_of(ordered)
    layout.node_values(ordered)  # same population, or ValueError
    truth = layout.table_values(ordered)
    values = _published_values(layout, published)
    for occ, value in enumerate(values):
        if value is not None and value != truth[occ]:
            raise ValueError(
                f"{layout.positions[occ]} is published as {value} but the original is {truth[occ]}"
            )
    return layout, values, truth


def _audit(
    published: Sequence[PublishedTable],
    originals: Sequence[Table],
    suppressed_min: int,
    integer: bool,
    model: Model,
) -> tuple[_Layout, list[int], list[int]]:
    if model not in ("linked", "joint"):
        raise ValueError(f"model must be 'linked' or 'joint', got {model!r}")
    layout, values, truth = _paired(published, originals)
    targets = [occ for occ, value in enumerate(values) if value is None]
    for occ in targets:
        if truth[occ] < suppressed_min:
            raise ValueError(
                f"{layout.positions[occ]} is suppressed but is {truth[occ]} < suppressed_min="
                f"{suppressed_min}; audit such publications with suppressed_min=0"
            )
    threshold = max(table.threshold for table in published)
    cap = float(2 * max(truth) + 2 * threshold + 10)
    system = _System(layout, layout.model(model), values, suppressed_min, cap)
    exact, narrowed = system.audit(targets, truth, threshold, integer)
    return layout, exact, narrowed


def recoverable_cells(
    published: Sequence[PublishedTable],
    originals: Sequence[Table],
    *,
    suppressed_min: int = 1,
    integer: bool = True,
    model: Model = "linked",
) -> list[Position]:
    """Suppressed values (cells or margins) that the published tables determine exactly.

    The attacker's system: every published value of every table, margins = sums of cells,
    equal shared margins and grand totals across tables, suppressed values >=
    ``suppressed_min`` (1: zeros are always published). A value is recoverable when its
    minimum equals its maximum over the non-negative integer solutions (with ``integer=False``:
    unless real solutions move it by at least 1 either way). With ``model="joint"``,
    tables on a cycle of variables are also read as margins of one cross-classification of
    the population (a stronger attacker; identical when there is no cycle). Tables are matched
    to originals by name; results are in publication order.
    """
    layout, exact, _ = _audit(published, originals, suppressed_min, integer, model)
    return [layout.positions[occ] for occ in exact]


def narrowed_cells(
    published: Sequence[PublishedTable],
    originals: Sequence[Table],
    *,
    suppressed_min: int = 1,
    integer: bool = True,
    model: Model = "linked",
) -> list[Position]:
    """Suppressed values whose feasible interval lies inside ``[1, threshold - 1]``: the
    attacker learns that they are small. Same system as :func:`recoverable_cells`."""
    layout, _, narrowed = _audit(published, originals, suppressed_min, integer, model)
    return [layout.positions[occ] for occ in narrowed]


def feasible_interval(
    published: Sequence[PublishedTable],
    position: Position,
    *,
    suppressed_min: int = 1,
    integer: bool = False,
    model: Model = "linked",
) -> tuple[float, float]:
    """(min, max) of one value over the attacker's solutions, from published data alone.

    ``math.inf`` when unbounded; a published value gives ``(v, v)``. Real solutions unless
    ``integer``. Same system as :func:`recoverable_cells`.
    """
    layout = _layout_of(published)
    values = _published_values(layout, published)
    system = _System(layout, layout.model(model), values, suppressed_min, None)
    return system.interval(layout.occurrence(position), integer)


@dataclass(frozen=True)
class _Sums:
    """The little of a layout that :class:`_System` reads, for figures given as sums."""

    positions: list[Position]
    links: tuple[tuple[int, int], ...] = ()


def audit_sums(
    n_vars: int,
    exprs: Sequence[Sequence[int]],
    values: Sequence[int | None],
    truth: Sequence[int],
    threshold: int,
) -> tuple[list[int], list[int]]:
    """(exactly determined, narrowed into ``[1, threshold - 1]``) among the hidden figures
    (``None`` in ``values``), each figure the sum of some of ``n_vars`` non-negative counts
    (``exprs``): the same attacker as :func:`recoverable_cells` and :func:`narrowed_cells`,
    for figures that no one table lays out (the cells of one table seen through several
    groupings, ``publishing.groupings``). A hidden figure is at least 1 (zeros are
    published); integer solutions."""
    threshold = _check_threshold(threshold)
    sums = _Sums([("figures", k, 0) for k in range(len(exprs))])
    model = _Model(n_vars, tuple(tuple(e) for e in exprs))
    cap = float(2 * max([0, *truth]) + 2 * threshold + 10)
    system = _System(sums, model, list(values), 1, cap)  # type: ignore[arg-type]
    targets = [k for k, value in enumerate(values) if value is None]
    return system.audit(targets, list(truth), threshold, True)


__all__ = [
    "DEFAULT_THRESHOLD",
    "MARGIN",
    "MAX_JOINT_CELLS",
    "Model",
    "Position",
    "Protection",
    "PublishedTable",
    "Table",
    "audit_sums",
    "feasible_interval",
    "narrowed_cells",
    "recoverable_cells",
    "suppress",
    "suppress_together",
]
