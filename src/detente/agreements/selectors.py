"""Reads about agreements. Every selector takes the viewer and shows only what it may."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Count, Max, Min, QuerySet
from django.http import Http404

from detente.access.policy import Action, Viewer, can
from detente.access.sources import names_sources, source_name
from detente.access.visibility import LEGISLATURE, tier, visible_agreements, with_identity_flag
from detente.agreements.derivation import derive_members, policy_for
from detente.agreements.models import (
    Agreement,
    Classification,
    Membership,
    MemberState,
    Party,
)
from detente.agreements.progress import (
    CLAIMED_STATES,
    AggregateClaim,
    MemberRow,
    MemberSummary,
    Progress,
    StageEvent,
    compute,
)
from detente.audit import ledger
from detente.evidence.facts import latest_arrests, person_claim_facts
from detente.evidence.models import Claim, ClaimKind
from detente.evidence.verification import ClaimFact, derive, effective
from detente.registry.models import Person, open_identity
from detente.registry.status import Category, CustodyStatus


def agreement_list(viewer: Viewer) -> QuerySet[Agreement]:
    """The agreements shown to this viewer (staff: all; others: by the agreement's audience)."""
    return visible_agreements(viewer).select_related("promisor", "promisee")


def agreement_get(viewer: Viewer, slug: str) -> Agreement:
    """The agreement, or Http404 whether it is missing or hidden from the viewer."""
    try:
        return agreement_list(viewer).get(slug=slug)
    except Agreement.DoesNotExist:
        raise Http404("no such agreement") from None


def party_list(viewer: Viewer) -> QuerySet[Party]:
    """The parties this viewer may read (staff; nobody else), by slug, archived ones too."""
    if not can(viewer, Action.READ):
        return Party.objects.none()
    return Party.objects.order_by("slug")


def party_get(viewer: Viewer, slug: str) -> Party:
    """The party, or Http404 whether it is missing or hidden from the viewer."""
    found = party_list(viewer).filter(slug=slug).first()
    if found is None:
        raise Http404("no such party")
    return found


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)


_AggregateRow = tuple[
    int, int | None, dt.date | None, dt.datetime, int, str, bool, str, str, int | None, str, Any
]


def _aggregate_rows(agreement: Agreement, moment: dt.datetime | None) -> list[_AggregateRow]:
    qs = Claim.objects.filter(agreement=agreement).filter(
        kind__in=(ClaimKind.AGGREGATE, ClaimKind.LIFECYCLE, ClaimKind.RETRACTION),
        person__isnull=True,
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
            "lifecycle",
            "breakdown",
        )
    )


def _aggregates_from(
    agreement: Agreement, rows: list[_AggregateRow], sees_protected: bool
) -> tuple[list[AggregateClaim], list[StageEvent]]:
    """The live counts and stages claimed for the agreement as a whole (retracted and
    superseded ones left out)."""
    facts = [
        ClaimFact(
            cid, "" if count is None and not stage else "whole", ev, rec, sid, grp, grade, corr
        )
        for cid, count, ev, rec, sid, _name, _protected, grp, grade, corr, stage, _parts in rows
    ]
    live = {f.id for f in effective(facts)[0]}
    releasing = agreement.promisor.independence_group
    aggregates, stages = [], []
    for cid, count, ev, rec, _sid, name, protected, grp, _grade, _corr, stage, parts in rows:
        if cid not in live or ev is None:
            continue
        source = source_name(name, protected, named=sees_protected)
        if count is not None:
            aggregates.append(
                AggregateClaim(cid, source, grp == releasing, count, ev, rec, dict(parts or {}))
            )
        elif stage:
            stages.append(StageEvent(cid, source, grp == releasing, stage, ev, rec))
    return aggregates, stages


