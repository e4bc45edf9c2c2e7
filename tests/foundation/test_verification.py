"""The verification rules, as a pure function, and their properties."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from detente.core.dates import PreciseDate
from detente.evidence.verification import ClaimFact, Policy, Rule, State, derive
from detente.registry.status import Category, CustodyStatus

GOV, EMBASSY, FAMILY, NGO, BLOG = "gov", "embassy", "family", "ngo", "blog"
GRADES = {GOV: "C", EMBASSY: "A", FAMILY: "C", NGO: "B", BLOG: "D"}
POLICY = Policy(releasing_groups=frozenset({GOV}))
_ids = itertools.count(1)


BASE = dt.date(2020, 1, 1)


def claim(
    group: str,
    status: str,
    day: int,
    received: int | None = None,
    corrects: int | None = None,
    grade: str | None = None,
    precision: str = "day",
) -> ClaimFact:
    base = BASE
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
        event_end=None
        if not status or precision == "day"
        else PreciseDate.of(base + dt.timedelta(days=day), precision).end,
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


def test_low_grade_contradiction_is_ignored() -> None:
    assert state(claim(GOV, REL, 5), claim(BLOG, CustodyStatus.DETAINED, 8)) == State.REPORTED


def test_releasing_side_saying_held_after_its_own_release_disputes_it() -> None:
    # Against its own interest, so credible even though it cannot confirm.
    got = state(claim(GOV, REL, 5), claim(EMBASSY, REL, 6), claim(GOV, "detained", 30))
    assert got == State.DISPUTED


def test_a_later_credible_report_of_freedom_clears_a_dispute() -> None:
    held = claim(FAMILY, CustodyStatus.DETAINED, 12)
    assert state(claim(GOV, REL, 10), held) == State.DISPUTED
    assert state(claim(GOV, REL, 10), held, claim(FAMILY, REL, 20)) == State.REPORTED


def test_disappearance_after_release_disputes_it() -> None:
    got = state(claim(GOV, REL, 5), claim(EMBASSY, REL, 6), claim(NGO, "disappeared", 40))
    assert got == State.DISPUTED


def test_vague_dates_are_compared_as_periods() -> None:
    # "Re-arrested in 2020" may be after a release on 10 January 2020: the release no
    # longer stands.
    released = [claim(GOV, REL, 9), claim(EMBASSY, REL, 9)]
    rearrest = claim(NGO, CustodyStatus.REARRESTED, 0, precision="year")
    assert state(*released, rearrest) == State.REARRESTED
    # A release "in January 2020" is not disputed by a sighting in prison on 5 January.
    jan = [claim(GOV, REL, 0, precision="month"), claim(FAMILY, "detained", 4)]
    assert state(*jan) == State.REPORTED
    assert state(*jan[:1], claim(FAMILY, "detained", 31)) == State.DISPUTED


def test_releases_from_an_earlier_detention_do_not_count() -> None:
    old = [claim(GOV, REL, 5), claim(EMBASSY, REL, 6)]
    assert state(*old) == State.CONFIRMED
    arrested_again = BASE + dt.timedelta(days=400)
    assert derive(old, POLICY, arrested_on=arrested_again)[0].state == State.HELD


def test_rearrest_without_any_release_is_just_held() -> None:
    assert state(claim(NGO, CustodyStatus.REARRESTED, 5)) == State.HELD


def test_releasing_side_saying_on_conditions_makes_the_release_conditional() -> None:
    d = derive([claim(GOV, CustodyStatus.PAROLE, 5), claim(EMBASSY, REL, 6)], POLICY)[0]
    assert d.state == State.CONFIRMED and d.release_category == Category.CONDITIONAL


def test_retracting_a_supersession_revives_the_original() -> None:
    original = claim(EMBASSY, REL, 5)
    replacement = claim(EMBASSY, CustodyStatus.DETAINED, 5, received=8, corrects=original.id)
    assert state(claim(GOV, REL, 5), original, replacement) == State.DISPUTED
    assert state(claim(GOV, REL, 5), original, replacement, retraction(replacement, 2)) == (
        State.CONFIRMED
    )


def test_first_release_dates_survive_a_rearrest() -> None:
    gov, emb = claim(GOV, REL, 5), claim(EMBASSY, REL, 5, received=7)
    d = derive([gov, emb, claim(NGO, CustodyStatus.REARRESTED, 40)], POLICY)[0]
    assert d.state == State.REARRESTED and d.confirmed_at is None
    assert (d.first_reported_at, d.first_confirmed_at) == (gov.received_at, emb.received_at)


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
        precision = draw(st.sampled_from(["day", "day", "month", "year"]))
        out.append(claim(group, status, day, received=day + lag, grade=grade, precision=precision))
    if out and draw(st.booleans()):
        # A supersession by the same source, sometimes itself retracted later.
        target = draw(st.sampled_from(out))
        new = claim(
            target.source_group,
            draw(st.sampled_from(STATUSES)),
            draw(st.integers(0, 60)),
            received=70,
            corrects=target.id,
            grade=target.source_grade,
        )
        out.append(new)
        if draw(st.booleans()):
            out.append(retraction(new, 1))
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
    if before != State.CONFIRMED:  # reported (or anything else) never becomes confirmed
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
