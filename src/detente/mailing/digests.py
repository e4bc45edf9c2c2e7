"""Digests: what became public about a list's agreements since its last digest.

Everything here is read through the public selectors as an anonymous visitor, so a
digest can only ever repeat what the public site already shows: a name appears once it
has been disclosed to the public, an agreement once it is shown to everyone. Each list
keeps a snapshot of that public view; the next digest is the difference.

The content stores handles, states and dates only. Names are looked up again, through
the same public selectors, when each message is written (see ``public_views``), so a
disclosure withdrawn between the digest and the sending keeps the name out of the mail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone

from detente.agreements.models import Agreement, MemberState
from detente.agreements.progress import Progress
from detente.agreements.selectors import (
    MemberView,
    agreement_get,
    agreement_members,
    agreement_progress,
)
from detente.audit import ledger
from detente.mailing.models import (
    Digest,
    Frequency,
    ListKind,
    MailingList,
    OutboxMessage,
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
)
from detente.mailing.selectors import public_agreements


@dataclass(frozen=True)
class PublicView:
    """One agreement exactly as an anonymous visitor sees it now."""

    slug: str
    title: str
    progress: Progress
    members: list[MemberView]
    title_es: str = ""

    @property
    def names(self) -> dict[str, str]:
        return {m.handle: m.name for m in self.members if m.name}


def public_view(slug: str) -> PublicView | None:
    viewer = AnonymousUser()
    try:
        agreement = agreement_get(viewer, slug)
    except Http404:
        return None
    return PublicView(
        agreement.slug,
        agreement.title,
        agreement_progress(viewer, agreement),
        agreement_members(viewer, agreement),
        agreement.title_es,
    )


def list_agreements(ml: MailingList) -> list[Agreement]:
    shown = public_agreements()
    if ml.kind == ListKind.AGREEMENT:
        shown = shown.filter(pk=ml.agreement_id or 0)
    elif ml.kind == ListKind.COUNTRY:
        shown = shown.filter(promisor_id=ml.party_id or 0)
    return list(shown.order_by("announced_on", "slug"))


def public_views(ml: MailingList) -> list[PublicView]:
    views = [public_view(a.slug) for a in list_agreements(ml)]
    return [v for v in views if v is not None]


def snapshot(views: list[PublicView]) -> dict[str, Any]:
    return {
        v.slug: {
            "members": {m.handle: m.state for m in v.members},
            "named": sorted(v.names),
            "milestones": {
                m.key: m.date.isoformat() for m in v.progress.milestones if m.date is not None
            },
            "stages": [e.claim_id for e in v.progress.stages],
        }
        for v in views
    }


def changes(before: dict[str, Any], views: list[PublicView]) -> list[dict[str, Any]]:
    """The public news between an old snapshot and the present, agreement by agreement."""
    sections = []
    for v in views:
        old = before.get(v.slug)
        events: list[dict[str, Any]] = []
        if old is None:
            events.append({"kind": "agreement"})
        else:
            old_states = old.get("members", {})
            old_named = set(old.get("named", []))
            old_milestones = old.get("milestones", {})
            for m in v.members:
                if m.state == MemberState.CONFIRMED and old_states.get(m.handle) != m.state:
                    events.append(
                        {"kind": "confirmed", "handle": m.handle, "category": m.release_category}
                    )
            for handle in sorted(set(v.names) - old_named):
                events.append({"kind": "named", "handle": handle})
            for ms in v.progress.milestones:
                if ms.date is not None and old_milestones.get(ms.key) != ms.date.isoformat():
                    events.append({"kind": "milestone", "key": ms.key, "date": ms.date.isoformat()})
            # A stage claimed since (suspended, resumed, declared complete…); snapshots taken
            # before stages existed have none, so every stage then counts as new once.
            old_stages = set(old.get("stages", []))
            for e in v.progress.stages:
                if e.claim_id not in old_stages:
                    events.append(
                        {"kind": "stage", "stage": e.stage, "date": e.event_date.isoformat()}
                    )
        if events:
            sections.append({"agreement": v.slug, "events": events})
    return sections


def take_baseline(ml: MailingList, now: dt.datetime | None = None) -> None:
    ml.snapshot = snapshot(public_views(ml))
    ml.snapshot_at = now or timezone.now()
    ml.save(update_fields=["snapshot", "snapshot_at"])


def is_due(ml: MailingList, now: dt.datetime) -> bool:
    """Whether a list's next digest may be built now: an archived list never; "as it
    happens" always; daily once per calendar day, weekly once per ISO week (UTC, from
    the list's previous digest)."""
    if not ml.active:
        return False
    if ml.frequency == Frequency.IMMEDIATE or ml.snapshot_at is None:
        return True
    last = ml.snapshot_at.astimezone(dt.UTC)
    now = now.astimezone(dt.UTC)
    if ml.frequency == Frequency.WEEKLY:
        return last.isocalendar()[:2] < now.isocalendar()[:2]
    return last.date() < now.date()


