"""An agreement's progress: the headline figures, the member states and the milestones."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from detente.agreements.models import MemberState
from detente.registry.status import Category, CustodyStatus


@dataclass(frozen=True)
class MemberRow:
    """One named member's derived state, as progress needs it."""

    state: str
    release_category: str
    reported_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    first_reported_at: dt.datetime | None = None
    first_confirmed_at: dt.datetime | None = None
    status: str = ""
    # Classified not a political prisoner (on a source's word): out of the promise's parts.
    excluded: bool = False


@dataclass(frozen=True)
class AggregateClaim:
    claim_id: int
    source: str
    releasing_party: bool
    released_count: int
    event_date: dt.date
    received_at: dt.datetime
    breakdown: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StageEvent:
    """A stage of the agreement as a whole, on a source's word: suspended, resumed,
    declared complete…"""

    claim_id: int
    source: str
    releasing_party: bool
    stage: str  # an evidence.models.Lifecycle value
    event_date: dt.date
    received_at: dt.datetime


@dataclass(frozen=True)
class Milestone:
    """A moment the agreement reached. Once reached it keeps its date whatever happens
    next; ``now`` says, beside it, what no longer holds ("3 re-arrested since")."""

    key: str
    label: str | Promise
    date: dt.date | None
    now: str | Promise = ""


@dataclass
class Progress:
    agreement: str
    as_of: dt.date | None
    promised: int | None  # None: the promise names no number
    named: int
    unnamed: int
    named_beyond_promise: int
    promised_approximate: bool = False
    held: int = 0
    held_house_arrest: int = 0  # of ``held``: under house arrest, not in prison
    confirmed_exile: int = 0  # of ``confirmed``: released into exile or deported
    reported: int = 0
    confirmed: int = 0
    confirmed_conditional: int = 0
    confirmed_unconditional: int = 0
    disputed: int = 0
    rearrested: int = 0
    died: int = 0
    disappeared: int = 0
    released_before: int = 0  # named, but released before the agreement was announced
    # Named, but classified as not political prisoners on a source's word: left out of the
    # promise's other parts (and of the milestones), counted here so the parts still add up.
    excluded: int = 0
    claimed_by_members: int = 0
    claimed_by_releasing_party: int | None = None
    claimed: int = 0
    # Of the releasing party's figure, releases of people who were not political prisoners:
    # by its own breakdown, or named members classified so. Left out of ``claimed``.
    claimed_not_political: int = 0
    gap: int = 0
    # The gap in parts: named members claimed but not confirmed (reported or disputed),
    # confirmed or reported and then re-arrested, and releases in the releasing party's
    # own figure that no named member accounts for. They sum to ``gap``.
    gap_unconfirmed: int = 0
    gap_rearrested: int = 0
    gap_unnamed: int = 0
    aggregate_claims: list[AggregateClaim] = field(default_factory=list)
    # Stages claimed for the agreement, in the order they happened; the last is where it
    # stands (None: nothing said since the announcement).
    stages: list[StageEvent] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)

    @property
    def total(self) -> int:
        """What the headline parts add up to: the promise, or the named count when the
        promise names no number or fewer people than were named."""
        return self.named + self.unnamed

    @property
    def releasing_claim(self) -> AggregateClaim | None:
        """The releasing party's latest figure for the whole agreement."""
        own = [a for a in self.aggregate_claims if a.releasing_party]
        return own[-1] if own else None

    @property
    def stage(self) -> StageEvent | None:
        return self.stages[-1] if self.stages else None

    @property
    def promised_text(self) -> str:
        """The promise as people read it: "53", "about 900" or "no number given"."""
        return promise_text(self.promised, self.promised_approximate)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["total"] = self.total
        for claim in [*data["aggregate_claims"], *data["stages"]]:
            claim["event_date"] = claim["event_date"].isoformat()
            claim["received_at"] = claim["received_at"].isoformat()
        data["stage"] = self.stage.stage if self.stage else None
        for m in data["milestones"]:
            m["date"] = m["date"].isoformat() if m["date"] else None
            m["label"] = str(m["label"])
            m["now"] = str(m["now"])
        data["as_of"] = self.as_of.isoformat() if self.as_of else None
        return data


