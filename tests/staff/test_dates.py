"""Dates as a person reads them: one form in each language ("17 Dec 2014", "17 dic 2014"),
a partial date no more precise than it is known, and the browser's own date picker."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import translation
from tests.support import World, at

from detente.core.dates import DatePrecision, localized
from detente.evidence.services import claim_record
from detente.registry.services import person_create
from detente.registry.status import CustodyStatus

# The forms Django would otherwise give: "Feb. 1, 2020", "02/02/2020", "1 de febrero de
# 2020", "noon"/"p.m." — three orders and two clocks on one page.
OTHER_FORMS = re.compile(
    r"\b[A-Z][a-z]{2}\. \d{1,2}, \d{4}|\b\d{1,2}/\d{1,2}/\d{4}\b|[ap]\.m\.|\bnoon\b"
    r"|\d{1,2} de [a-z]+ de \d{4}"
)


def visible(html: str) -> str:
    """The page's text without its tags (so ``datetime="2020-02-02T12:00:00+00:00"``, for
    machines, is not counted)."""
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize(
    ("language", "day", "received", "episode", "named"),
    [
        ("en", "1 Feb 2020", "2 Feb 2020, 12:00", "1 May 2018", "15 Jan 2020"),
        ("es", "1 feb 2020", "2 feb 2020, 12:00", "1 may 2018", "15 ene 2020"),
    ],
)
def test_the_person_page_writes_every_date_one_way_in_each_language(
    world: World,
    signed_in: Callable[..., Client],
    language: str,
    day: str,
    received: str,
    episode: str,
    named: str,
) -> None:
    person = world.person()
    claim_record(
        actor=world.actor,
        source=world.sources["gov"],
        person=person,
        agreement=world.agreement,
        status=CustodyStatus.PAROLE,
        event_date=dt.date(2020, 2, 1),
        received_at=at("2020-02-02"),
    )
    client = signed_in("analyst", language=language)
    text = visible(client.get(f"/staff/people/{person.handle}/").content.decode())
    assert day in text  # the claim's date, and the release it reports
    assert received in text  # when the claim came in
    assert episode in text  # the custody timeline
    assert named in text  # named on the agreement
    assert not OTHER_FORMS.search(text), OTHER_FORMS.search(text)
    assert "2020-02-01" not in text and "2018-05-01" not in text


@pytest.mark.parametrize(
    ("precision", "language", "shown", "not_shown"),
    [
        (DatePrecision.YEAR, "en", "1985", ("1985-01-01", "Jan 1985", "1 Jan 1985")),
        (DatePrecision.YEAR, "es", "1985", ("1985-01-01", "ene 1985", "1 ene 1985")),
        (DatePrecision.MONTH, "en", "Mar 1985", ("1985-03-01", "1 Mar 1985")),
        (DatePrecision.MONTH, "es", "mar 1985", ("1985-03-01", "1 mar 1985")),
        (DatePrecision.DAY, "es", "17 mar 1985", ("1985-03-17",)),
    ],
)
def test_a_birth_date_is_shown_as_far_as_it_is_known(
    world: World,
    signed_in: Callable[..., Client],
    precision: str,
    language: str,
    shown: str,
    not_shown: tuple[str, ...],
) -> None:
    person = person_create(
        actor=world.actor,
        given_names="Ana",
        paternal_surname="Ruiz",
        birth_date=dt.date(1985, 3, 17),
        birth_precision=precision,
    )
    client = signed_in("analyst", language=language)
    html = client.get(f"/staff/people/{person.handle}/").content.decode()
    born = re.search(
        r"<dt>(?:Born|Nacimiento|Nació|Fecha de nacimiento)</dt><dd>([^<]*)</dd>", html
    )
    assert born is not None and born.group(1) == shown
    for other in not_shown:
        assert other not in visible(html)


def test_the_words_for_a_date_follow_the_language() -> None:
    day = dt.date(2014, 12, 17)
    with translation.override("en"):
        assert localized(day) == "17 Dec 2014"
        assert localized(day, DatePrecision.MONTH) == "Dec 2014"
    with translation.override("es"):
        assert localized(day) == "17 dic 2014"
        assert localized(day, DatePrecision.MONTH) == "dic 2014"
        assert localized(day, DatePrecision.YEAR) == "2014"


def test_date_fields_are_the_browsers_picker_and_keep_iso_in_spanish(
    world: World, signed_in: Callable[..., Client]
) -> None:
    """A native ``<input type="date">`` shows the date in the reader's own way and sends
    ISO; the value put back into it must be ISO too, or the browser shows it empty."""
    client = signed_in("analyst", language="es")
    page = client.get("/staff/people/new/").content.decode()
    assert re.search(r'<input type="date" name="birth_date"', page)
    # Refused for another field (no given name): the birth date comes back as it was sent.
    page = client.post(
        "/staff/people/new/", {"given_names": "", "birth_date": "1985-03-17"}
    ).content.decode()
    assert 'name="birth_date" value="1985-03-17"' in page
    claim_page = client.get(f"/staff/people/{world.person().handle}/claims/new/").content
    assert b'<input type="date" name="event_date"' in claim_page


def test_the_admin_shows_a_birth_year_as_a_year(world: World) -> None:
    """The admin's identity summary and custody rows read the precision too: a person
    born "1985" is not shown as born on 1985-01-01."""
    from tests.support import make_user

    person = person_create(
        actor=world.actor,
        given_names="Ana",
        birth_date=dt.date(1985, 6, 1),
        birth_precision=DatePrecision.YEAR,
    )
    client = Client()
    client.force_login(make_user("admin-reader", "analyst", staff=True))
    html = client.get(f"/admin/registry/person/{person.pk}/change/").content.decode()
    assert "birth_date: 1985;" in html
    assert "1985-01-01" not in html and "birth_precision" not in html
    html = client.get(f"/admin/registry/person/{world.person().pk}/change/").content.decode()
    assert "1 May 2018" in html  # the custody episode's start
