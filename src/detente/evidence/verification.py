"""From claims to a verified status: the rules, as pure functions.

``derive(claims, policy)`` looks at every claim about one person and says where that person
stands under one verification policy, and why. It is a function of the *set* of claims:
the order in which they arrived never matters, which is what lets progress be recomputed
exactly as of any past date.

The rules, in the order they apply (``Rule`` names them in explanations):

1. *Corrections.* A claim is void when an effective later claim from the same source
   retracts or supersedes it. A retraction that is itself retracted revives the claim.
2. *Re-arrest.* A re-arrest asserted by a credible source (graded at or above the
   policy's dispute grade, or the releasing party itself, speaking against interest)
   closes the release cycle: only claims about events after the latest such re-arrest
   count towards a new release.
3. *Death.* A credible claim of death in custody decides the state, in any cycle.
4. *Release.* A claim whose status counts as released or conditionally released (under
   the policy's category table) is a release claim. It is *confirmed* when at least one
   release claim comes from a source outside the releasing party's independence groups,
   graded at or above the confirm grade. Otherwise it is only *reported*.
5. *Dispute.* A release is *disputed* when a credible independent source says the
   person is held (any status counting as held, other than re-arrest) at a date on or after
   the release being relied on (the latest confirming event, or else the first reported
   one).
6. Without a release claim the person is re-arrested (rule 2 applied), disappeared (a
   credible claim says so) or still held.
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


class Rule:
    NO_RELEASE_CLAIM = "no_release_claim"
    REPORTED_ONLY = "reported_only"
    INDEPENDENT_CONFIRMATION = "independent_confirmation"
    CREDIBLE_CONTRADICTION = "credible_contradiction"
    REARREST_AFTER_RELEASE = "rearrest_after_release"
    DIED_IN_CUSTODY = "died_in_custody"
    DISAPPEARED = "disappeared"


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

    @property
    def is_retraction(self) -> bool:
        return not self.status


@dataclass(frozen=True)
class Policy:
    releasing_groups: frozenset[str]
    confirm_min_grade: str = "B"
    dispute_min_grade: str = "C"
    overrides: Mapping[str, str] = field(default_factory=dict)

    def category(self, status: str) -> str:
        return self.overrides.get(status) or DEFAULT_CATEGORY[status]

    def is_releasing(self, claim: ClaimFact) -> bool:
        return claim.source_group in self.releasing_groups

    def can_confirm(self, claim: ClaimFact) -> bool:
        return not self.is_releasing(claim) and _at_least(
            claim.source_grade, self.confirm_min_grade
        )

    def can_dispute(self, claim: ClaimFact) -> bool:
        return not self.is_releasing(claim) and _at_least(
            claim.source_grade, self.dispute_min_grade
        )

    def is_credible(self, claim: ClaimFact) -> bool:
        """Credible enough to close a release cycle or record a death."""
        return self.is_releasing(claim) or _at_least(claim.source_grade, self.dispute_min_grade)


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


def derive(claims: Iterable[ClaimFact], policy: Policy) -> tuple[Derived, Explanation]:
    """Apply the rules to every claim about one person (see the module docstring)."""
    live, void = effective(claims)
    void_ids = _sorted_ids(void)
    dated = [c for c in live if c.event_date is not None]

    rearrests = [c for c in dated if c.status == CustodyStatus.REARRESTED and policy.is_credible(c)]
    last_rearrest = max((c.event_date for c in rearrests), default=None)  # type: ignore[type-var]
    cycle = [c for c in dated if last_rearrest is None or c.event_date > last_rearrest]  # type: ignore[operator]

    # Death is final whatever came before or after it, so it is not bound to a cycle.
    deaths = [
        c for c in dated if policy.category(c.status) == Category.DIED and policy.is_credible(c)
    ]
    if deaths:
        return Derived(State.DIED, status=CustodyStatus.DIED_IN_CUSTODY), Explanation(
            Rule.DIED_IN_CUSTODY, _sorted_ids(deaths), void=void_ids
        )

    releases = [c for c in cycle if policy.category(c.status) in RELEASE_CATEGORIES]
    if not releases:
        if last_rearrest is not None:
            decisive = [c for c in rearrests if c.event_date == last_rearrest]
            return Derived(
                State.REARRESTED, status=CustodyStatus.REARRESTED, rearrested_on=last_rearrest
            ), Explanation(Rule.REARREST_AFTER_RELEASE, _sorted_ids(decisive), void=void_ids)
        gone = [
            c
            for c in cycle
            if policy.category(c.status) == Category.DISAPPEARED and policy.is_credible(c)
        ]
        if gone:
            return Derived(State.DISAPPEARED, status=CustodyStatus.DISAPPEARED), Explanation(
                Rule.DISAPPEARED, _sorted_ids(gone), void=void_ids
            )
        return Derived(State.HELD), Explanation(
            Rule.NO_RELEASE_CLAIM, (), void=void_ids, ignored=_sorted_ids(live)
        )

    confirming = [c for c in releases if policy.can_confirm(c)]
    basis = confirming or releases
    anchor = (
        max(c.event_date for c in confirming)  # type: ignore[type-var]
        if confirming
        else min(c.event_date for c in releases)  # type: ignore[type-var]
    )
    disputes = [
        c
        for c in cycle
        if policy.category(c.status) == Category.HELD
        and c.status != CustodyStatus.REARRESTED
        and policy.can_dispute(c)
        and c.event_date >= anchor  # type: ignore[operator]
    ]
    conditional = [c for c in basis if policy.category(c.status) == Category.CONDITIONAL]
    # The conservative reading wins: one credible "on conditions" makes the release
    # conditional. Ties are broken by value, never by arrival order.
    shown = conditional or basis
    status = max(shown, key=lambda c: (c.event_date, c.status)).status
    derived = Derived(
        state=State.DISPUTED if disputes else State.CONFIRMED if confirming else State.REPORTED,
        release_category=Category.CONDITIONAL if conditional else Category.RELEASED,
        status=status,
        released_on=min(c.event_date for c in releases),  # type: ignore[type-var]
        reported_at=min(c.received_at for c in releases),
        confirmed_at=min((c.received_at for c in confirming), default=None),
        rearrested_on=last_rearrest,
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
