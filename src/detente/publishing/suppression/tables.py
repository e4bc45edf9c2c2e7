"""What suppression takes and gives: the tables, their positions, and the checks on the
arguments every entry point shares (see the package docstring for the rules)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Literal

import numpy as np

Protection = Literal["exact", "range"]
Model = Literal["linked", "joint"]
Position = tuple[str, int, int]

MARGIN = -1
"""Index standing for "total" in a :data:`Position` (row totals have column ``-1``)."""

DEFAULT_THRESHOLD = 5
_PROTECTIONS = ("exact", "range")


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
