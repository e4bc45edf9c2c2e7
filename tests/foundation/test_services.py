"""Services: bad input gets a clear error naming the field, and nothing is stored."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from tests.support import World, at, make_user

from detente.access.policy import Role
from detente.agreements.models import Membership
from detente.audit import ledger
from detente.audit.models import AuditEntry
from detente.evidence.models import Claim, ClaimKind
from detente.evidence.services import claim_record, source_create
from detente.registry.services import custody_episode_add, person_create
from detente.registry.status import CustodyStatus


def _counts() -> tuple[int, int, list[tuple[str, str]]]:
    states = list(Membership.objects.order_by("id").values_list("state", "status"))
    return Claim.objects.count(), AuditEntry.objects.count(), states


def _rejected(field: str, fn, **kwargs) -> str:  # type: ignore[no-untyped-def]
    before = _counts()
    with pytest.raises(ValidationError) as err:
        fn(**kwargs)
    assert field in err.value.message_dict, err.value.message_dict
    assert _counts() == before
    return " ".join(err.value.message_dict[field])


def _record(
    world: World,
    source: str,
    status: str = CustodyStatus.UNCONDITIONAL_RELEASE,
    actor: object = None,
) -> Claim:
    """A status claim about the world's first person, dated 2020-02-01."""
    return claim_record(
        actor=actor or world.actor,  # type: ignore[arg-type]
        source=world.sources[source],
        person=world.person(),
        status=status,
        event_date=dt.date(2020, 2, 1),
        received_at=at("2020-02-01"),
    )


def test_release_before_arrest_is_refused(world: World) -> None:
    msg = _rejected(
        "event_date",
        claim_record,
        actor=world.actor,
        source=world.sources["gov"],
        person=world.person(),
        status=CustodyStatus.UNCONDITIONAL_RELEASE,
        event_date=dt.date(2017, 1, 1),
        received_at=at("2020-02-01"),
    )
    assert "before the arrest" in msg and "2018-05-01" in msg


def test_release_in_the_arrest_month_is_accepted_when_the_arrest_is_known_to_the_month(
    world: World,
) -> None:
    p = person_create(actor=world.actor, given_names="Yanelys", paternal_surname="Cardet")
    custody_episode_add(
        actor=world.actor,
        person=p,
        status=CustodyStatus.DETAINED,
        start_date=dt.date(2019, 3, 20),
        start_precision="month",
    )
    # The arrest is only known as "March 2019": a release on March 5 may be after it.
    claim_record(
        actor=world.actor,
        source=world.sources["gov"],
        person=p,
        status=CustodyStatus.PAROLE,
        event_date=dt.date(2019, 3, 5),
        received_at=at("2019-03-06"),
    )


def test_unknown_status_is_refused(world: World) -> None:
    msg = _rejected(
        "status",
        claim_record,
        actor=world.actor,
        source=world.sources["gov"],
        person=world.person(),
        status="freed-ish",
        event_date=dt.date(2020, 2, 1),
        received_at=at("2020-02-01"),
    )
    assert "freed-ish" in msg and "unconditional_release" in msg


def test_claim_on_an_agreement_about_a_non_member_is_refused(world: World) -> None:
    outsider = person_create(actor=world.actor, given_names="Osmany", paternal_surname="Lazo")
    msg = _rejected(
        "person",
        claim_record,
        actor=world.actor,
        source=world.sources["gov"],
        person=outsider,
        agreement=world.agreement,
        status=CustodyStatus.UNCONDITIONAL_RELEASE,
        event_date=dt.date(2020, 2, 1),
        received_at=at("2020-02-01"),
    )
    assert outsider.handle in msg and world.agreement.slug in msg


@pytest.mark.parametrize("grade", ["G", "a", "", "AB", "1"])
def test_grade_outside_a_to_f_is_refused(world: World, grade: str) -> None:
    _rejected(
        "reliability",
        source_create,
        actor=world.actor,
        slug="new-source",
        name="New",
        kind="ngo",
        reliability=grade,
        independence_group="new",
    )


