"""The review queue of uncertain import matches, in the staff application."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from urllib.parse import unquote_plus

import pytest
from django.test import Client
from tests.reconcile.match_review_kit import make_run, queue_row
from tests.security.routes_staff import _queued_row
from tests.support import World, make_user

from detente.audit.models import AuditEntry
from detente.evidence.models import Claim
from detente.reconcile.models import Decision, ImportRow, ImportRun
from detente.reconcile.services import match_review_accept
from detente.registry.models import Person
from detente.registry.services import person_create


def test_a_verifier_sees_the_candidates_and_decides_from_the_page(world: World) -> None:
    row = ImportRow.objects.get(pk=_queued_row(world))
    client = Client()
    client.force_login(make_user("vera", "verifier"))
    listing = client.get("/staff/matches/").content.decode()
    assert f"/staff/matches/{row.pk}/" in listing and "Yoandri 0 Perez" in listing
    page = client.get(f"/staff/matches/{row.pk}/").content.decode()
    assert world.person(0).handle in page and "probability" in page
    # Choosing without a handle is refused on the field, nothing decided.
    refused = client.post(f"/staff/matches/{row.pk}/decide/", {"decision": "choose"})
    assert refused.status_code == 400 and "Give the handle" in refused.content.decode()
    row.refresh_from_db()
    assert row.decision == ""
    done = client.post(
        f"/staff/matches/{row.pk}/decide/",
        {"decision": "choose", "handle": world.person(0).handle, "note": "same family"},
    )
    assert done.status_code == 302
    row.refresh_from_db()
    assert row.decision == Decision.CHOSEN and row.person == world.person(0)


def test_an_analyst_reads_but_cannot_decide(world: World) -> None:
    row = ImportRow.objects.get(pk=_queued_row(world))
    client = Client()
    client.force_login(make_user("ana", "analyst"))
    page = client.get(f"/staff/matches/{row.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Las coincidencias las deciden verificadores" in page
    assert (
        client.post(f"/staff/matches/{row.pk}/decide/", {"decision": "reject"}).status_code == 403
    )


# --- The side-by-side page, the decisions, the search, bulk acceptance ----------------------

NAME_WORDS = ("jose", "josé", "josue", "josué", "gomez", "gómez", "maria", "maría", "pepe")


@pytest.fixture
def people(world: World) -> dict[str, Person]:
    def make(given: str, paternal: str, maternal: str, **more: object) -> Person:
        return person_create(
            actor=world.actor,
            given_names=given,
            paternal_surname=paternal,
            maternal_surname=maternal,
            **more,  # type: ignore[arg-type]
        )

    return {
        "jose": make(
            "José Luis",
            "Gómez",
            "Vázquez",
            birth_date=dt.date(1980, 2, 3),
            province="Holguín",
            municipality="Banes",
            sex="M",
            aliases=["Pepe"],
        ),
        "josue": make("Josué", "Gómez", "Pérez", province="Granma"),
        "maria": make("María", "Pérez", "González", sex="F"),
    }


@pytest.fixture
def run(world: World, people: dict[str, Person]) -> ImportRun:
    """An import of five waiting rows, of several probabilities and reasons."""
    run = make_run(world.actor, world.sources["ngo"], world.agreement, name="ngo-may.csv")
    jose, josue, maria = people["jose"], people["josue"], people["maria"]
    queue_row(
        run,
        2,
        [(jose, 0.97), (josue, 0.40), (world.person(0), 0.10)],
        birth_date="1980-02-01",
        birth_precision="month",
        sex="M",
        municipality="Banes",
        aliases=["Pepito"],
        evidence="Seen in Holguín prison",
        levels={
            "given_name": "nickname",
            "surnames": "one_missing_exact",
            "birth_date": "to_month",
            "place": "municipality",
            "sex": "missing",
        },
    )
    queue_row(run, 3, [(maria, 0.91)], reason="names_only", given_names="Maria")
    queue_row(run, 4, [(jose, 0.99)], reason="given_names", given_names="Juan")
    queue_row(run, 5, [(josue, 0.60)], given_names="Josue")
    queue_row(run, 6, [(maria, 0.30)], reason="sex", given_names="Mario", sex="M")
    return run


def rows_of(run: ImportRun) -> dict[int, ImportRow]:
    return {r.number: r for r in run.row_set.all()}


def urls_in(html: str) -> list[str]:
    """Every address a page holds: links, form targets, htmx targets, scripts, styles."""
    found = re.findall(r'(?:href|action|src|hx-post|hx-get|hx-put|formaction)="([^"]*)"', html)
    return [unquote_plus(u) for u in found]


def test_side_by_side_shows_each_field_at_its_level_in_words(
    run: ImportRun, people: dict[str, Person], world: World, signed_in: Callable[..., Client]
) -> None:
    row = rows_of(run)[2]
    page = signed_in("verifier").get(f"/staff/matches/{row.pk}/").content.decode()
    # The list's row and the candidates, field by field.
    assert "Pepe Gómez" in page and "Pepito" in page and "Feb 1980" in page
    assert "José Luis Gómez Vázquez" in page and "3 Feb 1980" in page and "Banes" in page
    assert "probability 0.970" in page and "probability 0.400" in page
    # Each comparison: a word for how far it agrees, and the level in words.
    assert "same given names once nicknames and abbreviations are resolved" in page
    assert "one side gives a single surname, and it agrees" in page
    assert "same year and month (one side gives no day)" in page
    assert "not given on one side, or on either" in page
    for word in ("Agrees", "Partly", "Not known"):
        assert f"</span> {word}</span>" in page, word
    assert "agreement-agree" in page and "agreement-missing" in page
    # Why it was queued, and the claim that will be recorded.
    assert "Likely but not sure" in page
    assert "The claim that will be recorded" in page
    assert "Detained" in page and "1 May 2024" in page and "Test agreement" in page
    assert "Seen in Holguín prison" in page
    jose, member = people["jose"].handle, world.person(0).handle
    assert f"If it is {jose}: named on it now." in page
    assert f"If it is {member}: already named on it." in page
    # One button per candidate, the best one accepting; and "none of these".
    assert 'name="decision" value="accept" data-key="1"' in page
    assert f'name="handle" value="{people["josue"].handle}" data-key="2"' in page
    assert 'name="decision" value="reject" data-key="n"' in page
    # Seeing the candidates' names is recorded.
    seen = AuditEntry.objects.filter(action="import.review.view").latest("position")
    assert jose in seen.data


def test_a_decision_records_the_claim_and_opens_the_next_row_of_the_same_filter(
    run: ImportRun, people: dict[str, Person], signed_in: Callable[..., Client]
) -> None:
    rows = rows_of(run)
    client = signed_in("verifier")
    query = f"?run={run.pk}&above=0.5"
    # Row 2's second candidate, by its button.
    done = client.post(
        f"/staff/matches/{rows[2].pk}/decide/{query}",
        {"handle": people["josue"].handle, "note": "same father's name"},
    )
    assert done.status_code == 302
    assert done["Location"] == f"/staff/matches/{rows[3].pk}/{query}"
    rows[2].refresh_from_db()
    assert rows[2].decision == Decision.CHOSEN and rows[2].person == people["josue"]
    assert Claim.objects.get(pk=rows[2].claim_id).person == people["josue"]
    page = client.get(done["Location"]).content.decode()
    assert f"Row 2 of import #{run.pk}: linked to {people['josue'].handle}." in page
    # Accepting row 3 (its best candidate) goes on to row 4; rows below 0.5 are skipped.
    done = client.post(f"/staff/matches/{rows[3].pk}/decide/{query}", {"decision": "accept"})
    assert done["Location"] == f"/staff/matches/{rows[4].pk}/{query}"
    done = client.post(f"/staff/matches/{rows[5].pk}/decide/{query}", {"decision": "reject"})
    assert done["Location"] == f"/staff/matches/{rows[4].pk}/{query}"  # back to the one left
    rows[5].refresh_from_db()
    assert rows[5].decision == Decision.REJECTED and rows[5].person not in people.values()
    done = client.post(f"/staff/matches/{rows[4].pk}/decide/{query}", {"decision": "accept"})
    assert done["Location"] == f"/staff/matches/{query}"  # none left at or above 0.5
    listing = client.get(done["Location"]).content.decode()
    assert "No other row waits in this selection." in listing
    assert rows_of(run)[6].decision == ""


def test_next_and_previous_rows_follow_the_filter(
    run: ImportRun, signed_in: Callable[..., Client]
) -> None:
    rows = rows_of(run)
    client = signed_in("analyst")
    page = client.get(f"/staff/matches/{rows[3].pk}/?run={run.pk}&reason=grey_zone")
    html = page.content.decode()
    # Row 3 is not grey-zone itself, but its neighbours in that selection are 2 and 5.
    prefix = f"/staff/matches/{{}}/?run={run.pk}&amp;reason=grey_zone"
    assert f'href="{prefix.format(rows[2].pk)}" rel="prev" data-key="k"' in html
    assert f'href="{prefix.format(rows[5].pk)}" rel="next" data-key="j"' in html


def test_another_person_by_search_without_javascript(
    run: ImportRun, people: dict[str, Person], signed_in: Callable[..., Client]
) -> None:
    row = rows_of(run)[3]
    client = signed_in("verifier")
    page = client.get(f"/staff/matches/{row.pk}/").content.decode()
    assert f'method="post" action="/staff/matches/{row.pk}/search/"' in page
    found = client.post(f"/staff/matches/{row.pk}/search/", {"q": "Josue Gomez"})
    assert found.status_code == 200
    html = found.content.decode()
    assert "<html" in html  # the whole page, results under the search box
    handle = people["josue"].handle
    button = f'<button type="submit" form="decide" name="handle" value="{handle}">'
    assert button in html and f"This is {handle}" in html
    assert AuditEntry.objects.filter(action="person.search").exists()
    # The button sends the decide form: the row is that person.
    done = client.post(f"/staff/matches/{row.pk}/decide/", {"handle": handle, "note": ""})
    assert done.status_code == 302
    row.refresh_from_db()
    assert row.decision == Decision.CHOSEN and row.person == people["josue"]
    # An empty search says what to do, on the field.
    empty = client.post(f"/staff/matches/{rows_of(run)[4].pk}/search/", {"q": ""})
    assert empty.status_code == 400
    assert "Type a name or a handle to search for." in empty.content.decode()
    assert "<title>Error:" in empty.content.decode()


def test_another_person_by_search_with_htmx(
    run: ImportRun, people: dict[str, Person], signed_in: Callable[..., Client]
) -> None:
    row = rows_of(run)[3]
    found = signed_in("verifier").post(
        f"/staff/matches/{row.pk}/search/",
        {"q": people["jose"].handle},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="search-results",
    )
    html = found.content.decode()
    assert found.status_code == 200 and "<html" not in html
    assert "José Luis Gómez Vázquez" in html
    assert f'form="decide" name="handle" value="{people["jose"].handle}"' in html


def test_a_wrong_handle_is_reported_in_the_error_summary(
    run: ImportRun, signed_in: Callable[..., Client]
) -> None:
    row = rows_of(run)[3]
    refused = signed_in("verifier").post(f"/staff/matches/{row.pk}/decide/", {"handle": "P-99999"})
    html = refused.content.decode()
    assert refused.status_code == 400 and "<title>Error:" in html
    assert 'class="error-summary"' in html and 'href="#id_q">No person with this handle.' in html
    row.refresh_from_db()
    assert row.decision == ""


def test_analysts_read_the_rows_but_decide_nothing(
    run: ImportRun, people: dict[str, Person], signed_in: Callable[..., Client]
) -> None:
    row = rows_of(run)[2]
    analyst = signed_in("analyst")
    page = analyst.get(f"/staff/matches/{row.pk}/").content.decode()
    assert "José Luis Gómez Vázquez" in page and "Agrees" in page
    assert "This is" not in page and 'id="decide"' not in page and "search/" not in page
    assert "Verifiers and administrators decide matches." in page
    assert 'data-key="1"' not in page and 'data-key="n"' not in page
    assert 'data-key="j"' in page  # reading the next row is for everyone
    for url, body in (
        (f"/staff/matches/{row.pk}/decide/", {"decision": "accept"}),
        (f"/staff/matches/{row.pk}/search/", {"q": "Gomez"}),
        ("/staff/matches/bulk/", {"run": run.pk, "above": 0.9, "expected": 2}),
    ):
        assert analyst.post(url, body).status_code == 403, url
    assert analyst.get(f"/staff/matches/bulk/?run={run.pk}&above=0.9").status_code == 403
    listing = analyst.get(f"/staff/matches/?run={run.pk}").content.decode()
    assert "Accept in bulk" not in listing
    assert all(r.decision == "" for r in rows_of(run).values())


def test_the_keyboard_script_is_a_file_and_the_page_has_no_inline_code(
    run: ImportRun, signed_in: Callable[..., Client]
) -> None:
    client = signed_in("verifier")
    row = rows_of(run)[2]
    response = client.get(f"/staff/matches/{row.pk}/")
    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert '<script src="/static/staff/match_review.js" defer>' in scripts
    assert all("src=" in tag for tag in scripts)  # no inline script
    assert "<style" not in html and " style=" not in html and " on" + "click=" not in html
    served = client.get("/static/staff/match_review.js")
    assert served.status_code == 200
    code = b"".join(served.streaming_content).decode()  # type: ignore[attr-defined]
    assert "data-key" in code and "keydown" in code and "TEXTAREA" in code
    # What the keys do is said on the page, and each key has its element.
    assert "Keyboard:" in html
    for key in ("1", "2", "3", "n", "/", "j"):
        assert f'data-key="{key}"' in html, key


def test_the_list_filters_by_import_score_and_reason_with_counts(
    run: ImportRun, world: World, signed_in: Callable[..., Client]
) -> None:
    other = make_run(world.actor, world.sources["family"], name="family.csv")
    queue_row(other, 2, [(world.person(1), 0.5)], given_names="Ana")
    client = signed_in("analyst")
    everything = client.get("/staff/matches/").content.decode()
    assert "6 rows are waiting." in everything
    assert f"#{run.pk} · ngo-may.csv · ngo (5 waiting)" in everything
    page = client.get(f"/staff/matches/?run={run.pk}&above=0.5&below=0.98").content.decode()
    assert "3 rows of 6 waiting match these filters." in page
    assert "Maria Gómez" in page and "Josue Gómez" in page and "Pepe Gómez" in page
    assert "Juan Gómez" not in page and "Mario Gómez" not in page and "Ana" not in page
    # The reasons, with how many rows of that selection have each.
    assert "Likely but not sure (2)" in page and "The given names differ (0)" in page
    only = client.get(f"/staff/matches/?run={run.pk}&reason=given_names").content.decode()
    assert "1 row of 6 waiting matches these filters." in only and "Juan Gómez" in only
    # Links to a row keep the selection.
    row = rows_of(run)[4]
    assert f'href="/staff/matches/{row.pk}/?run={run.pk}&amp;reason=given_names"' in only
    wrong = client.get("/staff/matches/?above=2&below=0.1")
    assert wrong.status_code == 400
    assert (
        "<title>Error:" in wrong.content.decode() and 'href="#id_above"' in wrong.content.decode()
    )


def test_bulk_acceptance_counts_first_then_accepts_exactly_those_rows(
    run: ImportRun, people: dict[str, Person], signed_in: Callable[..., Client]
) -> None:
    client = signed_in("verifier")
    listing = client.get(f"/staff/matches/?run={run.pk}").content.decode()
    assert "Accept in bulk" in listing and 'action="/staff/matches/bulk/"' in listing
    shown = client.get(f"/staff/matches/bulk/?run={run.pk}&above=0.9")
    html = shown.content.decode()
    assert shown.status_code == 200
    # Rows 2 (0.97) and 3 (0.91); row 4 (0.99) differs in its given names: left out.
    assert "2 rows would be accepted" in html and "Accept these 2 rows" in html
    assert "Pepe Gómez" in html and "Maria Gómez" in html and "Juan Gómez" not in html
    assert 'name="expected" value="2"' in html
    claims = Claim.objects.count()
    done = client.post(
        "/staff/matches/bulk/",
        {"run": run.pk, "above": "0.9", "reason": "", "expected": "2", "note": "checked"},
    )
    assert done.status_code == 302 and done["Location"] == f"/staff/matches/?run={run.pk}"
    rows = rows_of(run)
    assert [n for n, r in sorted(rows.items()) if r.decision] == [2, 3]
    assert rows[2].person == people["jose"] and rows[3].person == people["maria"]
    assert Claim.objects.count() == claims + 2
    page = client.get(done["Location"]).content.decode()
    assert f"2 rows of import #{run.pk} accepted as their best candidates." in page
    # Chosen by name, the given-names row can be accepted in bulk too.
    shown = client.get(f"/staff/matches/bulk/?run={run.pk}&above=0.9&reason=given_names")
    assert "1 row would be accepted" in shown.content.decode()


def test_bulk_acceptance_refuses_when_the_rows_changed_since_the_count(
    run: ImportRun, signed_in: Callable[..., Client], world: World
) -> None:
    client = signed_in("verifier")
    assert (
        "2 rows would be accepted"
        in client.get(f"/staff/matches/bulk/?run={run.pk}&above=0.9").content.decode()
    )
    match_review_accept(actor=world.actor, row=rows_of(run)[2])  # someone else, meanwhile
    refused = client.post(
        "/staff/matches/bulk/", {"run": run.pk, "above": "0.9", "reason": "", "expected": "2"}
    )
    html = refused.content.decode()
    assert refused.status_code == 400 and "<title>Error:" in html
    assert "The rows changed since they were counted: 1 match now, not 2." in html
    assert 'href="#bulk-count"' in html
    assert "1 row would be accepted" in html and 'name="expected" value="1"' in html
    assert rows_of(run)[3].decision == ""
    bad = client.get(f"/staff/matches/bulk/?run={run.pk}&above=0.2")
    assert bad.status_code == 400 and 'href="#id_above"' in bad.content.decode()


def test_no_name_ever_goes_into_an_address(
    run: ImportRun, people: dict[str, Person], signed_in: Callable[..., Client]
) -> None:
    client = signed_in("verifier")
    row = rows_of(run)[2]
    pages = [
        client.get("/staff/matches/"),
        client.get(f"/staff/matches/?run={run.pk}&above=0.5&reason=grey_zone"),
        client.get(f"/staff/matches/{row.pk}/?run={run.pk}"),
        client.post(f"/staff/matches/{row.pk}/search/?run={run.pk}", {"q": "Gómez"}),
        client.post(
            f"/staff/matches/{row.pk}/search/",
            {"q": "José Gómez"},
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="search-results",
        ),
        client.get(f"/staff/matches/bulk/?run={run.pk}&above=0.9"),
        client.post(f"/staff/matches/{row.pk}/decide/", {"handle": "nobody"}),
    ]
    checked = 0
    for response in pages:
        html = response.content.decode()
        assert "Gómez" in html  # the pages do show names…
        for url in urls_in(html):
            checked += 1
            assert not any(word in url.lower() for word in NAME_WORDS), url
    assert checked > 50
    # …and every form that carries a name is sent by POST.
    page = pages[2].content.decode()
    assert re.search(r'<form method="post" action="/staff/matches/\d+/search/', page)
