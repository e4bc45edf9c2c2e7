"""The selectors added for the API: people by standing, custody, sources and claims."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from tests.support import World, at, build_world, make_user

from detente.access.policy import Role
from detente.access.services import agreement_set_audience
from detente.agreements.services import agreement_add_members, agreement_set_policy
from detente.audit.models import AuditEntry
from detente.evidence.selectors import (
    claim_get,
    claim_list,
    source_as_seen,
    source_get,
    source_list,
)
from detente.evidence.services import claim_record, source_create
from detente.registry.selectors import custody_list, person_filter, person_rows


def test_filters_only_look_at_agreements_the_viewer_sees(world: World) -> None:
    # One person named on two agreements; house arrest counts as a release only under the
    # secret one, so they are confirmed released there and held under the visible one.
    secret = build_world(world.actor, members=1, slug="secret")
    agreement_set_policy(
        actor=world.actor,
        agreement=secret.agreement,
        confirm_min_grade="B",
        dispute_min_grade="C",
        status_overrides={"house_arrest": "conditional"},
    )
    agreement_add_members(
        actor=world.actor,
        agreement=secret.agreement,
        people=[world.person(0)],
        named_on=dt.date(2020, 1, 15),
    )
    claim_record(
        actor=world.actor,
        source=world.sources["embassy"],
        person=world.person(0),
        status="house_arrest",
        event_date=dt.date(2020, 2, 1),
        received_at=at("2020-02-02"),
    )
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="legislature")
    staff, legislature = world.actor, make_user("leg", Role.LEGISLATURE)
    assert list(person_filter(staff, state="confirmed")) == [world.person(0)]
    assert list(person_filter(staff, category="conditional")) == [world.person(0)]
    assert list(person_filter(legislature, state="confirmed")) == []
    assert list(person_filter(legislature, category="conditional")) == []
    assert world.person(0) in person_filter(legislature, category="held")
    # Their standing, as each sees it.
    (row,) = person_rows(legislature, [world.person(0)])
    assert [(s.agreement, s.state) for s in row.standings] == [("deal", "held")]
    assert row.name is None and row.at_risk is None
    (row,) = person_rows(staff, [world.person(0)])
    assert [(s.agreement, s.state) for s in row.standings] == [
        ("deal", "held"),
        ("secret", "confirmed"),
    ]


def test_unknown_filter_values_are_refused_by_name(world: World) -> None:
    for kwargs, field in (({"state": "free"}, "state"), ({"category": "gone"}, "category")):
        with pytest.raises(ValidationError) as err:
            person_filter(world.actor, **kwargs)
        assert field in err.value.message_dict


def test_names_shown_in_a_list_are_recorded_as_seen(world: World) -> None:
    analyst = make_user("ana", Role.ANALYST)
    people = list(person_filter(analyst, agreement=world.agreement)[:2])
    rows = person_rows(analyst, people)
    assert all(r.name for r in rows)
    entry = AuditEntry.objects.filter(action="person.list").get()
    assert entry.actor == analyst
    assert json.loads(entry.data)["people"] == sorted(p.handle for p in people)
    # Nobody saw a name: nothing is written.
    person_rows(make_user("leg", Role.LEGISLATURE), people)
    assert AuditEntry.objects.filter(action="person.list").count() == 1


def test_custody_is_for_staff_and_follows_the_persons_visibility(world: World) -> None:
    person = world.person()
    assert [e.status for e in custody_list(world.actor, person)] == ["sentenced"]
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="legislature")
    assert list(custody_list(make_user("leg", Role.LEGISLATURE), person)) == []
    with pytest.raises(Http404):
        custody_list(make_user("pub", None), person)


def test_sources_and_claims_as_each_role_may_see_them(world: World) -> None:
    informant = source_create(
        actor=world.actor,
        slug="informant",
        name="Officer in prison X",
        kind="anonymous_official",
        reliability="C",
        independence_group="informant",
        protected=True,
    )
    claim = claim_record(
        actor=world.actor,
        source=informant,
        person=world.person(),
        status="detained",
        event_date=dt.date(2020, 2, 3),
        received_at=at("2020-02-04"),
    )
    analyst, verifier = make_user("ana", Role.ANALYST), make_user("vera", Role.VERIFIER)
    legislature = make_user("leg", Role.LEGISLATURE)
    assert informant not in source_list(analyst) and informant in source_list(verifier)
    assert list(source_list(legislature)) == []
    with pytest.raises(Http404):
        source_get(analyst, "informant")
    assert source_get(verifier, "informant") == informant
    shown = source_as_seen(analyst, claim_get(analyst, claim.pk).source)
    assert (shown.slug, shown.independence_group, shown.reliability) == (
        "protected",
        "protected",
        "C",
    )
    assert source_as_seen(verifier, informant).slug == "informant"
    assert list(claim_list(analyst, person=world.person())) == [claim]
    assert list(claim_list(analyst, source=world.sources["ngo"])) == []
    assert list(claim_list(legislature)) == []
    with pytest.raises(Http404):
        claim_get(legislature, claim.pk)
