"""The verification queue: reported releases awaiting confirmation, and disputes.

Confirming or disputing records a claim from the independent source the verifier names,
through `detente.evidence.verification_queue` — the same path as the staff pages and the CLI.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_noop
from ninja import Path, Query, Router
from ninja.responses import Status

from detente.access.policy import Action, require
from detente.agreements.models import Membership
from detente.agreements.selectors import agreement_get
from detente.api.pagination import paginate
from detente.api.routes.evidence import _lookup
from detente.api.routes.people import no_such
from detente.api.schemas import (
    DOWNLOAD_RESPONSES,
    HANDLE,
    SLUG,
    QueueDownloadQuery,
    QueuePage,
    QueueQuery,
    ReviewIn,
    ReviewOut,
    answers,
)
from detente.core.exports import export
from detente.evidence.selectors import source_get
from detente.evidence.verification_queue import (
    QUEUE_COLUMNS,
    verification_confirm,
    verification_dispute,
    verification_queue,
    verification_queue_download,
)
from detente.registry.selectors import person_get

router = Router(tags=["verification"])


def _item(m: Membership) -> dict[str, Any]:
    return {
        "agreement": m.agreement.slug,
        "handle": m.person.handle,
        "state": m.state,
        "status": m.status or None,
        "release_category": m.release_category or None,
        "released_on": m.released_on,
        "first_reported_at": m.first_reported_at,
        "reported_at": m.reported_at,
    }


@router.get(
    "/verification",
    response=answers(200, QueuePage, paged=True, forbidden=True),
    summary=gettext_noop("List the verification queue"),
)
def list_queue(request: HttpRequest, query: Query[QueueQuery]) -> dict[str, Any]:
    """Reported releases awaiting independent confirmation, and disputed ones, oldest
    report first (staff; 403 for others)."""
    agreement = None
    if query.agreement:
        try:
            agreement = agreement_get(request.user, query.agreement)
        except Http404:
            raise no_such("agreement") from None
    qs = verification_queue(request.user, agreement=agreement, state=query.state or "")
    rows, links = paginate(
        request,
        qs,
        scope="queue",
        keys=("first_reported_at", "id"),
        cursor=query.cursor,
        limit=query.limit,
    )
    return {"items": [_item(m) for m in rows], **links}


@router.get(
    "/verification/export",
    response=answers(200, None, forbidden=True),
    summary=gettext_noop("Download the verification queue"),
    openapi_extra=DOWNLOAD_RESPONSES,
)
def export_queue(request: HttpRequest, query: Query[QueueDownloadQuery]) -> HttpResponse:
    """The whole queue as filtered, as CSV, Excel or JSON (the staff page's download): each
    member with the name this user may see and the claims behind its state, a protected
    source masked; recorded in the ledger (staff; 403 for others)."""
    require(request.user, Action.READ)
    agreement = None
    if query.agreement:
        try:
            agreement = agreement_get(request.user, query.agreement)
        except Http404:
            raise no_such("agreement") from None
    rows = verification_queue_download(
        request.user, fmt=query.format, agreement=agreement, state=query.state or ""
    )
    return export("verification-queue", query.format, QUEUE_COLUMNS, rows)


def _member(request: HttpRequest, slug: str, handle: str) -> Membership:
    agreement = agreement_get(request.user, slug)
    person = person_get(request.user, handle)
    found = (
        Membership.objects.filter(agreement=agreement, person=person)
        .select_related("agreement", "agreement__promisor", "person")
        .first()
    )
    if found is None:
        raise Http404("not a member")
    return found


def _review(request: HttpRequest, slug: str, handle: str, body: ReviewIn, action: Any) -> Any:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - a token always has a user
    require(user, Action.MANAGE)  # the services' own check, made before any lookup
    membership = _member(request, slug, handle)
    source = _lookup("source", source_get, user, body.source)
    extra = {"status": body.status} if body.status else {}
    claim = action(
        actor=user,
        membership=membership,
        source=source,
        event_date=body.event_date,
        evidence_text=body.evidence_text,
        evidence_url=body.evidence_url,
        **extra,
    )
    membership.refresh_from_db()
    return Status(201, {"claim": claim.pk, "member": _item(membership)})


SlugPath = Path(..., pattern=SLUG, max_length=64, description="The agreement's slug.")
HandlePath = Path(..., pattern=HANDLE, max_length=32, description="The member's handle.")
REVIEW = answers(201, ReviewOut, lookup=True, write=True)


@router.post(
    "/verification/{slug}/{handle}/confirm",
    response=REVIEW,
    summary=gettext_noop("Confirm a reported release"),
)
def confirm(
    request: HttpRequest, body: ReviewIn, slug: str = SlugPath, handle: str = HandlePath
) -> Any:
    """Confirm a reported release on the word of an independent source graded at or above
    the agreement's confirming grade (verifiers and administrators, with a write token)."""
    return _review(request, slug, handle, body, verification_confirm)


@router.post(
    "/verification/{slug}/{handle}/dispute",
    response=REVIEW,
    summary=gettext_noop("Dispute a release"),
)
def dispute(
    request: HttpRequest, body: ReviewIn, slug: str = SlugPath, handle: str = HandlePath
) -> Any:
    """Dispute a release: a credible independent source says the person is not free
    (verifiers and administrators, with a write token)."""
    return _review(request, slug, handle, body, verification_dispute)
