"""No name in an address (SECURITY.md): the staff searches take the text in a POST body.

A GET carrying the name in its query string (``?q=``, or the new-person form's fields)
searches for no one: the person search answers its page with an empty box, the
suggestions and the review search answer 405, and nothing is looked up (no ``person.search``
or ``person.match`` entry in the ledger). The same text in a POST body searches. The
browser side (no name in any address the browser asks for, nor in its history) is
tests/browser/test_names_in_addresses.py; every role against these routes is
tests/security/test_personas.py.
"""

from __future__ import annotations

import re

from django.test import Client
from tests.security.routes_staff import _queued_row
from tests.support import World, make_user

from detente.audit.models import AuditEntry

NAME = "Yoandri 0 Perez"


def _searches() -> int:
    return AuditEntry.objects.filter(action__in=("person.search", "person.match")).count()


def _client(role: str) -> Client:
    client = Client()
    client.force_login(make_user(f"addr-{role}", role))
    return client


def test_a_get_with_q_does_not_search_the_people_page(world: World) -> None:
    client = _client("analyst")
    handle = world.person().handle
    before = _searches()
    page = client.get("/staff/people/", {"q": NAME})
    assert page.status_code == 200
    html = page.content.decode()
    # Not searched and not echoed back: the box is empty and the page lists everyone, as
    # a plain visit does (the list is not narrowed by the name).
    assert 'value=""' in html and "best match first" not in html
    plain = client.get("/staff/people/").content.decode()
    assert html.count("<tr>") == plain.count("<tr>")
    partial = client.get(
        "/staff/people/", {"q": NAME}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    assert handle not in partial.content.decode()
    assert _searches() == before


def test_a_post_searches_the_people_page_at_the_same_address(world: World) -> None:
    client = _client("analyst")
    handle = world.person().handle
    before = _searches()
    page = client.post("/staff/people/", {"q": NAME})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="/staff/people/{handle}/"' in html
    # Neither the answer's address nor its title (both kept in the browser's history)
    # holds the name; the box keeps it.
    assert "Location" not in page
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title and "Yoandri" not in title.group(1)
    assert f'value="{NAME}"' in html
    assert _searches() == before + 1
    partial = client.post(
        "/staff/people/", {"q": NAME}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    assert handle in partial.content.decode() and "<html" not in partial.content.decode()


def test_the_search_forms_post_with_their_csrf_token(world: World) -> None:
    """Every form that sends a name posts it, token included, and a browser's POST without
    the token is refused (htmx sends the enclosing form's fields, the token among them)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("addr-csrf", "analyst"))
    for address in ("/staff/", "/staff/people/", "/staff/people/new/"):
        html = client.get(address).content.decode()
        # No form that takes a name is sent by GET (the People list's filters are, and
        # carry no name: no text box among them).
        for form in re.findall(r'<form[^>]*method="get"[^>]*>.*?</form>', html, re.S):
            assert 'name="q"' not in form and 'type="search"' not in form, address
        assert "hx-get" not in html, address
        assert 'name="csrfmiddlewaretoken"' in html, address
    people = client.get("/staff/people/").content.decode()
    assert re.search(r'<form class="search" method="post" action="/staff/people/"', people)
    assert 'hx-post="/staff/people/"' in people and "hx-push-url" not in people
    dashboard = client.get("/staff/").content.decode()
    assert re.search(
        r'<form class="search-inline" method="post" action="/staff/people/"', dashboard
    )
    new = client.get("/staff/people/new/").content.decode()
    assert 'hx-post="/staff/people/suggest/"' in new
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', people)
    assert token is not None
    assert client.post("/staff/people/", {"q": NAME}).status_code == 403
    found = client.post("/staff/people/", {"q": NAME, "csrfmiddlewaretoken": token.group(1)})
    assert found.status_code == 200 and world.person().handle in found.content.decode()


def test_suggestions_take_the_names_by_post_only(world: World) -> None:
    client = _client("analyst")
    names = {"given_names": "Yoandri 1", "paternal_surname": "Perez", "sex": "X"}
    before = _searches()
    refused = client.get("/staff/people/suggest/", names, HTTP_HX_REQUEST="true")
    assert refused.status_code == 405
    assert _searches() == before
    panel = client.post("/staff/people/suggest/", names, HTTP_HX_REQUEST="true")
    assert panel.status_code == 200 and world.person(1).handle in panel.content.decode()
    assert _searches() == before + 1
    # The new-person page itself ignores names in its address: no field is filled from it.
    page = client.get("/staff/people/new/", names)
    assert page.status_code == 200 and 'value="Yoandri 1"' not in page.content.decode()


def test_the_review_search_takes_the_name_by_post_only(world: World) -> None:
    row = _queued_row(world)
    client = _client("verifier")
    before = _searches()
    refused = client.get(f"/staff/matches/{row}/search/", {"q": NAME})
    assert refused.status_code == 405
    page = client.get(f"/staff/matches/{row}/", {"q": NAME})
    assert page.status_code == 200 and f'value="{NAME}"' not in page.content.decode()
    assert _searches() == before
    found = client.post(f"/staff/matches/{row}/search/", {"q": NAME})
    assert found.status_code == 200
    assert "Location" not in found
    assert world.person().handle in found.content.decode()
    assert _searches() == before + 1
