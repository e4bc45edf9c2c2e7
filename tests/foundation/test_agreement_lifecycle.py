"""Agreements as they are really made: no number promised, "about N", releases before the
announcement, milestones that stay reached, the gap in its parts, editing and archiving."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from tests.support import World, at

from detente.agreements.models import Membership, MemberState
from detente.agreements.selectors import agreement_progress
from detente.agreements.services import (
    agreement_add_members,
    agreement_archive,
    agreement_create,
    agreement_edit,
    party_create,
    party_edit,
)
from detente.audit.models import AuditEntry
from detente.evidence.models import Claim, ClaimKind
from detente.evidence.services import claim_record, source_archive, source_edit
from detente.registry.status import CustodyStatus

REL = CustodyStatus.UNCONDITIONAL_RELEASE


def _claim(
    w: World, source: str, i: int, status: str, day: str, received: str | None = None
) -> Claim:
    return claim_record(
        actor=w.actor,
        source=w.sources[source],
        person=w.person(i),
        status=status,
        event_date=dt.date.fromisoformat(day),
        received_at=at(received or day),
    )


def _aggregate(w: World, count: int, day: str) -> Claim:
    return claim_record(
        actor=w.actor,
        source=w.sources["gov"],
        kind=ClaimKind.AGGREGATE,
        agreement=w.agreement,
        released_count=count,
        event_date=dt.date.fromisoformat(day),
        received_at=at(day),
    )


def _parts(p) -> int:  # type: ignore[no-untyped-def]
    return (
        p.confirmed
        + p.reported
        + p.disputed
        + p.held
        + p.rearrested
        + p.died
        + p.disappeared
        + p.released_before
        + p.unnamed
    )


def _milestone(p, key: str):  # type: ignore[no-untyped-def]
    return next(m for m in p.milestones if m.key == key)


def test_a_promise_with_no_number_is_not_zero(world: World) -> None:
    w = world
    agreement_edit(actor=w.actor, agreement=w.agreement, promised_count=None)
    _claim(w, "gov", 0, REL, "2020-02-01")
    _aggregate(w, 897, "2020-03-01")
    p = agreement_progress(w.actor, w.agreement)
    assert p.promised is None
    assert p.promised_text == "no number given"
    assert p.unnamed == 0 and p.named_beyond_promise == 0
    assert p.total == p.named == 3 == _parts(p)
    # Any figure reaches "all" of an unknown number: the milestone never fires.
    assert _milestone(p, "releasing_party_claims_all").date is None
    assert _milestone(p, "promise_confirmed").date is None
    assert p.as_json()["promised"] is None
    assert p.as_json()["total"] == 3


def test_about_n_is_reached_at_n(world: World) -> None:
    w = world
    agreement_edit(
        actor=w.actor, agreement=w.agreement, promised_count=900, promised_approximate=True
    )
    _aggregate(w, 899, "2020-03-01")
    p = agreement_progress(w.actor, w.agreement)
    assert p.promised_text == "about 900"
    assert _milestone(p, "releasing_party_claims_all").date is None
    _aggregate(w, 905, "2020-03-08")
    p = agreement_progress(w.actor, w.agreement)
    assert _milestone(p, "releasing_party_claims_all").date == dt.date(2020, 3, 8)
    assert p.total == 900 == _parts(p)


def test_an_approximate_count_needs_a_number(world: World) -> None:
    w = world
    with pytest.raises(ValidationError) as err:
        agreement_edit(
            actor=w.actor, agreement=w.agreement, promised_count=None, promised_approximate=True
        )
    assert "promised_count" in err.value.message_dict
    w.agreement.refresh_from_db()
    assert w.agreement.promised_count == 5


def test_a_release_before_the_announcement_is_not_the_agreements(world: World) -> None:
    w = world  # announced 2020-01-10
    _claim(w, "embassy", 0, REL, "2019-10-11")  # freed months before, confirmed
    _claim(w, "gov", 1, REL, "2020-02-01")
    p = agreement_progress(w.actor, w.agreement)
    assert p.released_before == 1
    assert p.claimed == 1 and p.confirmed == 0 and p.reported == 1
    assert _parts(p) == p.total == 5
    # No milestone comes before the announcement.
    reached = [m.date for m in p.milestones if m.date is not None]
    assert min(reached) == dt.date(2020, 1, 10)
    assert _milestone(p, "first_reported").date == dt.date(2020, 2, 1)
    member = Membership.objects.get(agreement=w.agreement, person=w.person(0))
    assert member.state == MemberState.RELEASED_BEFORE


def test_held_again_after_an_early_release_is_held(world: World) -> None:
    w = world
    _claim(w, "embassy", 0, REL, "2019-10-11")
    _claim(w, "ngo", 0, CustodyStatus.SENTENCED, "2019-12-01")
    p = agreement_progress(w.actor, w.agreement)
    assert p.released_before == 0 and p.held == 3


def test_moving_the_announcement_rederives_the_members(world: World) -> None:
    w = world
    _claim(w, "embassy", 0, REL, "2020-02-01")
    assert agreement_progress(w.actor, w.agreement).confirmed == 1
    # People were named on 2020-01-15, so the announcement can move to 2020-01-12, not later.
    with pytest.raises(ValidationError):
        agreement_edit(actor=w.actor, agreement=w.agreement, announced_on=dt.date(2020, 3, 1))
    agreement_edit(actor=w.actor, agreement=w.agreement, announced_on=dt.date(2020, 1, 12))
    entry = AuditEntry.objects.filter(action="agreement.edit").latest("seq")
    assert entry.payload["changed"] == ["announced_on"]
    assert entry.payload["before"] == {"announced_on": "2020-01-10"}


def test_a_milestone_keeps_its_date_after_a_rearrest(world: World) -> None:
    w = world
    agreement_edit(actor=w.actor, agreement=w.agreement, promised_count=1)
    _claim(w, "embassy", 0, REL, "2020-02-01", "2020-02-03")
    p = agreement_progress(w.actor, w.agreement)
    assert _milestone(p, "promise_confirmed").date == dt.date(2020, 2, 3)
    _claim(w, "ngo", 0, CustodyStatus.REARRESTED, "2020-04-01")
    p = agreement_progress(w.actor, w.agreement)
    stone = _milestone(p, "promise_confirmed")
    assert stone.date == dt.date(2020, 2, 3)
    assert str(stone.now) == "1 no longer free (re-arrested, disputed, died or disappeared) since"
    assert p.rearrested == 1 and p.confirmed == 0
    # The history is the same from the cache and recomputed as of a past date.
    past = agreement_progress(w.actor, w.agreement, as_of=dt.date(2020, 5, 1))
    assert _milestone(past, "promise_confirmed").date == dt.date(2020, 2, 3)


def test_the_gap_is_shown_in_its_parts(world: World) -> None:
    w = world
    _claim(w, "gov", 0, REL, "2020-02-01")  # reported only
    _claim(w, "embassy", 1, REL, "2020-02-01")  # confirmed...
    _claim(w, "ngo", 1, CustodyStatus.REARRESTED, "2020-03-01")  # ...then re-arrested
    _aggregate(w, 4, "2020-03-02")  # the government says 4
    p = agreement_progress(w.actor, w.agreement)
    assert (p.claimed, p.confirmed, p.gap) == (4, 0, 4)
    assert (p.gap_unconfirmed, p.gap_rearrested, p.gap_unnamed) == (1, 1, 2)


def test_archived_agreements_and_sources_take_no_new_claims(world: World) -> None:
    w = world
    claim = _claim(w, "gov", 0, REL, "2020-02-01")
    source_archive(actor=w.actor, source=w.sources["gov"])
    before = Claim.objects.count()
    with pytest.raises(ValidationError) as err:
        _claim(w, "gov", 1, REL, "2020-02-01")
    assert "source" in err.value.message_dict
    # A retraction still corrects the record.
    claim_record(
        actor=w.actor,
        source=w.sources["gov"],
        kind=ClaimKind.RETRACTION,
        corrects=claim,
        received_at=at("2020-02-05"),
    )
    assert Claim.objects.count() == before + 1
    source_archive(actor=w.actor, source=w.sources["gov"], archived=False)
    agreement_archive(actor=w.actor, agreement=w.agreement)
    with pytest.raises(ValidationError) as err:
        _aggregate(w, 3, "2020-03-01")
    assert "agreement" in err.value.message_dict
    agreement_archive(actor=w.actor, agreement=w.agreement, archived=False)
    _aggregate(w, 3, "2020-03-01")


def test_a_protected_sources_new_name_reaches_the_ledger_hashed(world: World) -> None:
    w = world
    source_edit(actor=w.actor, source=w.sources["family"], protected=True)
    source_edit(actor=w.actor, source=w.sources["family"], name="The cousin in Holguín")
    entry = AuditEntry.objects.filter(action="source.edit").latest("seq")
    assert entry.payload["changed"] == ["name"]
    assert "Holguín" not in str(entry.payload)


def test_a_party_cannot_be_regrouped_into_its_counterparts_group(world: World) -> None:
    w = world
    with pytest.raises(ValidationError) as err:
        party_edit(
            actor=w.actor, party=w.counterpart, independence_group=w.releasing.independence_group
        )
    assert "independence_group" in err.value.message_dict
    w.counterpart.refresh_from_db()
    assert w.counterpart.independence_group == "deal-other"


def test_mediators_are_third_parties(world: World) -> None:
    w = world
    church = party_create(
        actor=w.actor, slug="church", name="Church", independence_group="church", kind="mediator"
    )
    a = agreement_create(
        actor=w.actor,
        slug="with-mediator",
        title="Mediated",
        promisor=w.releasing,
        promisee=w.counterpart,
        mediators=[church],
        announced_on=dt.date(2020, 1, 1),
        promised_count=None,
    )
    assert list(a.mediators.all()) == [church]
    with pytest.raises(ValidationError) as err:
        agreement_edit(actor=w.actor, agreement=a, mediators=[church, w.releasing])
    assert "mediators" in err.value.message_dict
    assert list(a.mediators.all()) == [church]


def test_a_claim_under_a_staff_only_agreement_does_not_move_public_figures(world: World) -> None:
    from django.contrib.auth.models import AnonymousUser

    from detente.access.services import agreement_set_audience
    from detente.registry.selectors import person_detail

    w = world
    agreement_set_audience(actor=w.actor, agreement=w.agreement, audience="public")
    quiet = agreement_create(
        actor=w.actor,
        slug="quiet",
        title="Quiet talks",
        promisor=w.releasing,
        promisee=w.counterpart,
        announced_on=dt.date(2020, 1, 1),
        promised_count=None,
    )
    agreement_add_members(
        actor=w.actor, agreement=quiet, people=[w.person(0)], named_on=dt.date(2020, 1, 2)
    )
    claim_record(
        actor=w.actor,
        source=w.sources["embassy"],
        person=w.person(0),
        agreement=quiet,
        status=REL,
        event_date=dt.date(2020, 2, 1),
        received_at=at("2020-02-01"),
    )
    public = agreement_progress(AnonymousUser(), w.agreement)
    assert public.confirmed == 0 and public.held == 3
    # Staff read the same figures for the public agreement, and the release under "quiet".
    assert agreement_progress(w.actor, w.agreement).confirmed == 0
    assert agreement_progress(w.actor, quiet).confirmed == 1
    anonymous_view = person_detail(AnonymousUser(), w.person(0))
    assert [s.derived.state for s in anonymous_view.statuses] == [MemberState.HELD]
    # Shown to everyone, the talks' claims count everywhere.
    agreement_set_audience(actor=w.actor, agreement=quiet, audience="public")
    assert agreement_progress(AnonymousUser(), w.agreement).confirmed == 1


def _stage(w: World, stage: str, day: str, source: str = "gov", **kw) -> Claim:  # type: ignore[no-untyped-def]
    return claim_record(
        actor=w.actor,
        source=w.sources[source],
        kind=ClaimKind.LIFECYCLE,
        agreement=w.agreement,
        lifecycle=stage,
        event_date=dt.date.fromisoformat(day),
        received_at=at(day),
        **kw,
    )


def test_stages_are_dated_claims_read_as_of(world: World) -> None:
    w = world
    _stage(w, "suspended", "2020-03-01", evidence_text="Talks broke down.")
    _stage(w, "resumed", "2020-04-01", source="embassy")
    done = _stage(w, "declared_complete", "2020-05-01")
    p = agreement_progress(w.actor, w.agreement)
    assert [e.stage for e in p.stages] == ["suspended", "resumed", "declared_complete"]
    assert p.stage is not None and p.stage.stage == "declared_complete"
    assert p.stage.releasing_party
    assert p.as_json()["stage"] == "declared_complete"
    past = agreement_progress(w.actor, w.agreement, as_of=dt.date(2020, 3, 15))
    assert past.stage is not None and past.stage.stage == "suspended"
    # Retracted, the declaration no longer stands.
    claim_record(
        actor=w.actor,
        source=w.sources["gov"],
        kind=ClaimKind.RETRACTION,
        corrects=done,
        received_at=at("2020-05-02"),
    )
    p = agreement_progress(w.actor, w.agreement)
    assert p.stage is not None and p.stage.stage == "resumed"


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"lifecycle": "paused-ish"}, "lifecycle"),
        ({"lifecycle": "suspended", "event_date": dt.date(2019, 12, 1)}, "event_date"),
        ({"lifecycle": ""}, "lifecycle"),
    ],
)
def test_a_bad_stage_is_refused_and_nothing_written(world: World, kw: dict, field: str) -> None:  # type: ignore[type-arg]
    w = world
    before = Claim.objects.count()
    args = {"event_date": dt.date(2020, 3, 1), **kw}
    with pytest.raises(ValidationError) as err:
        claim_record(
            actor=w.actor,
            source=w.sources["gov"],
            kind=ClaimKind.LIFECYCLE,
            agreement=w.agreement,
            received_at=at("2020-03-02"),
            **args,
        )
    assert field in err.value.message_dict
    assert Claim.objects.count() == before


def test_an_aggregate_count_carries_its_parts_and_warnings(world: World) -> None:
    from detente.evidence.services import aggregate_warnings

    w = world  # promised 5, announced 2020-01-10
    claim = claim_record(
        actor=w.actor,
        source=w.sources["gov"],
        kind=ClaimKind.AGGREGATE,
        agreement=w.agreement,
        released_count=5,
        breakdown={"political": 2, "other": 3, "conditional": 5},
        event_date=dt.date(2020, 3, 1),
        received_at=at("2020-03-01"),
    )
    p = agreement_progress(w.actor, w.agreement)
    assert p.aggregate_claims[0].breakdown == {"political": 2, "other": 3, "conditional": 5}
    assert claim.breakdown["other"] == 3
    with pytest.raises(ValidationError) as err:
        claim_record(
            actor=w.actor,
            source=w.sources["gov"],
            kind=ClaimKind.AGGREGATE,
            agreement=w.agreement,
            released_count=4,
            breakdown={"political": 3, "other": 3},
            event_date=dt.date(2020, 3, 2),
            received_at=at("2020-03-02"),
        )
    assert "breakdown" in err.value.message_dict
    warnings = aggregate_warnings(w.agreement, 9, dt.date(2020, 1, 2))
    assert any("above the 5 promised" in x for x in warnings)
    assert any("before the agreement was announced" in x for x in warnings)
    assert aggregate_warnings(w.agreement, 3, dt.date(2020, 3, 5)) == [
        "An earlier figure (5 on 1 Mar 2020) is higher: the count goes down."
    ]
    assert aggregate_warnings(w.agreement, 5, dt.date(2020, 3, 5)) == []


def test_a_rearrest_and_a_release_on_one_day_are_ordered_by_the_time(world: World) -> None:
    w = world
    _claim(w, "embassy", 0, REL, "2020-02-01")
    _claim(w, "embassy", 1, REL, "2020-02-01")
    for i, times in ((0, (dt.time(9), dt.time(18))), (1, (None, None))):
        claim_record(
            actor=w.actor,
            source=w.sources["ngo"],
            person=w.person(i),
            status=CustodyStatus.REARRESTED,
            event_date=dt.date(2020, 3, 1),
            event_time=times[0],
            received_at=at("2020-03-02"),
        )
        claim_record(
            actor=w.actor,
            source=w.sources["embassy"],
            person=w.person(i),
            status=REL,
            event_date=dt.date(2020, 3, 1),
            event_time=times[1],
            received_at=at("2020-03-02"),
        )
    states = dict(
        Membership.objects.filter(agreement=w.agreement).values_list("person_id", "state")
    )
    # Detained in the morning and released by evening: released.
    assert states[w.person(0).pk] == MemberState.CONFIRMED
    # Without the times the cautious reading stands: the release may have come first.
    assert states[w.person(1).pk] == MemberState.REARRESTED


def test_a_time_of_day_needs_a_day(world: World) -> None:
    w = world
    with pytest.raises(ValidationError) as err:
        claim_record(
            actor=w.actor,
            source=w.sources["ngo"],
            person=w.person(0),
            status=REL,
            event_date=dt.date(2020, 3, 1),
            event_precision="month",
            event_time=dt.time(9),
            received_at=at("2020-04-02"),
        )
    assert "event_time" in err.value.message_dict


def test_an_exchange_links_two_legs_each_with_its_own_figures(world: World) -> None:
    from detente.agreements.selectors import agreement_exchange

    w = world
    other = agreement_create(
        actor=w.actor,
        slug="other-leg",
        title="The other side releases",
        promisor=w.counterpart,
        promisee=w.releasing,
        announced_on=dt.date(2020, 1, 10),
        promised_count=2,
    )
    agreement_edit(actor=w.actor, agreement=w.agreement, exchange_legs=[other])
    # Linked both ways: each leg shows the other, with its own progress.
    [(leg, progress)] = agreement_exchange(w.actor, other)
    assert leg == w.agreement and progress.promised == 5
    assert [a.slug for a, _p in agreement_exchange(w.actor, w.agreement)] == ["other-leg"]
    # A leg must be the counterpart releasing to this agreement's releasing party.
    same_way = agreement_create(
        actor=w.actor,
        slug="same-way",
        title="Same direction",
        promisor=w.releasing,
        promisee=w.counterpart,
        announced_on=dt.date(2020, 1, 10),
        promised_count=1,
    )
    with pytest.raises(ValidationError) as err:
        agreement_edit(actor=w.actor, agreement=w.agreement, exchange_legs=[other, same_way])
    assert "exchange_legs" in err.value.message_dict
    assert [a.slug for a, _p in agreement_exchange(w.actor, w.agreement)] == ["other-leg"]
