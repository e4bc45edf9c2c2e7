"""Reads for the mailing pages and commands."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from detente.access.policy import Action, Viewer, require
from detente.agreements.models import Agreement
from detente.agreements.selectors import agreement_list
from detente.mailing.models import (
    MailingList,
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
)


def public_agreements() -> QuerySet[Agreement]:
    """What an anonymous visitor sees: the only agreements a list may speak about."""
    return agreement_list(AnonymousUser())


def offered_lists() -> QuerySet[MailingList]:
    """The lists on the public form: public, active, and about something public."""
    shown = public_agreements()
    country_shown = shown.filter(promisor=OuterRef("party"))
    return (
        MailingList.objects.filter(public=True, active=True)
        .filter(
            Q(kind="all")
            | Q(kind="agreement", agreement__in=shown)
            | Q(Exists(country_shown), kind="country")
        )
        .select_related("agreement", "party")
        .order_by("kind", "slug")
    )


def mailing_lists(viewer: Viewer) -> QuerySet[MailingList]:
    """Every list, archived ones too, with its subscriber counts (verifiers,
    administrators and the operator): ``n_confirmed`` (of active subscribers, those a
    digest goes to), ``n_pending`` (not confirmed yet) and ``n_unsubscribed``."""
    require(viewer, Action.MANAGE)

    def count(status: str, **more: Any) -> Count:
        return Count("subscriptions", filter=Q(subscriptions__status=status, **more))

    return (
        MailingList.objects.select_related("agreement", "party")
        .annotate(
            n_confirmed=count(
                SubscriptionStatus.CONFIRMED,
                subscriptions__subscriber__status=SubscriberStatus.ACTIVE,
            ),
            n_pending=count(SubscriptionStatus.PENDING),
            n_unsubscribed=count(SubscriptionStatus.UNSUBSCRIBED),
        )
        .order_by("-active", "kind", "slug")
    )


def counts(ml: MailingList) -> dict[str, int]:
    """The subscriber counts of a list read through :func:`mailing_lists`."""
    return {
        "confirmed": int(getattr(ml, "n_confirmed", 0)),
        "pending": int(getattr(ml, "n_pending", 0)),
        "unsubscribed": int(getattr(ml, "n_unsubscribed", 0)),
    }


def mailing_list_get(viewer: Viewer, slug: str) -> MailingList:
    """One list with its counts (as :func:`mailing_lists`); 404 when there is none.

    Whoever may not manage lists is refused before anything is looked up, so the answer
    says nothing about which lists exist."""
    found = mailing_lists(viewer).filter(slug=slug).first()
    if found is None:
        raise Http404("no such mailing list")
    return found


@dataclass(frozen=True)
class Pending:
    """What "send now" would send: the news since the list's previous digest."""

    events: int
    agreements: int
    recipients: int
    since: dt.datetime | None


def pending_digest(viewer: Viewer, mailing_list: MailingList) -> Pending:
    """The digest a list would get now (nothing is written): what became public since its
    previous digest, and how many confirmed, active subscribers it would go to."""
    from detente.mailing.digests import changes, public_views

    require(viewer, Action.MANAGE)
    sections = (
        changes(mailing_list.snapshot, public_views(mailing_list))
        if mailing_list.snapshot_at is not None
        else []
    )
    return Pending(
        events=sum(len(s["events"]) for s in sections),
        agreements=len(sections),
        recipients=confirmed_count(mailing_list),
        since=mailing_list.snapshot_at,
    )


def confirmed_count(mailing_list: MailingList) -> int:
    return Subscription.objects.filter(
        mailing_list=mailing_list, status="confirmed", subscriber__status="active"
    ).count()


def subscriber_export(subscriber: Subscriber) -> dict[str, Any]:
    """Everything held about one subscriber, as JSON-ready data (the privacy export)."""

    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    subs = subscriber.subscriptions.select_related(
        "mailing_list__agreement", "mailing_list__party"
    ).order_by("mailing_list__slug")
    messages = subscriber.messages.select_related("digest__mailing_list").order_by("id")
    return {
        "email": subscriber.email,
        "language": subscriber.language,
        "status": subscriber.status,
        "status_reason": subscriber.status_reason or None,
        "created_at": iso(subscriber.created_at),
        "status_changed_at": iso(subscriber.status_changed_at),
        "last_notice_at": iso(subscriber.last_notice_at),
        "subscriptions": [
            {
                "list": s.mailing_list.slug,
                "title": s.mailing_list.title,
                "status": s.status,
                "requested_at": iso(s.requested_at),
                "confirmed_at": iso(s.confirmed_at),
                "unsubscribed_at": iso(s.unsubscribed_at),
            }
            for s in subs
        ],
        "consents": [
            {
                "at": iso(c.at),
                "action": c.action,
                "lists": c.lists,
                "language": c.language,
                "notice_text": c.notice_text,
                "notice_sha256": c.notice_hash,
            }
            for c in subscriber.consents.all()
        ],
        "messages": [
            {
                "digest": m.digest_id,
                "list": m.digest.mailing_list.slug,
                "status": m.status,
                "sent_at": iso(m.sent_at),
                "accepted_at": iso(m.accepted_at),
                "soft_bounced": m.soft_bounced,
            }
            for m in messages
        ],
        "mailchimp": {
            "change_waiting": subscriber.mailchimp_dirty,
            "last_synced_at": iso(subscriber.mailchimp_synced_at),
        },
        "tracking": "none: we do not record opens or clicks",
    }
