"""The person page and the dashboard: everything staff need, recorded when seen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.test import Client
from tests.support import World, at

from detente.audit.models import AuditEntry
from detente.evidence.services import claim_record, source_create
from detente.registry.models import Person
from detente.registry.status import CustodyStatus


def _story(world: World) -> None:
    person = world.person()
    claim_record(
        actor=world.actor,
        source=world.sources["gov"],
        person=person,
        agreement=world.agreement,
        status=CustodyStatus.PAROLE,
        event_date=dt.date(2020, 2, 1),
        received_at=at("2020-02-02"),
        evidence_text="Communiqué of the ministry.",
    )
    claim_record(
        actor=world.actor,
        source=world.sources["family"],
        person=person,
        agreement=world.agreement,
        status=CustodyStatus.DETAINED,
        event_date=dt.date(2020, 2, 5),
        received_at=at("2020-02-06"),
        evidence_text="Visited in prison on Sunday.",
        evidence_url="https://example.org/visit",
    )


def test_the_person_page_explains_the_status_with_its_claims(
    world: World, signed_in: Callable[..., Client]
) -> None:
    _story(world)
    handle = world.person().handle
    page = signed_in("analyst").get(f"/staff/people/{handle}/").content.decode()
    assert "Yoandri 0 Pérez" in page
    # Custody timeline, claims with their sources, grades, credibility and evidence.
    assert "Sentenced" in page and "1 May 2018" in page
    assert "Conditional release: parole" in page and "grade C" in page
    assert "Visited in prison on Sunday." in page and 'href="https://example.org/visit"' in page
    # Why the status is what it is: the rule in words, and the claims it rests on.
    assert "Disputed" in page
    assert "A credible source says the person was still held" in page
    assert "Contradicted by" in page
    entry = AuditEntry.objects.order_by("-position").first()
    assert entry is not None and entry.action == "person.view"
    assert entry.payload["people"] == [handle]


def test_a_protected_source_is_named_to_verifiers_only(
    world: World, signed_in: Callable[..., Client]
) -> None:
    insider = source_create(
        actor=world.actor,
        slug="insider",
        name="Guard at the prison",
        kind="anonymous_official",
        reliability="B",
        independence_group="insider",
        protected=True,
    )
    claim_record(
        actor=world.actor,
        source=insider,
        person=world.person(),
        status=CustodyStatus.DETAINED,
        event_date=dt.date(2020, 2, 5),
        received_at=at("2020-02-06"),
        evidence_url="https://example.org/from-the-guard",
    )
    url = f"/staff/people/{world.person().handle}/"
    analyst = signed_in("analyst").get(url).content.decode()
    verifier = signed_in("verifier").get(url).content.decode()
    assert "Guard at the prison" not in analyst and "protected source" in analyst
    assert "from-the-guard" not in analyst
    assert "Guard at the prison" in verifier and "from-the-guard" in verifier


def test_the_at_risk_flag_is_set_from_the_person_page(
    world: World, signed_in: Callable[..., Client]
) -> None:
    client = signed_in("analyst")
    handle = world.person().handle
    response = client.post(f"/staff/people/{handle}/at-risk/", {"at_risk": "1"})
    assert response.status_code == 302
    assert Person.objects.get(handle=handle).at_risk
    page = client.get(f"/staff/people/{handle}/").content.decode()
    assert "is flagged as at risk" in page and "Clear the at-risk flag" in page
    assert AuditEntry.objects.filter(action="person.at_risk").count() == 1


def test_a_missing_handle_is_a_404(world: World, signed_in: Callable[..., Client]) -> None:
    assert signed_in("analyst").get("/staff/people/P-9999/").status_code == 404


def test_the_dashboard_shows_what_awaits_review_and_what_changed(
    world: World, signed_in: Callable[..., Client]
) -> None:
    _story(world)
    verifier = signed_in("verifier").get("/staff/").content.decode()
    analyst = signed_in("analyst").get("/staff/").content.decode()
    for page in (verifier, analyst):
        assert "Test agreement" in page  # one disputed release awaits review
        assert world.person().handle in page  # among the latest claims, by handle
        assert "Yoandri" not in page  # no names on the dashboard
    # The ledger is for verifiers and administrators.
    said = "recorded a claim about a person"  # the ledger in words, not its code
    assert said in verifier and said not in analyst and "claim.status" not in verifier


def test_staff_pages_title_agreements_in_the_reader_s_language(
    world: World, signed_in: Callable[..., Client]
) -> None:
    _story(world)
    world.agreement.title_es = "Acuerdo de prueba"
    world.agreement.save(update_fields=["title_es"])
    handle = world.person().handle
    es, en = signed_in("verifier", language="es"), signed_in("analyst")
    for url in ("/staff/", "/staff/verification/", f"/staff/people/{handle}/"):
        spanish = es.get(url).content.decode()
        assert "Acuerdo de prueba" in spanish and "Test agreement" not in spanish, url
        english = en.get(url).content.decode()
        assert "Test agreement" in english and "Acuerdo de prueba" not in english, url
