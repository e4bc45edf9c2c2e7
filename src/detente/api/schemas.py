"""What the API reads and answers; the OpenAPI schema is generated from these shapes.

Strings the server looks things up by are constrained to what such a name can be (a slug,
a handle), and numbers to what the database holds, so that a client's typo is a clear 422
and never a database error.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import model_validator

from detente.access.models import Audience, DisclosureAction, DisclosureStatus
from detente.agreements.models import Classification, MemberState, PartyKind
from detente.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from detente.core.dates import DatePrecision
from detente.evidence.models import ClaimKind, Credibility, Lifecycle, Reliability, SourceKind
from detente.registry.status import Category, CustodyStatus

SLUG = r"^[a-z0-9][a-z0-9-]{0,63}$"
HANDLE = r"^[A-Za-z][A-Za-z0-9-]{0,31}$"  # a handle, never a row number
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
MAX_ID = 2**53 - 1  # the largest integer every JSON client reads exactly
MAX_COUNT = 2**31 - 1  # an integer column

Slug = Annotated[str, Field(pattern=SLUG, max_length=64)]
Handle = Annotated[str, Field(pattern=HANDLE, max_length=32)]
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


def text(max_length: int) -> Any:
    return Field("", max_length=max_length, pattern=NO_NUL)


def _unset() -> None:
    return None


def unchanged(description: str | None = None, **constraints: Any) -> Any:
    """A field a PATCH may leave out (and then it stays as it is). It has no default in
    the schema: a field that cannot be null is refused when sent as null."""
    return Field(default_factory=_unset, description=description, **constraints)


# --- Problems ----------------------------------------------------------------------------


class FieldError(Schema):
    field: str = Field(description="The parameter or body field, as the client named it.")
    reason: str = Field(description="What is wrong with it, in the requested language.")


class Problem(Schema):
    """An error (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None


# --- Pagination --------------------------------------------------------------------------


class PageQuery(Schema):
    cursor: str | None = Field(
        None, max_length=2000, description="The `next_cursor` of the previous page."
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page.")


class Paged(Schema):
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
    next: str | None = Field(description="The address of the next page; null at the end.")


# --- Agreements --------------------------------------------------------------------------


class AgreementOut(Schema):
    slug: str
    title: str
    announced_on: dt.date
    promised: int | None = Field(description="Null when the promise names no number.")
    promised_approximate: bool = Field(description="The promise gave an approximate number.")
    named: int
    claimed: int
    confirmed: int


class AgreementPage(Paged):
    items: list[AgreementOut]


class PartyOut(Schema):
    slug: str
    name: str


class PolicyOut(Schema):
    confirm_min_grade: Reliability
    dispute_min_grade: Reliability
    status_overrides: dict[str, str]


class AgreementDetail(AgreementOut):
    title_es: str
    description: str
    description_es: str
    expected_release: CustodyStatus | None
    country: str = Field(description="Where the releases happen, ISO 3166-1 alpha-2.")
    division: str = Field(
        description="A first-level division (ISO 3166-2) when the agreement is local to one."
    )
    releasing_party: PartyOut
    counterpart: PartyOut
    mediators: list[PartyOut] = Field(description="Mediators and guarantors, by slug.")
    exchange_legs: list[str] = Field(
        description="The other legs of the exchange this agreement is part of (slugs of the "
        "agreements in which its counterpart releases people), as far as you may see them."
    )
    policy: PolicyOut
    archived_at: dt.datetime | None = Field(
        description="When it was archived (closed to new members and claims); null if not."
    )


# Writing parties and agreements (verifiers and administrators). A PATCH changes only the
# fields it sends; a field left out stays as it is.

Name = Annotated[str, Field(max_length=200, pattern=NO_NUL)]
Title = Annotated[str, Field(max_length=200, pattern=NO_NUL)]
LongText = Annotated[str, Field(max_length=10_000, pattern=NO_NUL)]
Overrides = Annotated[
    dict[
        Annotated[str, Field(max_length=32, pattern=NO_NUL)],
        Annotated[str, Field(max_length=16, pattern=NO_NUL)],
    ],
    Field(max_length=20),
]
PartySlugs = Annotated[list[Slug], Field(max_length=20)]
CountryCode = Annotated[str, Field(max_length=2, pattern=r"^([A-Za-z]{2})?$")]
DivisionCode = Annotated[str, Field(max_length=8, pattern=r"^([A-Za-z]{2}-[A-Za-z0-9]{1,3})?$")]


class PartyDetail(Schema):
    slug: str
    name: str
    kind: PartyKind
    independence_group: str = Field(description="Sources in this group speak for this party.")
    archived_at: dt.datetime | None = Field(
        description="When it was archived (not offered for new agreements); null if not."
    )


class PartyPage(Paged):
    items: list[PartyDetail]


class PartyQuery(PageQuery):
    kind: PartyKind | None = None
    archived: bool = Field(False, description="Also list archived parties.")


class PartyIn(Schema):
    slug: Slug
    name: Name
    kind: PartyKind = PartyKind.GOVERNMENT
    independence_group: Slug = Field(description="Sources in this group speak for this party.")


class Patch(Schema):
    """A PATCH body: a JSON object of the fields to change. Anything else (a list, a
    number) is refused rather than read as "change nothing"."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        # ninja hands the body over wrapped (DjangoGetter), so look at what was sent.
        sent = getattr(data, "_obj", data)
        if not isinstance(sent, dict):
            raise ValueError("send a JSON object of the fields to change")
        return data


class PartyPatch(Patch):
    name: Name = unchanged()
    kind: PartyKind = unchanged()
    independence_group: Slug = unchanged(
        "Sources in this group speak for this party; changing it rederives the members of "
        "the agreements it makes."
    )


PROMISED_COUNT = (
    "How many people the agreement promises to release; null when the promise names no number."
)


class AgreementIn(Schema):
    slug: Slug
    title: Title
    title_es: Title = ""
    description: LongText = ""
    description_es: LongText = ""
    releasing_party: Slug = Field(description="The party that releases (its slug).")
    counterpart: Slug = Field(description="The party it promises to (its slug).")
    mediators: PartySlugs = Field(
        default_factory=list, description="Mediators and guarantors (their slugs)."
    )
    announced_on: dt.date
    promised_count: int | None = Field(..., ge=0, le=MAX_COUNT, description=PROMISED_COUNT)
    promised_approximate: bool = Field(
        False, description="The promise gave an approximate number (“about 900”)."
    )
    expected_release: CustodyStatus | None = Field(
        None, description="The kind of release promised, if it says."
    )
    country: CountryCode = Field(
        "", description="ISO 3166-1 alpha-2; empty: the registry's country (DETENTE_COUNTRY)."
    )
    division: DivisionCode = Field(
        "", description="ISO 3166-2 first-level division, for an agreement local to one."
    )
    confirm_min_grade: Reliability = Reliability.B
    dispute_min_grade: Reliability = Reliability.C
    status_overrides: Overrides = Field(
        default_factory=dict,
        description='What a status counts as under it, e.g. {"house_arrest": "conditional"}.',
    )


class PolicyIn(Schema):
    confirm_min_grade: Reliability = Field(description="Lowest grade that confirms a release.")
    dispute_min_grade: Reliability = Field(description="Lowest grade that disputes a release.")
    status_overrides: Overrides = Field(
        default_factory=dict,
        description='Statuses counted otherwise than usual, e.g. {"house_arrest": '
        '"conditional"}; the whole new table ({} for none).',
    )


class AgreementPatch(Patch):
    title: Title = unchanged()
    title_es: Title = unchanged()
    description: LongText = unchanged()
    description_es: LongText = unchanged()
    releasing_party: Slug = unchanged("Changing it rederives every member of the agreement.")
    counterpart: Slug = unchanged()
    mediators: PartySlugs = unchanged("The whole new list (slugs).")
    exchange_legs: PartySlugs = unchanged(
        "The other legs of an exchange (agreement slugs; the whole new list): agreements in "
        "which this one's counterpart releases people to its releasing party."
    )
    announced_on: dt.date = unchanged("Changing it rederives every member of the agreement.")
    promised_count: int | None = unchanged(ge=0, le=MAX_COUNT, description=PROMISED_COUNT)
    promised_approximate: bool = unchanged()
    expected_release: CustodyStatus | None = unchanged(
        "The kind of release promised; null when it does not say."
    )
    country: CountryCode = unchanged("ISO 3166-1 alpha-2.")
    division: DivisionCode = unchanged("ISO 3166-2 first-level division; empty: the whole country.")


class MilestoneOut(Schema):
    key: str
    label: str
    date: dt.date | None = Field(description="Once reached, kept whatever happens next.")
    now: str = Field(
        "", description='What no longer holds since it was reached ("2 no longer free…").'
    )


class AggregateOut(Schema):
    claim_id: int
    source: str
    releasing_party: bool
    released_count: int
    event_date: dt.date
    received_at: dt.datetime
    breakdown: dict[str, int] = Field(
        default_factory=dict,
        description="The count's parts as the source gave them: political, other, "
        "conditional, unconditional, exile.",
    )


class StageOut(Schema):
    claim_id: int
    source: str
    releasing_party: bool
    stage: str = Field(
        description="first_releases, suspended, resumed, declared_complete or lapsed."
    )
    event_date: dt.date
    received_at: dt.datetime


class ProgressOut(Schema):
    agreement: str
    as_of: dt.date | None
    promised: int | None = Field(description="Null when the promise names no number.")
    promised_approximate: bool = Field(description="The promise gave an approximate number.")
    total: int = Field(
        description=(
            "What the headline parts add up to (named + unnamed): the promise, or the named "
            "count when the promise names no number or fewer people than were named."
        )
    )
    named: int
    unnamed: int
    claimed: int
    claimed_by_releasing_party: int | None
    confirmed: int
    confirmed_conditional: int
    confirmed_unconditional: int
    reported: int
    disputed: int
    held: int
    held_house_arrest: int = Field(description="Of those still held, under house arrest.")
    confirmed_exile: int = Field(
        description="Of those confirmed released, released into exile or deported."
    )
    rearrested: int
    died: int
    disappeared: int
    released_before: int = Field(
        description="Named, but released before the agreement was announced."
    )
    excluded: int = Field(
        description=(
            "Named, but classified as not political prisoners on a source's word: left out "
            "of the other parts and the milestones."
        )
    )
    claimed_not_political: int = Field(
        description=(
            "Of the releasing side's figure, releases of people who were not political "
            "prisoners (its own breakdown, or named members so classified); not in claimed."
        )
    )
    gap: int
    gap_unconfirmed: int = Field(description="Of the gap: named, reported, not confirmed.")
    gap_rearrested: int = Field(description="Of the gap: released and re-arrested since.")
    gap_unnamed: int = Field(
        description="Of the gap: in the releasing side's figure, no named person for it."
    )
    aggregate_claims: list[AggregateOut]
    stages: list[StageOut]
    stage: str | None = Field(description="The latest stage claimed, if any.")
    milestones: list[MilestoneOut]


class ProgressQuery(Schema):
    as_of: dt.date | None = Field(
        None, description="The figures as known at the end of this day (UTC)."
    )


class MemberOut(Schema):
    handle: str
    name: str | None = Field(description="Null unless this identity is disclosed to the user.")
    state: MemberState
    status: CustodyStatus | None
    released_on: dt.date | None
    classification: Classification = Field(
        description=(
            "`other`: classified not a political prisoner on a source's word, left out of "
            "the promise's figures."
        )
    )


class MembersIn(Schema):
    people: list[Handle] = Field(
        min_length=1, max_length=500, description="Handles of people already recorded."
    )
    named_on: dt.date | None = Field(
        None, description="The day the list naming them was published (default today)."
    )
    named_by: Slug | None = Field(None, description="The source that named them, if any.")
    named_note: str = Field("", max_length=500, description="Why the date is not today.")


class MembersAdded(Schema):
    added: list[str] = Field(description="Handles newly named on the agreement.")
    already: list[str] = Field(description="Handles named already, left as they were.")


class ClassificationIn(Schema):
    classification: Classification
    source: Slug = Field(description="The source on whose word.")
    reason: str = Field(min_length=1, max_length=500, description="Why, as the source puts it.")
    classified_on: dt.date | None = Field(
        None, description="From this day the classification holds (default today)."
    )


class MemberPage(Paged):
    items: list[MemberOut]


# --- Which legislature accounts see an agreement -----------------------------------------

Username = Annotated[str, Field(pattern=r"^[\w.@+-]{1,150}$", max_length=150)]


class LegislatureAccountOut(Schema):
    username: str = Field(description="The listed account.")
    granted_by: str = Field(description="Who listed it.")
    granted_at: str = Field(description="When, in UTC (ISO 8601).")
    current: bool = Field(
        description="Still an active legislature account (false: disabled or given another "
        "role since; it sees nothing through the list)."
    )


class LegislatureAccessOut(Schema):
    agreement: str = Field(description="The agreement's slug.")
    audience: Literal["staff", "legislature", "public"] = Field(
        description="Who the agreement is shown to (set with its policy on the staff pages)."
    )
    open_to: Literal["every_legislature_account", "listed_accounts"] = Field(
        description="Every legislature account sees it, or only the listed ones (none when "
        "the list is empty)."
    )
    in_force: bool = Field(
        description="Whether this decides anything now: only for an agreement shown to the "
        "legislature (a staff-only one is hidden from every legislature account, a public "
        "one shown to all)."
    )
    accounts: list[LegislatureAccountOut] = Field(description="The listed accounts, by name.")


class LegislatureAccessIn(Schema):
    add: list[Username] = Field(
        default_factory=list,
        max_length=100,
        description="Legislature accounts to list (the first one narrows the agreement to "
        "the list).",
    )
    remove: list[Username] = Field(
        default_factory=list,
        max_length=100,
        description="Accounts to take off the list (with none left, no legislature account "
        "sees the agreement).",
    )
    everyone: bool = Field(
        False,
        description="Every legislature account sees the agreement again; the list is "
        "cleared. Not together with `add`.",
    )


class MemberQuery(PageQuery):
    state: MemberState | None = None


# --- People ------------------------------------------------------------------------------


class StandingOut(Schema):
    agreement: str
    state: MemberState
    status: CustodyStatus | None
    release_category: Category | None


class PersonSummary(Schema):
    handle: str
    name: str | None = Field(description="Null unless this identity is disclosed to the user.")
    at_risk: bool | None = Field(description="Staff only; null for others.")
    agreements: list[StandingOut]


class PersonPage(Paged):
    items: list[PersonSummary]


class PersonQuery(PageQuery):
    agreement: Slug | None = Field(None, description="Only people named on this agreement.")
    state: MemberState | None = Field(
        None, description="Only people in this state on an agreement (the one given, or any)."
    )
    category: Category | None = Field(
        None,
        description=(
            "Only people whose standing counts as this: conditional or released (a claimed "
            "release of that kind), held (held or re-arrested), died, disappeared."
        ),
    )


class IdentityOut(Schema):
    given_names: str
    paternal_surname: str
    maternal_surname: str
    aliases: list[str]
    birth: str | None = Field(description="As precise as known: 1971, 1971-05 or 1971-05-02.")
    sex: str
    country: str = Field(description="ISO 3166-1 alpha-2, e.g. CU.")
    division: str = Field(
        description="A first-level division, ISO 3166-2 (e.g. CU-13); empty when unknown."
    )
    province: str = Field(description="The province as it was written.")
    municipality: str
    affiliation: str


class StatusOut(Schema):
    agreement: str | None = Field(description="Null for the reading outside any agreement.")
    state: MemberState
    status: CustodyStatus | None
    release_category: Category | None
    released_on: dt.date | None
    reported_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    rearrested_on: dt.date | None
    rule: str = Field(description="The verification rule that decided the state.")
    decisive_claims: list[int]
    contradicting_claims: list[int]
    void_claims: list[int]


class PersonOut(Schema):
    handle: str
    at_risk: bool | None = Field(description="Staff only; null for others.")
    identity: IdentityOut | None = Field(
        description="Null unless this identity is disclosed to the user."
    )
    statuses: list[StatusOut]


class CustodyOut(Schema):
    status: CustodyStatus
    start_date: dt.date
    start_precision: DatePrecision
    end_date: dt.date | None
    end_precision: DatePrecision
    place: str


class CustodyPage(Paged):
    items: list[CustodyOut]


# --- Sources and claims ------------------------------------------------------------------


class SourceOut(Schema):
    slug: str
    name: str
    kind: SourceKind
    reliability: Reliability
    independence_group: str
    protected: bool
    archived_at: dt.datetime | None = Field(
        description="When it was archived (no new claims from it); null if not."
    )


class SourcePage(Paged):
    items: list[SourceOut]


class SourceQuery(PageQuery):
    kind: SourceKind | None = None
    reliability: Reliability | None = None
    archived: bool = Field(False, description="Also list archived sources.")


class SourceIn(Schema):
    slug: Slug
    name: Name
    kind: SourceKind
    reliability: Reliability
    independence_group: Slug = Field(
        description="Sources in one group are not independent of each other."
    )
    protected: bool = Field(
        False, description="Its identity is confidential (verifiers and administrators only)."
    )


class SourcePatch(Patch):
    name: Name = unchanged()
    kind: SourceKind = unchanged()
    reliability: Reliability = unchanged("Changing it rederives every person its claims are about.")
    independence_group: Slug = unchanged("Changing it rederives every person its claims are about.")
    protected: bool = unchanged()


class ClaimSourceOut(Schema):
    slug: str = Field(description='"protected" when this user may not know the source.')
    kind: SourceKind
    reliability: Reliability
    independence_group: str


class ClaimView(Schema):
    id: int
    kind: ClaimKind
    source: ClaimSourceOut
    person: str | None
    agreement: str | None
    status: CustodyStatus | None
    released_count: int | None
    event_date: dt.date | None
    event_precision: DatePrecision
    received_at: dt.datetime
    credibility: int
    corrects: int | None
    evidence_text: str
    evidence_url: str
    evidence_sha256: str


class ClaimPage(Paged):
    items: list[ClaimView]


class ClaimQuery(PageQuery):
    person: Handle | None = Field(None, description="Claims about this person.")
    agreement: Slug | None = Field(None, description="Claims made under this agreement.")
    source: Slug | None = Field(None, description="Claims made by this source.")
    kind: ClaimKind | None = None


BreakdownPart = Literal["political", "other", "conditional", "unconditional", "exile"]


class ClaimIn(Schema):
    source: Slug = Field(description="Who asserts it (a source's slug).")
    person: Handle | None = None
    agreement: Slug | None = None
    kind: ClaimKind = ClaimKind.STATUS
    status: CustodyStatus | None = None
    released_count: int | None = Field(None, ge=0, le=MAX_COUNT)
    event_date: dt.date | None = None
    event_precision: DatePrecision = DatePrecision.DAY
    received_at: dt.datetime | None = Field(
        None, description="When the claim reached you, with its time zone; default now."
    )
    credibility: int = Field(Credibility.UNKNOWN, ge=1, le=6)
    corrects: RowId | None = Field(None, description="The claim this one retracts or supersedes.")
    evidence_text: str = text(20000)
    evidence_url: str = Field("", max_length=500, pattern=NO_NUL)
    event_time: dt.time | None = Field(
        None,
        description="Time of day of the event, when known (orders a re-arrest and a release "
        "on the same day); needs event_precision day.",
    )
    lifecycle: Lifecycle | None = Field(
        None, description='The stage, for kind "lifecycle" (the reason in evidence_text).'
    )
    breakdown: dict[BreakdownPart, int] = Field(
        default_factory=dict,
        description='Parts of an aggregate count, for kind "aggregate", as the source gave them.',
    )


class ClaimRecorded(Schema):
    id: int
    kind: ClaimKind
    person: str | None
    agreement: str | None
    state_after: list[StatusOut] = Field(
        description="The person's states after the claim (empty for agreement claims)."
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="What to look at twice (a count above the promise, dated before the "
        "announcement, or lower than an earlier one); the claim is recorded all the same.",
    )


# --- Disclosures -------------------------------------------------------------------------


class DisclosureOut(Schema):
    id: int
    audience: Audience
    action: DisclosureAction
    status: DisclosureStatus
    agreement: str | None
    reason: str
    effective_from: dt.datetime | None
    at_risk_override: bool
    proposed_by: str
    proposed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str


class DisclosureDetail(DisclosureOut):
    people: list[str] = Field(description="Handles named one by one (besides the agreement's).")


class DisclosurePage(Paged):
    items: list[DisclosureOut]


class DisclosureQuery(PageQuery):
    audience: Audience | None = None
    status: DisclosureStatus | None = None
    agreement: Slug | None = None


# --- Statistics ---------------------------------------------------------------------------


class StatisticsTable(Schema):
    name: str
    threshold: int = Field(description="Counts below this are suppressed (null).")
    row_labels: list[str]
    col_labels: list[str]
    cells: list[list[int | None]] = Field(description="null = suppressed.")
    row_totals: list[int | None]
    col_totals: list[int | None]
    total: int | None
    note: str


class StatisticsGrouping(Schema):
    key: str = Field(description="Places and years, e.g. `regions/bands`.")
    rows: list[tuple[str, list[str]]] = Field(
        description="Each row's label and the provinces it gathers."
    )
    cols: list[tuple[str, list[str]]] = Field(
        description="Each column's label and the columns by single year it gathers."
    )


class StatisticsOut(Schema):
    release: int | None = Field(
        description="The approved release these figures come from (null: none yet)."
    )
    counted_at: str | None = Field(None, description="When counted (UTC, to the second).")
    released_at: str | None = Field(None, description="When approved (UTC, to the second).")
    population: str | None = None
    people: int | None = None
    tables: list[StatisticsTable] = Field(default_factory=list)
    withheld: list[str] = Field(default_factory=list, description="Tables withheld whole.")
    groupings: dict[str, StatisticsGrouping] = Field(
        default_factory=dict,
        description="By table name, the coarser grouping published (none: each province and year).",
    )


class FigureMoved(Schema):
    row: str
    col: str = Field(description="A column, or `total` for the row's total.")
    before: int
    after: int


class FigureExposed(Schema):
    row: str
    col: str


class ReleaseConflict(Schema):
    release: int = Field(description="The approved release compared with.")
    released_at: str
    moved: list[FigureMoved] = Field(
        description="Figures published in both that moved by fewer people than the threshold."
    )
    exposed: list[FigureExposed] = Field(
        default_factory=list,
        description="Hidden figures this release and that one, grouped differently, would "
        "give away together.",
    )


class StatisticsDraft(StatisticsOut):
    conflicts: list[ReleaseConflict] = Field(
        description="Why a release counted now would be refused (empty: it may be proposed)."
    )


class ReleaseOut(Schema):
    id: int
    status: DisclosureStatus
    people: int
    counted_at: dt.datetime
    reason: str
    proposed_by: str
    proposed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str
    published: StatisticsOut = Field(description="What the public reads once approved.")


class ReleasePage(Paged):
    items: list[ReleaseOut]


class ReleaseIn(Schema):
    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)


class ReleaseDecisionIn(Schema):
    note: str = Field("", max_length=2000, pattern=NO_NUL)


# --- The verification queue --------------------------------------------------------------


class QueueItem(Schema):
    agreement: str
    handle: str
    state: MemberState
    status: CustodyStatus | None
    release_category: Category | None
    released_on: dt.date | None
    first_reported_at: dt.datetime | None
    reported_at: dt.datetime | None


class QueuePage(Paged):
    items: list[QueueItem]


class QueueQuery(PageQuery):
    agreement: Slug | None = None
    state: Literal["reported", "disputed"] | None = None


DownloadFormat = Literal["csv", "xlsx", "json"]
# A download's answer: the file in the format asked for (a spreadsheet is binary).
DOWNLOAD_RESPONSES = {
    "responses": {
        200: {
            "description": "The file: CSV (UTF-8 with a BOM), Excel or JSON.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            },
        }
    }
}


class DownloadQuery(Schema):
    format: DownloadFormat = Field("csv", description="The file's format.")


class QueueDownloadQuery(DownloadQuery):
    agreement: Slug | None = None
    state: Literal["reported", "disputed"] | None = None


class ReviewIn(Schema):
    source: Slug = Field(description="The independent source whose word this is.")
    status: CustodyStatus | None = Field(
        None,
        description=(
            "Confirm: the release status (default: the one reported). Dispute: where the "
            "person is (default: detained)."
        ),
    )
    event_date: dt.date | None = None
    evidence_text: str = text(20000)
    evidence_url: str = Field("", max_length=500, pattern=NO_NUL)


class ReviewOut(Schema):
    claim: int = Field(description="The claim recorded for this action.")
    member: QueueItem


# --- Responses ---------------------------------------------------------------------------


def answers(
    ok: int,
    model: Any,
    *,
    paged: bool = False,
    lookup: bool = False,
    forbidden: bool = False,
    write: bool = False,
    body: bool = False,
) -> dict[int, Any]:
    """The responses of one operation: its success and every refusal it can give.

    ``paged``: a cursor (400 when it is not ours); ``lookup``: a path naming something
    (404); ``forbidden``: a role may be refused (403); ``write``: a JSON body (400 when it
    cannot be parsed) and a read token refused (403); ``body``: a JSON body only (a read
    sent by POST, such as a search).
    """
    out: dict[int, Any] = {ok: model, 401: Problem, 422: Problem, 429: Problem}
    if paged or write or body:
        out[400] = Problem
    if forbidden or write:
        out[403] = Problem
    if lookup:
        out[404] = Problem
    return dict(sorted(out.items()))
