"""The public statistics: fixed tables about the people on public agreements.

The population is everyone named on an agreement shown to the public, counted once. Its
size, and each member's state (by handle), are already public through the agreement's
progress and member list, so:

- no table crosses the state with anything: together with the public member list, a
  zero in "died x Granma" would tell which province a handle comes from;
- the published table (people by province and year of arrest) is checked with its grand
  total taken as known, and withheld whole if any hidden count could then be worked out;
- province labels come from a fixed list: the first-level divisions (ISO 3166-2, through
  ``pycountry``) of the registry's country (``DETENTE_COUNTRY``) and of any other country
  the operator lists (``DETENTE_STATISTICS_COUNTRIES``) — set by configuration, never by
  the people counted — or ``DETENTE_PROVINCES`` when set. Each person counts under the
  division recorded for them (``Identity.division``, read from the province as written
  when none was chosen).
  Anything else is counted as "other or not recorded", so free text typed into a record
  is never published.

There is no way to ask for another cut, so no one can difference two free queries. The
columns are fixed too: "before" a configured first year (``DETENTE_STATISTICS_FIRST_YEAR``),
each year since, and "year unknown" — never a column because someone was arrested then.

What the public reads is not computed here on each request: it is a *release*
(:mod:`detente.publishing.releases`), counted when proposed and published when a second
person approves it, and only if no figure differs from any earlier release's by fewer than
the threshold (:func:`differences`). Naming, changing or removing one person changes
nothing the public reads until such a release is approved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from detente.access.policy import Viewer
from detente.agreements.models import Membership
from detente.core.places import default_country, divisions
from detente.matching.places import division_from_text
from detente.publishing.groupings import Grouping, ladder, regroup_audit
from detente.publishing.suppression import (
    PublishedTable,
    Table,
    narrowed_cells,
    recoverable_cells,
    suppress_together,
)
from detente.registry.models import CustodyEpisode, open_identity

OTHER_PROVINCE = "other or not recorded"
NO_YEAR = "year unknown"
BEFORE = "before "  # + the first year: "before 2015"
TOTAL = "total"  # the margin's name in a difference


@dataclass(frozen=True)
class PublicStatistics:
    population: str
    people: int
    tables: list[PublishedTable]
    withheld: list[str]  # tables withheld whole, by name
    release: int | None = None  # the approved release these figures come from
    counted_at: str | None = None  # ISO 8601, when the release was counted
    released_at: str | None = None  # ISO 8601, when it was approved
    # By table name: the grouping published (publishing.groupings); none: each province
    # and year (releases made before groupings).
    groupings: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "release": self.release,
            "counted_at": self.counted_at,
            "released_at": self.released_at,
            "population": self.population,
            "people": self.people,
            "tables": [t.as_json() for t in self.tables],
            "withheld": self.withheld,
            "groupings": self.groupings,
        }

    def grouping(self, name: str) -> Grouping:
        table = next(t for t in self.tables if t.name == name)
        return grouping_of(self.groupings.get(name), table.row_labels, table.col_labels)


def grouping_of(data: dict[str, Any] | None, rows: Sequence[str], cols: Sequence[str]) -> Grouping:
    return Grouping.from_json(data) if data else Grouping.identity(rows, cols)


def threshold() -> int:
    return int(getattr(settings, "DETENTE_SUPPRESSION_THRESHOLD", 5))


def first_year() -> int:
    return int(getattr(settings, "DETENTE_STATISTICS_FIRST_YEAR", 2015))


def year_columns(today: dt.date | None = None) -> list[str]:
    """The fixed columns: before the first year, each year from it to this one, unknown.

    Set by configuration and the calendar, never by the data: a column for a year
    appears on the first of January whether or not anyone was arrested in it."""
    this_year = (today or timezone.localdate()).year
    first = first_year()
    return [f"{BEFORE}{first}", *(str(y) for y in range(first, this_year + 1)), NO_YEAR]


def _year_label(year: int | None, today: dt.date) -> str:
    if year is None or year > today.year:  # a date in the future is an error, not a column
        return NO_YEAR
    return f"{BEFORE}{first_year()}" if year < first_year() else str(year)


def countries() -> list[str]:
    """The countries whose divisions are rows (alpha-2): the registry's, then the others
    the operator lists. Configuration, not data: a person recorded in a country no one
    listed counts as "other", so naming them adds no row."""
    home = default_country()
    listed = getattr(settings, "DETENTE_STATISTICS_COUNTRIES", ()) or ()
    others = sorted({str(c).strip().upper() for c in listed if str(c).strip()} - {home})
    return [home, *others]


def _divisions() -> list[tuple[str, str]]:
    """(code, label) of the rows: each country's first-level divisions, by code; another
    country's labelled "Country: Division" so that no two rows read alike."""
    explicit = getattr(settings, "DETENTE_PROVINCES", None)
    if explicit:
        return [(name, name) for name in explicit]
    import pycountry

    home = default_country()
    out: list[tuple[str, str]] = []
    for country in countries():
        found = pycountry.countries.get(alpha_2=country)
        prefix = "" if country == home or found is None else f"{found.name}: "
        out += [(code, prefix + name) for code, name in divisions(country)]
    return out


