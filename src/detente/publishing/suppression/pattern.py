"""Choosing what to suppress: primary suppression, the line rules, and the greedy search
that suppresses one more value until the attacker's audit passes."""

from __future__ import annotations

from collections.abc import Sequence

from detente.publishing.suppression.layout import _Layout, _layout_of
from detente.publishing.suppression.system import _System
from detente.publishing.suppression.tables import (
    DEFAULT_THRESHOLD,
    MARGIN,
    Protection,
    PublishedTable,
    Table,
    _check_protection,
    _check_threshold,
)


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
