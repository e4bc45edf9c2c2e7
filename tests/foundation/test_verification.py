"""The verification rules, as a pure function, and their properties."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from detente.evidence.verification import ClaimFact, Policy, Rule, State, as_of, derive
from detente.registry.status import Category, CustodyStatus

GOV, EMBASSY, FAMILY, NGO, BLOG = "gov", "embassy", "family", "ngo", "blog"
GRADES = {GOV: "C", EMBASSY: "A", FAMILY: "C", NGO: "B", BLOG: "D"}
POLICY = Policy(releasing_groups=frozenset({GOV}))
_ids = itertools.count(1)


def claim(
    group: str,
    status: str,
    day: int,
    received: int | None = None,
    corrects: int | None = None,
    grade: str | None = None,
) -> ClaimFact:
    base = dt.date(2020, 1, 1)
    rec = dt.datetime.combine(
        base + dt.timedelta(days=received if received is not None else day),
        dt.time(12),
        tzinfo=dt.UTC,
    )
    return ClaimFact(
        id=next(_ids),
        status=status,
        event_date=None if not status else base + dt.timedelta(days=day),
        received_at=rec,
        source_id=hash(group) % 1000,
        source_group=group,
        source_grade=grade or GRADES[group],
        corrects_id=corrects,
    )


def retraction(of: ClaimFact, day: int) -> ClaimFact:
    return ClaimFact(
        id=next(_ids),
        status="",
        event_date=None,
        received_at=of.received_at + dt.timedelta(days=day),
        source_id=of.source_id,
        source_group=of.source_group,
        source_grade=of.source_grade,
        corrects_id=of.id,
    )


REL = CustodyStatus.UNCONDITIONAL_RELEASE


def state(*claims: ClaimFact, policy: Policy = POLICY) -> str:
    return derive(claims, policy)[0].state


def test_no_claims_means_still_held() -> None:
    assert state() == State.HELD


def test_releasing_party_alone_only_reports() -> None:
    d, why = derive([claim(GOV, REL, 5)], POLICY)
    assert d.state == State.REPORTED and why.rule == Rule.REPORTED_ONLY


def test_independent_a_or_b_source_confirms() -> None:
    gov, emb = claim(GOV, REL, 5), claim(EMBASSY, REL, 5, received=9)
    d, why = derive([gov, emb], POLICY)
    assert d.state == State.CONFIRMED and why.rule == Rule.INDEPENDENT_CONFIRMATION
    assert why.decisive == (emb.id,)
    assert d.confirmed_at == emb.received_at and d.reported_at == gov.received_at


def test_low_grade_independent_source_does_not_confirm() -> None:
    assert state(claim(GOV, REL, 5), claim(BLOG, REL, 5)) == State.REPORTED
    assert state(claim(GOV, REL, 5), claim(FAMILY, REL, 5)) == State.REPORTED


def test_credible_independent_contradiction_disputes() -> None:
    held = claim(FAMILY, CustodyStatus.DETAINED, 8)
    d, why = derive([claim(GOV, REL, 5), held], POLICY)
    assert d.state == State.DISPUTED and why.contradicting == (held.id,)


def test_contradiction_before_the_release_does_not_dispute() -> None:
    assert state(claim(GOV, REL, 5), claim(NGO, CustodyStatus.SENTENCED, 1)) == State.REPORTED


def test_later_confirmation_outweighs_an_earlier_contradiction() -> None:
    # Family saw the person in prison on day 8; the embassy met them at home on day 12.
    got = state(
        claim(GOV, REL, 5), claim(FAMILY, CustodyStatus.DETAINED, 8), claim(EMBASSY, REL, 12)
    )
    assert got == State.CONFIRMED


def test_contradiction_from_releasing_side_or_low_grade_is_ignored() -> None:
    assert state(claim(GOV, REL, 5), claim(GOV, CustodyStatus.DETAINED, 8)) == State.REPORTED
    assert state(claim(GOV, REL, 5), claim(BLOG, CustodyStatus.DETAINED, 8)) == State.REPORTED


def test_rearrest_after_release_reopens_the_case_and_a_new_release_starts_over() -> None:
    first = [claim(GOV, REL, 5), claim(EMBASSY, REL, 5)]
    again = claim(NGO, CustodyStatus.REARRESTED, 40)
    d = derive([*first, again], POLICY)[0]
    assert d.state == State.REARRESTED and d.rearrested_on == again.event_date
    # A second release is only reported until someone independent confirms it again.
    assert state(*first, again, claim(GOV, REL, 60)) == State.REPORTED
    assert state(*first, again, claim(GOV, REL, 60), claim(EMBASSY, REL, 61)) == State.CONFIRMED


def test_low_grade_rearrest_rumour_does_not_reopen() -> None:
    got = state(claim(GOV, REL, 5), claim(EMBASSY, REL, 5), claim(BLOG, "rearrested", 40))
    assert got == State.CONFIRMED


def test_conditional_release_is_counted_as_conditional() -> None:
    d = derive(
        [claim(GOV, CustodyStatus.PAROLE, 5), claim(EMBASSY, CustodyStatus.PAROLE, 6)], POLICY
    )[0]
    assert d.state == State.CONFIRMED and d.release_category == Category.CONDITIONAL


def test_house_arrest_is_not_release_unless_the_agreement_says_so() -> None:
    claims = [
        claim(GOV, CustodyStatus.HOUSE_ARREST, 5),
        claim(EMBASSY, CustodyStatus.HOUSE_ARREST, 6),
    ]
    assert state(*claims) == State.HELD
    lenient = Policy(frozenset({GOV}), overrides={CustodyStatus.HOUSE_ARREST: Category.CONDITIONAL})
    assert state(*claims, policy=lenient) == State.CONFIRMED


def test_stricter_policy_needs_an_a_grade_source() -> None:
    strict = Policy(frozenset({GOV}), confirm_min_grade="A")
    assert state(claim(GOV, REL, 5), claim(NGO, REL, 6), policy=strict) == State.REPORTED
    assert state(claim(GOV, REL, 5), claim(NGO, REL, 6)) == State.CONFIRMED


def test_retraction_voids_and_retracting_the_retraction_revives() -> None:
    emb = claim(EMBASSY, REL, 5)
    r1 = retraction(emb, 2)
    assert state(claim(GOV, REL, 5), emb, r1) == State.REPORTED
    _, why = derive([claim(GOV, REL, 5), emb, r1], POLICY)
    assert emb.id in why.void and r1.id in why.void
    assert state(claim(GOV, REL, 5), emb, r1, retraction(r1, 3)) == State.CONFIRMED


def test_supersession_replaces_the_corrected_claim() -> None:
    wrong = claim(EMBASSY, REL, 5)
    right = claim(EMBASSY, CustodyStatus.DETAINED, 5, received=8, corrects=wrong.id)
    assert state(claim(GOV, REL, 5), wrong, right) == State.DISPUTED


def test_death_in_custody_is_terminal() -> None:
    assert state(claim(NGO, CustodyStatus.DIED_IN_CUSTODY, 3), claim(GOV, REL, 5)) == State.DIED


# --- Properties --------------------------------------------------------------------------

STATUSES = [s.value for s in CustodyStatus]
GROUPS = list(GRADES)


@st.composite
def claim_sets(draw: st.DrawFn, max_size: int = 8) -> list[ClaimFact]:
    n = draw(st.integers(0, max_size))
    out: list[ClaimFact] = []
    for _ in range(n):
        group = draw(st.sampled_from(GROUPS))
        status = draw(st.sampled_from(STATUSES))
        day = draw(st.integers(0, 60))
        lag = draw(st.integers(0, 10))
        grade = draw(st.sampled_from("ABCDEF"))
        out.append(claim(group, status, day, received=day + lag, grade=grade))
    if out and draw(st.booleans()):
        target = draw(st.sampled_from(out))
        out.append(retraction(target, draw(st.integers(0, 5))))
    return out


@settings(max_examples=300)
@given(claim_sets(), st.randoms(use_true_random=False))
def test_order_of_arrival_never_changes_the_state(claims: list[ClaimFact], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(claims)
    rnd.shuffle(shuffled)
    assert derive(shuffled, POLICY) == derive(claims, POLICY)


@settings(max_examples=300)
@given(claim_sets(), st.lists(st.tuples(st.sampled_from(STATUSES), st.integers(0, 70)), max_size=4))
def test_releasing_party_claims_never_turn_reported_into_confirmed(
    claims: list[ClaimFact], extra: list[tuple[str, int]]
) -> None:
    before = derive(claims, POLICY)[0].state
    more = [
        claim(GOV, status, day, grade=g) for (status, day), g in zip(extra, "ABCA", strict=False)
    ]
    after = derive(claims + more, POLICY)[0].state
    if before == State.REPORTED:
        assert after != State.CONFIRMED
    if before != State.CONFIRMED:
        assert after != State.CONFIRMED


@settings(max_examples=300)
@given(claim_sets(), st.sampled_from(GROUPS), st.sampled_from(STATUSES), st.integers(0, 60))
def test_retracting_a_claim_returns_the_exact_earlier_state(
    claims: list[ClaimFact], group: str, status: str, day: int
) -> None:
    before = derive(claims, POLICY)[0]
    new = claim(group, status, day)
    after = derive([*claims, new, retraction(new, 1)], POLICY)[0]
    assert after == before


@settings(max_examples=200)
@given(claim_sets(), st.integers(0, 75))
def test_as_of_ignores_what_arrived_later(claims: list[ClaimFact], cut: int) -> None:
    moment = dt.datetime.combine(
        dt.date(2020, 1, 1) + dt.timedelta(days=cut), dt.time(23, 59), tzinfo=dt.UTC
    )
    known = [c for c in claims if c.received_at <= moment]
    later = [c for c in claims if c.received_at > moment]
    assert derive(as_of(claims, moment), POLICY) == derive(known, POLICY)
    assert derive(as_of(known + later, moment), POLICY) == derive(as_of(known, moment), POLICY)
