"""From claims to a verified status: the rules, as pure functions.

``derive(claims, policy)`` looks at every claim about one person and says where that person
stands under one verification policy, and why. It is a function of the *set* of claims:
the order in which they arrived never matters, which is what lets progress be recomputed
exactly as of any past date.

The rules, in the order they apply (``Rule`` names them in explanations). Dates carry a
precision ("March 2015"); "certainly after" means the whole period is after.

1. *Corrections.* A claim is void when an effective later claim from the same source
   retracts or supersedes it. A retraction that is itself retracted revives the claim, and
   retracting a superseding claim revives the one it replaced: every retraction undoes
   exactly one claim.
2. *Earlier detentions.* Events that certainly ended before the person's latest recorded
   arrest belong to an earlier detention and are left out.
3. *Death.* A credible claim of death in custody is final.
4. *Re-arrest.* A re-arrest asserted by a credible source (graded at or above the
   policy's dispute grade, or the releasing party itself, speaking against interest) after
   a claimed release closes that release cycle: only events certainly after the latest
   such re-arrest count towards a new release.
5. *Release.* A claim whose status counts as released or conditionally released (under
   the policy's category table) is a release claim. It is *confirmed* when at least one
   release claim comes from a source outside the releasing party's independence groups,
   graded at or above the confirm grade. Otherwise it is only *reported*. It is
   *conditional* when any credible release claim (or, without one, any claim relied on)
   says so.
6. *Dispute.* A release is *disputed* when a credible source (independent and graded at
   or above the dispute grade, or the releasing party itself) says the person is held or
   disappeared at a date certainly not before the release relied on (the latest confirming
   one, or else the first reported one), unless a credible independent source later says
   the person is free again.
7. Without a release claim the person is re-arrested (rule 4), disappeared (a credible
   claim says so) or still held.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from detente.registry.status import DEFAULT_CATEGORY, RELEASE_CATEGORIES, Category, CustodyStatus

GRADES = "ABCDEF"


class State:
    HELD = "held"
    REPORTED = "reported"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"
    REARRESTED = "rearrested"
    DIED = "died"
    DISAPPEARED = "disappeared"
    RELEASED_BEFORE = "released_before"


class Rule:
    NO_RELEASE_CLAIM = "no_release_claim"
    REPORTED_ONLY = "reported_only"
    INDEPENDENT_CONFIRMATION = "independent_confirmation"
    CREDIBLE_CONTRADICTION = "credible_contradiction"
    REARREST_AFTER_RELEASE = "rearrest_after_release"
    DIED_IN_CUSTODY = "died_in_custody"
    DISAPPEARED = "disappeared"
    RELEASED_BEFORE = "released_before_agreement"


@dataclass(frozen=True)
class ClaimFact:
    """What the rules need to know about one claim (and its source)."""

    id: int
    status: str  # a CustodyStatus value; "" for a retraction
    event_date: dt.date | None
    received_at: dt.datetime
    source_id: int
    source_group: str
    source_grade: str
    corrects_id: int | None = None
    event_end: dt.date | None = None  # last day of the event's period; None = event_date
    agreement_id: int | None = None  # the agreement the claim was made under, if any
    event_time: dt.time | None = None  # time of day, for a day-precise event that has one

    @property
    def is_retraction(self) -> bool:
        return not self.status

    @property
    def start(self) -> dt.date:
        assert self.event_date is not None  # noqa: S101 - only dated claims reach the rules
        return self.event_date

    @property
    def end(self) -> dt.date:
        return self.event_end or self.start


@dataclass(frozen=True)
class Policy:
    releasing_groups: frozenset[str]
    confirm_min_grade: str = "B"
    dispute_min_grade: str = "C"
    overrides: Mapping[str, str] = field(default_factory=dict)
    # The agreement's announcement: a release certainly before it is not the agreement's.
    counts_from: dt.date | None = None
    # Agreements shown to fewer people than this one: claims made under them do not move
    # its figures, or its members' states would tell their audience what they may not see.
    unseen_agreements: frozenset[int] = frozenset()

    def category(self, status: str) -> str:
        return self.overrides.get(status) or DEFAULT_CATEGORY[status]

    def is_releasing(self, claim: ClaimFact) -> bool:
        return claim.source_group in self.releasing_groups

    def can_confirm(self, claim: ClaimFact) -> bool:
        return not self.is_releasing(claim) and _at_least(
            claim.source_grade, self.confirm_min_grade
        )

    def is_independent_credible(self, claim: ClaimFact) -> bool:
        return not self.is_releasing(claim) and _at_least(
            claim.source_grade, self.dispute_min_grade
        )

    def is_credible(self, claim: ClaimFact) -> bool:
        """Credible enough to dispute, close a release cycle or record a death: graded at or
        above the dispute grade, or the releasing party speaking against its interest."""
        return self.is_releasing(claim) or _at_least(claim.source_grade, self.dispute_min_grade)


def _before_or_same_day(a: ClaimFact, b: ClaimFact) -> bool:
    """``a`` may have happened no later than ``b``: dates compared as periods, and on one
    day the times of day when both are known ("re-arrested at 9:00, released at 18:00")."""
    if a.start < b.end:
        return True
    if a.start == b.end and a.event_time is not None and b.event_time is not None:
        return a.event_time <= b.event_time
    return a.start == b.end


def _certainly_after(a: ClaimFact, b: ClaimFact) -> bool:
    """``a`` happened after the whole of ``b``'s period (or later the same day)."""
    return not _before_or_same_day(a, b)


