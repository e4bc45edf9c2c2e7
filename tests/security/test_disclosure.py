"""Staged disclosure: who sees whose identity, and the rules that guard it."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support import World, build_world, make_user

from detente.access.models import Disclosure, Grant
from detente.access.policy import Role
from detente.access.services import (
    agreement_set_audience,
    disclosure_approve,
    disclosure_propose,
    disclosure_reject,
)
from detente.access.visibility import people_in_view
from detente.agreements.selectors import agreement_list, agreement_members
from detente.audit.models import AuditEntry
from detente.registry.models import Person
from detente.registry.selectors import person_detail


def names_seen(viewer: Any, w: World) -> set[str]:
    return {m.handle for m in agreement_members(viewer, w.agreement) if m.name is not None}


@pytest.fixture
def people(world: World) -> dict[str, User]:
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="public")
    return {
        "verifier": make_user("vera", Role.VERIFIER),
        "analyst": make_user("ana", Role.ANALYST),
        "admin": make_user("adm", Role.ADMINISTRATOR),
        "legislator": make_user("leg", Role.LEGISLATURE),
        "public": make_user("pub", None),
    }


def _open(w: World, proposer: User, approver: User, audience: str, **kw: Any) -> Disclosure:
    d = disclosure_propose(
        actor=proposer, audience=audience, reason="Committee hearing", agreement=w.agreement, **kw
    )
    return disclosure_approve(actor=approver, disclosure=d)


def test_names_stay_hidden_until_disclosed_and_then_only_to_that_audience(
    world: World, people: dict[str, User]
) -> None:
    everyone = {p.handle for p in world.people}
    assert names_seen(people["analyst"], world) == everyone
    for viewer in (people["legislator"], people["public"], AnonymousUser()):
        assert names_seen(viewer, world) == set()
    _open(world, people["analyst"], people["verifier"], "legislature")
    assert names_seen(people["legislator"], world) == everyone
    assert names_seen(people["public"], world) == set()
    assert names_seen(AnonymousUser(), world) == set()


def test_the_proposer_cannot_approve(world: World, people: dict[str, User]) -> None:
    d = disclosure_propose(
        actor=people["verifier"], audience="public", reason="r", agreement=world.agreement
    )
    with pytest.raises(ValidationError) as err:
        disclosure_approve(actor=people["verifier"], disclosure=d)
    assert "decided_by" in err.value.message_dict
    d.refresh_from_db()
    assert d.status == "proposed" and not Grant.objects.exists()
    assert names_seen(AnonymousUser(), world) == set()


def test_an_analyst_can_propose_but_not_approve(world: World, people: dict[str, User]) -> None:
    d = disclosure_propose(
        actor=people["verifier"], audience="public", reason="r", agreement=world.agreement
    )
    with pytest.raises(PermissionDenied):
        disclosure_approve(actor=people["analyst"], disclosure=d)


def test_a_decided_disclosure_cannot_be_decided_again(
    world: World, people: dict[str, User]
) -> None:
    d = disclosure_propose(
        actor=people["analyst"], audience="public", reason="r", agreement=world.agreement
    )
    disclosure_reject(actor=people["verifier"], disclosure=d, note="not yet")
    with pytest.raises(ValidationError):
        disclosure_approve(actor=people["admin"], disclosure=d)
    assert not Grant.objects.exists()


def test_a_scheduled_disclosure_opens_at_its_time(world: World, people: dict[str, User]) -> None:
    when = timezone.now() + dt.timedelta(days=2)
    _open(world, people["analyst"], people["verifier"], "public", effective_from=when)
    anonymous = AnonymousUser()
    assert not any(p.identity_visible for p in people_in_view(anonymous))
    later = when + dt.timedelta(minutes=1)
    assert all(p.identity_visible for p in people_in_view(anonymous, now=later))


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("effective_from", {"effective_from": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}),
        ("audience", {"audience": "press"}),
        ("reason", {"reason": "   "}),
        ("people", {"agreement": None}),
        ("at_risk_override", {"audience": "legislature", "at_risk_override": True}),
    ],
)
def test_bad_proposals_are_refused_and_store_nothing(
    world: World, people: dict[str, User], field: str, kwargs: dict[str, Any]
) -> None:
    args: dict[str, Any] = {
        "actor": people["analyst"],
        "audience": "public",
        "reason": "hearing",
        "agreement": world.agreement,
    } | kwargs
    before = (Disclosure.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as err:
        disclosure_propose(**args)
    assert field in err.value.message_dict
    assert (Disclosure.objects.count(), AuditEntry.objects.count()) == before


def test_people_at_risk_are_never_public_without_an_administrator(
    world: World, people: dict[str, User]
) -> None:
    risky = world.person(0)
    Person.objects.filter(pk=risky.pk).update(at_risk=True)
    _open(world, people["analyst"], people["verifier"], "public")
    seen = names_seen(AnonymousUser(), world)
    assert risky.handle not in seen and len(seen) == len(world.people) - 1
    d = disclosure_propose(
        actor=people["analyst"],
        audience="public",
        reason="family asked for publicity",
        people=[risky],
        at_risk_override=True,
    )
    with pytest.raises(PermissionDenied):
        disclosure_approve(actor=people["verifier"], disclosure=d)
    assert risky.handle not in names_seen(AnonymousUser(), world)
    disclosure_approve(actor=people["admin"], disclosure=d)
    assert risky.handle in names_seen(AnonymousUser(), world)
    entry = AuditEntry.objects.filter(action="disclosure.approve").order_by("-position").first()
    assert entry is not None and entry.payload["at_risk_override"] is True


def test_withdrawing_hides_the_names_again(world: World, people: dict[str, User]) -> None:
    _open(world, people["analyst"], people["verifier"], "public")
    assert len(names_seen(AnonymousUser(), world)) == len(world.people)
    _open(world, people["verifier"], people["admin"], "public", action="withdraw")
    assert names_seen(AnonymousUser(), world) == set()
    assert Disclosure.objects.filter(status="approved").count() == 2


def test_hidden_agreements_and_people_look_missing(world: World, people: dict[str, User]) -> None:
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="staff")
    for viewer in (people["legislator"], AnonymousUser()):
        assert not agreement_list(viewer).exists()
        with pytest.raises(Http404):
            agreement_members(viewer, world.agreement)
        with pytest.raises(Http404):
            person_detail(viewer, world.person())


def test_a_seen_identity_is_written_to_the_ledger(world: World, people: dict[str, User]) -> None:
    _open(world, people["analyst"], people["verifier"], "legislature")
    before = AuditEntry.objects.filter(kind="access").count()
    person_detail(people["legislator"], world.person())
    entry = AuditEntry.objects.filter(kind="access").order_by("-position").first()
    assert AuditEntry.objects.filter(kind="access").count() == before + 1
    assert entry is not None and entry.actor_label == "leg"
    assert entry.payload["people"] == [world.person().handle]
    # The ledger names who was seen by handle only, never by name.
    assert "Yoandri" not in entry.data


def test_the_command_line_shows_what_the_user_may_see(
    world: World, people: dict[str, User]
) -> None:
    def show(user: str) -> dict[str, Any]:
        out = io.StringIO()
        call_command("person", "show", world.person().handle, "--as", user, "--json", stdout=out)
        return json.loads(out.getvalue())  # type: ignore[no-any-return]

    assert show("leg")["identity"] is None and show("leg")["claims"] == []
    assert show("anonymous")["identity"] is None
    assert show("ana")["identity"]["given_names"].startswith("Yoandri")
    _open(world, people["analyst"], people["verifier"], "legislature")
    assert show("leg")["identity"]["given_names"].startswith("Yoandri")
    assert show("anonymous")["identity"] is None


# --- The property: outputs reveal exactly what the policy allows -------------------------

_tags = itertools.count()
AUDIENCES = ["legislature", "public"]


def expected_visible(
    at_risk: list[bool], steps: list[tuple[str, str, list[int], bool]], tier: str
) -> set[int]:
    """An independent reading of the rules: the last approved grant per audience decides."""
    latest: dict[tuple[int, str], tuple[str, bool]] = {}
    for audience, action, covered, override in steps:
        for i in covered:
            if audience == "public" and action == "open" and at_risk[i] and not override:
                continue  # never granted
            latest[(i, audience)] = (action, override)
    out = set()
    for i, risky in enumerate(at_risk):
        pub = latest.get((i, "public"))
        public_ok = pub is not None and pub[0] == "open" and (not risky or pub[1])
        leg = latest.get((i, "legislature"))
        leg_ok = leg is not None and leg[0] == "open"
        if tier == "staff" or public_ok or (tier == "legislature" and leg_ok):
            out.add(i)
    return out


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    at_risk=st.lists(st.booleans(), min_size=1, max_size=4),
    steps=st.lists(
        st.tuples(
            st.sampled_from(AUDIENCES),
            st.sampled_from(["open", "withdraw"]),
            st.sets(st.integers(0, 3), min_size=1),
            st.booleans(),
        ),
        max_size=5,
    ),
)
@pytest.mark.django_db
def test_every_output_reveals_exactly_what_the_policy_allows(
    at_risk: list[bool], steps: list[tuple[str, str, set[int], bool]]
) -> None:
    tag = f"p{next(_tags)}"
    actor = User.objects.get_or_create(username="detente-cli", defaults={"is_superuser": True})[0]
    w = build_world(actor, members=len(at_risk), slug=tag)
    agreement_set_audience(actor=actor, agreement=w.agreement, audience="public")
    Person.objects.filter(
        pk__in=[p.pk for p, r in zip(w.people, at_risk, strict=True) if r]
    ).update(at_risk=True)
    proposer, admin = (
        make_user(f"{tag}-ana", Role.ANALYST),
        make_user(f"{tag}-adm", Role.ADMINISTRATOR),
    )
    legislator, public = make_user(f"{tag}-leg", Role.LEGISLATURE), make_user(f"{tag}-pub", None)
    applied = []
    for audience, action, covered, override in steps:
        chosen = sorted(i for i in covered if i < len(w.people))
        if not chosen:
            continue
        override = override and audience == "public"
        d = disclosure_propose(
            actor=proposer,
            audience=audience,
            action=action,
            reason="r",
            people=[w.people[i] for i in chosen],
            at_risk_override=override,
        )
        disclosure_approve(actor=admin, disclosure=d)
        applied.append((audience, action, chosen, override))
    handles = [p.handle for p in w.people]
    for viewer, tier in (
        (proposer, "staff"),
        (legislator, "legislature"),
        (public, "public"),
        (AnonymousUser(), "public"),
    ):
        want = {handles[i] for i in expected_visible(at_risk, applied, tier)}
        assert names_seen(viewer, w) == want
        for i, p in enumerate(w.people):
            detail = person_detail(viewer, p).as_json()
            assert (detail["identity"] is not None) == (handles[i] in want)
            if tier != "staff":
                assert detail["claims"] == [] and detail["custody"] == []
                assert detail["at_risk"] is None


def test_an_agreement_can_be_narrowed_to_named_legislature_accounts(
    world: World, people: dict[str, User]
) -> None:
    from detente.access.services import (
        agreement_access_grant,
        agreement_access_open,
        agreement_access_revoke,
    )

    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="legislature")
    _open(world, people["analyst"], people["verifier"], "legislature")
    other = make_user("leg-2", Role.LEGISLATURE)
    assert agreement_list(other).filter(pk=world.agreement.pk).exists()
    agreement_access_grant(
        actor=people["admin"], agreement=world.agreement, user=people["legislator"]
    )
    assert names_seen(people["legislator"], world) == {p.handle for p in world.people}
    assert not agreement_list(other).exists()
    with pytest.raises(Http404):
        agreement_members(other, world.agreement)
    assert not people_in_view(other).exists()
    with pytest.raises(ValidationError):
        agreement_access_grant(
            actor=people["admin"], agreement=world.agreement, user=people["public"]
        )
    agreement_access_revoke(
        actor=people["admin"], agreement=world.agreement, user=people["legislator"]
    )
    # Removing the last listed account closes the agreement; it does not open it to all.
    assert not agreement_list(people["legislator"]).exists()
    assert not agreement_list(other).exists()
    agreement_access_open(actor=people["admin"], agreement=world.agreement)
    assert agreement_list(other).filter(pk=world.agreement.pk).exists()


def test_a_withdrawal_approved_after_a_scheduled_opening_keeps_names_closed(
    world: World, people: dict[str, User]
) -> None:
    when = timezone.now() + dt.timedelta(days=2)
    _open(world, people["analyst"], people["verifier"], "public", effective_from=when)
    _open(world, people["analyst"], people["verifier"], "public", action="withdraw")
    later = when + dt.timedelta(minutes=1)
    assert not any(p.identity_visible for p in people_in_view(AnonymousUser(), now=later))


def test_the_operator_at_the_shell_cannot_decide_a_disclosure(
    world: World, people: dict[str, User]
) -> None:
    d = disclosure_propose(
        actor=people["analyst"], audience="public", reason="r", agreement=world.agreement
    )
    with pytest.raises(PermissionDenied):
        disclosure_approve(actor=world.actor, disclosure=d)
    assert not Grant.objects.exists()


def test_protected_sources_are_named_only_to_verifiers_and_administrators(
    world: World, people: dict[str, User]
) -> None:
    from detente.agreements.selectors import agreement_progress
    from detente.evidence.services import claim_record, source_create

    informant = source_create(
        actor=world.actor,
        slug="informant",
        name="Officer in prison X",
        kind="anonymous_official",
        reliability="C",
        independence_group="informant",
        protected=True,
    )
    claim_record(
        actor=world.actor,
        source=informant,
        kind="aggregate",
        agreement=world.agreement,
        released_count=2,
        event_date=dt.date(2020, 2, 1),
        received_at=dt.datetime(2020, 2, 1, 12, tzinfo=dt.UTC),
    )
    for viewer in (AnonymousUser(), people["legislator"], people["analyst"]):
        text = json.dumps(agreement_progress(viewer, world.agreement).as_json())
        assert "Officer in prison X" not in text and "protected source" in text
    text = json.dumps(agreement_progress(people["verifier"], world.agreement).as_json())
    assert "Officer in prison X" in text


def test_looking_through_another_users_eyes_is_recorded_as_the_operator(
    world: World, people: dict[str, User]
) -> None:
    _open(world, people["analyst"], people["verifier"], "legislature")
    out = io.StringIO()
    call_command("person", "show", world.person().handle, "--as", "leg", stdout=out)
    entry = AuditEntry.objects.filter(kind="access").order_by("-position").first()
    assert entry is not None
    assert entry.actor_label == "detente-cli" and entry.payload["as"] == "leg"


def test_flagging_at_risk_later_hides_an_already_public_name(
    world: World, people: dict[str, User]
) -> None:
    from detente.registry.services import person_set_at_risk

    _open(world, people["analyst"], people["verifier"], "public")
    assert world.person().handle in names_seen(AnonymousUser(), world)
    person_set_at_risk(actor=people["analyst"], person=world.person(), at_risk=True)
    assert world.person().handle not in names_seen(AnonymousUser(), world)
    assert world.person().handle in names_seen(people["analyst"], world)


def test_admin_searches_people_by_handle_only_and_records_it(
    world: World, people: dict[str, User]
) -> None:
    """The admin's search sends its text in the address (``?q=``, ``?term=``), so it takes a
    handle and never a name (SECURITY.md: no confidential value in a URL)."""
    from django.test import Client

    user = make_user("searcher", Role.ANALYST, staff=True)
    client = Client()
    client.force_login(user)
    searches = AuditEntry.objects.filter(action="admin.person.search")
    by_name = client.get("/admin/registry/person/", {"q": "Yoandri"})
    assert by_name.status_code == 200
    assert not any(f">{p.handle}<" in by_name.content.decode() for p in world.people)
    assert searches.count() == 0
    autocomplete = client.get(
        "/admin/autocomplete/",
        {"term": "Yoandri", "app_label": "evidence", "model_name": "claim", "field_name": "person"},
    )
    assert autocomplete.status_code == 200 and autocomplete.json()["results"] == []
    handle = world.person().handle
    by_handle = client.get("/admin/registry/person/", {"q": handle})
    assert by_handle.status_code == 200 and handle in by_handle.content.decode()
    assert searches.count() == 1
    assert handle in searches.get().payload["people"]
