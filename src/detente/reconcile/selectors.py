"""Reads for reconciliation: likely duplicate people in the registry."""

from __future__ import annotations

from dataclasses import dataclass

from detente.access.policy import Action, Viewer, require
from detente.audit import ledger
from detente.matching.linkage import duplicates
from detente.matching.registry import registry_index
from detente.reconcile.engine import merged_ids
from detente.registry.selectors import person_list


@dataclass(frozen=True)
class DuplicatePair:
    left: str  # handle
    right: str
    left_name: str
    right_name: str
    probability: float
    match_weight: float


def duplicate_pairs(viewer: Viewer, *, above: float = 0.5, limit: int = 100) -> list[DuplicatePair]:
    """Pairs of registry people who are likely one person, likeliest first.

    Staff only (it compares confidential identities). People already merged into another
    are left out. The identities shown are recorded in the ledger as seen.
    """
    require(viewer, Action.READ)
    merged = merged_ids()
    links = [
        link
        for link in duplicates(registry_index(), threshold=above)
        if link.left not in merged and link.right not in merged
    ][:limit]
    ids = {int(k) for link in links for k in (link.left, link.right)}  # type: ignore[call-overload]
    people = {p.pk: p for p in person_list(viewer).filter(pk__in=ids)}
    out = []
    for link in links:
        a, b = people.get(int(link.left)), people.get(int(link.right))  # type: ignore[call-overload]
        if a is None or b is None:
            continue
        out.append(
            DuplicatePair(
                a.handle,
                b.handle,
                a.identity.full_name,
                b.identity.full_name,
                link.probability,
                link.match_weight,
            )
        )
    ledger.record_access(viewer, "person.duplicates", [h for p in out for h in (p.left, p.right)])
    return out
