"""The optional Mailchimp mirror (off by default): one audience, one interest per list.

Detente stays the record. Confirming locally adds or updates the member (by the MD5 of
the lower-cased address) with one interest per mailing list; leaving a list clears its
interest; leaving every list unsubscribes the member. A member who unsubscribed in
Mailchimp is never set back to "subscribed": a new local confirmation only asks
Mailchimp to send its own opt-in ("pending"). Changes reach Mailchimp through a task
queued with the change, and ``detente mailing sync`` retries whatever is left.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone, translation

from detente.mailing import conf
from detente.mailing.mailchimp import Client, MailchimpError
from detente.mailing.models import (
    MailchimpDeletion,
    MailingList,
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
)

log = logging.getLogger(__name__)


def client() -> Client | None:
    if not conf.flag("MAILCHIMP_ENABLED") or not conf.text("MAILCHIMP_API_KEY"):
        return None
    return Client(conf.text("MAILCHIMP_API_KEY"), conf.text("MAILCHIMP_AUDIENCE"))


def ensure_interests(api: Client | None = None) -> int:
    """Create the missing interest (one per list) in the configured interest category."""
    api = api or client()
    category = conf.text("MAILCHIMP_INTEREST_CATEGORY")
    if api is None or not category:
        return 0
    made = 0
    for ml in MailingList.objects.filter(mailchimp_interest_id="").select_related(
        "agreement", "party"
    ):
        with translation.override(settings.LANGUAGE_CODE):
            name = f"{ml.title} ({ml.slug})"[:100]
        ml.mailchimp_interest_id = api.create_interest(category, name)
        ml.save(update_fields=["mailchimp_interest_id"])
        made += 1
    return made


def push_subscriber(subscriber_id: int, api: Client | None = None) -> str:
    """Bring one member in Mailchimp in line with Detente; returns what was done."""
    api = api or client()
    if api is None:
        return "off"
    # Claim the change first: one made while we push marks the subscriber again.
    if not Subscriber.objects.filter(pk=subscriber_id, mailchimp_dirty=True).update(
        mailchimp_dirty=False
    ):
        return "nothing to do"
    subscriber = Subscriber.objects.get(pk=subscriber_id)
    if subscriber.email is None:
        return "erased"
    subs = Subscription.objects.filter(subscriber=subscriber).select_related("mailing_list")
    interests = {
        s.mailing_list.mailchimp_interest_id: s.status == SubscriptionStatus.CONFIRMED
        for s in subs
        if s.mailing_list.mailchimp_interest_id
    }
    confirmed = any(s.status == SubscriptionStatus.CONFIRMED for s in subs)
    try:
        if subscriber.status != SubscriberStatus.ACTIVE or not confirmed:
            changes: dict[str, object] = {"interests": {k: False for k in interests}}
            member = api.get_member(subscriber.email)
            if member is None:
                result = "absent"
            else:
                if member.get("status") in ("subscribed", "pending"):
                    changes["status"] = "unsubscribed"
                updated = api.update_member(subscriber.email, changes)
                result = str((updated or member).get("status"))
        else:
            member = api.upsert_member(
                subscriber.email, interests=interests, language=subscriber.language
            )
            result = str(member.get("status"))
            if result == "unsubscribed":
                # Unsubscribed there: only Mailchimp's own opt-in may bring them back.
                api.update_member(subscriber.email, {"status": "pending"})
                result = "pending"
    except (MailchimpError, OSError) as exc:
        Subscriber.objects.filter(pk=subscriber_id).update(mailchimp_dirty=True)
        log.warning("Mailchimp sync of subscriber #%s failed: %s", subscriber_id, exc)
        return "failed"
    Subscriber.objects.filter(pk=subscriber_id).update(mailchimp_synced_at=timezone.now())
    return result


def push_all(api: Client | None = None) -> dict[str, int]:
    api = api or client()
    counts: dict[str, int] = {}
    if api is None:
        return counts
    ids = Subscriber.objects.filter(mailchimp_dirty=True).values_list("pk", flat=True)
    for pk in list(ids):
        outcome = push_subscriber(pk, api)
        counts[outcome] = counts.get(outcome, 0) + 1
    counts["deleted"] = push_deletions(api)
    return counts


def push_deletions(api: Client | None = None) -> int:
    api = api or client()
    if api is None:
        return 0
    done = 0
    for row in MailchimpDeletion.objects.all():
        try:
            api.delete_permanently(row.member_hash)
        except (MailchimpError, OSError) as exc:
            log.warning("Mailchimp permanent deletion failed: %s", exc)
            continue
        row.delete()
        done += 1
    return done
