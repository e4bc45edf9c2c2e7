"""The verification queue: who may read it, who may act on it, and what acting records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from tests.support import World, at

from detente.agreements.models import Membership, MemberState
from detente.audit.models import AuditEntry, EntryKind
from detente.evidence.models import Claim
from detente.evidence.services import claim_record
from detente.registry.status import CustodyStatus


@pytest.fixture
def reported(world: World) -> Membership:
    """The releasing government says the first member was pardoned; nobody confirmed it."""
    claim_record(
        actor=world.actor,
        source=world.sources["gov"],
        person=world.person(),
        agreement=world.agreement,
        status=CustodyStatus.PARDONED,
        event_date=dt.date(2020, 2, 1),
        received_at=at("2020-02-02"),
        evidence_text="Communiqué.",
    )
    return Membership.objects.get(agreement=world.agreement, person=world.person())


def verification_form(
    membership: Membership, world: World, action: str, **fields: str
) -> dict[str, str]:
    prefix = f"{action}-{membership.pk}-"
    data = {"source": str(world.sources["ngo"].pk), "event_date": "2020-02-03"}
    data |= {"evidence_text": "Seen at home by our field team.", "evidence_url": ""}
    data |= fields
    return {prefix + key: value for key, value in data.items()} | {"next": "/staff/verification/"}


def test_each_item_shows_what_was_reported_by_whom(
    reported: Membership, signed_in: Callable[..., Client]
) -> None:
    page = signed_in("analyst").get("/staff/verification/").content.decode()
    assert reported.person.handle in page and "Yoandri 0 Pérez" in page
    assert "Reported released" in page and "Pardoned or amnestied" in page
    assert "gov (C: fairly reliable)" in page  # the source and its grade
    assert "1 Feb 2020" in page


def test_analysts_read_the_queue_but_cannot_act(
    reported: Membership, world: World, signed_in: Callable[..., Client]
) -> None:
    analyst = signed_in("analyst")
    page = analyst.get("/staff/verification/").content.decode()
    assert "Confirm the release" not in page
    before = Claim.objects.count()
    url = f"/staff/verification/{reported.pk}/confirm/"
    assert analyst.post(url, verification_form(reported, world, "confirm")).status_code == 403
    assert Claim.objects.count() == before


def test_a_verifier_confirms_and_the_member_leaves_the_queue(
    reported: Membership, world: World, signed_in: Callable[..., Client]
) -> None:
    verifier = signed_in("verifier")
    assert "Confirm the release" in verifier.get("/staff/verification/").content.decode()
    response = verifier.post(
        f"/staff/verification/{reported.pk}/confirm/", verification_form(reported, world, "confirm")
    )
    assert response.status_code == 302 and response["Location"] == "/staff/verification/"
    reported.refresh_from_db()
    assert reported.state == MemberState.CONFIRMED
    claim = Claim.objects.latest("id")
    assert claim.source == world.sources["ngo"] and claim.status == CustodyStatus.PARDONED
    assert claim.recorded_by.username == "staff-verifier"
    page = verifier.get("/staff/verification/").content.decode()
    assert "release confirmed" in page  # the message after the redirect
    assert f'id="item-{reported.pk}"' not in page


def test_with_htmx_the_item_is_swapped_in_place(
    reported: Membership, world: World, signed_in: Callable[..., Client]
) -> None:
    response = signed_in("verifier").post(
        f"/staff/verification/{reported.pk}/dispute/",
        verification_form(
            reported, world, "dispute", source=str(world.sources["family"].pk), status="detained"
        ),
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert response.status_code == 200 and "<html" not in text
    assert text.lstrip().startswith(f'<li class="card queue-item" id="item-{reported.pk}">')
    assert "release disputed" in text and "Disputed" in text
    reported.refresh_from_db()
    assert reported.state == MemberState.DISPUTED


def test_a_refused_review_shows_the_reason_on_the_field_and_keeps_the_evidence(
    reported: Membership, world: World, signed_in: Callable[..., Client]
) -> None:
    verifier = signed_in("verifier", language="es")
    # Nothing changed (the page showing the error records only that names were seen).
    changes = AuditEntry.objects.filter(kind=EntryKind.CHANGE)
    before = (Claim.objects.count(), changes.count())
    # The family is graded C: it may dispute, but confirming needs B or better.
    response = verifier.post(
        f"/staff/verification/{reported.pk}/confirm/",
        verification_form(reported, world, "confirm", source=str(world.sources["family"].pk)),
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "family" in text and "C" in text and "B" in text
    assert f'id="id_confirm-{reported.pk}-source_error"' in text
    assert "Seen at home by our field team." in text
    assert "No se ha guardado nada" in text
    # The releasing side is not even offered, and is refused if sent anyway.
    response = verifier.post(
        f"/staff/verification/{reported.pk}/confirm/",
        verification_form(reported, world, "confirm", source=str(world.sources["gov_press"].pk)),
    )
    assert "Escoja una opción válida" in response.content.decode()
    assert (Claim.objects.count(), changes.count()) == before
    reported.refresh_from_db()
    assert reported.state == MemberState.REPORTED


def test_the_queue_filters_by_agreement_and_state(
    reported: Membership, world: World, signed_in: Callable[..., Client]
) -> None:
    client = signed_in("verifier")
    handle = reported.person.handle
    assert handle in client.get("/staff/verification/?state=reported").content.decode()
    assert handle not in client.get("/staff/verification/?state=disputed").content.decode()
    page = client.get(f"/staff/verification/?agreement={world.agreement.slug}").content.decode()
    assert handle in page