def test_future_event_date_is_refused(world: World) -> None:
    tomorrow = timezone.now().date() + dt.timedelta(days=1)
    msg = _rejected(
        "event_date",
        claim_record,
        actor=world.actor,
        source=world.sources["embassy"],
        person=world.person(),
        status=CustodyStatus.UNCONDITIONAL_RELEASE,
        event_date=tomorrow,
    )
    assert "future" in msg


def test_future_birth_date_and_unknown_episode_status_are_refused(world: World) -> None:
    _rejected(
        "birth_date",
        person_create,
        actor=world.actor,
        given_names="Dayana",
        birth_date=timezone.now().date() + dt.timedelta(days=3),
    )
    _rejected(
        "status",
        custody_episode_add,
        actor=world.actor,
        person=world.person(),
        status="jailed",
        start_date=dt.date(2019, 1, 1),
    )
    _rejected(
        "end_date",
        custody_episode_add,
        actor=world.actor,
        person=world.person(),
        status="detained",
        start_date=dt.date(2019, 1, 1),
        end_date=dt.date(2018, 1, 1),
    )


def test_only_the_same_source_can_retract(world: World) -> None:
    claim = _record(world, "gov", CustodyStatus.UNCONDITIONAL_RELEASE)
    _rejected(
        "corrects",
        claim_record,
        actor=world.actor,
        source=world.sources["ngo"],
        kind=ClaimKind.RETRACTION,
        corrects=claim,
        received_at=at("2020-02-02"),
    )


def test_claims_cannot_be_edited_or_deleted(world: World) -> None:
    claim = _record(world, "gov", CustodyStatus.PAROLE)
    claim.status = CustodyStatus.UNCONDITIONAL_RELEASE
    with pytest.raises(TypeError):
        claim.save()
    with pytest.raises(TypeError):
        claim.delete()
    with pytest.raises(TypeError):
        Claim.objects.filter(pk=claim.pk).update(status="pardoned")
    assert Claim.objects.get(pk=claim.pk).status == CustodyStatus.PAROLE


def test_every_service_write_appends_one_ledger_entry(world: World) -> None:
    before = AuditEntry.objects.count()
    _record(world, "gov", CustodyStatus.PAROLE)
    entries = list(AuditEntry.objects.order_by("seq")[before:])
    assert [e.action for e in entries] == ["claim.status"]
    assert ledger.verify().ok


def test_a_failure_inside_the_service_stores_neither_claim_nor_entry(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ledger, "append", boom)
    before = _counts()
    with pytest.raises(RuntimeError):
        claim_record(
            actor=world.actor,
            source=world.sources["embassy"],
            person=world.person(),
            status=CustodyStatus.UNCONDITIONAL_RELEASE,
            event_date=dt.date(2020, 2, 1),
            received_at=at("2020-02-01"),
        )
    assert _counts() == before


def test_identity_values_never_reach_the_ledger(world: World) -> None:
    a = person_create(actor=world.actor, given_names="Leidys Marisol", paternal_surname="Oramas")
    b = person_create(actor=world.actor, given_names="Yusleidy", paternal_surname="Oramas")
    entries = AuditEntry.objects.filter(action="person.create").order_by("-position")[:2]
    for entry in entries:
        assert "Leidys" not in entry.data and "Oramas" not in entry.data
        assert "hmac:" in entry.data
    # The same surname hashes differently for two people: the ledger cannot group them.
    by_handle = {e.object_id: e.payload for e in entries}
    surnames = {by_handle[str(p.pk)]["identity"]["paternal_surname"] for p in (a, b)}
    assert len(surnames) == 2


@pytest.mark.parametrize("role", [Role.LEGISLATURE, None])
def test_roles_without_record_rights_cannot_write(world: World, role: str | None) -> None:
    user = make_user("someone", role)
    before = _counts()
    with pytest.raises(PermissionDenied):
        claim_record(
            actor=user,
            source=world.sources["embassy"],
            person=world.person(),
            status=CustodyStatus.UNCONDITIONAL_RELEASE,
            event_date=dt.date(2020, 2, 1),
            received_at=at("2020-02-01"),
        )
    assert _counts() == before