def provinces() -> tuple[str, ...]:
    return tuple(name for _code, name in _divisions())


def row_codes() -> dict[str, str]:
    """Each row label's ISO 3166-2 code (for the page, which names it in the reader's
    language); empty when ``DETENTE_PROVINCES`` gives the rows."""
    if getattr(settings, "DETENTE_PROVINCES", None):
        return {}
    return {label: code for code, label in _divisions()}


def _row_of(
    country: str | None,
    division: str | None,
    text: str | None,
    by_code: dict[str, str],
    names: set[str],
) -> str:
    if getattr(settings, "DETENTE_PROVINCES", None):
        return text if text in names else OTHER_PROVINCE
    # A division recorded for the person, else the one their province text names (old,
    # divided provinces are not guessed).
    code = division or division_from_text(text or "", country or default_country())
    return by_code.get(code, OTHER_PROVINCE)


def _population(today: dt.date | None = None) -> list[tuple[str, str]]:
    """(province, arrest year) for each person on a public agreement."""
    rows_of = _divisions()
    by_code = dict(rows_of)
    names = {name for _code, name in rows_of}
    public = Membership.objects.filter(agreement__audience="public")
    rows = {
        pid: (country, division, sealed)
        for pid, country, division, sealed in public.values_list(
            "person_id",
            "person__identity__country",
            "person__identity__division",
            "person__identity__sealed",
        )
    }
    for pid, (country, division, sealed) in rows.items():  # the province as written
        rows[pid] = (country, division, open_identity(pid, sealed)["province"] if sealed else "")
    arrests = dict(
        CustodyEpisode.objects.filter(person_id__in=list(rows))
        .values("person_id")
        .annotate(last=Max("start_date"))
        .values_list("person_id", "last")
    )
    today = today or timezone.localdate()
    return [
        (
            _row_of(place[0], place[1], place[2], by_code, names),
            _year_label(arrests[pid].year if pid in arrests else None, today),
        )
        for pid, place in rows.items()
    ]


def province_by_year(people: list[tuple[str, str]], today: dt.date | None = None) -> Table:
    rows = [*provinces(), OTHER_PROVINCE]
    years = year_columns(today)
    counts = {(p, y): 0 for p in rows for y in years}
    for key in people:
        counts[key] += 1
    return Table(
        name="people_by_province_and_arrest_year",
        row_labels=tuple(rows),
        col_labels=tuple(years),
        counts=tuple(tuple(counts[(p, y)] for y in years) for p in rows),
    )


def _withheld(table: PublishedTable) -> PublishedTable:
    return replace(
        table,
        cells=tuple(tuple(None for _ in row) for row in table.cells),
        row_totals=tuple(None for _ in table.row_totals),
        col_totals=tuple(None for _ in table.col_totals),
    )


POPULATION = "people named on agreements shown to the public, counted once each"


@dataclass(frozen=True)
class Draft:
    stats: PublicStatistics  # what would be published
    original: Table  # the published table before suppression (its grouping)
    fine: Table  # the counted table: each province and year, before any grouping


def _hidden(table: PublishedTable) -> int:
    """How many figures are hidden (a table withheld whole: every one)."""
    values = [*(v for row in table.cells for v in row), *table.row_totals, *table.col_totals]
    return sum(v is None for v in values)


