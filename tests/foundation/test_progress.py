"""Agreement progress, the cache of member states, and the point-in-time view (database)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support import World, at, build_world, make_user

from detente.agreements.derivation import STATE_FIELDS, derive_members, rebuild_agreement
from detente.agreements.models import Membership, MemberState
from detente.agreements.selectors import agreement_progress
from detente.evidence.models import ClaimKind
from detente.evidence.services import claim_record, source_regrade
from detente.registry.status import CustodyStatus

REL = CustodyStatus.UNCONDITIONAL_RELEASE


def _record(w: World, source: str, i: int, status: str, day: str, received: str | None = None):  # type: ignore[no-untyped-def]
    return claim_record(
        actor=w.actor,
        source=w.sources[source],
        person=w.person(i),
        status=status,
        event_date=dt.date.fromisoformat(day),
        received_at=at(received or day),
    )


CACHED = STATE_FIELDS


def _cache_matches_rules(w: World) -> None:
    cached = {
        row[0]: row[1:]
        for row in Membership.objects.filter(agreement=w.agreement).values_list(
            "person_id", *CACHED
        )
    }
    derived = derive_members(w.agreement, cached)
    assert cached == {pid: tuple(getattr(d, f) for f in CACHED) for pid, d in derived.items()}


def test_progress_figures_add_up_and_show_the_gap(world: World) -> None:
    w = world
    _record(w, "gov", 0, REL, "2020-02-01")
    _record(w, "embassy", 0, REL, "2020-02-01", "2020-02-04")
    _record(w, "gov", 1, CustodyStatus.PAROLE, "2020-02-02")
    claim_record(
        actor=w.actor,
        source=w.sources["gov"],
        kind=ClaimKind.AGGREGATE,
        agreement=w.agreement,
        released_count=5,
        event_date=dt.date(2020, 2, 5),
        received_at=at("2020-02-05"),
    )
    p = agreement_progress(w.actor, w.agreement)
    assert (p.promised, p.named, p.unnamed) == (5, 3, 2)
    assert (p.confirmed, p.reported, p.held) == (1, 1, 1)
    states = (p.held, p.reported, p.confirmed, p.disputed, p.rearrested, p.died, p.disappeared)
    assert sum(states) == p.named
    assert p.claimed_by_releasing_party == 5 and p.claimed == 5 and p.gap == 4
    milestones = {m.key: m.date for m in p.milestones}
    assert milestones["first_reported"] == dt.date(2020, 2, 1)
    assert milestones["first_confirmed"] == dt.date(2020, 2, 4)
    assert milestones["releasing_party_claims_all"] == dt.date(2020, 2, 5)
    assert milestones["all_named_confirmed"] is None


def test_all_confirmed_milestone_is_the_day_the_last_confirmation_arrived(world: World) -> None:
    w = world
    for i, day in enumerate(["2020-03-01", "2020-03-05", "2020-03-09"]):
        _record(w, "embassy", i, REL, "2020-03-01", day)
    p = agreement_progress(w.actor, w.agreement)
    assert {m.key: m.date for m in p.milestones}["all_named_confirmed"] == dt.date(2020, 3, 9)


def test_point_in_time_progress_ignores_claims_received_later(world: World) -> None:
    w = world
    _record(w, "gov", 0, REL, "2020-02-01")
    before = agreement_progress(w.actor, w.agreement, as_of=dt.date(2020, 2, 10)).as_json()
    _record(w, "embassy", 0, REL, "2020-02-01", "2020-02-11")
    _record(w, "gov", 1, REL, "2020-02-12")
    after = agreement_progress(w.actor, w.agreement, as_of=dt.date(2020, 2, 10)).as_json()
    assert after == before
    now = agreement_progress(w.actor, w.agreement)
    assert (now.confirmed, now.reported) == (1, 1)
    assert before["confirmed"] == 0 and before["reported"] == 1
    # Members named after the date are not counted as named then.
    early = agreement_progress(w.actor, w.agreement, as_of=dt.date(2020, 1, 12))
    assert (early.named, early.unnamed) == (0, 5)


def test_regrading_a_source_rederives_the_members_it_spoke_about(world: World) -> None:
    w = world
    _record(w, "gov", 0, REL, "2020-02-01")
    _record(w, "family", 0, REL, "2020-02-01", "2020-02-03")
    assert Membership.objects.get(person=w.person(0)).state == MemberState.REPORTED
    source_regrade(
        actor=w.actor, source=w.sources["family"], reliability="B", independence_group="deal-fam"
    )
    assert Membership.objects.get(person=w.person(0)).state == MemberState.CONFIRMED
    _cache_matches_rules(w)


def test_the_cache_is_rebuilt_exactly(world: World) -> None:
    w = world
    _record(w, "gov", 0, REL, "2020-02-01")
    _record(w, "ngo", 0, REL, "2020-02-01", "2020-02-02")
    _record(w, "family", 1, CustodyStatus.DETAINED, "2020-02-03")
    Membership.objects.filter(agreement=w.agreement).update(state=MemberState.DIED)
    assert rebuild_agreement(w.agreement) == 3
    _cache_matches_rules(w)
    assert rebuild_agreement(w.agreement) == 0


def test_only_staff_roles_see_progress(world: World) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        agreement_progress(make_user("leg", "legislature"), world.agreement)


STATUSES = [s.value for s in CustodyStatus]
SOURCES = ["gov", "gov_press", "embassy", "ngo", "family", "blog"]
_worlds = itertools.count()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(SOURCES),
            st.sampled_from(STATUSES),
            st.integers(-700, 40),
            st.sampled_from(["day", "month", "year"]),
        ),
        min_size=1,
        max_size=7,
    ),
    st.randoms(use_true_random=False),
)
@pytest.mark.django_db
def test_arrival_order_gives_the_same_cached_states(claims, rnd) -> None:  # type: ignore[no-untyped-def]
    """Two identical agreements get the same claims in different orders."""
    actor = User.objects.get_or_create(username="detente-cli", defaults={"is_superuser": True})[0]
    tag = f"w{next(_worlds)}"
    a, b = (
        build_world(actor, members=1, slug=f"{tag}a"),
        build_world(actor, members=1, slug=f"{tag}b"),
    )
    shuffled = list(claims)
    rnd.shuffle(shuffled)
    refused: dict[str, list[tuple[str, str, int, str]]] = {"a": [], "b": []}
    for key, w, seq in (("a", a, claims), ("b", b, shuffled)):
        for source, status, day, precision in seq:
            event = dt.date(2020, 1, 20) + dt.timedelta(days=day)
            try:
                claim_record(
                    actor=w.actor,
                    source=w.sources[source],
                    person=w.person(0),
                    status=status,
                    event_date=event,
                    event_precision=precision,
                    received_at=at("2020-03-15"),
                )
            except ValidationError as exc:
                assert "before the arrest" in " ".join(exc.messages)
                refused[key].append((source, status, day, precision))
    assert sorted(refused["a"]) == sorted(refused["b"])
    ma = Membership.objects.filter(agreement=a.agreement).values_list(*CACHED).get()
    mb = Membership.objects.filter(agreement=b.agreement).values_list(*CACHED).get()
    assert ma == mb
    _cache_matches_rules(a)