def _aggregate_claims(
    agreement: Agreement, moment: dt.datetime | None, sees_protected: bool
) -> tuple[list[AggregateClaim], list[StageEvent]]:
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
    rows: list[MemberRow] | MemberSummary
    if moment is None:
        rows = _summary_now(agreement)
    else:
        assert as_of is not None  # noqa: S101 - narrowed for the type checker
        named = Membership.objects.filter(agreement=agreement, named_on__lte=as_of)
        excluded = _excluded_by(named, as_of)
        derived = derive_members(agreement, list(named.values_list("person_id", flat=True)), moment)
        rows = [
            MemberRow(
                d.state,
                d.release_category,
                d.reported_at,
                d.confirmed_at,
                d.first_reported_at,
                d.first_confirmed_at,
                d.status,
                pid in excluded,
            )
            for pid, d in derived.items()
        ]
    aggregates, stages = _aggregate_claims(agreement, moment, can(viewer, Action.MANAGE))
    return compute(
        agreement=agreement.slug,
        promised=agreement.promised_count,
        announced_on=agreement.announced_on,
        members=rows,
        aggregates=aggregates,
        stages=stages,
        as_of=as_of,
        promised_approximate=agreement.promised_approximate,
    )


def _excluded_by(members: QuerySet[Membership], day: dt.date) -> set[int]:
    """The people classified not political prisoners on or before ``day``."""
    return set(
        members.filter(classification=Classification.OTHER, classified_on__lte=day).values_list(
            "person_id", flat=True
        )
    )


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


