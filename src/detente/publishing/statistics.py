"""The public statistics: fixed tables, suppressed jointly, about public agreements.

The population is everyone named on an agreement shown to the public; each person counts
once, in their state under the most recently announced of those agreements. The tables
are fixed (state by province, state by affiliation, state by year of arrest): there is no
way to ask for another cut, so no one can difference two free queries.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max

from detente.access.policy import Viewer
from detente.agreements.models import Membership, MemberState
from detente.publishing.suppression import PublishedTable, Table, suppress_together
from detente.registry.models import CustodyEpisode

# One placeholder per dimension: tables whose column labels coincide are taken to share a
# variable by the suppression, so "not recorded" must not look alike across dimensions.
NO_PROVINCE, NO_AFFILIATION, NO_YEAR = "province not recorded", "no affiliation", "year unknown"


@dataclass(frozen=True)
class PublicStatistics:
    population: str
    tables: list[PublishedTable]

    def as_json(self) -> dict[str, object]:
        return {"population": self.population, "tables": [t.as_json() for t in self.tables]}


def threshold() -> int:
    return int(getattr(settings, "DETENTE_SUPPRESSION_THRESHOLD", 5))


def _population() -> list[tuple[str, str, str, str]]:
    """(state, province, affiliation, arrest year) per person on a public agreement."""
    latest: dict[int, tuple[str, object]] = {}
    rows = Membership.objects.filter(agreement__audience="public").values_list(
        "person_id",
        "state",
        "agreement__announced_on",
        "person__identity__province",
        "person__identity__affiliation",
    )
    info: dict[int, tuple[str, str]] = {}
    for pid, state, announced, province, affiliation in rows:
        if pid not in latest or announced > latest[pid][1]:  # type: ignore[operator]
            latest[pid] = (state, announced)
        info[pid] = (province or NO_PROVINCE, affiliation or NO_AFFILIATION)
    arrests = dict(
        CustodyEpisode.objects.filter(person_id__in=list(latest))
        .values("person_id")
        .annotate(last=Max("start_date"))
        .values_list("person_id", "last")
    )
    out = []
    for pid, (state, _) in latest.items():
        year = str(arrests[pid].year) if pid in arrests else NO_YEAR
        out.append((state, info[pid][0], info[pid][1], year))
    return out


def _table(name: str, rows: list[tuple[str, str]], states: list[str], empty: str) -> Table:
    counts = Counter(rows)
    columns = sorted({c for _, c in rows}) or [empty]
    return Table(
        name=name,
        row_labels=tuple(states),
        col_labels=tuple(columns),
        counts=tuple(tuple(counts[(s, c)] for c in columns) for s in states),
    )


def public_statistics(viewer: Viewer) -> PublicStatistics:
    """The same fixed, suppressed tables for every viewer: there is nothing to restrict."""
    del viewer  # taken for uniformity with every other selector
    people = _population()
    states = [s.value for s in MemberState]
    tables = [
        _table("state_by_province", [(s, p) for s, p, _, _ in people], states, NO_PROVINCE),
        _table("state_by_affiliation", [(s, a) for s, _, a, _ in people], states, NO_AFFILIATION),
        _table("state_by_arrest_year", [(s, y) for s, _, _, y in people], states, NO_YEAR),
    ]
    return PublicStatistics(
        population="people named on agreements shown to the public, counted once each",
        tables=suppress_together(tables, threshold()),
    )
