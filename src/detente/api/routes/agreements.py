"""Agreements: the list with headline figures, one agreement, its progress and members;
creating, editing, archiving and restoring one, and which legislature accounts see it
(verifiers and administrators)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_noop
from ninja import Path, Query, Router
from ninja.responses import Status

from detente.access.policy import Action
from detente.access.selectors import legislature_access
from detente.access.services import agreement_access_change
from detente.agreements.models import Agreement
from detente.agreements.selectors import (
    MemberView,
    agreement_exchange,
    agreement_get,
    agreement_list,
    agreement_member,
    agreement_members,
    agreement_progress,
    party_get,
)
from detente.agreements.services import (
    agreement_add_members,
    agreement_archive,
    agreement_create,
    agreement_edit,
    agreement_set_policy,
    member_classify,
)
from detente.api.pagination import paginate, paginate_rows
from detente.api.routes.evidence import _lookup
from detente.api.routes.parties import acting, manager
from detente.api.schemas import (
    HANDLE,
    SLUG,
    AgreementDetail,
    AgreementIn,
    AgreementPage,
    AgreementPatch,
    ClassificationIn,
    LegislatureAccessIn,
    LegislatureAccessOut,
    MemberOut,
    MemberPage,
    MemberQuery,
    MembersAdded,
    MembersIn,
    PageQuery,
    PolicyIn,
    ProgressOut,
    ProgressQuery,
    answers,
)
from detente.evidence.selectors import source_get
from detente.registry.selectors import person_get

router = Router(tags=["agreements"])

SlugPath = Path(..., pattern=SLUG, max_length=64, description="The agreement's slug.")


def _summary(request: HttpRequest, agreement: Agreement) -> dict[str, Any]:
    p = agreement_progress(request.user, agreement)
    return {
        "slug": agreement.slug,
        "title": agreement.title,
        "announced_on": agreement.announced_on,
        "promised": p.promised,
        "promised_approximate": p.promised_approximate,
        "named": p.named,
        "claimed": p.claimed,
        "confirmed": p.confirmed,
    }


@router.get(
    "/agreements",
    response=answers(200, AgreementPage, paged=True),
    summary=gettext_noop("List agreements"),
)
def list_agreements(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """Agreements this token's user may see, by slug, with their headline figures."""
    rows, links = paginate(
        request,
        agreement_list(request.user),
        scope="agreements",
        keys=("slug",),
        cursor=page.cursor,
        limit=page.limit,
    )
    return {"items": [_summary(request, a) for a in rows], **links}


@router.get(
    "/agreements/{slug}",
    response=answers(200, AgreementDetail, lookup=True),
    summary=gettext_noop("Get an agreement"),
)
def get_agreement(request: HttpRequest, slug: str = SlugPath) -> dict[str, Any]:
    """One agreement: its parties, verification policy and headline figures."""
    return _detail(request, agreement_get(request.user, slug))