def _summary_now(agreement: Agreement) -> MemberSummary:
    """The members' cached states summed up by the database: a handful of aggregate queries
    instead of reading every member (the same figures as ``summarise`` over the rows;
    tests hold the two equal)."""
    every = Membership.objects.filter(agreement=agreement)
    members = every.exclude(classification=Classification.OTHER)
    excluded = dict(
        every.filter(classification=Classification.OTHER)
        .values("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    states: dict[str, int] = {}
    conditional = 0
    house_arrest = exile = 0
    for state, category, status, n in (
        members.values("state", "release_category", "status")
        .annotate(n=Count("id"))
        .values_list("state", "release_category", "status", "n")
    ):
        states[state] = states.get(state, 0) + n
        if state == MemberState.CONFIRMED and category == Category.CONDITIONAL:
            conditional += n
        if state == MemberState.HELD and status == CustodyStatus.HOUSE_ARREST:
            house_arrest += n
        if state == MemberState.CONFIRMED and status == CustodyStatus.EXILED:
            exile += n
    dates = members.aggregate(
        first_reported=Min("first_reported_at"),
        first_confirmed=Min("first_confirmed_at"),
        last_reported=Max("first_reported_at"),
        last_confirmed=Max("first_confirmed_at"),
        ever_reported=Count("first_reported_at"),
        ever_confirmed=Count("first_confirmed_at"),
    )
    nth = None
    promised = (agreement.promised_count or 0) - sum(excluded.values())
    if promised > 0 and dates["ever_confirmed"] >= promised:
        nth = (
            members.filter(first_confirmed_at__isnull=False)
            .order_by("first_confirmed_at")
            .values_list("first_confirmed_at", flat=True)[promised - 1 : promised]
            .first()
        )
    return MemberSummary(
        named=sum(states.values()) + sum(excluded.values()),
        states=states,
        confirmed_conditional=conditional,
        held_house_arrest=house_arrest,
        confirmed_exile=exile,
        first_reported=_day(dates["first_reported"]),
        first_confirmed=_day(dates["first_confirmed"]),
        ever_reported=dates["ever_reported"],
        ever_confirmed=dates["ever_confirmed"],
        last_reported=_day(dates["last_reported"]),
        last_confirmed=_day(dates["last_confirmed"]),
        nth_confirmed=_day(nth),
        excluded=sum(excluded.values()),
        excluded_claimed=sum(n for state, n in excluded.items() if state in CLAIMED_STATES),
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
        Membership.objects.filter(agreement=agreement).values_list(
            "person_id", "named_on", "classification", "classified_on"
        )
    )
    ids = [pid for pid, *_rest in named]
    facts = person_claim_facts(ids)
    arrests = latest_arrests(ids)
    policy = policy_for(agreement)
    moments = [end_of_day(day) for day in days]
    members: list[list[MemberRow]] = [[] for _ in days]
    for pid, named_on, classification, classified_on in named:
        claims = sorted(facts.get(pid, ()), key=lambda c: c.received_at)
        times = [c.received_at for c in claims]
        seen: dict[int, MemberRow] = {}
        for i, (day, moment) in enumerate(zip(days, moments, strict=True)):
            if named_on > day:
                continue
            known = bisect.bisect_right(times, moment)  # claims received by then: a prefix
            apart = (
                classification == Classification.OTHER
                and classified_on is not None
                and classified_on <= day
            )
            row = seen.get(known)
            if row is not None and row.excluded != apart:
                row = replace(row, excluded=apart)
                seen[known] = row
            if row is None:
                d = derive(claims[:known], policy, arrests.get(pid))[0]
                row = seen[known] = MemberRow(
                    d.state,
                    d.release_category,
                    d.reported_at,
                    d.confirmed_at,
                    d.first_reported_at,
                    d.first_confirmed_at,
                    d.status,
                    apart,
                )
            members[i].append(row)
    aggregate_rows = _aggregate_rows(agreement, None)
    sees_protected = names_sources(viewer)
    out = []
    for i, (day, moment) in enumerate(zip(days, moments, strict=True)):
        aggregates, stages = _aggregates_from(
            agreement, [r for r in aggregate_rows if r[3] <= moment], sees_protected
        )
        out.append(
            compute(
                agreement=agreement.slug,
                promised=agreement.promised_count,
                announced_on=agreement.announced_on,
                members=members[i],
                aggregates=aggregates,
                stages=stages,
                as_of=day,
                promised_approximate=agreement.promised_approximate,
            )
        )
    return out


def _release_day(
    released_on: dt.date | None, reported_at: dt.datetime | None, today: dt.date
) -> dt.date | None:
    """The day a member's release counts from on the chart by the day it happened: its
    event date, else the day it was first reported; never after today (a date in the
    future is an error in the record, and today's figure counts it)."""
    day = released_on or _day(reported_at)
    return min(day, today) if day is not None else None


def agreement_timeline_known_now(
    viewer: Viewer, agreement: Agreement, days: Sequence[dt.date], today: dt.date
) -> list[Progress]:
    """Progress at the end of each of ``days`` by the day each release happened, as the
    record stands now.

    Every member keeps the state derived from every claim known today; one claimed
    released (reported, confirmed or disputed) counts from the day of their release
    (``Membership.released_on``) and is held before it. The releasing party's figures for
    the whole agreement count from their event dates. The figures go through the same
    ``compute`` as the headline, so on any day from ``today`` on they are the headline's
    (tests hold the two equal). ``agreement_timeline`` is the other reading: what had
    reached us by each day.
    """
    if not agreement_list(viewer).filter(pk=agreement.pk).exists():
        raise Http404("no such agreement")
    members: list[tuple[MemberRow, dt.date | None]] = []
    for (
        state,
        category,
        reported_at,
        confirmed_at,
        first_reported_at,
        first_confirmed_at,
        status,
        classification,
        released_on,
    ) in Membership.objects.filter(agreement=agreement).values_list(
        "state",
        "release_category",
        "reported_at",
        "confirmed_at",
        "first_reported_at",
        "first_confirmed_at",
        "status",
        "classification",
        "released_on",
    ):
        row = MemberRow(
            state,
            category,
            reported_at,
            confirmed_at,
            first_reported_at,
            first_confirmed_at,
            status,
            classification == Classification.OTHER,
        )
        claimed = state in CLAIMED_STATES
        when = _release_day(released_on, first_reported_at or reported_at, today)
        members.append((row, when if claimed else None))
    aggregates, stages = _aggregate_claims(agreement, None, can(viewer, Action.MANAGE))
    out = []
    for day in days:
        rows = [
            row
            if when is None or when <= day
            else MemberRow(MemberState.HELD, "", None, None, excluded=row.excluded)
            for row, when in members
        ]
        out.append(
            compute(
                agreement=agreement.slug,
                promised=agreement.promised_count,
                announced_on=agreement.announced_on,
                members=rows,
                aggregates=[a for a in aggregates if min(a.event_date, today) <= day],
                stages=[s for s in stages if min(s.event_date, today) <= day],
                as_of=day,
                promised_approximate=agreement.promised_approximate,
            )
        )
    return out


@dataclass(frozen=True)
class MemberView:
    handle: str
    state: str
    release_category: str
    status: str
    released_on: dt.date | None
    name: str | None  # None unless the viewer may see this identity
    # "other": classified not a political prisoner, left out of the promise's figures.
    classification: str = Classification.POLITICAL
    # The viewer sees the name but the public does not (the legislature's view).
    not_public: bool = False
    # "F"/"M" where the name is shown, so a status can agree with her in Spanish; empty
    # otherwise (the form of a word would tell the sex of someone not named).
    sex: str = ""


def agreement_members(
    viewer: Viewer, agreement: Agreement, *, state: str = "", action: str = "agreement.members"
) -> list[MemberView]:
    """The named members as this viewer may see them, by handle; a seen identity is recorded
    (under ``action``: an export says so)."""
    agreement = agreement_get(viewer, agreement.slug)
    rows = _member_rows(viewer, agreement, after="", limit=None, state=state)
    _record_members(viewer, agreement, rows, action)
    return rows


def agreement_members_page(
    viewer: Viewer, agreement: Agreement, *, after: str = "", limit: int = 100, state: str = ""
) -> tuple[list[MemberView], str]:
    """One page of members, by handle after ``after``, and the handle to ask the next page
    from ("" at the end). Only the identities on the page are recorded as seen."""
    agreement = agreement_get(viewer, agreement.slug)
    rows = _member_rows(viewer, agreement, after=after, limit=limit + 1, state=state)
    more = len(rows) > limit
    rows = rows[:limit]
    _record_members(viewer, agreement, rows)
    return rows, (rows[-1].handle if more and rows else "")


def _record_members(
    viewer: Viewer, agreement: Agreement, rows: list[MemberView], action: str = "agreement.members"
) -> None:
    ledger.record_access(
        viewer,
        action,
        [r.handle for r in rows if r.name is not None],
        {"agreement": agreement.slug},
    )


def agreement_member(viewer: Viewer, agreement: Agreement, handle: str) -> MemberView:
    """One named member as this viewer may see them (Http404 if not named or hidden)."""
    agreement = agreement_get(viewer, agreement.slug)
    rows = _member_rows(viewer, agreement, after="", limit=1, state="", handle=handle)
    if not rows:
        raise Http404("no such member")
    _record_members(viewer, agreement, rows)
    return rows[0]


def _member_rows(
    viewer: Viewer,
    agreement: Agreement,
    *,
    after: str,
    limit: int | None,
    state: str,
    handle: str = "",
) -> list[MemberView]:
    people = Person.objects.filter(memberships__agreement=agreement)
    if handle:
        people = people.filter(handle=handle)
    if state:
        people = people.filter(memberships__state=state)
    if after:
        people = people.filter(handle__gt=after)
    people = with_identity_flag(people, viewer).order_by("handle")
    columns: tuple[str, ...] = (
        "pk",
        "handle",
        "identity_visible",  # annotated by with_identity_flag
        "identity__sealed",
        "identity__sex",
    )
    legislature = tier(viewer) == LEGISLATURE
    if legislature:
        columns = (*columns, "identity_public")  # annotated for the legislature only
    found = list(people.values_list(*columns)[:limit] if limit else people.values_list(*columns))
    states = {
        m.person_id: m
        for m in Membership.objects.filter(agreement=agreement, person_id__in=[r[0] for r in found])
    }
    rows = []
    for pk, handle, visible, sealed, sex, *public in found:
        m = states[pk]
        name = None
        if visible and sealed:  # opened only when the viewer may see it
            names = open_identity(pk, sealed)
            parts = (names["given_names"], names["paternal_surname"], names["maternal_surname"])
            name = " ".join(x for x in parts if x)
        rows.append(
            MemberView(
                handle,
                m.state,
                m.release_category,
                m.status,
                m.released_on,
                name,
                m.classification,
                not_public=bool(legislature and name is not None and not public[0]),
                sex=(sex or "") if name is not None else "",
            )
        )
    return rows


__all__ = [
    "agreement_get",
    "agreement_list",
    "agreement_member",
    "agreement_members",
    "agreement_members_page",
    "agreement_progress",
    "agreement_timeline",
    "agreement_timeline_known_now",
]


def agreement_exchange(viewer: Viewer, agreement: Agreement) -> list[tuple[Agreement, Progress]]:
    """The other legs of the exchange this agreement is part of, as this viewer may see
    them (a leg the viewer may not see is left out, as if it were not there)."""
    legs = agreement_list(viewer).filter(exchange_legs=agreement).order_by("announced_on", "slug")
    return [(leg, agreement_progress(viewer, leg)) for leg in legs]
