"""Reads about agreements. Every selector takes the viewer and shows only what it may."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from detente.access.policy import Action, Viewer, can
from detente.access.visibility import visible_agreements, with_identity_flag
from detente.agreements.derivation import derive_members, policy_for
from detente.agreements.models import Agreement, Membership
from detente.agreements.progress import AggregateClaim, MemberRow, Progress, compute
from detente.audit import ledger
from detente.evidence.facts import latest_arrests, person_claim_facts
from detente.evidence.models import Claim, ClaimKind
from detente.evidence.verification import ClaimFact, derive, effective
from detente.registry.models import Person


def agreement_list(viewer: Viewer) -> QuerySet[Agreement]:
    """The agreements shown to this viewer (staff: all; others: by the agreement's audience)."""
    return visible_agreements(viewer).select_related("promisor", "promisee")


def agreement_get(viewer: Viewer, slug: str) -> Agreement:
    """The agreement, or Http404 whether it is missing or hidden from the viewer."""
    try:
        return agreement_list(viewer).get(slug=slug)
    except Agreement.DoesNotExist:
        raise Http404("no such agreement") from None


# What everyone but verifiers and administrators sees in place of a protected source.
PROTECTED_SOURCE = "protected source"


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)


_AggregateRow = tuple[
    int, int | None, dt.date | None, dt.datetime, int, str, bool, str, str, int | None
]


def _aggregate_rows(agreement: Agreement, moment: dt.datetime | None) -> list[_AggregateRow]:
    qs = Claim.objects.filter(agreement=agreement).filter(
        kind__in=(ClaimKind.AGGREGATE, ClaimKind.RETRACTION), person__isnull=True
    )
    if moment is not None:
        qs = qs.filter(received_at__lte=moment)
    return list(
        qs.values_list(
            "id",
            "released_count",
            "event_date",
            "received_at",
            "source_id",
            "source__name",
            "source__protected",
            "source__independence_group",
            "source__reliability",
            "corrects_id",
        )
    )


def _aggregates_from(
    agreement: Agreement, rows: list[_AggregateRow], sees_protected: bool
) -> list[AggregateClaim]:
    facts = [
        ClaimFact(cid, "" if count is None else "aggregate", ev, rec, sid, grp, grade, corr)
        for cid, count, ev, rec, sid, _name, _protected, grp, grade, corr in rows
    ]
    live = {f.id for f in effective(facts)[0]}
    releasing = agreement.promisor.independence_group
    return [
        AggregateClaim(
            cid,
            name if sees_protected or not protected else PROTECTED_SOURCE,
            grp == releasing,
            count,
            ev,
            rec,
        )
        for cid, count, ev, rec, _sid, name, protected, grp, _grade, _corr in rows
        if cid in live and count is not None and ev is not None
    ]


def _aggregate_claims(
    agreement: Agreement, moment: dt.datetime | None, sees_protected: bool
) -> list[AggregateClaim]:
    return _aggregates_from(agreement, _aggregate_rows(agreement, moment), sees_protected)


def agreement_progress(
    viewer: Viewer, agreement: Agreement, as_of: dt.date | None = None
) -> Progress:
    """Progress now (from the cached member states) or as it stood at the end of ``as_of``.

    The past is recomputed from the claims received by then, never read from the cache,
    so a chart over time shows what was known at each date.
    """
    if not agreement_list(viewer).filter(pk=agreement.pk).exists():
        raise Http404("no such agreement")
    moment = end_of_day(as_of) if as_of else None
    if moment is None:
        rows = [
            MemberRow(*r)
            for r in Membership.objects.filter(agreement=agreement).values_list(
                "state",
                "release_category",
                "reported_at",
                "confirmed_at",
                "first_reported_at",
                "first_confirmed_at",
            )
        ]
    else:
        assert as_of is not None  # noqa: S101 - narrowed for the type checker
        ids = list(
            Membership.objects.filter(agreement=agreement, named_on__lte=as_of).values_list(
                "person_id", flat=True
            )
        )
        derived = derive_members(agreement, ids, moment)
        rows = [
            MemberRow(
                d.state,
                d.release_category,
                d.reported_at,
                d.confirmed_at,
                d.first_reported_at,
                d.first_confirmed_at,
            )
            for d in derived.values()
        ]
    return compute(
        agreement=agreement.slug,
        promised=agreement.promised_count,
        announced_on=agreement.announced_on,
        members=rows,
        aggregates=_aggregate_claims(agreement, moment, can(viewer, Action.MANAGE)),
        as_of=as_of,
    )


