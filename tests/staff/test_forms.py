"""Recording a person and a claim: errors on the fields, in the user's language, what was
typed kept, and nothing saved until everything is right."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.test import Client
from django.utils import timezone
from tests.support import World, people_named

from detente.agreements.models import Membership, MemberState
from detente.audit.models import AuditEntry
from detente.evidence.models import Claim
from detente.registry.models import Person

TOMORROW = (timezone.localdate() + dt.timedelta(days=2)).isoformat()


def counts() -> tuple[int, int, int]:
    return Person.objects.count(), Claim.objects.count(), AuditEntry.objects.count()


def test_a_person_is_recorded_and_found_at_once(signed_in: Callable[..., Client]) -> None:
    client = signed_in("analyst")
    response = client.post(
        "/staff/people/new/",
        {
            "given_names": "Yunieski",
            "paternal_surname": "Fonseca",
            "maternal_surname": "Leyva",
            "aliases": "Yuni\nYunieski Fonseca L.",
            "birth_precision": "year",
            "birth_date": "1984-06-02",
            "sex": "M",
            "province": "Holguín",
        },
    )
    person = people_named(paternal_surname="Fonseca")[0]
    assert response.status_code == 302
    assert response["Location"] == f"/staff/people/{person.handle}/"
    assert person.identity.aliases == ["Yuni", "Yunieski Fonseca L."]
    assert person.identity.birth_date == dt.date(1984, 1, 1)  # known to the year
    found = client.post("/staff/people/", {"q": "yunieski fonseca"}).content.decode()
    assert person.handle in found


def test_a_bad_person_form_says_what_and_where_in_spanish_and_saves_nothing(
    signed_in: Callable[..., Client],
) -> None:
    client = signed_in("analyst", language="es")
    before = counts()
    page = client.post(
        "/staff/people/new/",
        {
            "given_names": "",
            "paternal_surname": "",
            "province": "Granma",
            "sex": "F",
            "birth_precision": "day",
            "birth_date": TOMORROW,
        },
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "Una persona necesita al menos un nombre o un apellido." in text
    assert "No se ha guardado nada" in text
    assert 'value="Granma"' in text  # typed values are kept
    assert counts() == before
    # The second error (a birth date in the future) is on its own field.
    page = client.post(
        "/staff/people/new/",
        {"given_names": "Ana", "sex": "F", "birth_precision": "day", "birth_date": TOMORROW},
    )
    text = page.content.decode()
    assert "está en el futuro" in text
    assert 'id="id_birth_date_error"' in text or 'aria-invalid="true"' in text
    assert counts() == before


def _claim_form(world: World, **changes: str) -> dict[str, str]:
    data = {
        "source": str(world.sources["embassy"].pk),
        "status": "unconditional_release",
        "event_date": "2020-02-01",
        "event_precision": "day",
        "agreement": world.agreement.slug,
        "credibility": "2",
        "evidence_text": "Visited at home by the officer.",
        "evidence_url": "",
    }
    data.update(changes)
    return data


def test_a_claim_is_recorded_from_the_form_and_moves_the_member(
    world: World, signed_in: Callable[..., Client]
) -> None:
    client = signed_in("analyst")
    handle = world.person().handle
    form = client.get(f"/staff/people/{handle}/claims/new/").content.decode()
    # Sensible defaults: today's date, precision to the day, the person's only agreement.
    assert f'value="{timezone.localdate().isoformat()}"' in form
    assert 'value="day" required id="id_event_precision_0" checked' in form
    assert f'<option value="{world.agreement.slug}" selected>' in form
    response = client.post(f"/staff/people/{handle}/claims/new/", _claim_form(world))
    assert response.status_code == 302 and response["Location"] == f"/staff/people/{handle}/"
    claim = Claim.objects.get(person=world.person())
    assert (
        claim.source == world.sources["embassy"] and claim.recorded_by.username == "staff-analyst"
    )
    member = Membership.objects.get(person=world.person(), agreement=world.agreement)
    assert member.state == MemberState.CONFIRMED
    page = client.get(response["Location"]).content.decode()
    assert f"Claim #{claim.pk} recorded for {handle}." in page


def test_a_bad_claim_is_refused_in_spanish_with_what_was_typed_kept(
    world: World, signed_in: Callable[..., Client]
) -> None:
    client = signed_in("analyst", language="es")
    handle = world.person().handle
    before = counts()
    url = f"/staff/people/{handle}/claims/new/"
    # A date in the future: refused by the service, shown on the date field.
    page = client.post(url, _claim_form(world, event_date=TOMORROW))
    text = page.content.decode()
    assert page.status_code == 200
    assert "está en el futuro" in text
    assert "Visited at home by the officer." in text and f'value="{TOMORROW}"' in text
    # A release before the arrest (2018-05-01 in the test world).
    page = client.post(url, _claim_form(world, event_date="2017-01-01"))
    assert "es anterior al arresto" in page.content.decode()
    # What the form itself rejects, in Spanish too.
    page = client.post(url, _claim_form(world, status="", evidence_url="not a link"))
    text = page.content.decode()
    assert "Este campo es obligatorio." in text and "Introduzca una URL válida." in text
    assert counts() == before


def test_an_analyst_may_not_name_a_protected_source(
    world: World, signed_in: Callable[..., Client]
) -> None:
    from detente.evidence.services import source_create

    secret = source_create(
        actor=world.actor,
        slug="insider",
        name="Guard at the prison",
        kind="anonymous_official",
        reliability="B",
        independence_group="insider",
        protected=True,
    )
    url = f"/staff/people/{world.person().handle}/claims/new/"
    analyst, verifier = signed_in("analyst"), signed_in("verifier")
    assert "Guard at the prison" not in analyst.get(url).content.decode()
    assert "Guard at the prison" in verifier.get(url).content.decode()
    page = analyst.post(url, _claim_form(world, source=str(secret.pk)))
    assert page.status_code == 200 and not Claim.objects.exists()


def test_every_staff_form_needs_its_csrf_token(
    world: World, signed_in: Callable[..., Client]
) -> None:
    from tests.support import make_user

    from detente.access.policy import Role

    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("careful", Role.VERIFIER))
    handle = world.person().handle
    member = Membership.objects.get(person=world.person(), agreement=world.agreement)
    for url, data in (
        ("/staff/people/new/", {"given_names": "Ana", "sex": "F", "birth_precision": "day"}),
        (f"/staff/people/{handle}/claims/new/", _claim_form(world)),
        (f"/staff/people/{handle}/at-risk/", {"at_risk": "1"}),
        (f"/staff/verification/{member.pk}/confirm/", {}),
        ("/staff/logout/", {}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert counts()[1] == 0 and not people_named(given_names="Ana")
    assert not Person.objects.filter(at_risk=True).exists()
