"""Agreements: the list with headline figures, one agreement, its progress and members."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router

from detente.agreements.models import Agreement
from detente.agreements.selectors import (
    agreement_get,
    agreement_list,
    agreement_members,
    agreement_progress,
)
from detente.api.pagination import paginate, paginate_rows
from detente.api.schemas import (
    SLUG,
    AgreementDetail,
    AgreementPage,
    MemberPage,
    MemberQuery,
    PageQuery,
    ProgressOut,
    ProgressQuery,
    answers,
)

router = Router(tags=["agreements"])

SlugPath = Path(..., pattern=SLUG, max_length=64, description="The agreement's slug.")


def _summary(request: HttpRequest, agreement: Agreement) -> dict[str, Any]:
    p = agreement_progress(request.user, agreement)
    return {
        "slug": agreement.slug,
        "title": agreement.title,
        "announced_on": agreement.announced_on,
        "promised": p.promised,
        "named": p.named,
        "claimed": p.claimed,
        "confirmed": p.confirmed,
    }


@router.get(
    "/agreements", response=answers(200, AgreementPage, paged=True), summary="List agreements"
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
    summary="Get an agreement",
)
def get_agreement(request: HttpRequest, slug: str = SlugPath) -> dict[str, Any]:
    """One agreement: its parties, verification policy and headline figures."""
    agreement = agreement_get(request.user, slug)
    return {
        **_summary(request, agreement),
        "description": agreement.description,
        "expected_release": agreement.expected_release or None,
        "releasing_party": {"slug": agreement.promisor.slug, "name": agreement.promisor.name},
        "counterpart": {"slug": agreement.promisee.slug, "name": agreement.promisee.name},
        "policy": {
            "confirm_min_grade": agreement.confirm_min_grade,
            "dispute_min_grade": agreement.dispute_min_grade,
            "status_overrides": dict(agreement.status_overrides or {}),
        },
    }


@router.get(
    "/agreements/{slug}/progress",
    response=answers(200, ProgressOut, lookup=True),
    summary="Get an agreement's progress",
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
    summary="List an agreement's members",
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
        "items": [
            {
                "handle": m.handle,
                "name": m.name,
                "state": m.state,
                "status": m.status or None,
                "released_on": m.released_on,
            }
            for m in rows
        ],
        **links,
    }