def promise_text(promised: int | None, approximate: bool = False) -> str:
    from django.utils.formats import number_format
    from django.utils.translation import gettext

    if promised is None:
        return gettext("no number given")
    n = number_format(promised, force_grouping=True)
    return gettext("about %(n)s") % {"n": n} if approximate else n


# The states in which a member is claimed released (the member side of ``claimed``).
CLAIMED_STATES = frozenset({MemberState.REPORTED, MemberState.CONFIRMED, MemberState.DISPUTED})


def _nth_smallest(values: list[dt.datetime], n: int) -> dt.date | None:
    if n <= 0 or len(values) < n:
        return None
    return sorted(values)[n - 1].date()


@dataclass(frozen=True)
class MemberSummary:
    """What progress needs of the members, however it was gathered: counted from member
    rows (:func:`summarise`) or by the database (``agreements.selectors``)."""

    named: int  # every named member, those excluded from the promise too
    states: dict[str, int]  # of the members counted towards the promise
    confirmed_conditional: int
    held_house_arrest: int
    confirmed_exile: int
    first_reported: dt.date | None  # earliest first_reported_at
    first_confirmed: dt.date | None  # earliest first_confirmed_at
    # Over the members' history (first_*_at), so a milestone once reached keeps its date.
    ever_reported: int  # members with a first_reported_at
    ever_confirmed: int  # members with a first_confirmed_at
    last_reported: dt.date | None  # latest first_reported_at
    last_confirmed: dt.date | None  # latest first_confirmed_at
    nth_confirmed: dt.date | None  # the promised-th earliest first_confirmed_at
    excluded: int = 0  # classified not political prisoners: in no state below
    excluded_claimed: int = 0  # of them, claimed released (reported, confirmed, disputed)


def summarise(rows: Iterable[MemberRow], promised: int | None) -> MemberSummary:
    every = list(rows)
    rows = [r for r in every if not r.excluded]
    excluded = [r for r in every if r.excluded]
    states = Counter(r.state for r in rows)
    reported = [r.first_reported_at for r in rows if r.first_reported_at is not None]
    confirmed = [r.first_confirmed_at for r in rows if r.first_confirmed_at is not None]
    return MemberSummary(
        named=len(every),
        states=dict(states),
        confirmed_conditional=sum(
            1
            for r in rows
            if r.state == MemberState.CONFIRMED and r.release_category == Category.CONDITIONAL
        ),
        held_house_arrest=sum(
            1
            for r in rows
            if r.state == MemberState.HELD and r.status == CustodyStatus.HOUSE_ARREST
        ),
        confirmed_exile=sum(
            1 for r in rows if r.state == MemberState.CONFIRMED and r.status == CustodyStatus.EXILED
        ),
        first_reported=_nth_smallest(
            [r.first_reported_at for r in rows if r.first_reported_at is not None], 1
        ),
        first_confirmed=_nth_smallest(
            [r.first_confirmed_at for r in rows if r.first_confirmed_at is not None], 1
        ),
        ever_reported=len(reported),
        ever_confirmed=len(confirmed),
        last_reported=max(reported).date() if reported else None,
        last_confirmed=max(confirmed).date() if confirmed else None,
        nth_confirmed=_nth_smallest(confirmed, (promised or 0) - len(excluded)),
        excluded=len(excluded),
        excluded_claimed=sum(1 for r in excluded if r.state in CLAIMED_STATES),
    )


def _not_political(claim: AggregateClaim, excluded_claimed: int) -> int:
    """How much of the releasing party's figure was not political prisoners: what its own
    breakdown says (a "political" part is read as the rest being other), and at least the
    named members classified not political that are claimed released."""
    parts = claim.breakdown or {}
    if "political" in parts:
        said = claim.released_count - parts["political"]
    else:
        said = parts.get("other", 0)
    return min(max(said, excluded_claimed, 0), claim.released_count)


