"""Bounces and complaints through Anymail's normalised webhooks (issue 6, item 7), and
the mailto: half of List-Unsubscribe."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.test import Client
from django.utils import timezone
from tests.mailing.conftest import Lists

from detente.mailing import digests, tokens
from detente.mailing.models import Digest, OutboxMessage, Subscriber
from detente.mailing.webhooks import handle_inbound


def event(kind: str, recipient: str, **extra: Any) -> AnymailTrackingEvent:
    return AnymailTrackingEvent(event_type=kind, recipient=recipient, **extra)


def fire(e: AnymailTrackingEvent) -> None:
    tracking.send(sender=object, event=e, esp_name="Test")


def status(address: str) -> str:
    return str(Subscriber.objects.get(email=address).status)


def sent_messages(sub: Subscriber, lists: Lists, n: int) -> None:
    """``n`` digests sent to this subscriber, one after another."""
    for i in range(n):
        digest = Digest.objects.create(
            mailing_list=lists.deal, period_end=timezone.now(), content={"sections": [i]}
        )
        OutboxMessage.objects.create(
            digest=digest, subscriber=sub, status="sent", sent_at=timezone.now()
        )


@pytest.mark.parametrize(
    "kind,extra,expected",
    [
        (
            "bounced",
            {"reject_reason": "bounced", "description": "550 5.1.1 user unknown"},
            "bounced",
        ),
        ("complained", {}, "complained"),
        ("rejected", {"reject_reason": "spam"}, "complained"),
    ],
)
def test_a_hard_bounce_or_complaint_suppresses_at_once(
    lists: Lists, subscribe: Callable[..., Subscriber], kind: str, extra: Any, expected: str
) -> None:
    subscribe("ana@example.org", lists.deal)
    fire(event(kind, "ana@example.org", **extra))
    assert status("ana@example.org") == expected
    lists.confirm_release(0)
    assert digests.build(lists.deal).recipients == 0  # nothing more is queued for it


def test_three_soft_bounces_in_the_last_five_sends_mark_the_address_unreachable(
    lists: Lists, subscribe: Callable[..., Subscriber]
) -> None:
    sub = subscribe("soft@example.org", lists.deal)
    for _ in range(2):
        sent_messages(sub, lists, 1)
        fire(event("deferred", "soft@example.org"))
    sent_messages(sub, lists, 1)  # delivered fine
    assert status("soft@example.org") == "active"
    sent_messages(sub, lists, 1)
    fire(event("bounced", "soft@example.org", description="Transient: MailboxFull"))
    # Three of the last four sends bounced softly.
    assert status("soft@example.org") == "bounced"
    assert "soft bounces" in Subscriber.objects.get().status_reason


def test_soft_bounces_spread_over_more_than_five_sends_do_not(
    lists: Lists, subscribe: Callable[..., Subscriber]
) -> None:
    sub = subscribe("ok@example.org", lists.deal)
    for _ in range(2):
        sent_messages(sub, lists, 1)
        fire(event("deferred", "ok@example.org"))
    sent_messages(sub, lists, 4)  # four good sends push the first bounce out of the window
    fire(event("deferred", "ok@example.org"))
    assert status("ok@example.org") == "active"


def test_repeated_deferrals_of_one_message_count_once(
    lists: Lists, subscribe: Callable[..., Subscriber]
) -> None:
    sub = subscribe("slow@example.org", lists.deal)
    sent_messages(sub, lists, 1)
    for _ in range(5):
        fire(event("deferred", "slow@example.org"))
    assert status("slow@example.org") == "active"


def test_opens_clicks_and_unknown_addresses_change_nothing(
    lists: Lists, subscribe: Callable[..., Subscriber]
) -> None:
    subscribe("ana@example.org", lists.deal)
    for kind in ("opened", "clicked", "delivered"):
        fire(event(kind, "ana@example.org"))
    fire(event("bounced", "nobody@example.org"))
    assert status("ana@example.org") == "active"
    assert Subscriber.objects.count() == 1


SECRET = "hook:s3cret"


def _postmark(client: Client, body: dict[str, Any], secret: str = SECRET) -> Any:
    auth = base64.b64encode(secret.encode()).decode()
    return client.post(
        "/updates/webhooks/postmark/tracking/",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )


def test_the_esp_webhook_is_wired_and_needs_its_secret(
    lists: Lists, subscribe: Callable[..., Subscriber], settings: Any
) -> None:
    subscribe("ana@example.org", lists.deal)
    bounce = {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "Email": "ana@example.org",
        "BouncedAt": "2026-11-30T10:00:00Z",
        "ID": 42,
        "Description": "The server was unable to deliver your message.",
    }
    client = Client()
    assert _postmark(client, bounce).status_code == 404  # off until configured
    settings.MAILING = {**settings.MAILING, "ESP": "postmark"}
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    assert _postmark(client, bounce, "hook:wrong").status_code == 400
    assert status("ana@example.org") == "active"
    assert _postmark(client, bounce).status_code == 200
    assert status("ana@example.org") == "bounced"
    # Another ESP's URL is not served.
    assert client.post("/updates/webhooks/mailgun/tracking/").status_code == 404


def test_an_email_to_the_mailto_address_leaves_the_list(
    lists: Lists, subscribe: Callable[..., Subscriber]
) -> None:
    sub = subscribe("ana@example.org", lists.deal, lists.everything)
    token = tokens.make(tokens.UNSUBSCRIBE, sub.pk, sub.email_hash, (lists.deal.pk,))
    assert handle_inbound(f"unsubscribe {token}")
    assert not handle_inbound("unsubscribe not-a-token")
    assert not handle_inbound("hello")
    statuses = dict(sub.subscriptions.values_list("mailing_list__slug", "status"))
    assert statuses == {"deal-news": "unsubscribed", "all-news": "confirmed"}