def _publishable(original: Table, people: int) -> tuple[PublishedTable, bool]:
    """The table as it would be published, and whether it is withheld whole."""
    (published,) = suppress_together([original], threshold())
    # The total is public elsewhere (the agreements' named counts): audit with it known.
    known_total = replace(published, total=people)
    if recoverable_cells([known_total], [original]) or narrowed_cells([known_total], [original]):
        return _withheld(known_total), True
    return known_total, False


def draft_release(
    today: dt.date | None = None,
    earlier: Sequence[tuple[dict[str, Any], dict[str, Any]]] | None = None,
) -> Draft:
    """What a release counted now would publish: the table under the finest grouping
    that hides no figure (else the one that hides the fewest) among those that clash with
    no approved release (``earlier``: their published figures and counts; read from the
    database when not given). See ``publishing.groupings``."""
    if earlier is None:
        earlier = approved_releases()
    people = _population(today)
    fine = province_by_year(people, today)
    fine_json = table_json(fine)
    best: tuple[tuple[bool, int, int], Grouping, Table, PublishedTable, bool] | None = None
    first: tuple[tuple[bool, int, int], Grouping, Table, PublishedTable, bool] | None = None
    for rank, grouping in enumerate(
        ladder(fine.row_labels, fine.col_labels, row_codes(), OTHER_PROVINCE)
    ):
        original = grouping.table(fine)
        published, withheld = _publishable(original, len(people))
        hidden = _hidden(published)
        # Withheld whole, every grouping hides all: the finest then says the most plainly.
        score = (withheld, 0 if withheld else hidden, rank)
        found = (score, grouping, original, published, withheld)
        first = first or found
        table = published.as_json()
        if any(clashes(table, grouping, fine_json, old, counts) for old, counts in earlier):
            continue
        if best is None or score < best[0]:
            best = found
        if hidden == 0 and not withheld:
            break
    # Nothing clashes with no release: the finest, refused when proposed as before.
    assert first is not None  # noqa: S101 - the ladder always holds the fine table
    _score, grouping, original, published, withheld = best or first
    stats = PublicStatistics(
        population=POPULATION,
        people=len(people),
        tables=[published],
        withheld=[original.name] if withheld else [],
        groupings={} if grouping.fine else {original.name: grouping.as_json()},
    )
    return Draft(stats, original, fine)


def draft_statistics(today: dt.date | None = None) -> tuple[PublicStatistics, Table]:
    """What a release counted now would publish, and the table before suppression (kept
    with the release, for staff, to check later releases against)."""
    draft = draft_release(today)
    return draft.stats, draft.original


def table_json(table: Table) -> dict[str, Any]:
    """A table before suppression, as a release keeps it."""
    return {
        "name": table.name,
        "row_labels": list(table.row_labels),
        "col_labels": list(table.col_labels),
        "counts": [list(r) for r in table.counts],
    }


