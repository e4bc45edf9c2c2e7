"""The attacker's audit of a publication: which hidden values the published tables give
away exactly, which they narrow to a small count, and a value's feasible interval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from detente.publishing.suppression.layout import _Layout, _layout_of, _Model
from detente.publishing.suppression.system import _System
from detente.publishing.suppression.tables import (
    Model,
    Position,
    PublishedTable,
    Table,
    _check_threshold,
)


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
