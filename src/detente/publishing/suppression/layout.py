"""Where every value of a set of tables sits: its cells and margins as sums of cells, which
values are one quantity seen from several tables (shared margins, the grand total), the
lines that the suppression rules run on, and the attacker's unknowns (linked or joint)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from detente.publishing.suppression.tables import (
    MARGIN,
    Model,
    Position,
    PublishedTable,
    Table,
)

MAX_JOINT_CELLS = 50_000
"""Largest joint cross-classification audited for a cycle of tables (see the package docs)."""


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