def approved_releases() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(published, counts) of every approved release, oldest first."""
    from detente.access.models import StatisticsRelease

    approved = StatisticsRelease.objects.filter(status=StatisticsRelease.Status.APPROVED)
    return list(approved.order_by("decided_at").values_list("published", "counts"))


@dataclass(frozen=True)
class Clash:
    """Why a table may not follow an approved release: figures that moved by fewer people
    than the threshold, and hidden figures the two releases together would give away."""

    moved: list[Difference]
    exposed: list[tuple[str, str]]

    def __bool__(self) -> bool:
        return bool(self.moved or self.exposed)


def clashes(
    table: dict[str, Any],
    grouping: Grouping,
    fine: dict[str, Any],
    old_published: dict[str, Any],
    old_counts: dict[str, Any],
) -> Clash:
    """Check a published ``table`` (JSON, under ``grouping``; ``fine``: the counted table,
    as ``table_json``) against an approved release. Under the same grouping, figure by
    figure (:func:`differences`); under another, :func:`groupings.regroup_audit`."""
    name = table["name"]
    shown_old = {t["name"]: t for t in old_published.get("tables", [])}.get(name)
    true_old = {t["name"]: t for t in old_counts.get("tables", [])}.get(name)
    if shown_old is None or true_old is None:
        return Clash([], [])
    stored = old_published.get("groupings", {}).get(name)
    old_grouping = grouping_of(stored, shown_old["row_labels"], shown_old["col_labels"])
    if (old_grouping.rows, old_grouping.cols) == (grouping.rows, grouping.cols) or (
        old_grouping.fine and grouping.fine
    ):
        original = table_json(grouping.table(_table(fine)))
        return Clash(differences(table, original, shown_old, true_old, threshold()), [])
    # A release from before groupings kept only its table, which was the fine one.
    old_fine = {t["name"]: t for t in old_counts.get("fine", [])}.get(name, true_old)
    moved, exposed = regroup_audit(
        table, grouping, fine, shown_old, old_grouping, old_fine, threshold()
    )
    return Clash([Difference(m.row, m.col, m.before, m.after) for m in moved], exposed)


def _table(data: dict[str, Any]) -> Table:
    return Table(
        data["name"],
        tuple(data["row_labels"]),
        tuple(data["col_labels"]),
        tuple(tuple(r) for r in data["counts"]),
    )


def public_statistics(viewer: Viewer) -> PublicStatistics | None:
    """The newest approved release, the same for every viewer; ``None`` before the first.

    Never the live counts: those change as people are named, and each change would point
    at the person named (see the module's docstring)."""
    from detente.publishing.releases import latest_release

    release = latest_release(viewer)
    return release.statistics() if release is not None else None


@dataclass(frozen=True)
class Difference:
    """One published figure that moved between two releases: a cell, or a margin (the
    column or row is ``TOTAL``)."""

    row: str
    col: str
    before: int
    after: int

    def as_json(self) -> dict[str, object]:
        return {"row": self.row, "col": self.col, "before": self.before, "after": self.after}


def _figures(table: dict[str, Any]) -> dict[tuple[str, str], int | None]:
    rows, cols = table["row_labels"], table["col_labels"]
    out: dict[tuple[str, str], int | None] = {}
    for r, values in zip(rows, table["cells"], strict=True):
        out |= {(r, c): v for c, v in zip(cols, values, strict=True)}
    out |= {(r, TOTAL): v for r, v in zip(rows, table["row_totals"], strict=True)}
    out |= {(TOTAL, c): v for c, v in zip(cols, table["col_totals"], strict=True)}
    return out


def _true_figures(counts: dict[str, Any]) -> dict[tuple[str, str], int]:
    """The same figures from the table before suppression (``name``, labels, ``counts``)."""
    rows, cols, cells = counts["row_labels"], counts["col_labels"], counts["counts"]
    out: dict[tuple[str, str], int] = {}
    for r, values in zip(rows, cells, strict=True):
        out |= {(r, c): v for c, v in zip(cols, values, strict=True)}
        out[(r, TOTAL)] = sum(values)
    for j, c in enumerate(cols):
        out[(TOTAL, c)] = sum(row[j] for row in cells)
    return out


def differences(
    new: dict[str, Any],
    new_counts: dict[str, Any],
    old: dict[str, Any],
    old_counts: dict[str, Any],
    threshold: int,
) -> list[Difference]:
    """Figures that moved by fewer than ``threshold`` people between two releases: each
    tells which cell the few people named, changed or removed in between fall in (and the
    public sees which handles came and went).

    ``new`` and ``old`` are the published tables (``as_json``), ``*_counts`` the same
    tables before suppression. A figure shown in either release is compared by its true
    counts: one shown as 10 and then hidden is still bounded by what else is shown, so a
    hidden 9 would give away a move of one. A figure hidden in both is not compared. The
    grand total is left out (the named counts are public on the agreements).
    """
    shown_new, shown_old = _figures(new), _figures(old)
    true_new, true_old = _true_figures(new_counts), _true_figures(old_counts)
    moved = []
    for key, after in true_new.items():
        before = true_old.get(key)
        if before is None or (shown_new.get(key) is None and shown_old.get(key) is None):
            continue  # a row or column one of them lacks, or hidden in both
        if 0 < abs(after - before) < threshold:
            moved.append(Difference(key[0], key[1], before, after))
    return moved
