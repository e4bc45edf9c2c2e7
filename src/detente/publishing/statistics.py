"""The public statistics: fixed tables about the people on public agreements.

The population is everyone named on an agreement shown to the public, counted once. Its
size, and each member's state (by handle), are already public through the agreement's
progress and member list, so:

- no table crosses the state with anything: together with the public member list, a
  zero in "died x Granma" would tell which province a handle comes from;
- the published table (people by province and year of arrest) is checked with its grand
  total taken as known, and withheld whole if any hidden count could then be worked out;
- province labels come from a fixed list: the first-level divisions of the registry's
  country (``DETENTE_COUNTRY``, ISO 3166-2 through ``pycountry``; a province written
  loosely, "Stgo. de Cuba", is read as its division), or ``DETENTE_PROVINCES`` when set.
  Anything else is counted as "other or not recorded", so free text typed into a record
  is never published.

There is no way to ask for another cut, so no one can difference two free queries.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pycountry
from django.conf import settings
from django.db.models import Max

from detente.access.policy import Viewer
from detente.agreements.models import Membership
from detente.matching.places import province_key
from detente.publishing.suppression import (
    PublishedTable,
    Table,
    narrowed_cells,
    recoverable_cells,
    suppress_together,
)
from detente.registry.models import CustodyEpisode

OTHER_PROVINCE = "other or not recorded"
NO_YEAR = "year unknown"


@dataclass(frozen=True)
class PublicStatistics:
    population: str
    people: int
    tables: list[PublishedTable]
    withheld: list[str]  # tables withheld whole, by name

    def as_json(self) -> dict[str, object]:
        return {
            "population": self.population,
            "people": self.people,
            "tables": [t.as_json() for t in self.tables],
            "withheld": self.withheld,
        }


def threshold() -> int:
    return int(getattr(settings, "DETENTE_SUPPRESSION_THRESHOLD", 5))


def _divisions() -> list[tuple[str, str]]:
    """(code, name) of the rows: the country's first-level divisions, by code."""
    explicit = getattr(settings, "DETENTE_PROVINCES", None)
    if explicit:
        return [(name, name) for name in explicit]
    country = str(getattr(settings, "DETENTE_COUNTRY", "CU")).upper()
    found = pycountry.subdivisions.get(country_code=country) or []
    return sorted((s.code.lower(), s.name) for s in found if s.parent_code is None)


def provinces() -> tuple[str, ...]:
    return tuple(name for _code, name in _divisions())


def _province_of(text: str | None, by_code: dict[str, str], names: set[str]) -> str:
    if not text:
        return OTHER_PROVINCE
    if text in names:
        return text
    key = province_key(text, str(getattr(settings, "DETENTE_COUNTRY", "CU")).upper())
    return by_code.get(key, OTHER_PROVINCE)  # old, divided provinces are not guessed


def _population() -> list[tuple[str, str]]:
    """(province, arrest year) for each person on a public agreement."""
    divisions = _divisions()
    by_code = dict(divisions)
    names = {name for _code, name in divisions}
    rows = dict(
        Membership.objects.filter(agreement__audience="public").values_list(
            "person_id", "person__identity__province"
        )
    )
    arrests = dict(
        CustodyEpisode.objects.filter(person_id__in=list(rows))
        .values("person_id")
        .annotate(last=Max("start_date"))
        .values_list("person_id", "last")
    )
    return [
        (
            _province_of(province, by_code, names),
            str(arrests[pid].year) if pid in arrests else NO_YEAR,
        )
        for pid, province in rows.items()
    ]


def province_by_year(people: list[tuple[str, str]]) -> Table:
    rows = [*provinces(), OTHER_PROVINCE]
    years = sorted({y for _, y in people}) or [NO_YEAR]
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


def public_statistics(viewer: Viewer) -> PublicStatistics:
    """The same fixed, suppressed tables for every viewer: there is nothing to restrict."""
    del viewer  # taken for uniformity with every other selector
    people = _population()
    original = province_by_year(people)
    (published,) = suppress_together([original], threshold())
    # The total is public elsewhere (the agreements' named counts): audit with it known.
    known_total = replace(published, total=len(people))
    withheld = []
    if recoverable_cells([known_total], [original]) or narrowed_cells([known_total], [original]):
        known_total = _withheld(known_total)
        withheld.append(original.name)
    return PublicStatistics(
        population="people named on agreements shown to the public, counted once each",
        people=len(people),
        tables=[known_total],
        withheld=withheld,
    )