@router.get(
    "/agreements/{slug}/briefing.pdf",
    response=answers(200, None, lookup=True),
    summary=gettext_noop("Print an agreement's briefing (PDF)"),
    openapi_extra={
        "responses": {
            200: {
                "description": "The briefing as a PDF.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def get_briefing(request: HttpRequest, slug: str = SlugPath) -> HttpResponse:
    """The agreement page printed as a PDF: the figures as of now, the chart, the members
    with the names this token's user may see (recorded as seen) and the method note."""
    from detente.web.views import agreement_briefing

    return agreement_briefing(request, slug)


def _detail(request: HttpRequest, agreement: Agreement) -> dict[str, Any]:
    return {
        **_summary(request, agreement),
        "title_es": agreement.title_es,
        "description": agreement.description,
        "description_es": agreement.description_es,
        "expected_release": agreement.expected_release or None,
        "country": agreement.country,
        "division": agreement.division,
        "releasing_party": {"slug": agreement.promisor.slug, "name": agreement.promisor.name},
        "counterpart": {"slug": agreement.promisee.slug, "name": agreement.promisee.name},
        "mediators": [
            {"slug": p.slug, "name": p.name} for p in agreement.mediators.order_by("slug")
        ],
        "exchange_legs": [leg.slug for leg, _p in agreement_exchange(request.user, agreement)],
        "policy": {
            "confirm_min_grade": agreement.confirm_min_grade,
            "dispute_min_grade": agreement.dispute_min_grade,
            "status_overrides": dict(agreement.status_overrides or {}),
        },
        "archived_at": agreement.archived_at,
    }


# The services name the parties as the model does; the API as the agreement shows them.
_AS_SENT = {"promisor": "releasing_party", "promisee": "counterpart"}


@contextmanager
def _fields_as_sent() -> Iterator[None]:
    """Refusals from the services, naming the body fields the client sent."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {_AS_SENT.get(field, field): errors for field, errors in exc.error_dict.items()}
        ) from None


WRITTEN = answers(200, AgreementDetail, lookup=True, write=True)


@router.post(
    "/agreements",
    response=answers(201, AgreementDetail, write=True),
    summary=gettext_noop("Create an agreement"),
)
def post_agreement(request: HttpRequest, payload: AgreementIn) -> Any:
    """Record an agreement: its parties (by slug), announcement, promise and verification
    policy (verifiers and administrators, with a write token). `promised_count` is null
    when the promise names no number. It is shown to staff only until its audience is set."""
    user = manager(request)
    promisor = _lookup("releasing_party", party_get, user, payload.releasing_party)
    promisee = _lookup("counterpart", party_get, user, payload.counterpart)
    mediators = [_lookup("mediators", party_get, user, slug) for slug in payload.mediators]
    with _fields_as_sent():
        agreement = agreement_create(
            actor=user,
            slug=payload.slug,
            title=payload.title,
            title_es=payload.title_es,
            description=payload.description,
            description_es=payload.description_es,
            promisor=promisor,
            promisee=promisee,
            mediators=mediators,
            announced_on=payload.announced_on,
            promised_count=payload.promised_count,
            promised_approximate=payload.promised_approximate,
            expected_release=payload.expected_release or "",
            confirm_min_grade=payload.confirm_min_grade,
            dispute_min_grade=payload.dispute_min_grade,
            status_overrides=payload.status_overrides,
            country=payload.country,
            division=payload.division,
        )
    return Status(201, _detail(request, agreement))


@router.patch("/agreements/{slug}", response=WRITTEN, summary=gettext_noop("Edit an agreement"))
def patch_agreement(request: HttpRequest, payload: AgreementPatch, slug: str = SlugPath) -> Any:
    """Correct what was recorded of an agreement; fields left out stay as they are
    (verifiers and administrators, with a write token). `"promised_count": null` records
    that the promise names no number. A new releasing party or announcement date rederives
    every member. The verification policy is not changed here."""
    user = manager(request)
    agreement = agreement_get(user, slug)
    sent = payload.model_fields_set
    changes: dict[str, Any] = {
        field: getattr(payload, field)
        for field in (
            "title",
            "title_es",
            "description",
            "description_es",
            "announced_on",
            "promised_count",
            "promised_approximate",
            "country",
            "division",
        )
        if field in sent
    }
    if "expected_release" in sent:
        changes["expected_release"] = payload.expected_release or ""
    if "releasing_party" in sent:
        changes["promisor"] = _lookup("releasing_party", party_get, user, payload.releasing_party)
    if "counterpart" in sent:
        changes["promisee"] = _lookup("counterpart", party_get, user, payload.counterpart)
    if "mediators" in sent:
        changes["mediators"] = [
            _lookup("mediators", party_get, user, slug) for slug in payload.mediators
        ]
    if "exchange_legs" in sent:
        changes["exchange_legs"] = [
            _lookup("exchange_legs", agreement_get, user, slug) for slug in payload.exchange_legs
        ]
    with _fields_as_sent():
        agreement = agreement_edit(actor=user, agreement=agreement, **changes)
    return _detail(request, agreement)


def _archive(request: HttpRequest, slug: str, archived: bool) -> Any:
    user = manager(request)
    agreement = agreement_get(user, slug)
    agreement = agreement_archive(actor=user, agreement=agreement, archived=archived)
    return _detail(request, agreement_get(user, agreement.slug))


@router.post(
    "/agreements/{slug}/archive", response=WRITTEN, summary=gettext_noop("Archive an agreement")
)
def archive_agreement(request: HttpRequest, slug: str = SlugPath) -> Any:
    """Archive an agreement: its page, figures and history stay; no new members or claims
    are recorded under it (verifiers and administrators, with a write token). Archiving
    an archived one does nothing."""
    return _archive(request, slug, archived=True)


@router.post(
    "/agreements/{slug}/restore", response=WRITTEN, summary=gettext_noop("Restore an agreement")
)
def restore_agreement(request: HttpRequest, slug: str = SlugPath) -> Any:
    """Restore an archived agreement (verifiers and administrators, with a write token)."""
    return _archive(request, slug, archived=False)


@router.post(
    "/agreements/{slug}/policy", response=WRITTEN, summary=gettext_noop("Set an agreement's policy")
)
def post_policy(request: HttpRequest, payload: PolicyIn, slug: str = SlugPath) -> Any:
    """How claims under the agreement are weighed (the lowest grades that confirm and
    dispute) and how statuses such as house arrest or exile count under it (verifiers and
    administrators, with a write token). Every member is worked out again; the ledger
    keeps the policy before and after."""
    user = manager(request)
    agreement = agreement_get(user, slug)
    agreement = agreement_set_policy(
        actor=user,
        agreement=agreement,
        confirm_min_grade=payload.confirm_min_grade,
        dispute_min_grade=payload.dispute_min_grade,
        status_overrides=dict(payload.status_overrides),
    )
    return _detail(request, agreement_get(user, agreement.slug))


@router.get(
    "/agreements/{slug}/progress",
    response=answers(200, ProgressOut, lookup=True),
    summary=gettext_noop("Get an agreement's progress"),
)
def get_progress(
    request: HttpRequest, query: Query[ProgressQuery], slug: str = SlugPath
) -> dict[str, Any]:
    """Promised, claimed, confirmed… now, or as known at the end of `as_of`."""
    agreement = agreement_get(request.user, slug)
    return agreement_progress(request.user, agreement, as_of=query.as_of).as_json()


@router.get(
    "/agreements/{slug}/members",
    response=answers(200, MemberPage, paged=True, lookup=True),
    summary=gettext_noop("List an agreement's members"),
)
def list_members(
    request: HttpRequest, query: Query[MemberQuery], slug: str = SlugPath
) -> dict[str, Any]:
    """Named members by handle; `name` is null unless disclosed to this user."""
    agreement = agreement_get(request.user, slug)
    members = [
        m
        for m in agreement_members(request.user, agreement)
        if query.state is None or m.state == query.state
    ]
    rows, links = paginate_rows(
        request,
        members,
        scope=f"members:{agreement.slug}",
        key=lambda m: m.handle,
        cursor=query.cursor,
        limit=query.limit,
    )
    return {
        "items": [_member_out(m) for m in rows],
        **links,
    }


def _member_out(member: MemberView) -> dict[str, Any]:
    return {
        "handle": member.handle,
        "name": member.name,
        "state": member.state,
        "status": member.status or None,
        "released_on": member.released_on,
        "classification": member.classification,
    }


@router.post(
    "/agreements/{slug}/members",
    response=answers(200, MembersAdded, lookup=True, write=True),
    summary=gettext_noop("Name people on an agreement"),
)
def post_members(request: HttpRequest, payload: MembersIn, slug: str = SlugPath) -> Any:
    """Name recorded people on the agreement by handle (a write token of a user who
    records); people named already are left as they are. `named_on` may be in the past
    (a list published earlier), with `named_note` saying why; `named_by` is the source
    that named them."""
    user = acting(request, Action.RECORD)
    agreement = agreement_get(user, slug)
    people = [_lookup("people", person_get, user, handle) for handle in payload.people]
    named_by = _lookup("named_by", source_get, user, payload.named_by) if payload.named_by else None
    created = agreement_add_members(
        actor=user,
        agreement=agreement,
        people=people,
        named_on=payload.named_on,
        named_by=named_by,
        named_note=payload.named_note,
    )
    added = {m.person_id for m in created}
    return {
        "added": sorted(p.handle for p in {p.pk: p for p in people}.values() if p.pk in added),
        "already": sorted(
            p.handle for p in {p.pk: p for p in people}.values() if p.pk not in added
        ),
    }


@router.post(
    "/agreements/{slug}/members/{handle}/classification",
    response=answers(200, MemberOut, lookup=True, write=True),
    summary=gettext_noop("Classify a named member as a political prisoner or not"),
)
def post_classification(
    request: HttpRequest,
    payload: ClassificationIn,
    slug: str = SlugPath,
    handle: str = Path(..., pattern=HANDLE, max_length=32, description="The person's handle."),
) -> Any:
    """Say, on a source's word, whether a named member is a political prisoner (a write
    token of a user who records). One classified `other` stays named but is left out of
    the promise's figures, the milestones and the releases the gap is measured on, from
    `classified_on`; classify again to undo it."""
    user = acting(request, Action.RECORD)
    agreement = agreement_get(user, slug)
    person = person_get(user, handle)
    source = _lookup("source", source_get, user, payload.source)
    member_classify(
        actor=user,
        agreement=agreement,
        person=person,
        classification=payload.classification,
        source=source,
        reason=payload.reason,
        classified_on=payload.classified_on,
    )
    return _member_out(agreement_member(user, agreement, person.handle))


@router.get(
    "/agreements/{slug}/legislature",
    response=answers(200, LegislatureAccessOut, lookup=True, forbidden=True),
    summary=gettext_noop("Get which legislature accounts see an agreement"),
)
def get_legislature(request: HttpRequest, slug: str = SlugPath) -> dict[str, Any]:
    """Whether every legislature account sees the agreement or only the listed ones, and
    the list (verifiers and administrators; 403 for others, before anything is looked up)."""
    user = manager(request)
    return legislature_access(user, agreement_get(user, slug)).as_json()


@router.post(
    "/agreements/{slug}/legislature",
    response=answers(200, LegislatureAccessOut, lookup=True, write=True),
    summary=gettext_noop("Change which legislature accounts see an agreement"),
)
def post_legislature(
    request: HttpRequest, payload: LegislatureAccessIn, slug: str = SlugPath
) -> dict[str, Any]:
    """Take accounts off the list (`remove`), list legislature accounts (`add`; the first
    narrows the agreement to the list) or let every legislature account see it again
    (`everyone`, which clears the list): all or nothing, each change in the ledger
    (verifiers and administrators, with a write token). Answers the state after."""
    user = manager(request)
    agreement = agreement_get(user, slug)
    agreement_access_change(
        actor=user,
        agreement=agreement,
        add=payload.add,
        remove=payload.remove,
        everyone=payload.everyone,
    )
    return legislature_access(user, agreement).as_json()
