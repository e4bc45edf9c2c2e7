"""Disclosures, read only (staff): who opened which identities to whom, and when."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext_noop
from ninja import Path, Query, Router

from detente.access.models import Disclosure
from detente.access.selectors import disclosure_list
from detente.agreements.selectors import agreement_get
from detente.api.pagination import paginate
from detente.api.routes.people import no_such
from detente.api.schemas import (
    MAX_ID,
    DisclosureDetail,
    DisclosurePage,
    DisclosureQuery,
    answers,
)

router = Router(tags=["disclosures"])


def _disclosure(d: Disclosure) -> dict[str, Any]:
    return {
        "id": d.pk,
        "audience": d.audience,
        "action": d.action,
        "status": d.status,
        "agreement": d.agreement.slug if d.agreement else None,
        "reason": d.reason,
        "effective_from": d.effective_from,
        "at_risk_override": d.at_risk_override,
        "proposed_by": d.proposed_by.get_username(),
        "proposed_at": d.proposed_at,
        "decided_by": d.decided_by.get_username() if d.decided_by else None,
        "decided_at": d.decided_at,
        "decision_note": d.decision_note,
    }


@router.get(
    "/disclosures",
    response=answers(200, DisclosurePage, paged=True),
    summary=gettext_noop("List disclosures"),
)
def list_disclosures(request: HttpRequest, query: Query[DisclosureQuery]) -> dict[str, Any]:
    """Disclosures, newest first (staff; empty for others)."""
    qs = disclosure_list(request.user)
    if query.audience:
        qs = qs.filter(audience=query.audience)
    if query.status:
        qs = qs.filter(status=query.status)
    if query.agreement:
        try:
            qs = qs.filter(agreement=agreement_get(request.user, query.agreement))
        except Http404:
            raise no_such("agreement") from None
    rows, links = paginate(
        request, qs, scope="disclosures", keys=("-id",), cursor=query.cursor, limit=query.limit
    )
    return {"items": [_disclosure(d) for d in rows], **links}


@router.get(
    "/disclosures/{disclosure_id}",
    response=answers(200, DisclosureDetail, lookup=True),
    summary=gettext_noop("Get a disclosure"),
)
def get_disclosure(
    request: HttpRequest,
    disclosure_id: int = Path(..., ge=1, le=MAX_ID, description="The disclosure's number."),
) -> dict[str, Any]:
    """One disclosure with the people it names (staff); hidden answers like missing."""
    found = disclosure_list(request.user).filter(pk=disclosure_id).first()
    if found is None:
        raise Http404("no such disclosure")
    people = sorted(found.people.values_list("handle", flat=True))
    return {**_disclosure(found), "people": people}