@dataclass(frozen=True)
class Built:
    mailing_list: MailingList
    digest: Digest | None
    recipients: int


def build(
    ml: MailingList,
    now: dt.datetime | None = None,
    *,
    only_if_due: bool = False,
    actor: Any = None,
) -> Built:
    """Diff the list's public view against its snapshot; queue one message per confirmed,
    active subscriber (at most one per digest and subscriber, by constraint).

    ``only_if_due`` checks the schedule again under the list's row lock, so two workers
    that both saw the list due build its digest once (the second finds it no longer due).
    ``actor`` is whoever asked ("send now"); the schedule itself acts as no one.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ml = MailingList.objects.select_for_update().get(pk=ml.pk)
        if only_if_due and not is_due(ml, now):
            return Built(ml, None, 0)
        views = public_views(ml)
        if ml.snapshot_at is None:
            take_baseline(ml, now)
            return Built(ml, None, 0)
        sections = changes(ml.snapshot, views)
        period_start = ml.snapshot_at
        ml.snapshot = snapshot(views)
        ml.snapshot_at = now
        ml.save(update_fields=["snapshot", "snapshot_at"])
        if not sections:
            return Built(ml, None, 0)
        digest = Digest.objects.create(
            mailing_list=ml,
            period_start=period_start,
            period_end=now,
            content={"sections": sections},
        )
        subscriber_ids = Subscription.objects.filter(
            mailing_list=ml,
            status=SubscriptionStatus.CONFIRMED,
            subscriber__status=SubscriberStatus.ACTIVE,
        ).values_list("subscriber_id", flat=True)
        count = 0
        batch: list[OutboxMessage] = []
        for sid in subscriber_ids.iterator(chunk_size=5000):
            batch.append(OutboxMessage(digest=digest, subscriber_id=sid))
            if len(batch) == 5000:
                OutboxMessage.objects.bulk_create(batch, ignore_conflicts=True)
                count += len(batch)
                batch = []
        if batch:
            OutboxMessage.objects.bulk_create(batch, ignore_conflicts=True)
            count += len(batch)
        digest.recipients = count
        digest.save(update_fields=["recipients"])
        if count >= 10_000 and connection.vendor == "postgresql":
            # Thousands of new rows: let the planner see them before the worker reads,
            # or it may walk a whole list's subscriptions for every message.
            tables = (OutboxMessage, Subscription, Subscriber)
            with connection.cursor() as cur:
                cur.execute("ANALYZE " + ", ".join(m._meta.db_table for m in tables))
        ledger.append(
            actor,
            "mailing.digest",
            digest,
            {
                "list": ml.slug,
                "events": sum(len(s["events"]) for s in sections),
                "recipients": count,
            },
        )
    return Built(ml, digest, count)


def build_due(frequency: str | None = None, now: dt.datetime | None = None) -> list[Built]:
    """Build the digests that are due (immediate lists every run, daily lists once a day,
    weekly lists once a week); archived lists never."""
    now = now or timezone.now()
    lists = MailingList.objects.filter(active=True).order_by("slug")
    if frequency:
        lists = lists.filter(frequency=frequency)
    return [build(ml, now, only_if_due=True) for ml in lists if is_due(ml, now)]
