"""The optional Mailchimp mirror (issue 6, item 9), against recorded API responses."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as WebClient
from tests.mailing.conftest import Lists

from detente.mailing import services, sync, tokens
from detente.mailing.mailchimp import Client, MailchimpError, member_hash
from detente.mailing.models import MailchimpDeletion, Subscriber

RECORDED = Path(__file__).parent / "recorded"
AUDIENCE = "9e67587f52"
ANA = f"/lists/{AUDIENCE}/members/ee63465620787644e046e9465740f293"


class Recorded:
    """Plays recorded responses in order and keeps the requests made."""

    def __init__(self, *replies: tuple[str, str, int, str | None]) -> None:
        self.replies = list(replies)
        self.calls: list[tuple[str, str, Any]] = []

    def __call__(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, bytes]:
        assert headers["Authorization"].startswith("Basic ")
        self.calls.append((method, url, json.loads(body) if body else None))
        assert self.replies, f"unexpected request {method} {url}"
        want_method, want_path, status, name = self.replies.pop(0)
        assert (method, url) == (want_method, "https://us21.api.mailchimp.com/3.0" + want_path)
        return status, (RECORDED / name).read_bytes() if name else b""

    def bodies(self) -> list[Any]:
        return [body for _m, _u, body in self.calls]


@pytest.fixture
def mailchimp(settings: Any, lists: Lists, monkeypatch: Any) -> Callable[..., Recorded]:
    settings.MAILING = {
        **settings.MAILING,
        "MAILCHIMP_ENABLED": True,
        "MAILCHIMP_API_KEY": "0123456789abcdef0123456789abcdef-us21",
        "MAILCHIMP_AUDIENCE": AUDIENCE,
        "MAILCHIMP_INTEREST_CATEGORY": "cat7f3e21a",
        "MAILCHIMP_WEBHOOK_SECRET": "hook-secret-9f8e7d",
    }
    lists.deal.mailchimp_interest_id = "int0000001"
    lists.deal.save()
    lists.everything.mailchimp_interest_id = "int0000002"
    lists.everything.save()

    def install(*replies: tuple[str, str, int, str | None]) -> Recorded:
        recorded = Recorded(*replies)
        key, audience = "0123456789abcdef0123456789abcdef-us21", AUDIENCE
        monkeypatch.setattr(sync, "client", lambda: Client(key, audience, transport=recorded))
        return recorded

    return install


def test_off_by_default_nothing_is_sent_to_mailchimp(
    lists: Lists, subscribe: Callable[..., Subscriber], monkeypatch: Any
) -> None:
    def no_network(*args: Any) -> Any:
        raise AssertionError("Mailchimp was called")

    monkeypatch.setattr("detente.mailing.mailchimp.urllib_transport", no_network)
    sub = subscribe("ana@example.org", lists.deal)
    services.leave_all(subscriber=sub)
    assert sync.client() is None
    assert not Subscriber.objects.filter(mailchimp_dirty=True).exists()


def test_confirming_upserts_the_member_by_md5_with_its_interests(
    mailchimp: Callable[..., Recorded], lists: Lists, subscribe: Callable[..., Subscriber]
) -> None:
    recorded = mailchimp(("PUT", ANA, 200, "member_subscribed.json"))
    sub = subscribe("Ana@Example.org", lists.deal, language="es")
    assert member_hash("Ana@Example.org") == ANA.rsplit("/", 1)[1]
    (body,) = recorded.bodies()
    assert body == {
        "email_address": "ana@example.org",
        "status_if_new": "subscribed",
        "interests": {"int0000001": True},
        "language": "es",
    }
    assert "status" not in body  # an existing member's status is never overwritten
    sub.refresh_from_db()
    assert not sub.mailchimp_dirty and sub.mailchimp_synced_at is not None


def test_a_member_unsubscribed_in_mailchimp_falls_back_to_pending_never_subscribed(
    mailchimp: Callable[..., Recorded], lists: Lists, subscribe: Callable[..., Subscriber]
) -> None:
    recorded = mailchimp(
        ("PUT", ANA, 200, "member_unsubscribed.json"),
        ("PATCH", ANA, 200, "member_pending.json"),
    )
    subscribe("ana@example.org", lists.deal)
    assert recorded.bodies()[1] == {"status": "pending"}
    assert all(b.get("status") != "subscribed" for b in recorded.bodies())


def test_leaving_one_list_clears_its_interest_and_leaving_all_unsubscribes(
    mailchimp: Callable[..., Recorded],
    lists: Lists,
    subscribe: Callable[..., Subscriber],
    django_capture_on_commit_callbacks: Any,
) -> None:
    recorded = mailchimp(
        ("PUT", ANA, 200, "member_subscribed.json"),
        ("PUT", ANA, 200, "member_one_interest.json"),
        ("GET", ANA, 200, "member_one_interest.json"),
        ("PATCH", ANA, 200, "member_left.json"),
    )
    sub = subscribe("ana@example.org", lists.deal, lists.everything)
    token = tokens.make(tokens.UNSUBSCRIBE, sub.pk, sub.email_hash, (lists.deal.pk,))
    with django_capture_on_commit_callbacks(execute=True):
        assert WebClient().post(f"/updates/unsubscribe/{token}/").status_code == 200
    assert recorded.bodies()[1]["interests"] == {"int0000001": False, "int0000002": True}
    with django_capture_on_commit_callbacks(execute=True):
        services.leave_all(subscriber=sub)
    assert recorded.bodies()[3] == {
        "interests": {"int0000001": False, "int0000002": False},
        "status": "unsubscribed",
    }
    assert recorded.replies == []


def test_a_failed_push_is_kept_for_the_next_sync(
    mailchimp: Callable[..., Recorded], lists: Lists, subscribe: Callable[..., Subscriber]
) -> None:
    mailchimp(("PUT", ANA, 401, "error_unauthorized.json"))
    sub = subscribe("ana@example.org", lists.deal)
    sub.refresh_from_db()
    assert sub.mailchimp_dirty  # `detente mailing sync` will try again
    recorded = mailchimp(("PUT", ANA, 200, "member_subscribed.json"))
    assert sync.push_all() == {"subscribed": 1, "deleted": 0}
    assert len(recorded.calls) == 1
    sub.refresh_from_db()
    assert not sub.mailchimp_dirty


def test_erasure_deletes_the_member_permanently(
    mailchimp: Callable[..., Recorded],
    lists: Lists,
    subscribe: Callable[..., Subscriber],
    django_capture_on_commit_callbacks: Any,
) -> None:
    mailchimp(("PUT", ANA, 200, "member_subscribed.json"))
    sub = subscribe("ana@example.org", lists.deal)
    recorded = mailchimp(("POST", ANA + "/actions/delete-permanent", 500, None))
    with django_capture_on_commit_callbacks(execute=True):
        services.erase(sub)
    assert len(recorded.calls) == 1
    # Mailchimp failed: the deletion is owed, by Mailchimp's id only.
    assert list(MailchimpDeletion.objects.values_list("member_hash", flat=True)) == [
        ANA.rsplit("/", 1)[1]
    ]
    recorded = mailchimp(("POST", ANA + "/actions/delete-permanent", 204, None))
    assert sync.push_deletions() == 1
    assert recorded.calls[0][0] == "POST" and not MailchimpDeletion.objects.exists()


def test_each_list_gets_its_interest(mailchimp: Callable[..., Recorded], lists: Lists) -> None:
    recorded = mailchimp(
        (
            "POST",
            f"/lists/{AUDIENCE}/interest-categories/cat7f3e21a/interests",
            200,
            "interest_created.json",
        ),
    )
    assert sync.ensure_interests() == 1  # only the country list had none
    lists.country.refresh_from_db()
    assert lists.country.mailchimp_interest_id == "int0000003"
    assert recorded.bodies() == [{"name": "Updates on Releasing (releasing-news)"}]


def test_problem_documents_become_clear_errors() -> None:
    def reply(*args: Any) -> tuple[int, bytes]:
        return 400, (RECORDED / "error_forgotten.json").read_bytes()

    api = Client("key-us21", AUDIENCE, transport=reply)
    with pytest.raises(MailchimpError) as err:
        api.upsert_member("ana@example.org", interests={}, language="en")
    assert err.value.status == 400 and err.value.title == "Forgotten Email Not Subscribed"
    with pytest.raises(MailchimpError):
        Client("no-data-centre-", AUDIENCE).base_url  # noqa: B018


def test_the_mailchimp_webhook_needs_its_secret(
    mailchimp: Callable[..., Recorded], lists: Lists, subscribe: Callable[..., Subscriber]
) -> None:
    mailchimp(("PUT", ANA, 200, "member_subscribed.json"))
    sub = subscribe("ana@example.org", lists.deal, lists.everything)
    form = {
        "type": "unsubscribe",
        "fired_at": "2026-11-30 10:40:01",
        "data[action]": "unsub",
        "data[reason]": "manual",
        "data[email]": "ana@example.org",
        "data[list_id]": AUDIENCE,
        "data[id]": ANA.rsplit("/", 1)[1],
    }
    web = WebClient(enforce_csrf_checks=True)
    assert web.post("/updates/mailchimp/wrong-secret/", form).status_code == 404
    assert web.get("/updates/mailchimp/hook-secret-9f8e7d/").status_code == 200  # URL check
    assert set(sub.subscriptions.values_list("status", flat=True)) == {"confirmed"}
    response = web.post("/updates/mailchimp/hook-secret-9f8e7d/", form)
    assert response.status_code == 200 and response.json() == {"outcome": "unsubscribed"}
    assert set(sub.subscriptions.values_list("status", flat=True)) == {"unsubscribed"}
    cleaned = {**form, "type": "cleaned", "data[reason]": "hard"}
    web.post("/updates/mailchimp/hook-secret-9f8e7d/", cleaned)
    sub.refresh_from_db()
    assert sub.status == "bounced"
    # Sign-ups made in Mailchimp do not become subscriptions here.
    signup = {**form, "type": "subscribe", "data[email]": "new@example.org"}
    web.post("/updates/mailchimp/hook-secret-9f8e7d/", signup)
    assert not Subscriber.objects.filter(email="new@example.org").exists()


def test_the_webhook_is_off_when_mailchimp_is(lists: Lists, settings: Any) -> None:
    settings.MAILING = {**settings.MAILING, "MAILCHIMP_WEBHOOK_SECRET": "s"}
    assert WebClient().get("/updates/mailchimp/s/").status_code == 404
