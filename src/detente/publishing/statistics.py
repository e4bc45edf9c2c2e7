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

There is no way to ask for another cut, so no one can difference two free queries.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.conf import settings
from django.db.models import Max

from detente.access.policy import Viewer
from detente.agreements.models import Membership
from detente.core.places import default_country, division_from_text, divisions
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


def _population() -> list[tuple[str, str]]:
    """(province, arrest year) for each person on a public agreement."""
    rows_of = _divisions()
    by_code = dict(rows_of)
    names = {name for _code, name in rows_of}
    public = Membership.objects.filter(agreement__audience="public")
    rows = {
        pid: (country, division, text)
        for pid, country, division, text in public.values_list(
            "person_id",
            "person__identity__country",
            "person__identity__division",
            "person__identity__province",
        )
    }
    arrests = dict(
        CustodyEpisode.objects.filter(person_id__in=list(rows))
        .values("person_id")
        .annotate(last=Max("start_date"))
        .values_list("person_id", "last")
    )
    return [
        (
            _row_of(place[0], place[1], place[2], by_code, names),
            str(arrests[pid].year) if pid in arrests else NO_YEAR,
        )
        for pid, place in rows.items()
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
