"""Loading claims as the verification rules see them, in as few queries as possible."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from detente.evidence.models import Claim, ClaimKind
from detente.evidence.verification import ClaimFact

_COLUMNS = (
    "id",
    "person_id",
    "status",
    "event_date",
    "received_at",
    "source_id",
    "source__independence_group",
    "source__reliability",
    "corrects_id",
)


def person_claim_facts(person_ids: Iterable[int] | None = None) -> dict[int, list[ClaimFact]]:
    """Status claims and retractions, grouped by person (all persons when ``None``).

    Retractions carry no person of their own in some imports, so they are attached to the
    person of the claim they correct.
    """
    qs = Claim.objects.filter(kind__in=(ClaimKind.STATUS, ClaimKind.RETRACTION))
    if person_ids is not None:
        ids = list(person_ids)
        qs = qs.filter(person_id__in=ids)
    out: dict[int, list[ClaimFact]] = defaultdict(list)
    for cid, pid, status, event, received, sid, group, grade, corrects in qs.values_list(
        *_COLUMNS
    ).iterator(chunk_size=5000):
        out[pid].append(ClaimFact(cid, status, event, received, sid, group, grade, corrects))
    return out
