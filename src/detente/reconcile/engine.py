"""The registry as the linkage engine sees it, for imports, the queue and duplicates.

The process-wide candidate index is ``detente.matching.registry.registry_index`` (kept
current by signals, the ledger and a size check; people an import creates in bulk are
picked up by the size check). This module adds what reconciliation needs on top: the
registry's records *without* people merged into another (a merged person is counted as
the survivor and must not be proposed as a match), read straight from the database for a
one-off import.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from detente.matching.records import Record
from detente.matching.registry import IDENTITY_COLUMNS, record_of_row
from detente.registry.models import Identity, Person


def registry_records(person_ids: Iterable[int] | None = None) -> Iterator[Record]:
    """Records of the people not merged into another (these ids only, when given)."""
    qs = Identity.objects.filter(person__merged_into__isnull=True).order_by("person_id")
    if person_ids is not None:
        qs = qs.filter(person_id__in=list(person_ids))
    for row in qs.values_list(*IDENTITY_COLUMNS).iterator(chunk_size=5000):
        yield record_of_row(row)


def merged_ids() -> set[int]:
    """People merged into another: left out of every proposal."""
    return set(Person.objects.filter(merged_into__isnull=False).values_list("pk", flat=True))
