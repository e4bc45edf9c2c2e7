"""The outbox, end to end through a real SMTP server (aiosmtpd): headers, footer link,
language, one message per subscriber per digest, eligibility at send time, the rate."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from tests.mailing.conftest import Lists, links_in
from tests.mailing.sink import Sink

from detente.mailing import digests, services
from detente.mailing.delivery import Pacer, deliver
from detente.mailing.models import (
    Digest,
    OutboxMessage,
    OutboxStatus,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)


def digest_for(lists: Lists, *, release: int = 0) -> Digest:
    lists.confirm_release(release)
    built = digests.build(lists.deal)
    assert built.digest is not None
    return built.digest


def test_every_bulk_message_carries_the_unsubscribe_headers_and_footer_link(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink
) -> None:
    subscribe("ana@example.org", lists.deal)
    digest_for(lists)
    outcome = deliver()
    assert outcome.sent == outcome.accepted == 1
    (got,) = sink.to("ana@example.org")
    msg = got.message
    https, mailto = (part.strip(" <>") for part in str(msg["List-Unsubscribe"]).split(","))
    assert https.startswith("https://detente.example/updates/unsubscribe/")
    assert mailto.startswith("mailto:unsubscribe@detente.example?subject=unsubscribe%20")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["List-Id"] == '"Test agreement" <deal-news.lists.detente.example>'
    # The footer links to the same one-click page, in the text and in the HTML part.
    assert https in got.text() and f'href="{https}"' in got.html()
    # And that link works: the mail client's one-click POST, no cookie, no form token.
    path = urllib.parse.urlsplit(https).path
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Subscription.objects.get(subscriber__email="ana@example.org").status == "unsubscribed"


def test_the_digest_is_written_in_each_subscribers_language(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink
) -> None:
    subscribe("en@example.org", lists.deal, language="en")
    subscribe("es@example.org", lists.deal, language="es")
    digest_for(lists)
    deliver()
    (en,) = sink.to("en@example.org")
    (es,) = sink.to("es@example.org")
    assert en.message["Content-Language"] == "en"
    assert es.message["Content-Language"] == "es"
    assert "release independently confirmed" in en.text()
    assert "excarcelación confirmada de forma independiente" in es.text()
    assert "Leave this list with one click" in en.text()
    assert "Deje esta lista con un clic" in es.text()
    assert str(es.message["Subject"]).startswith("Detente: 3 actualizaciones sobre")


def test_one_message_per_subscriber_per_digest(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink
) -> None:
    people = [subscribe(f"p{i}@example.org", lists.deal) for i in range(7)]
    digest = digest_for(lists)
    # Queuing the same digest again adds nothing: unique (digest, subscriber).
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(digest=digest, subscriber=p) for p in people], ignore_conflicts=True
    )
    assert OutboxMessage.objects.filter(digest=digest).count() == 7
    deliver()
    deliver()  # a second run finds nothing left to send
    assert sorted(r.recipients[0] for r in sink.received) == sorted(p.email for p in people)
    ids = [r.message["Message-ID"] for r in sink.received]
    assert len(set(ids)) == 7


def test_eligibility_is_checked_again_when_sending(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink
) -> None:
    stays = subscribe("stays@example.org", lists.deal)
    leaves = subscribe("leaves@example.org", lists.deal)
    bounced = subscribe("bounced@example.org", lists.deal)
    digest_for(lists)  # all three are queued
    assert OutboxMessage.objects.count() == 3
    services.leave_all(subscriber=leaves)
    services.suppress(bounced, "bounced", "hard bounce")
    outcome = deliver()
    assert [r.recipients for r in sink.received] == [[stays.email]]
    assert outcome.skipped == 2
    assert set(
        OutboxMessage.objects.filter(status=OutboxStatus.SKIPPED).values_list(
            "subscriber__email", flat=True
        )
    ) == {leaves.email, bounced.email}


def test_a_subscriber_who_leaves_between_the_check_and_the_send_gets_nothing(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink, monkeypatch: Any
) -> None:
    """The last check is the same statement that marks the message sent: someone who
    leaves while their message is already on the wire is not sent the end of it."""
    from detente.mailing import delivery

    leaver = subscribe("late@example.org", lists.deal)
    digest_for(lists)
    real_mark = delivery.Runner.mark

    def leave_then_mark(self: Any, ids: list[int]) -> set[int]:
        Subscription.objects.filter(subscriber=leaver).update(
            status=SubscriptionStatus.UNSUBSCRIBED
        )
        return real_mark(self, ids)

    monkeypatch.setattr(delivery.Runner, "mark", leave_then_mark)
    outcome = deliver()
    assert sink.received == []
    assert outcome.skipped == 1 and outcome.sent == 0
    assert OutboxMessage.objects.get().status == OutboxStatus.SKIPPED


def test_a_relay_that_says_try_later_gets_the_message_again_once(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink
) -> None:
    subscribe("busy@example.org", lists.deal)
    digest_for(lists)
    sink.refuse["busy@example.org"] = "451 4.3.0 Try again later"
    first = deliver()
    assert first.deferred == 1 and sink.received == []
    row = OutboxMessage.objects.get()
    assert row.status == OutboxStatus.PENDING and row.next_attempt_at is not None
    OutboxMessage.objects.update(next_attempt_at=None)  # the retry time has come
    del sink.refuse["busy@example.org"]
    deliver()
    assert len(sink.to("busy@example.org")) == 1
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT


def test_the_send_rate_holds(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink
) -> None:
    """120 a minute: no two messages less than half a second apart (on the worker's
    clock, which here only moves when the pacer waits)."""
    for i in range(9):
        subscribe(f"r{i}@example.org", lists.deal)
    digest_for(lists)
    now = [0.0]

    def clock() -> float:
        return now[0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    stamps: list[float] = []
    sink.on_data = lambda got: stamps.append(now[0])
    deliver(pacer=Pacer(120, clock=clock, sleep=sleep))
    assert len(stamps) == 9
    # Groups of three connections finish together; each group waits its turn.
    assert stamps[-1] >= (9 - 1) * 0.5
    for window_start in stamps:
        in_one_minute = [t for t in stamps if window_start <= t < window_start + 60]
        assert len(in_one_minute) <= 120 + 3


def test_without_a_rate_nothing_waits(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink
) -> None:
    subscribe("fast@example.org", lists.deal)
    digest_for(lists)
    slept: list[float] = []
    deliver(pacer=Pacer(0, clock=lambda: 0.0, sleep=slept.append))
    assert slept == [] and len(sink.received) == 1


def test_links_in_the_mail_are_signed_for_that_subscriber_and_list(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink
) -> None:
    a = subscribe("a@example.org", lists.deal, lists.everything)
    subscribe("b@example.org", lists.deal)
    digest_for(lists)
    deliver()
    (mail_a,) = sink.to(a.email or "")
    paths = links_in(mail_a.text())
    assert any(p.startswith("/updates/unsubscribe/") for p in paths)
    assert any(p.startswith("/updates/preferences/") for p in paths)
    unsub = next(p for p in paths if p.startswith("/updates/unsubscribe/"))
    assert Client().post(unsub).status_code == 200
    statuses = dict(
        Subscription.objects.filter(subscriber=a).values_list("mailing_list__slug", "status")
    )
    assert statuses == {"deal-news": "unsubscribed", "all-news": "confirmed"}
    assert Subscription.objects.get(subscriber__email="b@example.org").status == "confirmed"


@pytest.mark.parametrize("size", [1, 4])
def test_messages_parse_cleanly_and_carry_no_tracking(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink, size: int, settings: Any
) -> None:
    settings.MAILING = {**settings.MAILING, "CONNECTIONS": size}
    subscribe("plain@example.org", lists.deal)
    digest_for(lists)
    deliver()
    (got,) = sink.received
    msg = got.message
    assert msg.get_content_type() == "multipart/alternative"
    assert not msg.defects
    html = got.html()
    assert "<img" not in html  # no tracking pixel
    hrefs = [h for h in html.split('href="')[1:]]
    assert all(h.startswith("https://detente.example/") for h in hrefs)  # no redirector