def test_analyst_records_but_cannot_regrade_sources(world: World) -> None:
    from detente.evidence.services import source_regrade

    analyst = make_user("ana", Role.ANALYST)
    claim_record(
        actor=analyst,
        source=world.sources["family"],
        person=world.person(),
        status=CustodyStatus.DETAINED,
        event_date=dt.date(2020, 2, 1),
        received_at=at("2020-02-01"),
    )
    with pytest.raises(PermissionDenied):
        source_regrade(
            actor=analyst, source=world.sources["family"], reliability="A", independence_group="x"
        )


@pytest.mark.parametrize(
    "overrides",
    [{"detained": "released"}, {"rearrested": "conditional"}, {"house_arrest": "died"}, ["x"]],
)
def test_nonsense_status_overrides_are_refused(world: World, overrides: object) -> None:
    from detente.agreements.services import agreement_set_policy

    _rejected(
        "status_overrides",
        agreement_set_policy,
        actor=world.actor,
        agreement=world.agreement,
        confirm_min_grade="B",
        dispute_min_grade="C",
        status_overrides=overrides,
    )


def test_parties_sharing_an_independence_group_are_refused(world: World) -> None:
    from detente.agreements.services import agreement_create, party_create

    twin = party_create(
        actor=world.actor, slug="gov-paper", name="Paper", independence_group="deal-gov"
    )
    msg = _rejected(
        "promisee",
        agreement_create,
        actor=world.actor,
        slug="self-deal",
        title="Self",
        promisor=world.releasing,
        promisee=twin,
        announced_on=dt.date(2020, 1, 1),
        promised_count=3,
    )
    assert "deal-gov" in msg


def test_a_retraction_asserts_nothing(world: World) -> None:
    claim = _record(world, "gov", CustodyStatus.PAROLE)
    _rejected(
        "status",
        claim_record,
        actor=world.actor,
        source=world.sources["gov"],
        kind=ClaimKind.RETRACTION,
        corrects=claim,
        status=CustodyStatus.DETAINED,
        received_at=at("2020-02-02"),
    )


def test_too_long_or_wrongly_typed_text_is_refused(world: World) -> None:
    msg = _rejected("given_names", person_create, actor=world.actor, given_names="Y" * 121)
    assert "120" in msg
    _rejected("aliases", person_create, actor=world.actor, given_names="Yoyi", aliases="Yoyi")


def test_expected_release_must_be_a_kind_of_release(world: World) -> None:
    from detente.agreements.services import agreement_create

    _rejected(
        "expected_release",
        agreement_create,
        actor=world.actor,
        slug="odd",
        title="Odd",
        promisor=world.releasing,
        promisee=world.counterpart,
        announced_on=dt.date(2020, 1, 1),
        promised_count=3,
        expected_release=CustodyStatus.DIED_IN_CUSTODY,
    )


def test_a_new_arrest_starts_a_new_detention(world: World) -> None:
    for source in ("gov", "embassy"):
        claim_record(
            actor=world.actor,
            source=world.sources[source],
            person=world.person(),
            status=CustodyStatus.UNCONDITIONAL_RELEASE,
            event_date=dt.date(2020, 2, 1),
            received_at=at("2020-02-03"),
        )
    member = Membership.objects.get(person=world.person())
    assert member.state == "confirmed"
    custody_episode_add(
        actor=world.actor,
        person=world.person(),
        status=CustodyStatus.DETAINED,
        start_date=dt.date(2021, 6, 1),
    )
    member.refresh_from_db()
    assert member.state == "held"


def test_the_admin_shows_a_refused_input_instead_of_failing(world: World) -> None:
    from django.test import Client

    verifier = make_user("vera", Role.VERIFIER, staff=True)
    client = Client()
    client.force_login(verifier)
    before = _counts()
    response = client.post(
        "/admin/evidence/claim/add/",
        {
            "source": world.sources["gov"].pk,
            "kind": "status",
            "person": world.person().pk,
            "status": CustodyStatus.UNCONDITIONAL_RELEASE,
            "event_date": "2017-01-01",
            "event_precision": "day",
            "received_at_0": "2020-02-01",
            "received_at_1": "12:00:00",
            "credibility": 3,
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "before the arrest" in response.content.decode()
    assert _counts() == before
