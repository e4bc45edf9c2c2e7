"""Merging two people found to be one, and splitting a wrong merge back exactly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from tests.support import World, at, make_user

from detente.access.policy import Role
from detente.agreements.models import Membership
from detente.agreements.services import agreement_add_members
from detente.audit.ledger import verify
from detente.audit.models import AuditEntry
from detente.evidence.selectors import claim_list
from detente.evidence.services import claim_record
from detente.reconcile.services import person_merge, person_split
from detente.registry.models import NameToken, Person
from detente.registry.search import person_search
from detente.registry.selectors import person_detail, person_get, person_list
from detente.registry.services import person_create


@pytest.fixture
def twins(world: World) -> tuple[Person, Person]:
    """One woman recorded twice: by the registry and, misspelt, from another list."""
    a = person_create(
        actor=world.actor,
        given_names="Yusleidy",
        paternal_surname="Cardet",
        maternal_surname="Reyes",
        birth_date=dt.date(1988, 4, 9),
    )
    b = person_create(
        actor=world.actor,
        given_names="Yusleydi",
        paternal_surname="Cardet",
        birth_date=dt.date(1988, 4, 9),
        aliases=["La Flaca"],
    )
    return a, b


def snapshot(*people: Person) -> dict[str, Any]:
    ids = [p.pk for p in people]
    return {
        "members": sorted(
            Membership.objects.filter(person_id__in=ids).values_list(
                "id", "agreement_id", "person_id", "named_on", "state", "status"
            )
        ),
        "tokens": sorted(
            NameToken.objects.filter(person_id__in=ids).values_list("person_id", "token")
        ),
        "merged_into": sorted(Person.objects.filter(pk__in=ids).values_list("pk", "merged_into")),
    }


def test_a_merge_counts_the_merged_person_as_the_survivor(
    world: World, twins: tuple[Person, Person]
) -> None:
    a, b = twins
    agreement_add_members(
        actor=world.actor, agreement=world.agreement, people=[b], named_on=dt.date(2020, 2, 1)
    )
    claim = claim_record(
        actor=world.actor,
        source=world.sources["embassy"],
        person=b,
        agreement=world.agreement,
        status="unconditional_release",
        event_date=dt.date(2020, 3, 1),
        received_at=at("2020-03-02"),
    )
    verifier = make_user("vera", Role.VERIFIER)
    merge = person_merge(actor=verifier, survivor=a, merged=b, reason="same birth date, photo")
    # The survivor keeps its handle; the merged handle finds the survivor.
    assert person_get(verifier, b.handle) == a
    assert b.pk not in set(person_list(verifier).values_list("pk", flat=True))
    # The merged person's claim now counts for the survivor, as does the membership.
    member = Membership.objects.get(agreement=world.agreement, person=a)
    assert (member.state, member.status) == ("confirmed", "unconditional_release")
    assert claim in list(claim_list(verifier, person=a))
    assert [c.pk for c in person_detail(verifier, a).claims] == [claim.pk]
    # The claim itself was not touched.
    claim.refresh_from_db()
    assert claim.person_id == b.pk
    # The staff search finds the survivor by the merged person's names, and only them.
    found = person_search(verifier, "La Flaca Cardet")
    assert [p.pk for p in found] == [a.pk]
    # Written to the ledger with the evidence.
    entry = AuditEntry.objects.get(action="person.merge")
    assert entry.payload["survivor"] == a.handle and entry.payload["merged"] == b.handle
    assert entry.payload["evidence"]["probability"] > 0.5
    assert merge.evidence["fields"]
    assert verify().ok


def test_a_split_restores_everything_exactly(world: World, twins: tuple[Person, Person]) -> None:
    a, b = twins
    # Both already named on the agreement: the merge drops b's membership, the split
    # brings it back with its id and date.
    agreement_add_members(
        actor=world.actor, agreement=world.agreement, people=[a], named_on=dt.date(2020, 2, 1)
    )
    agreement_add_members(
        actor=world.actor, agreement=world.agreement, people=[b], named_on=dt.date(2020, 2, 3)
    )
    claim_record(
        actor=world.actor,
        source=world.sources["ngo"],
        person=b,
        status="detained",
        event_date=dt.date(2020, 3, 1),
        received_at=at("2020-03-02"),
    )
    before = snapshot(a, b)
    merge = person_merge(actor=world.actor, survivor=a, merged=b, reason="looks the same")
    assert Membership.objects.filter(person__in=[a, b]).count() == 1
    person_split(actor=world.actor, merge=merge, reason="different mothers")
    assert snapshot(a, b) == before
    assert person_get(world.actor, b.handle) == b
    assert [c.person_id for c in claim_list(world.actor, person=a)] == []
    assert AuditEntry.objects.filter(action="person.split").count() == 1
    with pytest.raises(ValidationError, match="already split"):
        person_split(actor=world.actor, merge=merge, reason="again")
    assert verify().ok


def test_merges_are_for_verifiers(world: World, twins: tuple[Person, Person]) -> None:
    a, b = twins
    with pytest.raises(PermissionDenied):
        person_merge(actor=make_user("ana", Role.ANALYST), survivor=a, merged=b, reason="x")
    assert Person.objects.get(pk=b.pk).merged_into is None


def test_bad_merges_are_refused(world: World, twins: tuple[Person, Person]) -> None:
    a, b = twins
    with pytest.raises(ValidationError, match="themselves"):
        person_merge(actor=world.actor, survivor=a, merged=a, reason="x")
    with pytest.raises(ValidationError):
        person_merge(actor=world.actor, survivor=a, merged=b, reason="  ")
    person_merge(actor=world.actor, survivor=a, merged=b, reason="same")
    with pytest.raises(ValidationError, match="already merged"):
        person_merge(actor=world.actor, survivor=b, merged=a, reason="again")


def test_a_chain_of_merges_ends_at_the_last_survivor(
    world: World, twins: tuple[Person, Person], actor: User
) -> None:
    a, b = twins
    c = person_create(actor=actor, given_names="Yusleidi", paternal_surname="Cardet")
    claim = claim_record(
        actor=actor,
        source=world.sources["ngo"],
        person=b,
        status="detained",
        event_date=dt.date(2020, 3, 1),
        received_at=at("2020-03-02"),
    )
    first = person_merge(actor=actor, survivor=a, merged=b, reason="same")
    person_merge(actor=actor, survivor=c, merged=a, reason="same again")
    assert person_get(actor, b.handle) == c
    assert [x.pk for x in claim_list(actor, person=c)] == [claim.pk]
    with pytest.raises(Http404):
        person_get(make_user("pub", None), b.handle)  # the public still sees nothing
    # The first merge can still be split (no membership of b moved on): b's claims leave.
    person_split(actor=actor, merge=first, reason="wrong")
    assert list(claim_list(actor, person=c)) == []
