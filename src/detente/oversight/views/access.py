"""Who has seen whom, for administrators: a person's access history (every view, export
and download that named them, from the ledger) and an account's, each downloadable.

Nothing on these pages names anyone: a person appears by handle, so opening a history is
not itself an access to an identity; downloading one is recorded (``access.export``).
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from detente.core.exports import DOWNLOADS, FORMATS, export
from detente.oversight.permissions import is_administrator
from detente.oversight.selectors import person_access, user_access, user_get
from detente.oversight.services import ACCESS_EXPORT_LIMIT, access_history_export
from detente.staff.common import staff_page

PAGE_SIZE = 50


def _before(request: HttpRequest) -> int | None:
    """?before= from the pager; anything else shows the newest entries."""
    value = request.GET.get("before", "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - staff_page() let only administrators through
    return user


@staff_page(is_administrator)
@require_safe
def person_access_page(request: HttpRequest, handle: str) -> HttpResponse:
    viewer = _actor(request)
    page = person_access(viewer, handle, before=_before(request), size=PAGE_SIZE)
    context = {
        "page": page,
        "handle": handle,
        "export_formats": DOWNLOADS,
        "export_limit": ACCESS_EXPORT_LIMIT,
    }
    return render(request, "oversight/access_person.html", context)


@staff_page(is_administrator)
@require_safe
def user_access_page(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _actor(request)
    page = user_access(viewer, pk, before=_before(request), size=PAGE_SIZE)
    context = {
        "page": page,
        "account": user_get(viewer, pk),
        "export_formats": DOWNLOADS,
        "export_limit": ACCESS_EXPORT_LIMIT,
    }
    return render(request, "oversight/access_user.html", context)


@staff_page(is_administrator)
@require_safe
def person_access_export(request: HttpRequest, handle: str, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404("no such format")
    columns, rows = access_history_export(_actor(request), fmt=fmt, handle=handle)
    return export(f"access-{handle}", fmt, columns, rows)


@staff_page(is_administrator)
@require_safe
def user_access_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404("no such format")
    columns, rows = access_history_export(_actor(request), fmt=fmt, user_pk=pk)
    return export(f"access-user-{pk}", fmt, columns, rows)
