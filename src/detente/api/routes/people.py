"""People: the list with filters, one person, and their custody record."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext_noop
from ninja import Path, Query, Router

from detente.agreements.selectors import agreement_get
from detente.api.pagination import paginate
from detente.api.schemas import (
    HANDLE,
    CustodyPage,
    PageQuery,
    PersonOut,
    PersonPage,
    PersonQuery,
    answers,
)
from detente.core.errors import invalid
from detente.registry.selectors import (
    custody_list,
    person_detail,
    person_filter,
    person_get,
    person_rows,
)

router = Router(tags=["people"])

HandlePath = Path(..., pattern=HANDLE, max_length=32, description="The person's handle.")


def no_such(field: str) -> Exception:
    """A filter naming something missing or hidden: the same refusal for both."""
    from django.utils.translation import gettext as _

    return invalid(field, _("Nothing by that name here."))


@router.get(
    "/people", response=answers(200, PersonPage, paged=True), summary=gettext_noop("List people")
)
def list_people(request: HttpRequest, query: Query[PersonQuery]) -> dict[str, Any]:
    """People this user may know exist, by handle; `name` only where disclosed to them."""
    agreement = None
    if query.agreement:
        try:
            agreement = agreement_get(request.user, query.agreement)
        except Http404:
            raise no_such("agreement") from None
    people = person_filter(
        request.user,
        agreement=agreement,
        state=query.state or "",
        category=query.category or "",
    )
    rows, links = paginate(
        request, people, scope="people", keys=("handle",), cursor=query.cursor, limit=query.limit
    )
    return {
        "items": [
            {
                "handle": r.handle,
                "name": r.name,
                "at_risk": r.at_risk,
                "agreements": [
                    {
                        "agreement": s.agreement,
                        "state": s.state,
                        "status": s.status or None,
                        "release_category": s.release_category or None,
                    }
                    for s in r.standings
                ],
            }
            for r in person_rows(request.user, rows)
        ],
        **links,
    }


@router.get(
    "/people/{handle}",
    response=answers(200, PersonOut, lookup=True),
    summary=gettext_noop("Get a person"),
)
def get_person(request: HttpRequest, handle: str = HandlePath) -> dict[str, Any]:
    """A person as this user may see them, with their status and why, per agreement.

    A hidden person answers exactly like a missing one."""
    data = person_detail(request.user, person_get(request.user, handle)).as_json()
    return {
        "handle": data["handle"],
        "at_risk": data["at_risk"],
        "identity": data["identity"],
        "statuses": data["statuses"],
    }


@router.get(
    "/people/{handle}/custody",
    response=answers(200, CustodyPage, paged=True, lookup=True),
    summary=gettext_noop("List a person's custody episodes"),
)
def list_custody(
    request: HttpRequest, page: Query[PageQuery], handle: str = HandlePath
) -> dict[str, Any]:
    """The person's recorded custody episodes, oldest first (staff; empty for others)."""
    person = person_get(request.user, handle)
    rows, links = paginate(
        request,
        custody_list(request.user, person),
        scope=f"custody:{person.handle}",
        keys=("start_date", "id"),
        cursor=page.cursor,
        limit=page.limit,
    )
    return {
        "items": [
            {
                "status": e.status,
                "start_date": e.start_date,
                "start_precision": e.start_precision,
                "end_date": e.end_date,
                "end_precision": e.end_precision,
                "place": e.place,
            }
            for e in rows
        ],
        **links,
    }