def _at_least(grade: str, minimum: str) -> bool:
    return GRADES.index(grade) <= GRADES.index(minimum)


@dataclass(frozen=True)
class Derived:
    """Where a person stands. Equal ``Derived`` values mean the same state, to the letter."""

    state: str
    release_category: str = ""  # Category.CONDITIONAL / RELEASED for release states
    status: str = ""  # the status the decisive claims assert
    released_on: dt.date | None = None  # first reported release event in the cycle
    reported_at: dt.datetime | None = None  # when the first release claim arrived
    confirmed_at: dt.datetime | None = None  # when the first confirming claim arrived
    rearrested_on: dt.date | None = None
    # Across every release cycle since the latest arrest, so milestones never move back.
    first_reported_at: dt.datetime | None = None
    first_confirmed_at: dt.datetime | None = None


@dataclass(frozen=True)
class Explanation:
    rule: str
    decisive: tuple[int, ...]  # claims the rule rests on
    contradicting: tuple[int, ...] = ()
    void: tuple[int, ...] = ()  # retracted or superseded claims, and the retractions
    ignored: tuple[int, ...] = ()  # effective claims that did not bear on the state


def effective(claims: Iterable[ClaimFact]) -> tuple[list[ClaimFact], list[ClaimFact]]:
    """Split claims into (effective assertions, void claims and retractions)."""
    by_id = {c.id: c for c in claims}
    children: dict[int, list[int]] = {}
    for c in by_id.values():
        if c.corrects_id is not None:
            children.setdefault(c.corrects_id, []).append(c.id)
    alive: dict[int, bool] = {}

    def is_alive(cid: int) -> bool:
        # Iterative to survive long correction chains without recursion limits.
        stack = [cid]
        while stack:
            top = stack[-1]
            if top in alive:
                stack.pop()
                continue
            pending = [k for k in children.get(top, ()) if k not in alive]
            if pending:
                stack.extend(pending)
                continue
            alive[top] = not any(alive[k] for k in children.get(top, ()))
            stack.pop()
        return alive[cid]

    live, void = [], []
    for c in by_id.values():
        if is_alive(c.id) and not c.is_retraction:
            live.append(c)
        else:
            void.append(c)
    return live, void


def _sorted_ids(claims: Iterable[ClaimFact]) -> tuple[int, ...]:
    return tuple(sorted(c.id for c in claims))


