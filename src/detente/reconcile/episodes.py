"""What an imported row adds besides its claim: the arrest it gives, and the day it counts.

Shared by the import (rows it decides alone) and the review queue (rows a person decides),
so a row means the same whoever decides it.
"""

from __future__ import annotations

import datetime as dt

from detente.reconcile.rows import ParsedRow
from detente.registry.models import CustodyEpisode
from detente.registry.status import CustodyStatus

__all__ = ["arrest_episodes", "received_on"]


def received_on(day: dt.date | None) -> dt.datetime | None:
    """When a claim of a list reported on ``day`` counts as received: that day (at noon
    UTC; the day is what is known), or None for the import's own time."""
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC) if day is not None else None


# Statuses a custody episode may start with; any other row's arrest starts a detention.
_EPISODE_STATUSES = frozenset(
    {
        CustodyStatus.DETAINED,
        CustodyStatus.AWAITING_TRIAL,
        CustodyStatus.SENTENCED,
        CustodyStatus.HOUSE_ARREST,
    }
)


def arrest_episodes(rows: list[tuple[int, ParsedRow]]) -> int:
    """Custody episodes for the arrests these rows give, (person id, row) pairs: one per
    person and arrest date, with the place of detention; an arrest the person already has
    an episode for (same start date) adds nothing. Returns how many were made."""
    wanted: dict[tuple[int, dt.date], ParsedRow] = {}
    for pid, row in rows:
        if row.arrest_date is not None:
            wanted.setdefault((pid, row.arrest_date), row)
    if not wanted:
        return 0
    have = set(
        CustodyEpisode.objects.filter(person_id__in={pid for pid, _day in wanted}).values_list(
            "person_id", "start_date"
        )
    )
    made = [
        CustodyEpisode(
            person_id=pid,
            status=row.status if row.status in _EPISODE_STATUSES else CustodyStatus.DETAINED,
            start_date=day,
            start_precision=row.arrest_precision,
            place=row.place_of_detention,
        )
        for (pid, day), row in sorted(wanted.items(), key=lambda item: item[0])
        if (pid, day) not in have
    ]
    CustodyEpisode.objects.bulk_create(made)
    return len(made)
