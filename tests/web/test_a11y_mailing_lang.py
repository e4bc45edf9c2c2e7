"""A mailing list's name on a page in Spanish: the parts kept as entered in English (an
agreement's title with no Spanish one, a party's name) marked lang="en", so that a screen
reader reads them with the English voice, as on the agreement pages; nothing marked on a
page in English."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import translation
from tests.support import World, make_user

from detente.access.policy import Role
from detente.access.services import agreement_set_audience
from detente.mailing import services
from detente.mailing.models import MailingList

MARKED = re.compile(r'<span lang="en">(Test agreement|Releasing)</span>')


@pytest.fixture
def lists(world: World) -> dict[str, MailingList]:
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="public")
    return {
        "agreement": services.list_create(
            actor=world.actor, slug="deal-news", kind="agreement", agreement=world.agreement
        ),
        "country": services.list_create(
            actor=world.actor, slug="releasing-news", kind="country", party=world.releasing
        ),
    }


def _marked(html: str) -> set[str]:
    return set(MARKED.findall(html))


def test_the_subscription_form_marks_english_names_on_the_spanish_page(
    lists: dict[str, MailingList],
) -> None:
    spanish = Client(HTTP_ACCEPT_LANGUAGE="es").get("/updates/").content.decode()
    assert _marked(spanish) == {"Test agreement", "Releasing"}
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/updates/").content.decode()
    assert not _marked(english) and "Updates on Releasing" in english


def test_the_unsubscribe_page_marks_the_lists_english_name(lists: dict[str, MailingList]) -> None:
    request = RequestFactory().get("/updates/unsubscribe/x/")
    request.user = AnonymousUser()
    for kind, name in (("agreement", "Test agreement"), ("country", "Releasing")):
        context = {"list": lists[kind], "done": True, "preferences_path": "/"}
        with translation.override("es"):
            html = render_to_string("mailing/unsubscribe.html", context, request=request)
        assert _marked(html) == {name}, kind
        with translation.override("en"):
            html = render_to_string("mailing/unsubscribe.html", context, request=request)
        assert not _marked(html) and name in html, kind


def test_the_staff_mailing_pages_mark_english_names_on_the_spanish_page(
    lists: dict[str, MailingList], world: World
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    client.force_login(make_user("adam", Role.ADMINISTRATOR))
    assert _marked(client.get("/staff/updates/").content.decode()) == {
        "Test agreement",
        "Releasing",
    }
    for slug, name in (("deal-news", "Test agreement"), ("releasing-news", "Releasing")):
        assert name in _marked(client.get(f"/staff/updates/{slug}/").content.decode()), slug
        assert name in _marked(client.get(f"/staff/updates/{slug}/send/").content.decode())