def agreement_timeline(
    viewer: Viewer, agreement: Agreement, days: Sequence[dt.date]
) -> list[Progress]:
    """Progress as it stood at the end of each of ``days``, computed in one pass.

    The same as calling ``agreement_progress(viewer, agreement, as_of=day)`` for each day
    (tests hold the two equal), but the claims are read once and each member is derived
    only once per distinct set of claims known to it, so a chart of many dates costs about
    as much as one past date.
    """
    if not agreement_list(viewer).filter(pk=agreement.pk).exists():
        raise Http404("no such agreement")
    named = list(
        Membership.objects.filter(agreement=agreement).values_list("person_id", "named_on")
    )
    ids = [pid for pid, _ in named]
    facts = person_claim_facts(ids)
    arrests = latest_arrests(ids)
    policy = policy_for(agreement)
    moments = [end_of_day(day) for day in days]
    members: list[list[MemberRow]] = [[] for _ in days]
    for pid, named_on in named:
        claims = sorted(facts.get(pid, ()), key=lambda c: c.received_at)
        times = [c.received_at for c in claims]
        seen: dict[int, MemberRow] = {}
        for i, (day, moment) in enumerate(zip(days, moments, strict=True)):
            if named_on > day:
                continue
            known = bisect.bisect_right(times, moment)  # claims received by then: a prefix
            row = seen.get(known)
            if row is None:
                d = derive(claims[:known], policy, arrests.get(pid))[0]
                row = seen[known] = MemberRow(
                    d.state,
                    d.release_category,
                    d.reported_at,
                    d.confirmed_at,
                    d.first_reported_at,
                    d.first_confirmed_at,
                )
            members[i].append(row)
    aggregate_rows = _aggregate_rows(agreement, None)
    sees_protected = can(viewer, Action.MANAGE)
    return [
        compute(
            agreement=agreement.slug,
            promised=agreement.promised_count,
            announced_on=agreement.announced_on,
            members=members[i],
            aggregates=_aggregates_from(
                agreement, [r for r in aggregate_rows if r[3] <= moment], sees_protected
            ),
            as_of=day,
        )
        for i, (day, moment) in enumerate(zip(days, moments, strict=True))
    ]


@dataclass(frozen=True)
class MemberView:
    handle: str
    state: str
    release_category: str
    status: str
    released_on: dt.date | None
    name: str | None  # None unless the viewer may see this identity


def agreement_members(viewer: Viewer, agreement: Agreement) -> list[MemberView]:
    """The named members as this viewer may see them; a seen identity is recorded."""
    agreement = agreement_get(viewer, agreement.slug)
    people = with_identity_flag(Person.objects.filter(memberships__agreement=agreement), viewer)
    states = {m.person_id: m for m in Membership.objects.filter(agreement=agreement)}
    columns = (
        "pk",
        "handle",
        "identity_visible",  # annotated by with_identity_flag
        "identity__given_names",
        "identity__paternal_surname",
        "identity__maternal_surname",
    )
    rows = []
    for pk, handle, visible, given, paternal, maternal in people.order_by("handle").values_list(
        *columns
    ):
        m = states[pk]
        name = " ".join(x for x in (given, paternal, maternal) if x) if visible else None
        rows.append(MemberView(handle, m.state, m.release_category, m.status, m.released_on, name))
    ledger.record_access(
        viewer,
        "agreement.members",
        [r.handle for r in rows if r.name is not None],
        {"agreement": agreement.slug},
    )
    return rows


__all__ = [
    "agreement_get",
    "agreement_list",
    "agreement_members",
    "agreement_progress",
    "agreement_timeline",
]
