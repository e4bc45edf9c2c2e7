"""Loading claims as the verification rules see them, in as few queries as possible."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db.models import Max

from detente.core.dates import DatePrecision, PreciseDate
from detente.evidence.models import Claim, ClaimKind
from detente.evidence.verification import ClaimFact
from detente.registry.models import CustodyEpisode, absorbed

_AT_ONCE = 100  # people whose claims are read in one go rather than streamed

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
    "event_precision",
    "agreement_id",
    "event_time",
)


def person_claim_facts(
    person_ids: Iterable[int] | None = None, *, folded: Mapping[int, int] | None = None
) -> dict[int, list[ClaimFact]]:
    """Status claims and retractions, grouped by person (all persons when ``None``).

    Retractions carry no person of their own in some imports, so they are attached to the
    person of the claim they correct. Claims stay on the person they were made about (they
    are immutable), so the claims of a person merged into another are counted for the
    survivor here (``registry.models.absorbed``). ``folded``: that map for ``person_ids``,
    when the caller has already read it.
    """
    qs = Claim.objects.filter(kind__in=(ClaimKind.STATUS, ClaimKind.RETRACTION))
    if person_ids is not None:
        ids = list(person_ids)
        folded = absorbed(ids) if folded is None else folded
        qs = qs.filter(person_id__in=[*ids, *folded])
    else:
        folded = absorbed()
    out: dict[int, list[ClaimFact]] = defaultdict(list)
    values = qs.values_list(*_COLUMNS)
    # Streamed in chunks for many people; a few people's claims are read at once (on
    # PostgreSQL the chunked read is a server-side cursor: three more round trips).
    rows = (
        values
        if person_ids is not None and len(ids) <= _AT_ONCE
        else values.iterator(chunk_size=5000)
    )
    for cid, pid, status, event, received, sid, group, grade, corrects, precision, aid, t in rows:
        end = None
        if event is not None and precision != DatePrecision.DAY:
            end = PreciseDate.of(event, precision).end
        fact = ClaimFact(cid, status, event, received, sid, group, grade, corrects, end, aid, t)
        out[folded.get(pid, pid)].append(fact)
    return out


def latest_arrests(
    person_ids: Iterable[int] | None = None, *, folded: Mapping[int, int] | None = None
) -> dict[int, dt.date]:
    """The start of each person's latest recorded custody episode (their latest arrest),
    a merged person's episodes counted for the survivor (``folded``: as for
    ``person_claim_facts``)."""
    qs = CustodyEpisode.objects.all()
    if person_ids is not None:
        ids = list(person_ids)
        folded = absorbed(ids) if folded is None else folded
        qs = qs.filter(person_id__in=[*ids, *folded])
    else:
        folded = absorbed()
    out: dict[int, dt.date] = {}
    rows = qs.values("person_id").annotate(last=Max("start_date")).values_list("person_id", "last")
    for pid, last in rows:
        key = folded.get(pid, pid)
        if key not in out or last > out[key]:
            out[key] = last
    return out
