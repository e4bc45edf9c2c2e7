"""Who has seen whom: a person's access history and an account's, from the ledger's access
entries (administrators only; 403 for everyone else). The same reads as the staff pages
``/staff/access/…`` and ``detente audit access``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_noop
from ninja import Field, Path, Query, Router, Schema

from detente.api.pagination import paginate
from detente.api.schemas import (
    DOWNLOAD_RESPONSES,
    HANDLE,
    DownloadQuery,
    Paged,
    PageQuery,
    answers,
)
from detente.core.exports import export
from detente.oversight.permissions import is_administrator
from detente.oversight.selectors import (
    access_row,
    person_access_entries,
    user_access_entries,
    user_named,
)
from detente.oversight.services import access_history_export

router = Router(tags=["access history"])

HandlePath = Path(..., pattern=HANDLE, max_length=32, description="The person's handle.")
UsernamePath = Path(..., pattern=r"^[\w.@+-]{1,150}$", description="The account's username.")


class AccessOut(Schema):
    position: int = Field(description="The ledger entry (its position).")
    at: str | None = Field(description="When, in UTC (ISO 8601).")
    actor: str = Field(description="The account that saw the identities.")
    as_user: str | None = Field(
        description="At the command line with --as: whose view the operator took."
    )
    action: str = Field(description="How: the ledger's action (e.g. person.view).")
    people: list[str] = Field(description="Every handle the view or download named.")
    details: dict[str, str] = Field(description="Format, rows, agreement, file… as recorded.")


class AccessPage(Paged):
    items: list[AccessOut]


def _admin(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not is_administrator(user):
        raise PermissionDenied("administrators only")
    return user


def _page(request: HttpRequest, qs: Any, scope: str, page: PageQuery) -> dict[str, Any]:
    rows, links = paginate(
        request, qs, scope=scope, keys=("-position",), cursor=page.cursor, limit=page.limit
    )
    return {"items": [access_row(entry).as_json() for entry in rows], **links}


@router.get(
    "/people/{handle}/access",
    response=answers(200, AccessPage, paged=True, lookup=True, forbidden=True),
    summary=gettext_noop("List who has seen a person"),
)
def list_person_access(
    request: HttpRequest, page: Query[PageQuery], handle: str = HandlePath
) -> dict[str, Any]:
    """Every view, search result, export and download that named this person (or a record
    merged into it), newest first (administrators; 403 for others)."""
    viewer = _admin(request)
    return _page(request, person_access_entries(viewer, handle), f"access:{handle}", page)


@router.get(
    "/people/{handle}/access/export",
    response=answers(200, None, lookup=True, forbidden=True),
    summary=gettext_noop("Download who has seen a person"),
    openapi_extra=DOWNLOAD_RESPONSES,
)
def export_person_access(
    request: HttpRequest, query: Query[DownloadQuery], handle: str = HandlePath
) -> HttpResponse:
    """The person's access history as CSV, Excel or JSON (newest 10,000 entries); the
    download is itself recorded (administrators; 403 for others)."""
    viewer = _admin(request)
    columns, rows = access_history_export(viewer, fmt=query.format, handle=handle)
    return export(f"access-{handle}", query.format, columns, rows)


@router.get(
    "/users/{username}/access",
    response=answers(200, AccessPage, paged=True, lookup=True, forbidden=True),
    summary=gettext_noop("List what an account has seen"),
)
def list_user_access(
    request: HttpRequest, page: Query[PageQuery], username: str = UsernamePath
) -> dict[str, Any]:
    """Every view, search result, export and download of identities by this account, on
    the pages, through its tokens and at the command line, newest first (administrators;
    403 for others)."""
    viewer = _admin(request)
    pk = int(user_named(viewer, username).pk)
    return _page(request, user_access_entries(viewer, pk), f"access-user:{pk}", page)


@router.get(
    "/users/{username}/access/export",
    response=answers(200, None, lookup=True, forbidden=True),
    summary=gettext_noop("Download what an account has seen"),
    openapi_extra=DOWNLOAD_RESPONSES,
)
def export_user_access(
    request: HttpRequest, query: Query[DownloadQuery], username: str = UsernamePath
) -> HttpResponse:
    """The account's access history as CSV, Excel or JSON (newest 10,000 entries); the
    download is itself recorded (administrators; 403 for others)."""
    viewer = _admin(request)
    pk = int(user_named(viewer, username).pk)
    columns, rows = access_history_export(viewer, fmt=query.format, user_pk=pk)
    return export(f"access-user-{pk}", query.format, columns, rows)
