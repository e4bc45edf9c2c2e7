"""The frame around every page: the staff menu on one line with "More" for the rest, the
site's icon on every kind of page, and the API documentation inside the site's frame."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.contrib.staticfiles import finders
from django.test import Client
from tests.support import make_user

FAVICON = re.compile(
    r'<link rel="icon" href="/static/web/favicon[^"]*\.svg" type="image/svg\+xml">'
)


def _menu(html: str) -> tuple[list[str], list[str], str]:
    """The menu bar's entries, the entries under "More", and the "More" element's tag."""
    nav = html[html.index('<nav aria-label="Staff"') : html.index("</nav>")]
    more_at = nav.index('<li class="nav-more">')
    bar = re.findall(r'<a href="([^"]+)"', nav[:more_at])
    more = re.findall(r'<a href="([^"]+)"', nav[more_at:])
    return bar, more, re.search(r"<details[^>]*>", nav[more_at:]).group(0)  # type: ignore[union-attr]


def test_the_staff_menu_keeps_everyday_pages_in_the_bar_and_the_rest_under_more(
    db: Any, signed_in: Callable[..., Client]
) -> None:
    admin = signed_in("administrator")
    html = admin.get("/staff/people/").content.decode()
    bar, more, details = _menu(html)
    assert bar == [
        "/staff/",
        "/staff/people/",
        "/staff/verification/",
        "/staff/imports/",
        "/staff/matches/",
        "/staff/agreements/",
    ]
    assert set(more) == {
        "/staff/work/",  # "My work" (casework); the dashboard links to it too
        "/staff/estimates/",
        "/staff/parties/",
        "/staff/sources/",
        "/staff/disclosures/",
        "/staff/statistics/",
        "/staff/ledger/",
        "/staff/users/",
        "/staff/tokens/",
    }
    assert details == "<details>"  # closed, and not the current section
    assert "<summary><span>More</span></summary>" in html
    # On a page under "More", the menu says so (the link itself carries aria-current).
    html = admin.get("/staff/ledger/").content.decode()
    assert _menu(html)[2] == '<details class="has-current">'
    assert 'href="/staff/ledger/" aria-current="page"' in html
    # Only the pages this role may open: no ledger or users for an analyst.
    _bar, more, _details = _menu(signed_in("analyst").get("/staff/people/").content.decode())
    assert "/staff/ledger/" not in more and "/staff/users/" not in more
    assert "/staff/sources/" in more


def test_every_kind_of_page_has_the_icon(db: Any, signed_in: Callable[..., Client]) -> None:
    path = finders.find("web/favicon.svg")
    assert path and open(path, encoding="utf-8").read().startswith("<svg")  # noqa: SIM115
    staff = signed_in("analyst")
    make_user("keeper", "administrator", staff=True)
    for client, url in (
        (Client(), "/"),  # a public page
        (Client(), "/api/docs"),  # the API documentation
        (Client(), "/staff/login/"),  # the staff sign-in
        (staff, "/staff/people/"),  # a staff page
        (staff, "/staff/sources/"),  # an oversight page
        (Client(), "/admin/login/"),  # Django's admin
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert FAVICON.search(response.content.decode()), url


def test_the_api_docs_are_inside_the_site_frame(db: Any) -> None:
    html = Client().get("/api/docs").content.decode()
    assert html.count("<html") == 1 and '<header class="site-header">' in html
    assert "<title>Detente API · Detente</title>" in html
    assert '<nav aria-label="Main">' in html and 'href="/methods/"' in html
    # The language switch comes back to the documentation.
    assert re.search(r'<form class="language" action="/i18n/setlang/"', html)
    assert '<input type="hidden" name="next" value="/api/docs">' in html
    assert '<footer class="site-footer">' in html
    spanish = Client().get("/api/docs", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="es">' in spanish and ">Acuerdos</a>" in spanish
    assert "Cómo funciona" in spanish  # the documentation's own text, in Spanish too


def test_the_api_operations_are_summed_up_in_the_reader_s_language(db: Any) -> None:
    """Each operation's one-line summary is translated on the documentation page; the
    schema, which programs read, keeps the English."""
    english = Client().get("/api/docs").content.decode()
    spanish = Client().get("/api/docs", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "List agreements" in english and "Listar los acuerdos" not in english
    assert "Listar los acuerdos" in spanish and "List agreements" not in spanish
    assert "Imprimir el informe de un acuerdo (PDF)" in spanish
    schema = Client().get("/api/openapi.json", HTTP_ACCEPT_LANGUAGE="es").json()
    assert schema["paths"]["/api/agreements"]["get"]["summary"] == "List agreements"


def test_every_api_operation_summary_has_its_spanish(db: Any) -> None:
    from django.utils import translation

    schema = Client().get("/api/openapi.json").json()
    summaries = {op["summary"] for ops in schema["paths"].values() for op in ops.values()}
    with translation.override("es"):
        untranslated = sorted(s for s in summaries if translation.gettext(s) == s)
    assert untranslated == []