def compute(
    *,
    agreement: str,
    promised: int | None,
    announced_on: dt.date,
    members: Iterable[MemberRow] | MemberSummary,
    aggregates: Iterable[AggregateClaim] = (),
    stages: Iterable[StageEvent] = (),
    as_of: dt.date | None = None,
    promised_approximate: bool = False,
) -> Progress:
    m = members if isinstance(members, MemberSummary) else summarise(members, promised)
    named = m.named
    states = Counter(m.states)
    conditional = m.confirmed_conditional
    p = Progress(
        agreement=agreement,
        as_of=as_of,
        promised=promised,
        promised_approximate=promised_approximate and promised is not None,
        named=named,
        unnamed=max(promised - named, 0) if promised is not None else 0,
        named_beyond_promise=max(named - promised, 0) if promised is not None else 0,
        held=states[MemberState.HELD],
        held_house_arrest=m.held_house_arrest,
        confirmed_exile=m.confirmed_exile,
        reported=states[MemberState.REPORTED],
        confirmed=states[MemberState.CONFIRMED],
        confirmed_conditional=conditional,
        confirmed_unconditional=states[MemberState.CONFIRMED] - conditional,
        disputed=states[MemberState.DISPUTED],
        rearrested=states[MemberState.REARRESTED],
        died=states[MemberState.DIED],
        disappeared=states[MemberState.DISAPPEARED],
        released_before=states[MemberState.RELEASED_BEFORE],
        excluded=m.excluded,
    )
    p.claimed_by_members = p.reported + p.confirmed + p.disputed
    aggs = sorted(aggregates, key=lambda a: (a.event_date, a.received_at, a.claim_id))
    p.aggregate_claims = aggs
    p.stages = sorted(stages, key=lambda e: (e.event_date, e.received_at, e.claim_id))
    own = [a for a in aggs if a.releasing_party]
    political_figure = 0
    if own:
        latest = own[-1]
        p.claimed_by_releasing_party = latest.released_count
        p.claimed_not_political = _not_political(latest, m.excluded_claimed)
        political_figure = latest.released_count - p.claimed_not_political
    p.claimed = max(p.claimed_by_members, political_figure)
    p.gap = p.claimed - p.confirmed
    p.gap_unconfirmed = min(p.reported + p.disputed, p.gap)
    p.gap_rearrested = min(p.rearrested, p.gap - p.gap_unconfirmed)
    p.gap_unnamed = p.gap - p.gap_unconfirmed - p.gap_rearrested

    political = named - m.excluded
    all_reported = political > 0 and m.ever_reported == political
    all_confirmed = political > 0 and m.ever_confirmed == political
    # "Claims all" needs a number to reach; "about 900" is reached at 900.
    all_claimed = next((a for a in own if a.released_count >= promised), None) if promised else None
    # What no longer holds of a milestone reached: people confirmed or reported once and
    # re-arrested, disputed or dead since.
    lost = p.rearrested + p.disputed + p.died + p.disappeared
    since = (
        ngettext_lazy(
            "%(n)d no longer free (re-arrested, disputed, died or disappeared) since",
            "%(n)d no longer free (re-arrested, disputed, died or disappeared) since",
            "n",
        )
        % {"n": lost}
        if lost
        else ""
    )
    latest_claim = own[-1].released_count if own else None
    claim_now = (
        _("its latest figure is %(n)d") % {"n": latest_claim}
        if all_claimed and latest_claim is not None and promised and latest_claim < promised
        else ""
    )
    p.milestones = [
        Milestone("announced", _("Agreement announced"), announced_on),
        Milestone("first_reported", _("First release reported"), m.first_reported),
        Milestone("first_confirmed", _("First release confirmed"), m.first_confirmed),
        Milestone(
            "releasing_party_claims_all",
            _("Releasing party claims all released"),
            all_claimed.event_date if all_claimed else None,
            claim_now,
        ),
        Milestone(
            "all_named_reported",
            _("All named members reported released"),
            m.last_reported if all_reported else None,
            since if all_reported else "",
        ),
        Milestone(
            "all_named_confirmed",
            _("All named members confirmed released"),
            m.last_confirmed if all_confirmed else None,
            since if all_confirmed else "",
        ),
        Milestone(
            "promise_confirmed",
            _("Promised count confirmed released"),
            m.nth_confirmed,
            since if m.nth_confirmed else "",
        ),
    ]
    return p
