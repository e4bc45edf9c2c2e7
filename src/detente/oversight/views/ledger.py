"""The audit ledger: entries page by page, filters, and verifying the chain.

Verifiers and administrators only (as in the admin). Paging is by position, so it costs
the same on the millionth entry as on the first (see ``selectors.ledger_page``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from detente.audit import ledger
from detente.core.exports import DOWNLOADS, FORMATS, export
from detente.oversight.forms import LedgerFilterForm
from detente.oversight.permissions import is_manager
from detente.oversight.selectors import ledger_checkpoints, ledger_page
from detente.oversight.services import ledger_export_record
from detente.staff.common import staff_page

PAGE_SIZE = 50
# Entries in one download (the newest that match the filters); a file says when it stops.
EXPORT_LIMIT = 10_000


def _filters(data: dict[str, Any]) -> dict[str, str]:
    """The filters given (action, actor), as the page's links and the download carry them."""
    return {k: v for k in ("action", "actor") if (v := (data.get(k) or "").strip())}


def _context(request: HttpRequest, form: LedgerFilterForm) -> dict[str, Any]:
    data = form.cleaned_data if form.is_valid() else {}
    page = ledger_page(
        request.user,
        before=data.get("before"),
        after=data.get("after"),
        action=(data.get("action") or "").strip(),
        actor=(data.get("actor") or "").strip(),
        size=PAGE_SIZE,
    )
    filters = _filters(data)
    return {
        "form": form,
        "page": page,
        "filters": filters,
        "filtered": bool(filters),
        "checkpoints": ledger_checkpoints(request.user),
        "export_formats": DOWNLOADS,
        "export_limit": EXPORT_LIMIT,
    }


@staff_page(is_manager)
@require_safe
def ledger_list_page(request: HttpRequest) -> HttpResponse:
    form = LedgerFilterForm(request.GET)
    status = 200 if form.is_valid() else 400
    return render(request, "oversight/ledger.html", _context(request, form), status=status)


@staff_page(is_manager)
@require_POST
def ledger_verify(request: HttpRequest) -> HttpResponse:
    """Recompute the whole chain, through every valid signed checkpoint on this server."""
    cps = ledger_checkpoints(request.user)
    result = ledger.verify(cps.expected)
    covered = max(cps.expected, default=0)
    verify = {
        "result": result,
        "checkpoints": len(cps.expected),
        "unproven": max(result.head_position - covered, 0) if result.ok else 0,
        "covered": covered,
        "checkpoint_problems": [r for r in cps.rows if r.problem],
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "oversight/_verify_result.html", {"verify": verify})
    context = _context(request, LedgerFilterForm({}))
    context["verify"] = verify
    return render(request, "oversight/ledger.html", context)


@staff_page(is_manager)
@require_safe
def ledger_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The entries as filtered on the page, newest first (up to ``EXPORT_LIMIT``), as CSV,
    Excel or JSON; the download is recorded in the ledger."""
    if fmt not in FORMATS:
        return export("ledger", fmt, [], [])  # the same 404 as any unknown format
    form = LedgerFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(_("A filter is not valid; the ledger was not exported."))
    data = form.cleaned_data
    filters = _filters(data)
    page = ledger_page(
        request.user,
        before=data.get("before"),
        action=filters.get("action", ""),
        actor=filters.get("actor", ""),
        size=EXPORT_LIMIT,
    )
    columns = ["position", "at", "actor", "kind", "action", "object_type", "object_id", "data"]
    rows = [
        {
            "position": e.position,
            "at": e.at.isoformat() if e.at else "",
            "actor": e.actor,
            "kind": e.kind,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "data": e.data,
        }
        for e in page.rows
    ]
    actor = request.user
    assert isinstance(actor, User)  # noqa: S101 - staff_page() let only managers through
    ledger_export_record(actor, fmt=fmt, filters=filters, rows=len(rows))
    return export("ledger", fmt, columns, rows)
