"""The bulk services behind imports check exactly what the single services check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from tests.support import World, at, make_user, word_token

from detente.access.policy import Role
from detente.agreements.models import Membership
from detente.evidence.models import Claim
from detente.evidence.services import StatusClaim, claim_record, claims_record_bulk
from detente.registry.models import Identity, NameToken, Person
from detente.registry.services import (
    PersonFields,
    custody_episode_add,
    people_create_bulk,
    person_create,
)

ANA = PersonFields(
    given_names=" Ana María ",
    paternal_surname="de la Cruz",
    maternal_surname="Núñez",
    aliases=("Anita", " "),
    birth_date=dt.date(1984, 6, 17),
    birth_precision="month",
    sex="F",
    province="Holguín",
)


def test_people_bulk_stores_what_person_create_stores(world: World) -> None:
    single = person_create(
        actor=world.actor,
        **{
            k: getattr(ANA, k)
            for k in (
                "given_names",
                "paternal_surname",
                "maternal_surname",
                "aliases",
                "birth_date",
                "birth_precision",
                "sex",
                "province",
            )
        },
    )
    with transaction.atomic():
        (bulk,) = people_create_bulk(actor=world.actor, people=[ANA])
    assert bulk.handle == f"P-{bulk.pk:04d}" == Person.objects.get(pk=bulk.pk).handle
    fields = (
        "given_names",
        "paternal_surname",
        "maternal_surname",
        "aliases",
        "birth_date",
        "birth_precision",
        "sex",
        "province",
        "municipality",
        "affiliation",
    )
    one, two = (
        {f: getattr(Identity.objects.get(person=p), f) for f in fields} for p in (single, bulk)
    )
    assert one == two and one["birth_date"] == dt.date(1984, 6, 1)  # month precision
    tokens = [
        set(NameToken.objects.filter(person=p).values_list("token", flat=True))
        for p in (single, bulk)
    ]
    assert tokens[0] == tokens[1] and word_token("anita") in tokens[0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sex": "Q"}, "sex"),
        ({"given_names": "", "paternal_surname": ""}, "given_names"),
        ({"birth_date": dt.date(2999, 1, 1)}, "birth_date"),
        ({"province": "x" * 81}, "province"),
    ],
)
def test_people_bulk_refuses_what_person_create_refuses(
    world: World, change: dict[str, object], field: str
) -> None:
    import dataclasses

    bad = dataclasses.replace(ANA, **change)  # type: ignore[arg-type]
    before = Person.objects.count()
    with pytest.raises(ValidationError) as caught, transaction.atomic():
        people_create_bulk(actor=world.actor, people=[ANA, bad])
    assert field in caught.value.message_dict
    assert Person.objects.count() == before


def test_bulk_services_check_permission(world: World) -> None:
    with pytest.raises(PermissionDenied), transaction.atomic():
        people_create_bulk(actor=make_user("leg", Role.LEGISLATURE), people=[ANA])
    with pytest.raises(PermissionDenied), transaction.atomic():
        claims_record_bulk(actor=make_user("pub", None), source=world.sources["ngo"], claims=[])


def test_claims_bulk_records_what_claim_record_records(world: World) -> None:
    person = world.person()
    received = at("2021-03-01")
    single = claim_record(
        actor=world.actor,
        source=world.sources["ngo"],
        person=person,
        agreement=world.agreement,
        status="parole",
        event_date=dt.date(2021, 2, 1),
        received_at=received,
        evidence_text="list",
        evidence_url="https://example.org/x",
    )
    with transaction.atomic():
        (bulk_id,) = claims_record_bulk(
            actor=world.actor,
            source=world.sources["ngo"],
            agreement=world.agreement,
            received_at=received,
            claims=[
                StatusClaim(
                    person=person,
                    status="parole",
                    event_date=dt.date(2021, 2, 1),
                    evidence_text="list",
                    evidence_url="https://example.org/x",
                )
            ],
        )
    fields = (
        "source",
        "kind",
        "person",
        "agreement",
        "status",
        "event_date",
        "event_precision",
        "received_at",
        "credibility",
        "evidence_text",
        "evidence_url",
        "recorded_by",
    )
    one, two = (Claim.objects.filter(pk=pk).values(*fields).get() for pk in (single.pk, bulk_id))
    assert one == two
    member = Membership.objects.get(agreement=world.agreement, person=person)
    assert member.status == "parole"  # the cached state was rederived


@pytest.mark.parametrize(
    ("claim", "field"),
    [
        ({"status": "freed"}, "status"),
        ({"event_date": dt.date(2999, 1, 1)}, "event_date"),
        ({"event_date": dt.date(2010, 1, 1), "status": "unconditional_release"}, "event_date"),
        ({"evidence_url": "not a url"}, "evidence_url"),
    ],
)
def test_claims_bulk_refuses_what_claim_record_refuses(
    world: World, claim: dict[str, object], field: str
) -> None:
    person = world.person()  # arrested 2018-05-01 in the test world
    good = StatusClaim(person=person, status="detained", event_date=dt.date(2020, 1, 1))
    bad = StatusClaim(
        **{
            "person": person,
            "status": "detained",  # type: ignore[arg-type]
            "event_date": dt.date(2020, 1, 1),
            **claim,
        }
    )
    single = dict(vars(bad))
    with pytest.raises(ValidationError) as one:
        claim_record(actor=world.actor, source=world.sources["ngo"], **single)
    before = Claim.objects.count()
    with pytest.raises(ValidationError) as caught, transaction.atomic():
        claims_record_bulk(
            actor=world.actor, source=world.sources["ngo"], claims=[good, bad], batch_size=1
        )
    assert field in caught.value.message_dict and field in one.value.message_dict
    assert getattr(caught.value, "position", None) == 1
    assert Claim.objects.count() == before


def test_claims_bulk_checks_each_time_received_even_on_a_known_event_date(world: World) -> None:
    # The dates' checks are made once per (event date, precision, time received): a claim
    # with the same event date but received in the future is still refused, and a list
    # repeating one day is stored claim by claim.
    person = world.person()
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    good = StatusClaim(
        person=person, status="detained", event_date=dt.date(2020, 1, 1), received_at=yesterday
    )
    with transaction.atomic():
        ids = claims_record_bulk(actor=world.actor, source=world.sources["ngo"], claims=[good] * 3)
    assert len(set(ids)) == 3
    assert Claim.objects.filter(pk__in=ids, event_date=dt.date(2020, 1, 1)).count() == 3
    future = StatusClaim(
        person=person,
        status="detained",
        event_date=dt.date(2020, 1, 1),
        received_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
    )
    before = Claim.objects.count()
    with pytest.raises(ValidationError) as caught, transaction.atomic():
        claims_record_bulk(actor=world.actor, source=world.sources["ngo"], claims=[good, future])
    assert "received_at" in caught.value.message_dict
    assert getattr(caught.value, "position", None) == 1
    assert Claim.objects.count() == before


def test_claims_bulk_on_an_agreement_needs_members(world: World) -> None:
    stranger = person_create(actor=world.actor, given_names="Nadie")
    custody_episode_add(
        actor=world.actor, person=stranger, status="detained", start_date=dt.date(2019, 1, 1)
    )
    with pytest.raises(ValidationError) as caught, transaction.atomic():
        claims_record_bulk(
            actor=world.actor,
            source=world.sources["ngo"],
            agreement=world.agreement,
            claims=[
                StatusClaim(person=stranger, status="detained", event_date=dt.date(2020, 1, 1))
            ],
        )
    assert "person" in caught.value.message_dict
