"""Email updates in the staff pages (issue 14): the lists with their subscriber counts,
creating, editing, archiving and restoring a list, and sending its digest now after a
confirmation that says how many it goes to. Verifiers and administrators only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from tests.mailing.conftest import Lists
from tests.support import make_user

from detente.audit.models import AuditEntry
from detente.mailing import services
from detente.mailing.models import MailingList, OutboxMessage, Subscriber


def _client(role: str | None, name: str = "") -> Client:
    client = Client()
    if role is not None:
        client.force_login(make_user(name or f"pages-{role}", role))
    return client


def _entries(action: str) -> list[dict[str, Any]]:
    return [e.payload for e in AuditEntry.objects.filter(action=action)]


def _text(response: Any) -> str:
    return str(response.content.decode())


@pytest.fixture(autouse=True)
def fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


URLS = (
    "/staff/updates/",
    "/staff/updates/new/",
    "/staff/updates/deal-news/",
    "/staff/updates/deal-news/send/",
)


@pytest.mark.parametrize("role", ["verifier", "administrator"])
def test_managers_open_every_page(lists: Lists, role: str) -> None:
    client = _client(role)
    for url in URLS:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ["analyst", "legislature", "public"])
def test_other_roles_are_refused_and_change_nothing(lists: Lists, role: str) -> None:
    client = _client(None if role == "public" else role, name=f"no-{role}")
    if role == "public":
        client.force_login(make_user("no-role", None))
    before = AuditEntry.objects.count()
    for url in URLS:
        assert client.get(url).status_code == 403, url
    posts = {
        "/staff/updates/new/": {"slug": "x", "kind": "all", "frequency": "daily"},
        "/staff/updates/deal-news/": {"frequency": "weekly"},
        "/staff/updates/deal-news/archive/": {"op": "archive"},
        "/staff/updates/deal-news/send/": {},
    }
    for url, body in posts.items():
        assert client.post(url, body).status_code == 403, url
    assert AuditEntry.objects.count() == before
    assert MailingList.objects.get(slug="deal-news").frequency == "daily"
    assert MailingList.objects.get(slug="deal-news").active


def test_anonymous_visitors_are_sent_to_sign_in(lists: Lists) -> None:
    response = Client().get("/staff/updates/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_list_page_counts_confirmed_pending_and_unsubscribed(
    lists: Lists, subscribe: Callable[..., Subscriber], django_capture_on_commit_callbacks: Any
) -> None:
    from tests.mailing.conftest import form_notice

    subscribe("ana@example.org", lists.deal)
    subscribe("beto@example.org", lists.deal)
    leaver = subscribe("carla@example.org", lists.deal)
    services.leave_all(subscriber=leaver)
    with django_capture_on_commit_callbacks(execute=True):
        services.subscribe(
            email="dora@example.org",
            list_ids=[lists.deal.pk],
            language="en",
            notice=form_notice(),
        )
    response = _client("verifier").get("/staff/updates/")
    row = next(ml for ml in response.context["lists"] if ml.slug == "deal-news")
    assert (row.n_confirmed, row.n_pending, row.n_unsubscribed) == (2, 1, 1)
    html = _text(response)
    assert "deal-news" in html and "releasing-news" in html
    # Counts only: no page shows an address.
    assert "@example.org" not in html
    assert "@example.org" not in _text(_client("administrator").get("/staff/updates/deal-news/"))


def test_create_a_country_list_from_the_page(lists: Lists) -> None:
    client = _client("administrator")
    response = client.post(
        "/staff/updates/new/",
        {
            "slug": "country-weekly",
            "kind": "country",
            "party": lists.world.releasing.slug,
            "public": "on",
            "frequency": "weekly",
        },
    )
    assert response.status_code == 302
    ml = MailingList.objects.get(slug="country-weekly")
    assert (ml.kind, ml.party, ml.frequency, ml.public) == (
        "country",
        lists.world.releasing,
        "weekly",
        True,
    )
    assert _entries("mailing.list_create")[-1]["frequency"] == "weekly"


def test_a_bad_list_is_refused_with_its_reason_and_nothing_is_stored(lists: Lists) -> None:
    client = _client("verifier")
    before = AuditEntry.objects.count()
    response = client.post(
        "/staff/updates/new/", {"slug": "no-target", "kind": "agreement", "frequency": "daily"}
    )
    assert response.status_code == 200
    assert "An agreement list needs its agreement." in _text(response)
    response = client.post(
        "/staff/updates/new/", {"slug": "deal-news", "kind": "all", "frequency": "daily"}
    )
    assert "already exists" in _text(response)
    assert not MailingList.objects.filter(slug="no-target").exists()
    assert AuditEntry.objects.count() == before


def test_edit_then_archive_then_restore(lists: Lists) -> None:
    client = _client("verifier")
    response = client.post("/staff/updates/deal-news/", {"frequency": "immediate"})
    assert response.status_code == 302
    ml = MailingList.objects.get(slug="deal-news")
    assert (ml.frequency, ml.public) == ("immediate", False)
    assert _entries("mailing.list_update")[-1]["after"] == {
        "public": False,
        "frequency": "immediate",
    }

    client.post("/staff/updates/deal-news/archive/", {"op": "archive"})
    assert not MailingList.objects.get(slug="deal-news").active
    assert len(_entries("mailing.list_archive")) == 1
    # Archived: not on the public form, and "send now" sends nothing.
    assert "deal-news" not in _text(Client().get("/updates/"))
    page = _text(client.get("/staff/updates/deal-news/send/"))
    assert "This list is archived" in page
    client.post("/staff/updates/deal-news/send/")
    assert not _entries("mailing.send_now")

    client.post("/staff/updates/deal-news/archive/", {"op": "restore"})
    assert MailingList.objects.get(slug="deal-news").active
    assert len(_entries("mailing.list_restore")) == 1
    assert client.post("/staff/updates/deal-news/archive/", {"op": "x"}).status_code == 400


def test_send_now_shows_the_count_first_then_sends_once(
    lists: Lists, subscribe: Callable[..., Subscriber], django_capture_on_commit_callbacks: Any
) -> None:
    subscribe("ana@example.org", lists.deal)
    subscribe("beto@example.org", lists.deal)
    lists.confirm_release(0)
    client = _client("administrator")

    page = client.get("/staff/updates/deal-news/send/")
    assert page.context["pending"].recipients == 2
    events = page.context["pending"].events
    assert events >= 1  # the release, and the milestones it reaches
    assert "Send to 2 subscribers" in _text(page)
    assert OutboxMessage.objects.count() == 0 and not mail.outbox  # nothing sent by looking

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/staff/updates/deal-news/send/")
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.org", "beto@example.org"]
    (entry,) = _entries("mailing.send_now")
    assert entry["recipients"] == 2 and entry["events"] == events
    followed = _text(client.get(response["Location"]))
    assert "The digest is on its way to 2 subscribers." in followed

    # Again at once: nothing new, nothing sent.
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/staff/updates/deal-news/send/")
    assert len(mail.outbox) == 2
    assert "Nothing new since the previous digest" in _text(client.get("/staff/updates/deal-news/"))


def test_the_agreements_page_leads_managers_here(lists: Lists) -> None:
    verifier = _client("verifier")
    assert "/staff/updates/" in _text(verifier.get("/staff/agreements/"))
    assert "/staff/updates/" not in _text(_client("analyst").get("/staff/agreements/"))
    # The pages sit under Agreements in the menu: that entry is the current one.
    html = _text(verifier.get("/staff/updates/"))
    assert 'href="/staff/agreements/" aria-current="page"' in html
