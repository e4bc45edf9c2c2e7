"""The verification queue, and confirming or disputing from it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from tests.support import World, at, make_user

from detente.agreements.models import Membership, MemberState
from detente.evidence.services import claim_record
from detente.evidence.verification_queue import (
    verification_confirm,
    verification_dispute,
    verification_queue,
)
from detente.registry.status import CustodyStatus


def _report_release(world: World, i: int = 0) -> Membership:
    claim_record(
        actor=world.actor,
        source=world.sources["gov"],
        person=world.person(i),
        agreement=world.agreement,
        status=CustodyStatus.PARDONED,
        event_date=dt.date(2020, 2, 1),
        received_at=at("2020-02-02"),
    )
    return Membership.objects.get(agreement=world.agreement, person=world.person(i))


def test_a_reported_release_waits_in_the_queue_until_confirmed(world: World) -> None:
    membership = _report_release(world)
    assert list(verification_queue(world.actor)) == [membership]

    verification_confirm(
        actor=world.actor,
        membership=membership,
        source=world.sources["ngo"],
        evidence_text="Seen at home by our field team.",
    )
    membership.refresh_from_db()
    assert membership.state == MemberState.CONFIRMED
    assert membership.status == CustodyStatus.PARDONED  # the reported status, confirmed
    assert list(verification_queue(world.actor)) == []


def test_the_releasing_side_cannot_confirm_itself(world: World) -> None:
    membership = _report_release(world)
    with pytest.raises(ValidationError) as err:
        verification_confirm(
            actor=world.actor,
            membership=membership,
            source=world.sources["gov_press"],
            evidence_text="Official newspaper.",
        )
    assert "source" in err.value.message_dict
    membership.refresh_from_db()
    assert membership.state == MemberState.REPORTED


def test_a_poorly_graded_source_cannot_confirm(world: World) -> None:
    membership = _report_release(world)
    with pytest.raises(ValidationError) as err:
        verification_confirm(
            actor=world.actor,
            membership=membership,
            source=world.sources["family"],
            evidence_text="A cousin says so.",
        )
    assert "graded C" in err.value.message_dict["source"][0]


def test_a_dispute_moves_the_member_to_disputed_and_stays_in_the_queue(world: World) -> None:
    membership = _report_release(world)
    verification_dispute(
        actor=world.actor,
        membership=membership,
        source=world.sources["family"],
        evidence_text="Still in the prison, visited on Sunday.",
        event_date=dt.date(2020, 2, 5),
    )
    membership.refresh_from_db()
    assert membership.state == MemberState.DISPUTED
    assert list(verification_queue(world.actor, state="disputed")) == [membership]


def test_confirm_needs_evidence_and_a_release_status(world: World) -> None:
    membership = _report_release(world)
    with pytest.raises(ValidationError) as err:
        verification_confirm(actor=world.actor, membership=membership, source=world.sources["ngo"])
    assert "evidence_text" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        verification_confirm(
            actor=world.actor,
            membership=membership,
            source=world.sources["ngo"],
            status=CustodyStatus.SENTENCED,
            evidence_text="x",
        )
    assert "status" in err.value.message_dict


def test_only_verifiers_act_on_the_queue_and_only_staff_read_it(world: World) -> None:
    membership = _report_release(world)
    analyst = make_user("an", "analyst")
    assert list(verification_queue(analyst)) == [membership]
    with pytest.raises(PermissionDenied):
        verification_confirm(
            actor=analyst, membership=membership, source=world.sources["ngo"], evidence_text="x"
        )
    with pytest.raises(PermissionDenied):
        verification_queue(make_user("leg", "legislature"))


def test_an_unknown_queue_state_is_refused(world: World) -> None:
    with pytest.raises(ValidationError):
        verification_queue(world.actor, state="held")
