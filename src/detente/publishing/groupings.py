"""Coarser groupings of the public statistics table, and the audit when they change.

The counted table is province x year of arrest. With few people, most of its non-zero
cells are small and the page would be mostly dashes. So a release publishes the table
under one grouping taken from a fixed ladder, from the finest to the coarsest:

- years: each year; five-year bands from the first year (2015-2019, 2020-2024 and so on); or all
  the years since the first together. "Before" the first year and "year unknown" stay;
- places: each province; regions (``DETENTE_STATISTICS_REGIONS``, a mapping of a region's
  name to division codes, or the built-in one for the registry's country when there is
  one); or one row per listed country. "Other or not recorded" stays.

Every label on the ladder comes from configuration and the calendar, never from the
people counted. The release takes the finest grouping that hides no figure; when every
one hides some, the one that hides the fewest (ties: the finer). Only that one table is
published, suppressed and audited exactly as before, so within a release nothing changes
in the guarantees. Which grouping was taken says no more than where the dashes would have
been (the pattern of suppression, which is not treated as information).

Between releases the grouping may change, and then figures of the two releases overlap
without being the same figures (a band against the years in it). :func:`regroup_audit`
checks the new release against an earlier one in two ways: every figure of either
release, recounted at both moments, must have moved by none or by at least the threshold
(as ``statistics.differences`` asks of figures with the same labels); and the figures of
the earlier release that have not moved are added to the attacker's system of the new
one (they still hold), which must then determine no hidden figure and narrow none into
``[1, threshold - 1]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from detente.publishing.suppression import Table, audit_sums

Group = tuple[str, tuple[str, ...]]  # (label, the fine labels it gathers)
TOTAL = "total"

# Cuba's three traditional regions, by ISO 3166-2 code: the default when the registry's
# country is Cuba and the operator names none.
CUBA_REGIONS = {
    "Western Cuba": ("CU-01", "CU-15", "CU-03", "CU-16", "CU-04", "CU-99"),
    "Central Cuba": ("CU-06", "CU-05", "CU-07", "CU-08", "CU-09"),
    "Eastern Cuba": ("CU-10", "CU-11", "CU-12", "CU-13", "CU-14"),
}
ALL_PROVINCES = "all listed provinces"


@dataclass(frozen=True)
class Grouping:
    """Which fine rows and columns each published row and column gathers."""

    key: str  # e.g. "provinces/bands"
    rows: tuple[Group, ...]
    cols: tuple[Group, ...]

    @property
    def fine(self) -> bool:
        return all(len(g) == 1 and g[0] == label for label, g in (*self.rows, *self.cols))

    def table(self, fine: Table) -> Table:
        """The counts under this grouping."""
        r_at = {label: i for i, label in enumerate(fine.row_labels)}
        c_at = {label: j for j, label in enumerate(fine.col_labels)}
        counts = [
            [
                sum(fine.counts[r_at[r]][c_at[c]] for r in rs if r in r_at for c in cs if c in c_at)
                for _label, cs in self.cols
            ]
            for _label, rs in self.rows
        ]
        return Table(
            fine.name,
            tuple(label for label, _ in self.rows),
            tuple(label for label, _ in self.cols),
            tuple(tuple(row) for row in counts),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "rows": [[label, list(g)] for label, g in self.rows],
            "cols": [[label, list(g)] for label, g in self.cols],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Grouping:
        return cls(
            str(data["key"]),
            tuple((str(label), tuple(g)) for label, g in data["rows"]),
            tuple((str(label), tuple(g)) for label, g in data["cols"]),
        )

    @classmethod
    def identity(cls, rows: Sequence[str], cols: Sequence[str]) -> Grouping:
        return cls("fine", tuple((r, (r,)) for r in rows), tuple((c, (c,)) for c in cols))


def _year_levels(cols: tuple[str, ...], first: int, this_year: int) -> list[tuple[Group, ...]]:
    """Each year; five-year bands; all the years together. The first and last columns
    ("before", "year unknown") stay as they are."""
    before, years, unknown = cols[0], cols[1:-1], cols[-1]
    ends = ((before, (before,)),), ((unknown, (unknown,)),)

    def span(a: int, b: int) -> Group:
        label = str(a) if a == b else f"{a}\u2013{b}"  # an en dash, as in print
        return label, tuple(str(y) for y in range(a, b + 1))

    bands = tuple(span(a, min(a + 4, this_year)) for a in range(first, this_year + 1, 5))
    every = (span(first, this_year),) if years else ()
    levels = [tuple((y, (y,)) for y in years), bands, every]
    return [(*ends[0], *level, *ends[1]) for level in levels]


def _place_levels(
    rows: tuple[str, ...], codes: dict[str, str], other: str
) -> list[tuple[Group, ...]]:
    """Each province; regions when there are any; one row per country (or, with
    ``DETENTE_PROVINCES``, all the listed provinces together). "Other" stays last."""
    places = rows[:-1]
    end: tuple[Group, ...] = ((other, (other,)),)
    levels: list[tuple[Group, ...]] = [tuple((r, (r,)) for r in places)]
    by_code = {code: label for label, code in codes.items()}
    named = getattr(settings, "DETENTE_STATISTICS_REGIONS", None)
    regions: dict[str, Sequence[str]] = dict(named) if named else {}
    if not regions and codes and all(c.startswith("CU-") for c in codes.values()):
        regions = dict(CUBA_REGIONS)
    if regions and codes:
        grouped: list[Group] = []
        seen: set[str] = set()
        for name, members in regions.items():
            labels = tuple(by_code[c] for c in members if c in by_code and by_code[c] not in seen)
            seen.update(labels)
            if labels:
                grouped.append((str(name), labels))
        rest = tuple(r for r in places if r not in seen)
        grouped += [(r, (r,)) for r in rest]  # a division no region names stays alone
        levels.append(tuple(grouped))
    if codes:
        countries: dict[str, list[str]] = {}
        for r in places:
            countries.setdefault(codes[r].split("-")[0], []).append(r)
        levels.append(tuple((country, tuple(rs)) for country, rs in countries.items()))
    elif places:
        levels.append(((ALL_PROVINCES, places),))
    return [(*level, *end) for level in levels]


def ladder(
    rows: tuple[str, ...], cols: tuple[str, ...], codes: dict[str, str], other: str
) -> list[Grouping]:
    """The candidate groupings of the table, finest first: coarser years are tried before
    coarser places at the same number of steps; the same grouping reached twice is kept
    once."""
    first = int(cols[1]) if len(cols) > 2 else 0
    this_year = int(cols[-2]) if len(cols) > 2 else 0
    year_levels = _year_levels(cols, first, this_year)
    place_levels = _place_levels(rows, codes, other)
    names = ("years", "bands", "all-years")
    places = (
        ("provinces", "regions", "countries")
        if len(place_levels) == 3
        else ("provinces", "countries")
    )
    steps = sorted(
        ((p, y) for p in range(len(place_levels)) for y in range(len(year_levels))),
        key=lambda py: (py[0] + py[1], py[0]),
    )
    out: list[Grouping] = []
    seen: set[tuple[Any, ...]] = set()
    for p, y in steps:
        g = Grouping(f"{places[p]}/{names[y]}", place_levels[p], year_levels[y])
        shape = (g.rows, g.cols)
        if shape not in seen:
            seen.add(shape)
            out.append(g)
    return out


# --- the audit when the grouping changes ------------------------------------------------


def _truth(fine: dict[str, Any]) -> dict[tuple[str, str], int]:
    rows, cols = fine["row_labels"], fine["col_labels"]
    return {
        (r, c): v
        for r, row in zip(rows, fine["counts"], strict=True)
        for c, v in zip(cols, row, strict=True)
    }


Figure = tuple[str, str, int | None, tuple[str, ...] | None, tuple[str, ...] | None]


def _figures(table: dict[str, Any], grouping: Grouping) -> list[Figure]:
    """(row, col, published value, fine rows, fine cols) of every figure; ``None`` for the
    fine labels of a margin (every fine label on that axis)."""
    rows = dict(grouping.rows)
    cols = dict(grouping.cols)
    out: list[Figure] = []
    for r, cells, r_total in zip(
        table["row_labels"], table["cells"], table["row_totals"], strict=True
    ):
        for c, v in zip(table["col_labels"], cells, strict=True):
            out.append((r, c, v, rows[r], cols[c]))
        out.append((r, TOTAL, r_total, rows[r], None))
    for c, v in zip(table["col_labels"], table["col_totals"], strict=True):
        out.append((TOTAL, c, v, None, cols[c]))
    out.append((TOTAL, TOTAL, table["total"], None, None))
    return out


def _cells(
    fine: dict[str, Any], rows: tuple[str, ...] | None, cols: tuple[str, ...] | None
) -> list[tuple[str, str]]:
    rs = fine["row_labels"] if rows is None else [r for r in rows if r in fine["row_labels"]]
    cs = fine["col_labels"] if cols is None else [c for c in cols if c in fine["col_labels"]]
    return [(r, c) for r in rs for c in cs]


@dataclass(frozen=True)
class Moved:
    row: str
    col: str
    before: int
    after: int


def regroup_audit(
    new: dict[str, Any],
    new_grouping: Grouping,
    new_fine: dict[str, Any],
    old: dict[str, Any],
    old_grouping: Grouping,
    old_fine: dict[str, Any],
    threshold: int,
) -> tuple[list[Moved], list[tuple[str, str]]]:
    """(figures that moved by fewer than ``threshold``, hidden figures the two releases
    together give away) for a release ``new`` published under another grouping than an
    earlier ``old`` (published tables as JSON; ``*_fine`` the fine counts before
    suppression, kept with each release for staff)."""
    now, then = _truth(new_fine), _truth(old_fine)

    def count(truth: dict[tuple[str, str], int], fine: dict[str, Any], rows: Any, cols: Any) -> int:
        return sum(truth[key] for key in _cells(fine, rows, cols))

    moved: list[Moved] = []
    steady: list[tuple[str, str, int | None, Any, Any]] = []
    for table, grouping, mine in ((new, new_grouping, True), (old, old_grouping, False)):
        if _withheld(table) and not mine:
            continue  # nothing of it was published: it gives the attacker nothing
        for r, c, value, rows, cols in _figures(table, grouping):
            before = count(then, old_fine, rows, cols)
            after = count(now, new_fine, rows, cols)
            if value is not None and 0 < abs(after - before) < threshold:
                moved.append(Moved(r, c, before, after))
            if not mine and before == after:
                steady.append((r, c, value, rows, cols))
    if _withheld(new):
        return moved, []  # nothing of the new release is published: nothing to combine
    # The attacker's system: the new release's figures, and the old release's figures
    # that still hold, each a sum of the fine cells counted now.
    index = {key: k for k, key in enumerate(now)}
    exprs: list[tuple[int, ...]] = []
    values: list[int | None] = []
    truth: list[int] = []
    names: list[tuple[str, str]] = []
    for r, c, value, rows, cols in [*_figures(new, new_grouping), *steady]:
        cells = _cells(new_fine, rows, cols)
        exprs.append(tuple(index[key] for key in cells))
        values.append(value)
        truth.append(sum(now[key] for key in cells))
        names.append((r, c))
    exact, narrowed = audit_sums(len(index), exprs, values, truth, threshold)
    exposed = sorted({names[k] for k in (*exact, *narrowed)})
    return moved, exposed


def _withheld(table: dict[str, Any]) -> bool:
    """Withheld whole: every figure hidden, the zeros too."""
    return table["total"] is None or (
        all(v is None for row in table["cells"] for v in row)
        and all(v is None for v in (*table["row_totals"], *table["col_totals"]))
    )
