"""Sources and claims: reading them (staff), and recording a claim (a write token)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router
from ninja.responses import Status

from detente.agreements.selectors import agreement_get
from detente.api.pagination import paginate
from detente.api.routes.people import no_such
from detente.api.schemas import (
    MAX_ID,
    SLUG,
    ClaimIn,
    ClaimPage,
    ClaimQuery,
    ClaimRecorded,
    ClaimView,
    SourceOut,
    SourcePage,
    SourceQuery,
    answers,
)
from detente.core.errors import invalid
from detente.evidence.models import Claim, Source
from detente.evidence.selectors import (
    claim_get,
    claim_list,
    source_as_seen,
    source_get,
    source_list,
)
from detente.evidence.services import claim_record
from detente.registry.selectors import person_detail, person_get

router = Router()


def _source(source: Source) -> dict[str, Any]:
    return {
        "slug": source.slug,
        "name": source.name,
        "kind": source.kind,
        "reliability": source.reliability,
        "independence_group": source.independence_group,
        "protected": source.protected,
    }


@router.get(
    "/sources",
    response=answers(200, SourcePage, paged=True),
    tags=["sources"],
    summary="List sources",
)
def list_sources(request: HttpRequest, query: Query[SourceQuery]) -> dict[str, Any]:
    """Sources by slug (staff; a protected source only for verifiers and administrators)."""
    qs = source_list(request.user)
    if query.kind:
        qs = qs.filter(kind=query.kind)
    if query.reliability:
        qs = qs.filter(reliability=query.reliability)
    rows, links = paginate(
        request, qs, scope="sources", keys=("slug",), cursor=query.cursor, limit=query.limit
    )
    return {"items": [_source(s) for s in rows], **links}


@router.get(
    "/sources/{slug}",
    response=answers(200, SourceOut, lookup=True),
    tags=["sources"],
    summary="Get a source",
)
def get_source(
    request: HttpRequest,
    slug: str = Path(..., pattern=SLUG, max_length=64, description="The source's slug."),
) -> dict[str, Any]:
    """One source; hidden ones answer exactly like missing ones."""
    return _source(source_get(request.user, slug))


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
    "/claims", response=answers(200, ClaimPage, paged=True), tags=["claims"], summary="List claims"
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
    "/claims/{claim_id}",
    response=answers(200, ClaimView, lookup=True),
    tags=["claims"],
    summary="Get a claim",
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
    summary="Record a claim",
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
        },
    )
