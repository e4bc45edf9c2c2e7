"""The public site as an anonymous visitor meets it: figures, names, caching, language."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.publishing.releasing import release as release_statistics
from tests.support import World, at, build_world, forget_public_copies, make_user, set_identity

from detente.access.policy import Role
from detente.access.services import agreement_set_audience, disclosure_approve, disclosure_propose
from detente.evidence.services import claim_record
from detente.registry.status import CustodyStatus

PO_FILE = Path(__file__).resolve().parents[2] / "src/detente/locale/es/LC_MESSAGES/django.po"


def release(w: World, source: str, i: int, day: str, status: str = "") -> None:
    claim_record(
        actor=w.actor,
        source=w.sources[source],
        person=w.person(i),
        agreement=w.agreement,
        status=status or CustodyStatus.UNCONDITIONAL_RELEASE,
        event_date=dt.date.fromisoformat(day),
        received_at=at(day),
    )


def make_public(world: World) -> World:
    """The small agreement, shown to everyone: one release reported, one confirmed."""
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="public")
    release(world, "gov", 0, "2020-02-01")
    release(world, "gov", 1, "2020-02-01", CustodyStatus.PAROLE)
    release(world, "embassy", 1, "2020-02-20", CustodyStatus.PAROLE)
    return world


@pytest.fixture
def public(world: World) -> World:
    return make_public(world)


def disclose(w: World, audience: str) -> None:
    proposer = User.objects.filter(username="a").first() or make_user("a", Role.ANALYST)
    approver = User.objects.filter(username="v").first() or make_user("v", Role.VERIFIER)
    d = disclosure_propose(
        actor=proposer, audience=audience, reason="hearing", agreement=w.agreement
    )
    disclosure_approve(actor=approver, disclosure=d)


def text(response: Any) -> str:
    return str(response.content.decode())


def figure(html: str, label: str) -> str:
    """The number shown under a headline label."""
    match = re.search(rf"<dt>{re.escape(label)}</dt><dd>([^<]*)</dd>", html)
    assert match, label
    return match.group(1)


def test_the_agreement_page_puts_the_headline_first(client: Client, public: World) -> None:
    html = text(client.get("/agreements/deal/"))
    assert figure(html, "Promised") == "5"
    assert figure(html, "Claimed released") == "2"
    assert figure(html, "Independently confirmed") == "1"
    assert "Of those confirmed released, 1 on conditions and 0 unconditionally." in html
    # Where everyone promised stands: the parts add up to the promise.
    assert "Where the 5 people stand" in html
    parts = {
        label: int(figure(html, label))
        for label in (
            "Independently confirmed released",
            "Reported released, not confirmed",
            "Disputed",
            "Still held",
            "Re-arrested",
            "Not yet named",
        )
    }
    assert parts["Still held"] == 1
    assert parts["Re-arrested"] == 0
    assert sum(parts.values()) == 5
    # The headline comes before the chart, the milestones and the list of people.
    assert html.index("Independently confirmed") < html.index("<svg") < html.index("Milestones")
    assert '<progress id="bar-confirmed" class="confirmed" max="5" value="1">' in html
    assert "The difference of 1:" in html
    assert "1 named person reported released and not yet independently confirmed" in html


def test_the_chart_shows_what_was_known_each_week(client: Client, public: World) -> None:
    html = text(client.get("/agreements/deal/"))
    assert html.count('class="line-confirmed"') == 1
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td></tr>', html)
    assert rows[0] == ("10 Jan 2020", "0", "0")  # the announcement: nothing yet
    assert rows[-1][1:] == ("2", "1")  # today, as the headline
    assert len(rows) <= 27
    assert [int(c) for _d, c, _f in rows] == sorted(int(c) for _d, c, _f in rows)


def test_chart_dates_are_weekly_when_they_fit_and_always_end_today() -> None:
    from detente.web.charts import chart_dates

    start = dt.date(2020, 1, 10)
    weekly = chart_dates(start, dt.date(2020, 3, 1))
    assert weekly[:3] == [start, dt.date(2020, 1, 17), dt.date(2020, 1, 24)]
    assert weekly[-1] == dt.date(2020, 3, 1)
    spread = chart_dates(start, dt.date(2026, 12, 6))
    assert spread[0] == start and spread[-1] == dt.date(2026, 12, 6)
    assert len(spread) == 26 and spread == sorted(set(spread))
    assert chart_dates(dt.date(2030, 1, 1), dt.date(2026, 12, 6)) == [dt.date(2026, 12, 6)]


def test_milestones_are_listed_with_their_dates(client: Client, public: World) -> None:
    html = text(client.get("/agreements/deal/"))
    assert re.search(
        r"First release reported</span>\s*<span class=\"when\"><time[^>]*>1 Feb 2020", html
    )
    assert re.search(
        r"First release confirmed</span>\s*<span class=\"when\"><time[^>]*>20 Feb 2020", html
    )
    assert re.search(
        r"All named members confirmed released</span>\s*<span class=\"when\">not yet", html
    )


def test_the_list_shows_public_agreements_only(client: Client, public: World) -> None:
    hidden = build_world(public.actor, slug="secret")
    hidden.agreement.title = "Secret deal"
    hidden.agreement.save()
    html = text(client.get("/"))
    assert "Test agreement" in html and 'href="/agreements/deal/"' in html
    assert "Secret deal" not in html
    assert figure(html, "Independently confirmed") == "1"


def test_a_hidden_agreement_answers_exactly_like_a_missing_one(
    client: Client, public: World
) -> None:
    build_world(public.actor, slug="secret")  # audience: staff only
    hidden = client.get("/agreements/secret/")
    missing = client.get("/agreements/no-such/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert b"secret" not in hidden.content


def test_names_appear_only_once_disclosed_to_the_public(client: Client, public: World) -> None:
    html = text(client.get("/agreements/deal/"))
    handle = public.person(0).handle
    assert handle in html and "Yoandri" not in html and "(name not public)" in html
    disclose(public, "legislature")
    assert "Yoandri" not in text(client.get("/agreements/deal/"))
    assert client.get(f"/people/{handle}/").status_code == 404
    disclose(public, "public")
    html = text(client.get("/agreements/deal/"))
    assert f'<a href="/people/{handle}/">Yoandri 0 Pérez</a>' in html
    profile = client.get(f"/people/{handle}/")
    assert profile.status_code == 200
    assert "<h1>Yoandri 0 Pérez" in text(profile)
    assert "Reported released" in text(profile)
    # Where they are from, as a reader says it: the division by its name.
    set_identity(
        public.person(0), municipality="Palma Soriano", division="CU-13", province="Stgo. de Cuba"
    )
    forget_public_copies()  # the anonymous copy is keyed on the ledger, which a raw update skips
    assert "Palma Soriano, Santiago de Cuba" in text(client.get(f"/people/{handle}/"))


def test_a_person_without_a_public_name_answers_like_a_missing_one(
    client: Client, public: World
) -> None:
    disclose(public, "legislature")
    hidden = client.get(f"/people/{public.person(0).handle}/")
    missing = client.get("/people/P-9999/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_pages_are_cacheable_and_answer_304_until_the_figures_change(
    client: Client, public: World
) -> None:
    first = client.get("/agreements/deal/")
    etag = first["ETag"]
    assert "public" in first["Cache-Control"] and "max-age=60" in first["Cache-Control"]
    vary = first["Vary"].lower()
    assert "accept-language" in vary and "cookie" in vary
    again = client.get("/agreements/deal/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and again.content == b""
    release(public, "embassy", 0, "2020-03-01")
    fresh = client.get("/agreements/deal/", HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag
    assert figure(text(fresh), "Independently confirmed") == "2"
    # The same page in another language is another version.
    spanish = client.get(
        "/agreements/deal/", HTTP_IF_NONE_MATCH=fresh["ETag"], HTTP_ACCEPT_LANGUAGE="es"
    )
    assert spanish.status_code == 200 and spanish["ETag"] != fresh["ETag"]


def test_an_anonymous_page_is_rendered_once_until_something_changes(
    client: Client, public: World, django_assert_max_num_queries: Any
) -> None:
    first = text(client.get("/agreements/deal/"))
    with django_assert_max_num_queries(1):  # the copy, with the data version beside it
        assert text(client.get("/agreements/deal/")) == first
    release(public, "embassy", 0, "2020-03-01")
    assert figure(text(client.get("/agreements/deal/")), "Independently confirmed") == "2"


def test_a_signed_in_visitor_never_gets_the_anonymous_copy(client: Client, public: World) -> None:
    disclose(public, "legislature")
    assert "Yoandri" not in text(client.get("/agreements/deal/"))  # now cached
    client.force_login(make_user("reader", Role.LEGISLATURE))
    html = text(client.get("/agreements/deal/"))
    assert "Yoandri 0 Pérez" in html
    # They are told who they are signed in as, can sign out, and are not told that names
    # appear only once public.
    assert "Signed in as reader" in html and 'action="/staff/logout/"' in html
    assert "Names are shown only once" not in html


@pytest.mark.parametrize("url", ["/", "/agreements/deal/", "/statistics/", "/methods/"])
def test_every_page_has_an_etag_and_answers_a_conditional_get(
    client: Client, public: World, url: str
) -> None:
    first = client.get(url)
    assert first.status_code == 200
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_a_signed_in_page_is_never_stored_by_a_cache(client: Client, public: World) -> None:
    client.force_login(make_user("reader", None))
    response = client.get("/agreements/deal/")
    assert response["Cache-Control"] == "no-store"


def test_statistics_show_suppressed_cells_as_dashes(client: Client, public: World) -> None:
    assert "No statistics have been released yet" in text(client.get("/statistics/"))
    release_statistics()
    html = text(client.get("/statistics/"))
    assert "<h1>Statistics</h1>" in html
    assert "a dash (—) replaces any count below 5" in html
    assert "People by province and year of arrest" in html
    assert "These tables count the 3 people named" in html


def test_the_methods_page_explains_confirmation(client: Client, db: Any) -> None:
    html = text(client.get("/methods/"))
    assert "House arrest is not release" in html
    assert "Independently confirmed" in html


SPANISH = {
    "/": "Acuerdos para liberar a presos políticos",
    "/agreements/deal/": "Confirmadas de forma independiente",
    "/statistics/": "Estadísticas",
    "/methods/": "El arresto domiciliario no es excarcelación",
}


@pytest.mark.parametrize(("url", "phrase"), SPANISH.items())
def test_each_page_speaks_spanish_when_asked(
    client: Client, public: World, url: str, phrase: str
) -> None:
    by_header = text(client.get(url, HTTP_ACCEPT_LANGUAGE="es"))
    assert '<html lang="es">' in by_header and phrase in by_header
    client.cookies["django_language"] = "es"
    assert phrase in text(client.get(url))


def test_the_profile_and_dates_are_in_spanish(client: Client, public: World) -> None:
    disclose(public, "public")
    html = text(client.get(f"/people/{public.person(1).handle}/", HTTP_ACCEPT_LANGUAGE="es"))
    assert "En acuerdos públicos" in html and "1 feb 2020" in html
    assert "Excarcelación condicional: licencia" not in html  # parole, not licence
    assert "libertad condicional" in html and ">Test agreement</a>" in html
    html = text(client.get("/agreements/deal/", HTTP_ACCEPT_LANGUAGE="es"))
    assert "10 ene 2020" in html and "Prometidos" in html
    # Chart coordinates stay machine numbers: a Spanish decimal comma would break the SVG.
    assert re.search(r'<circle class="dot-confirmed" cx="\d+\.\d" cy="\d+\.\d"', html)
    assert not re.search(r'c[xy]="\d+,\d', html)


def test_the_language_switch_is_remembered(client: Client, public: World) -> None:
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/methods/"})
    assert response.status_code == 302 and response["Location"] == "/methods/"
    assert response.cookies["django_language"].value == "es"
    assert '<html lang="es">' in text(client.get("/"))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert '<html lang="en">' in text(client.get("/"))


def test_the_language_switch_is_a_labelled_form(client: Client, db: Any) -> None:
    html = text(client.get("/methods/"))
    assert '<label for="language-select">Language</label>' in html
    assert '<form class="language" action="/i18n/setlang/" method="post">' in html


INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=", re.I)


def test_no_page_carries_inline_script_or_style(client: Client, public: World) -> None:
    disclose(public, "public")
    urls = ["/", "/agreements/deal/", f"/people/{public.person(0).handle}/", "/statistics/"]
    for url in [*urls, "/methods/", "/no/such/page/"]:
        html = text(client.get(url))
        assert not INLINE.search(html), url
        assert "<main" in html and "<h1>" in html


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="msgfmt is not installed")
def test_the_spanish_catalogue_is_complete_and_compiles() -> None:
    result = subprocess.run(  # noqa: S603 - fixed arguments
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(PO_FILE)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # "N translated messages." and nothing fuzzy or untranslated.
    assert "fuzzy" not in result.stderr and "untranslated" not in result.stderr, result.stderr


def test_the_chart_runs_to_today_and_ends_on_the_headline(
    client: Client, db: Any, tmp_path: Path, settings: Any
) -> None:
    """Issue 14 point 5: the chart's last point is today's figure, the headline's, however
    long ago the agreement was announced (the demo's: December 2014)."""
    from django.contrib.auth.models import AnonymousUser
    from django.utils import timezone
    from django.utils.formats import date_format

    from detente.agreements.models import Agreement
    from detente.agreements.selectors import agreement_progress
    from detente.demo.scenario import DEMO_AGREEMENT, load_demo

    settings.DATA_DIR = tmp_path  # the demo writes its logins there
    load_demo()
    html = text(client.get(f"/agreements/{DEMO_AGREEMENT}/"))
    progress = agreement_progress(AnonymousUser(), Agreement.objects.get(slug=DEMO_AGREEMENT))
    row = r"<tr><th scope=\"row\">([^<]+)</th><td>(\d+)</td><td>(\d+)</td></tr>"
    rows = re.findall(row, html)
    assert len(rows) >= 20
    assert rows[-1] == (
        date_format(timezone.localdate(), "DATE_FORMAT"),
        str(progress.claimed),
        str(progress.confirmed),
    )
    assert f"{progress.claimed} claimed and {progress.confirmed} confirmed at the end" in html
    assert "Figures as of" in html


def test_a_woman_s_status_agrees_with_her_in_spanish(client: Client, public: World) -> None:
    """'Indultada' for a woman, 'Indultado' for a man, where the name is shown; English reads
    the same for both."""

    from detente.registry.models import Identity

    person = public.person(2)
    release(public, "embassy", 2, "2020-03-01", CustodyStatus.PARDONED)
    disclose(public, "public")
    url = f"/people/{person.handle}/"
    shown = {}
    for sex in ("F", "M"):
        Identity.objects.filter(person=person).update(sex=sex)
        forget_public_copies()  # changed behind the services' back: no new data version
        shown[sex] = text(client.get(url, HTTP_ACCEPT_LANGUAGE="es"))
    assert "<td>Indultada o amnistiada</td>" in shown["F"] and "Indultado" not in shown["F"]
    assert "<td>Indultado o amnistiado</td>" in shown["M"] and "Indultada" not in shown["M"]
    Identity.objects.filter(person=person).update(sex="F")
    forget_public_copies()
    assert "<td>Pardoned or amnestied</td>" in text(client.get(url))


def test_the_member_list_agrees_with_a_named_woman_and_keeps_the_plain_word_otherwise(
    client: Client, public: World
) -> None:
    """In the agreement's member list, too: 'Indultada' for a named woman; before her name
    is public the plain label, since the form of the word would tell her sex."""
    from detente.registry.models import Identity

    person = public.person(2)
    Identity.objects.filter(person=person).update(sex="F")
    release(public, "embassy", 2, "2020-03-01", CustodyStatus.PARDONED)

    def her_row() -> str:
        html = text(client.get("/agreements/deal/", HTTP_ACCEPT_LANGUAGE="es"))
        match = re.search(
            rf"<tr[^>]*>(?:(?!</tr>).)*{person.handle}(?:(?!</tr>).)*</tr>", html, re.S
        )
        assert match, person.handle
        return match.group(0)

    unnamed = her_row()
    assert "Indultado o amnistiado" in unnamed and "Yoandri" not in unnamed
    disclose(public, "public")
    named = her_row()
    assert "Yoandri 2 Pérez" in named and "Indultada o amnistiada" in named


@pytest.mark.parametrize(("language", "words"), [("en", "Figures as of"), ("es", "Cifras a")])
def test_the_list_and_person_pages_say_as_of_when(
    client: Client, public: World, language: str, words: str
) -> None:
    from django.utils import timezone, translation
    from django.utils.formats import date_format

    disclose(public, "public")
    with translation.override(language):
        day = date_format(timezone.localdate(), "DATE_FORMAT")
    for url in ("/", f"/people/{public.person(0).handle}/"):
        html = text(client.get(url, HTTP_ACCEPT_LANGUAGE=language))
        assert f"{words} {day}" in html, url