def derive(
    claims: Iterable[ClaimFact], policy: Policy, arrested_on: dt.date | None = None
) -> tuple[Derived, Explanation]:
    """Apply the rules to every claim about one person (see the module docstring).

    ``arrested_on`` is the start of the person's latest recorded arrest, if any.
    """
    if policy.unseen_agreements:
        claims = [c for c in claims if c.agreement_id not in policy.unseen_agreements]
    live, void = effective(claims)
    void_ids = _sorted_ids(void)
    dated = [
        c
        for c in live
        if c.event_date is not None and (arrested_on is None or c.end >= arrested_on)
    ]

    def cat(c: ClaimFact) -> str:
        return policy.category(c.status)

    prior: list[ClaimFact] = []
    if policy.counts_from is not None:
        start = policy.counts_from
        prior = [c for c in dated if c.end < start and cat(c) in RELEASE_CATEGORIES]
        dated = [c for c in dated if not (c.end < start and cat(c) in RELEASE_CATEGORIES)]

    deaths = [c for c in dated if cat(c) == Category.DIED and policy.is_credible(c)]
    if deaths:
        return Derived(State.DIED, status=CustodyStatus.DIED_IN_CUSTODY), Explanation(
            Rule.DIED_IN_CUSTODY, _sorted_ids(deaths), void=void_ids
        )

    all_releases = [c for c in dated if cat(c) in RELEASE_CATEGORIES]
    first_reported = min((c.received_at for c in all_releases), default=None)
    first_confirmed = min(
        (c.received_at for c in all_releases if policy.can_confirm(c)), default=None
    )
    rearrests = [
        r
        for r in dated
        if r.status == CustodyStatus.REARRESTED
        and policy.is_credible(r)
        and any(_before_or_same_day(c, r) for c in all_releases)
    ]
    last = max(rearrests, key=lambda r: (r.end, r.start, r.event_time or dt.time.max), default=None)
    cycle = [c for c in dated if last is None or _certainly_after(c, last)]

    releases = [c for c in cycle if cat(c) in RELEASE_CATEGORIES]
    if not releases:
        if last is not None:
            decisive = [r for r in rearrests if r.end == last.end]
            return Derived(
                State.REARRESTED,
                status=CustodyStatus.REARRESTED,
                rearrested_on=last.start,
                first_reported_at=first_reported,
                first_confirmed_at=first_confirmed,
            ), Explanation(Rule.REARREST_AFTER_RELEASE, _sorted_ids(decisive), void=void_ids)
        gone = [c for c in cycle if cat(c) == Category.DISAPPEARED and policy.is_credible(c)]
        if gone:
            return Derived(
                State.DISAPPEARED,
                status=CustodyStatus.DISAPPEARED,
                first_reported_at=first_reported,
                first_confirmed_at=first_confirmed,
            ), Explanation(Rule.DISAPPEARED, _sorted_ids(gone), void=void_ids)
        # Ties broken by value, never by arrival order.
        latest_prior = max(prior, key=lambda c: (c.end, c.start, c.status), default=None)
        if latest_prior is not None and not any(
            cat(h) in (Category.HELD, Category.DISAPPEARED)
            and policy.is_credible(h)
            and h.start >= latest_prior.end
            for h in dated
        ):
            # Free before the agreement was made, and nobody credible says held since.
            return Derived(
                State.RELEASED_BEFORE,
                status=latest_prior.status,
                released_on=min(c.start for c in prior),
            ), Explanation(
                Rule.RELEASED_BEFORE,
                _sorted_ids(prior),
                void=void_ids,
                ignored=tuple(sorted(c.id for c in live if c not in prior)),
            )
        # Held where? House arrest is shown apart from prison; the latest credible word
        # since the latest arrest says which (ties by value, never by arrival).
        where = max(
            (
                c
                for c in cycle
                if cat(c) == Category.HELD
                and c.status != CustodyStatus.REARRESTED
                and policy.is_credible(c)
            ),
            key=lambda c: (c.end, c.start, c.status),
            default=None,
        )
        return Derived(
            State.HELD,
            status=CustodyStatus.HOUSE_ARREST
            if where is not None and where.status == CustodyStatus.HOUSE_ARREST
            else "",
            first_reported_at=first_reported,
            first_confirmed_at=first_confirmed,
        ), Explanation(Rule.NO_RELEASE_CLAIM, (), void=void_ids, ignored=_sorted_ids(live))

    confirming = [c for c in releases if policy.can_confirm(c)]
    basis = confirming or releases
    relied_on = (
        max(confirming, key=lambda c: (c.start, c.end))
        if confirming
        else min(releases, key=lambda c: (c.start, c.end))
    )
    disputes = [
        h
        for h in cycle
        if (cat(h) == Category.HELD and h.status != CustodyStatus.REARRESTED)
        or cat(h) == Category.DISAPPEARED
        if policy.is_credible(h)
        and h.start >= relied_on.end
        # Held in the morning, released in the evening: the release stands.
        and not (
            h.start == relied_on.end
            and h.event_time is not None
            and relied_on.event_time is not None
            and h.event_time < relied_on.event_time
        )
        # A credible independent source saying later that the person is free clears it.
        and not any(r.start > h.end and policy.is_independent_credible(r) for r in releases)
    ]
    credible = [c for c in releases if policy.is_credible(c)] or basis
    conditional = [c for c in credible if cat(c) == Category.CONDITIONAL]
    # The conservative reading wins: one credible "on conditions" makes the release
    # conditional. Ties are broken by value, never by arrival order.
    shown = conditional or basis
    status = max(shown, key=lambda c: (c.start, c.status)).status
    derived = Derived(
        state=State.DISPUTED if disputes else State.CONFIRMED if confirming else State.REPORTED,
        release_category=Category.CONDITIONAL if conditional else Category.RELEASED,
        status=status,
        released_on=min(c.start for c in releases),
        reported_at=min(c.received_at for c in releases),
        confirmed_at=min((c.received_at for c in confirming), default=None),
        rearrested_on=last.start if last else None,
        first_reported_at=first_reported,
        first_confirmed_at=first_confirmed,
    )
    rule = (
        Rule.CREDIBLE_CONTRADICTION
        if disputes
        else Rule.INDEPENDENT_CONFIRMATION
        if confirming
        else Rule.REPORTED_ONLY
    )
    used = set(_sorted_ids(basis)) | {c.id for c in disputes}
    return derived, Explanation(
        rule,
        _sorted_ids(basis),
        contradicting=_sorted_ids(disputes),
        void=void_ids,
        ignored=tuple(sorted(c.id for c in live if c.id not in used)),
    )


def as_of(claims: Iterable[ClaimFact], moment: dt.datetime | None) -> list[ClaimFact]:
    """The claims known at ``moment`` (all of them when ``moment`` is None)."""
    if moment is None:
        return list(claims)
    return [c for c in claims if c.received_at <= moment]
