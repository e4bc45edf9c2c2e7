"""Sources and claims: reading them (staff), recording a claim (a write token), and
creating, editing, archiving and restoring sources (verifiers and administrators)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Path, Query, Router
from ninja.responses import Status

from detente.access.policy import Action, require
from detente.agreements.selectors import agreement_get
from detente.api.pagination import paginate
from detente.api.routes.parties import manager
from detente.api.routes.people import no_such
from detente.api.schemas import (
    DOWNLOAD_RESPONSES,
    HANDLE,
    MAX_ID,
    SLUG,
    ClaimIn,
    ClaimPage,
    ClaimQuery,
    ClaimRecorded,
    ClaimView,
    DownloadQuery,
    SourceIn,
    SourceOut,
    SourcePage,
    SourcePatch,
    SourceQuery,
    answers,
)
from detente.core.errors import invalid
from detente.core.exports import export
from detente.evidence.models import Claim, ClaimKind, Source
from detente.evidence.selectors import (
    claim_get,
    claim_list,
    source_as_seen,
    source_get,
    source_list,
)
from detente.evidence.services import (
    aggregate_warnings,
    claim_record,
    source_archive,
    source_create,
    source_edit,
)
from detente.registry.selectors import person_detail, person_get
from detente.registry.services import CLAIM_COLUMNS, person_claims_download

router = Router()


def _source(source: Source) -> dict[str, Any]:
    return {
        "slug": source.slug,
        "name": source.name,
        "kind": source.kind,
        "reliability": source.reliability,
        "independence_group": source.independence_group,
        "protected": source.protected,
        "archived_at": source.archived_at,
    }


@router.get(
    "/sources",
    response=answers(200, SourcePage, paged=True),
    tags=["sources"],
    summary=gettext_noop("List sources"),
)
def list_sources(request: HttpRequest, query: Query[SourceQuery]) -> dict[str, Any]:
    """Sources by slug (staff; a protected source only for verifiers and administrators);
    archived ones only with `archived=true`."""
    qs = source_list(request.user)
    if not query.archived:
        qs = qs.filter(archived_at__isnull=True)
    if query.kind:
        qs = qs.filter(kind=query.kind)
    if query.reliability:
        qs = qs.filter(reliability=query.reliability)
    rows, links = paginate(
        request, qs, scope="sources", keys=("slug",), cursor=query.cursor, limit=query.limit
    )
    return {"items": [_source(s) for s in rows], **links}


SourcePath = Path(..., pattern=SLUG, max_length=64, description="The source's slug.")


@router.get(
    "/sources/{slug}",
    response=answers(200, SourceOut, lookup=True),
    tags=["sources"],
    summary=gettext_noop("Get a source"),
)
def get_source(request: HttpRequest, slug: str = SourcePath) -> dict[str, Any]:
    """One source; hidden ones answer exactly like missing ones."""
    return _source(source_get(request.user, slug))


@router.post(
    "/sources",
    response=answers(201, SourceOut, write=True),
    tags=["sources"],
    summary=gettext_noop("Create a source"),
)
def post_source(request: HttpRequest, payload: SourceIn) -> Any:
    """Record a source: who it is, its kind, its reliability grade and its independence
    group (verifiers and administrators, with a write token)."""
    user = manager(request)
    source = source_create(
        actor=user,
        slug=payload.slug,
        name=payload.name,
        kind=payload.kind,
        reliability=payload.reliability,
        independence_group=payload.independence_group,
        protected=payload.protected,
    )
    return Status(201, _source(source))


@router.patch(
    "/sources/{slug}",
    response=answers(200, SourceOut, lookup=True, write=True),
    tags=["sources"],
    summary=gettext_noop("Edit a source"),
)
def patch_source(request: HttpRequest, payload: SourcePatch, slug: str = SourcePath) -> Any:
    """Correct a source; fields left out stay as they are (verifiers and administrators,
    with a write token). A new grade or independence group rederives every person its
    claims are about."""
    user = manager(request)
    source = source_get(user, slug)
    fields = ("name", "kind", "reliability", "independence_group", "protected")
    sent = payload.model_fields_set
    source = source_edit(
        actor=user, source=source, **{f: getattr(payload, f) for f in fields if f in sent}
    )
    return _source(source)


def _archive_source(request: HttpRequest, slug: str, archived: bool) -> Any:
    user = manager(request)
    source = source_archive(actor=user, source=source_get(user, slug), archived=archived)
    return _source(source)


@router.post(
    "/sources/{slug}/archive",
    response=answers(200, SourceOut, lookup=True, write=True),
    tags=["sources"],
    summary=gettext_noop("Archive a source"),
)
def archive_source(request: HttpRequest, slug: str = SourcePath) -> Any:
    """Archive a source: its claims stand, no new ones are taken from it (verifiers and
    administrators, with a write token). Archiving an archived one does nothing."""
    return _archive_source(request, slug, archived=True)


@router.post(
    "/sources/{slug}/restore",
    response=answers(200, SourceOut, lookup=True, write=True),
    tags=["sources"],
    summary=gettext_noop("Restore a source"),
)
def restore_source(request: HttpRequest, slug: str = SourcePath) -> Any:
    """Restore an archived source (verifiers and administrators, with a write token)."""
    return _archive_source(request, slug, archived=False)


def claim_view(request: HttpRequest, claim: Claim) -> dict[str, Any]:
    seen = source_as_seen(request.user, claim.source)
    return {
        "id": claim.pk,
        "kind": claim.kind,
        "source": {
            "slug": seen.slug,
            "kind": seen.kind,
            "reliability": seen.reliability,
            "independence_group": seen.independence_group,
        },
        "person": claim.person.handle if claim.person else None,
        "agreement": claim.agreement.slug if claim.agreement else None,
        "status": claim.status or None,
        "released_count": claim.released_count,
        "event_date": claim.event_date,
        "event_precision": claim.event_precision,
        "received_at": claim.received_at,
        "credibility": claim.credibility,
        "corrects": claim.corrects_id,
        "evidence_text": claim.evidence_text,
        "evidence_url": claim.evidence_url,
        "evidence_sha256": claim.evidence_sha256,
    }


def _lookup(field: str, find: Any, *args: Any) -> Any:
    """Resolve a name the client sent; missing and hidden are the same 422 on that field."""
    try:
        return find(*args)
    except Http404:
        raise no_such(field) from None


@router.get(
    "/claims",
    response=answers(200, ClaimPage, paged=True),
    tags=["claims"],
    summary=gettext_noop("List claims"),
)
def list_claims(request: HttpRequest, query: Query[ClaimQuery]) -> dict[str, Any]:
    """Claims in the order they were received (staff; empty for others), about a person,
    under an agreement, from a source."""
    user = request.user
    qs = claim_list(
        user,
        person=_lookup("person", person_get, user, query.person) if query.person else None,
        agreement=(
            _lookup("agreement", agreement_get, user, query.agreement) if query.agreement else None
        ),
        source=_lookup("source", source_get, user, query.source) if query.source else None,
        kind=query.kind or "",
    )
    rows, links = paginate(
        request,
        qs,
        scope="claims",
        keys=("received_at", "id"),
        cursor=query.cursor,
        limit=query.limit,
    )
    return {"items": [claim_view(request, c) for c in rows], **links}


@router.get(
    "/people/{handle}/claims/export",
    response=answers(200, None, forbidden=True, lookup=True),
    tags=["claims"],
    summary=gettext_noop("Download a person's claims"),
    openapi_extra=DOWNLOAD_RESPONSES,
)
def export_claims(
    request: HttpRequest,
    query: Query[DownloadQuery],
    handle: str = Path(..., pattern=HANDLE, max_length=32, description="The person's handle."),
) -> HttpResponse:
    """Every claim about the person as the staff person page lists them, as CSV, Excel or
    JSON: a protected source masked (and its link left out) for those who do not manage
    sources; `left_out` for a retracted or superseded claim; recorded in the ledger
    (staff; 403 for others)."""
    user = request.user
    require(user, Action.READ)
    person = person_get(user, handle)
    rows = person_claims_download(user, person, fmt=query.format)
    return export(f"{person.handle}-claims", query.format, CLAIM_COLUMNS, rows)


@router.get(
    "/claims/{claim_id}",
    response=answers(200, ClaimView, lookup=True),
    tags=["claims"],
    summary=gettext_noop("Get a claim"),
)
def get_claim(
    request: HttpRequest,
    claim_id: int = Path(..., ge=1, le=MAX_ID, description="The claim's number."),
) -> dict[str, Any]:
    """One claim (staff); hidden ones answer exactly like missing ones."""
    return claim_view(request, claim_get(request.user, claim_id))


@router.post(
    "/claims",
    response=answers(201, ClaimRecorded, write=True),
    tags=["claims"],
    summary=gettext_noop("Record a claim"),
)
def post_claim(request: HttpRequest, payload: ClaimIn) -> Any:
    """Record what a source asserts (a write token of a user who records).

    Confirming a reported release is recording the independent source's claim of it;
    disputing is recording its contradiction (see also the verification queue). The
    person's derived states after the claim are returned."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - a token always has a user
    source = _lookup("source", source_get, user, payload.source)
    person = _lookup("person", person_get, user, payload.person) if payload.person else None
    agreement = (
        _lookup("agreement", agreement_get, user, payload.agreement) if payload.agreement else None
    )
    corrects = (
        _lookup("corrects", claim_get, user, payload.corrects)
        if payload.corrects is not None
        else None
    )
    if payload.received_at is not None and payload.received_at.year < 1900:
        raise invalid("received_at", _("The time received is before 1900."))
    warnings = (
        aggregate_warnings(agreement, payload.released_count, payload.event_date)
        if payload.kind == ClaimKind.AGGREGATE
        and agreement is not None
        and payload.released_count is not None
        and payload.event_date is not None
        else []
    )
    claim = claim_record(
        actor=user,
        source=source,
        kind=payload.kind,
        person=person,
        agreement=agreement,
        status=payload.status or "",
        released_count=payload.released_count,
        event_date=payload.event_date,
        event_precision=payload.event_precision,
        received_at=payload.received_at,
        credibility=payload.credibility,
        corrects=corrects,
        evidence_text=payload.evidence_text,
        evidence_url=payload.evidence_url,
        event_time=payload.event_time,
        lifecycle=payload.lifecycle or "",
        breakdown={str(part): n for part, n in payload.breakdown.items()},
    )
    after = person_detail(user, person).as_json()["statuses"] if person else []
    return Status(
        201,
        {
            "id": claim.pk,
            "kind": claim.kind,
            "person": person.handle if person else None,
            "agreement": agreement.slug if agreement else None,
            "state_after": after,
            "warnings": warnings,
        },
    )
