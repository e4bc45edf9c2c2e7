"""What email services tell us: bounces, complaints and unsubscribe emails (through
django-anymail's normalised webhooks), and Mailchimp's own webhook.

- A hard bounce or a complaint suppresses the address at once.
- A soft bounce marks the latest message sent to the address; three soft-bounced among
  the last five sent mark the address unreachable (suppressed as bounced).
- An email to the List-Unsubscribe mailto address whose subject carries a valid
  one-click token leaves that list.
- Nothing is done with opens or clicks: tracking stays off unless an administrator
  turns it on, and even then Detente records none of it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from anymail.signals import AnymailInboundEvent, AnymailTrackingEvent, inbound, tracking
from django.core.exceptions import ValidationError
from django.dispatch import receiver

from detente.mailing import services, tokens
from detente.mailing.models import (
    OutboxMessage,
    OutboxStatus,
    Subscriber,
    SubscriberStatus,
)

log = logging.getLogger(__name__)

SOFT_WINDOW = 5
SOFT_LIMIT = 3
_SOFT = re.compile(r"transient|soft|temporar|mailbox full|try again", re.IGNORECASE)


def _subscriber(address: object) -> Subscriber | None:
    try:
        found = services.find_subscriber(address)
    except ValidationError:
        return None
    if found is None or found.status == SubscriberStatus.ERASED:
        return None
    return found


def is_soft(event: AnymailTrackingEvent) -> bool:
    """A temporary failure: Anymail's "deferred", or a bounce its ESP calls transient."""
    if event.event_type == "deferred":
        return True
    if event.event_type != "bounced":
        return False
    raw: dict[str, Any] = event.esp_event if isinstance(event.esp_event, dict) else {}
    bounce = raw.get("bounce")
    ses_type = bounce.get("bounceType") if isinstance(bounce, dict) else None
    if raw.get("Type") == "SoftBounce" or ses_type == "Transient":
        return True  # Postmark, Amazon SES
    text = " ".join(str(x or "") for x in (event.description, event.mta_response))
    return bool(_SOFT.search(text)) or str(event.mta_response or "").startswith("4")


def record_soft_bounce(subscriber: Subscriber) -> bool:
    """Mark the latest sent message; suppress after 3 soft bounces in the last 5 sends.

    Returns True when the address was just marked unreachable.
    """
    recent = list(
        OutboxMessage.objects.filter(subscriber=subscriber, status=OutboxStatus.SENT)
        .order_by("-sent_at", "-id")
        .values_list("id", "soft_bounced")[:SOFT_WINDOW]
    )
    if not recent:
        return False
    latest_id, already = recent[0]
    if not already:
        OutboxMessage.objects.filter(pk=latest_id).update(soft_bounced=True)
    bounced = sum(1 for i, soft in recent if soft or i == latest_id)
    if bounced >= SOFT_LIMIT:
        return services.suppress(
            subscriber,
            SubscriberStatus.BOUNCED,
            f"unreachable: {SOFT_LIMIT} soft bounces in the last {SOFT_WINDOW} sends",
        )
    return False


def handle_tracking(event: AnymailTrackingEvent) -> str:
    subscriber = _subscriber(event.recipient)
    if subscriber is None:
        return "unknown recipient"
    kind = event.event_type
    if kind == "complained" or (kind == "rejected" and event.reject_reason == "spam"):
        services.suppress(subscriber, SubscriberStatus.COMPLAINED, "complaint")
        return "complained"
    if kind in ("bounced", "deferred") and is_soft(event):
        return "unreachable" if record_soft_bounce(subscriber) else "soft bounce"
    if kind == "bounced" or (kind == "rejected" and event.reject_reason == "bounced"):
        services.suppress(subscriber, SubscriberStatus.BOUNCED, "hard bounce")
        return "bounced"
    if kind == "unsubscribed":
        # The ESP's own unsubscribe (it cannot say which list): leave them all.
        services.leave_all(subscriber=subscriber)
        return "unsubscribed"
    return "ignored"  # delivered, opened, clicked…: nothing is recorded


@receiver(tracking, dispatch_uid="detente.mailing.tracking")
def _on_tracking(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    outcome = handle_tracking(event)
    log.info("%s %s event: %s", esp_name, event.event_type, outcome)


_TOKEN = re.compile(r"unsubscribe\s+(\S+)", re.IGNORECASE)


def handle_inbound(subject: str) -> bool:
    """An email to the mailto: address of List-Unsubscribe."""
    found = _TOKEN.search(subject or "")
    if not found:
        return False
    try:
        services.unsubscribe(token=found.group(1))
    except tokens.BadToken:
        return False
    return True


@receiver(inbound, dispatch_uid="detente.mailing.inbound")
def _on_inbound(sender: Any, event: AnymailInboundEvent, esp_name: str, **kwargs: Any) -> None:
    message = event.message
    handle_inbound(str(getattr(message, "subject", "") or ""))


def handle_mailchimp(data: dict[str, str]) -> str:
    """Mailchimp's webhook (form fields such as ``type`` and ``data[email]``).

    Unsubscribes and cleaned addresses come back to Detente; sign-ups, profile and
    address changes made in Mailchimp are ignored: subscriptions start only with
    Detente's own double opt-in, and an address changes only by signing up again.
    """
    kind = data.get("type", "")
    subscriber = _subscriber(data.get("data[email]", ""))
    if subscriber is None:
        return "unknown"
    if kind == "unsubscribe":
        services.leave_all(subscriber=subscriber)
        # Mailchimp already knows; do not echo the change back to it.
        Subscriber.objects.filter(pk=subscriber.pk).update(mailchimp_dirty=False)
        return "unsubscribed"
    if kind == "cleaned":
        services.suppress(subscriber, SubscriberStatus.BOUNCED, "cleaned by Mailchimp")
        Subscriber.objects.filter(pk=subscriber.pk).update(mailchimp_dirty=False)
        return "bounced"
    return "ignored"
