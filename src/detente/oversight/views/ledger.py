"""The audit ledger: entries page by page, filters, and verifying the chain.

Verifiers and administrators only (as in the admin). Paging is by position, so it costs
the same on the millionth entry as on the first (see ``selectors.ledger_page``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from detente.audit import ledger
from detente.oversight.forms import LedgerFilterForm
from detente.oversight.permissions import allowed, is_manager
from detente.oversight.selectors import ledger_checkpoints, ledger_page

PAGE_SIZE = 50


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
    filters = {k: v for k in ("action", "actor") if (v := (data.get(k) or "").strip())}
    return {
        "form": form,
        "page": page,
        "filters": filters,
        "filtered": bool(filters),
        "checkpoints": ledger_checkpoints(request.user),
    }


@allowed(is_manager)
@require_safe
def ledger_list_page(request: HttpRequest) -> HttpResponse:
    form = LedgerFilterForm(request.GET)
    status = 200 if form.is_valid() else 400
    return render(request, "oversight/ledger.html", _context(request, form), status=status)


@allowed(is_manager)
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
