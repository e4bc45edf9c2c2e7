"""Leaving (issue 6, item 6): one-click unsubscribe and the preferences page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.test.client import MULTIPART_CONTENT, encode_multipart
from tests.mailing.conftest import Lists, form_notice

from detente.mailing import tokens
from detente.mailing.models import Consent, Subscriber, Subscription


def one_click(sub: Subscriber, lists_: Lists, which: str = "deal") -> str:
    ml = getattr(lists_, which)
    token = tokens.make(tokens.UNSUBSCRIBE, sub.pk, sub.email_hash, (ml.pk,))
    return f"/updates/unsubscribe/{token}/"


def states(sub: Subscriber) -> dict[str, str]:
    return dict(
        Subscription.objects.filter(subscriber=sub).values_list("mailing_list__slug", "status")
    )


@pytest.fixture
def two_lists(lists: Lists, subscribe: Any) -> Subscriber:
    sub: Subscriber = subscribe("ana@example.org", lists.deal, lists.everything)
    return sub


def test_a_cookieless_urlencoded_post_unsubscribes_that_list_only(
    lists: Lists, two_lists: Subscriber
) -> None:
    client = Client(enforce_csrf_checks=True)  # no cookie, no CSRF token: like a mail client
    response = client.post(
        one_click(two_lists, lists),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200  # not a redirect
    assert "You have left the list" in response.content.decode()
    assert not response.cookies  # and it sets none
    assert states(two_lists) == {"deal-news": "unsubscribed", "all-news": "confirmed"}


def test_a_multipart_post_works_the_same(lists: Lists, two_lists: Subscriber) -> None:
    client = Client(enforce_csrf_checks=True)
    body = encode_multipart("BoUnDaRy", {"List-Unsubscribe": "One-Click"})
    response = client.post(
        one_click(two_lists, lists, "everything"),
        body,
        content_type=MULTIPART_CONTENT.replace("BoUnDaRyStRiNg", "BoUnDaRy"),
    )
    assert response.status_code == 200
    assert states(two_lists) == {"deal-news": "confirmed", "all-news": "unsubscribed"}


def test_unsubscribing_twice_is_the_same_as_once(lists: Lists, two_lists: Subscriber) -> None:
    url = one_click(two_lists, lists)
    assert Client().post(url).status_code == 200
    first = Subscription.objects.get(subscriber=two_lists, mailing_list=lists.deal)
    assert Client().post(url).status_code == 200
    again = Subscription.objects.get(subscriber=two_lists, mailing_list=lists.deal)
    assert again.status == "unsubscribed" and again.unsubscribed_at == first.unsubscribed_at


def test_a_get_on_the_link_only_shows_the_button(lists: Lists, two_lists: Subscriber) -> None:
    page = Client().get(one_click(two_lists, lists))
    assert page.status_code == 200 and '<form method="post">' in page.content.decode()
    assert states(two_lists)["deal-news"] == "confirmed"


def test_a_tampered_or_foreign_token_changes_nothing(
    lists: Lists, two_lists: Subscriber, subscribe: Any
) -> None:
    other = subscribe("ben@example.org", lists.deal)
    url = one_click(two_lists, lists)
    token = url.split("/")[3]
    payload, stamp, sig = token.split(":")
    candidates = [
        f"/updates/unsubscribe/{payload}:{stamp}:{sig[:-1]}{'A' if sig[-1] != 'A' else 'B'}/",
        f"/updates/unsubscribe/{payload}x:{stamp}:{sig}/",
        f"/updates/unsubscribe/{payload}/",
        # Made for another purpose, with a valid signature:
        "/updates/unsubscribe/"
        + tokens.make(tokens.CONFIRM, two_lists.pk, two_lists.email_hash, (lists.deal.pk,))
        + "/",
        "/updates/unsubscribe/"
        + tokens.make(tokens.PREFERENCES, two_lists.pk, two_lists.email_hash)
        + "/",
        # A token for a subscriber id with someone else's address hash:
        "/updates/unsubscribe/"
        + tokens.make(tokens.UNSUBSCRIBE, two_lists.pk, other.email_hash, (lists.deal.pk,))
        + "/",
    ]
    for bad in candidates:
        response = Client().post(
            bad, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 400, bad
    assert states(two_lists) == {"deal-news": "confirmed", "all-news": "confirmed"}
    assert states(other) == {"deal-news": "confirmed"}


def test_a_link_to_an_erased_subscriber_does_nothing(lists: Lists, two_lists: Subscriber) -> None:
    from detente.mailing.services import erase

    url = one_click(two_lists, lists)
    erase(two_lists)
    assert Client().post(url).status_code == 400


def test_the_preferences_page_changes_lists_and_language(
    lists: Lists, two_lists: Subscriber
) -> None:
    token = tokens.make(tokens.PREFERENCES, two_lists.pk, two_lists.email_hash)
    url = f"/updates/preferences/{token}/"
    client = Client()
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        url,
        # The page (and its notice) is in English; the emails will now come in Spanish.
        {"lists": [lists.country.pk], "language": "es", "notice": form_notice("en"), "save": ""},
    )
    assert response.status_code == 302
    assert states(two_lists) == {
        "deal-news": "unsubscribed",
        "all-news": "unsubscribed",
        "releasing-news": "confirmed",
    }
    two_lists.refresh_from_db()
    assert two_lists.language == "es"
    # The added list is consent like any other: the notice shown is on record.
    consent = Consent.objects.get(action="preferences")
    assert consent.lists == ["releasing-news"] and consent.language == "en"
    assert "Sus elecciones se han guardado." in client.get(response["Location"]).content.decode()


def test_the_preferences_page_can_leave_every_list(lists: Lists, two_lists: Subscriber) -> None:
    token = tokens.make(tokens.PREFERENCES, two_lists.pk, two_lists.email_hash)
    url = f"/updates/preferences/{token}/"
    response = Client().post(url, {"leave_all": ""})
    assert response.status_code == 302
    assert set(states(two_lists).values()) == {"unsubscribed"}


def test_the_preferences_page_needs_a_valid_link(lists: Lists, two_lists: Subscriber) -> None:
    unsub = one_click(two_lists, lists).split("/")[3]
    response = Client().post(f"/updates/preferences/{unsub}/", {"leave_all": ""})
    assert response.status_code == 400
    assert set(states(two_lists).values()) == {"confirmed"}
