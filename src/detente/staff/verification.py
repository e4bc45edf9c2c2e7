"""The verification queue: reported releases awaiting independent confirmation, and
disputed ones, with the confirm and dispute actions of ``evidence.verification_queue``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from detente.access.policy import Action, Viewer, can
from detente.agreements.models import Membership
from detente.agreements.selectors import agreement_list
from detente.audit import ledger
from detente.core.exports import DOWNLOADS, FORMATS, export
from detente.evidence.verification_queue import (
    QUEUE_COLUMNS,
    queue_evidence,
    verification_confirm,
    verification_dispute,
    verification_queue,
    verification_queue_download,
)
from detente.registry.models import Identity
from detente.staff.common import apply_errors, is_htmx, safe_next, staff_page
from detente.staff.forms import VerificationFilterForm, VerificationForm

PAGE_SIZE = 25
CONFIRM, DISPUTE = "confirm", "dispute"


@dataclass
class Item:
    membership: Membership
    name: str
    reports: list[dict[str, Any]]  # the release claims the state rests on
    contradictions: list[dict[str, Any]]  # for a dispute: the claims that say "held"
    forms: dict[str, VerificationForm] = field(default_factory=dict)
    open_form: str = ""  # the form to show unfolded (it has errors)
    done: str = ""  # after an action: what was recorded


def build_items(viewer: Viewer, memberships: list[Membership]) -> list[Item]:
    """Queue items with the claims behind each state, loaded together for the page."""
    ids = [m.person_id for m in memberships]
    evidence = queue_evidence(viewer, memberships)
    names = {i.person_id: i.full_name for i in Identity.objects.filter(person_id__in=ids)}
    items = [
        Item(
            membership=m,
            name=names.get(m.person_id, ""),
            reports=evidence[m.pk][0],
            contradictions=evidence[m.pk][1],
        )
        for m in memberships
    ]
    # Staff see every identity; the names on this page were seen.
    ledger.record_access(viewer, "queue.view", [m.person.handle for m in memberships])
    return items


def _add_forms(viewer: Viewer, item: Item) -> None:
    if not can(viewer, Action.MANAGE):
        return  # analysts see the queue; deciding is for verifiers and administrators
    for action in (CONFIRM, DISPUTE):
        item.forms.setdefault(
            action, VerificationForm(viewer=viewer, membership=item.membership, action=action)
        )


def _filters(request: HttpRequest) -> tuple[VerificationFilterForm, Any, str]:
    """The queue's filters from the address: the form, the agreement and the state."""
    filters = VerificationFilterForm(request.GET or None, agreements=agreement_list(request.user))
    agreement, state = None, ""
    if filters.is_valid():
        agreement = filters.cleaned_data["agreement"]
        state = filters.cleaned_data["state"]
    return filters, agreement, state


@staff_page()
@require_safe
def verification_list(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    filters, agreement, state = _filters(request)
    pages = Paginator(verification_queue(viewer, agreement=agreement, state=state), PAGE_SIZE)
    page = pages.get_page(request.GET.get("page"))
    items = build_items(viewer, list(page.object_list))
    for item in items:
        _add_forms(viewer, item)
    chosen = {"agreement": agreement.slug if agreement else "", "state": state}
    context = {
        "filters": filters,
        "page": page,
        "items": items,
        "can_decide": can(viewer, Action.MANAGE),
        "here": request.get_full_path(),
        "section": "verification",
        "formats": DOWNLOADS,
        # Only the filters go into the downloads' addresses (never a page number).
        "list_query": urlencode({k: v for k, v in chosen.items() if v}),
    }
    return render(request, "staff/verification.html", context)


@staff_page()
@require_safe
def verification_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The queue as filtered on the page, every page of it, as CSV, Excel or JSON: the
    names and sources as the page shows them; the download is recorded in the ledger."""
    if fmt not in FORMATS:
        return export("verification-queue", fmt, [], [])  # the 404 of an unknown format
    filters, agreement, state = _filters(request)
    if request.GET and not filters.is_valid():
        return HttpResponseBadRequest(_("A filter is not valid; the queue was not exported."))
    rows = verification_queue_download(request.user, fmt=fmt, agreement=agreement, state=state)
    return export("verification-queue", fmt, QUEUE_COLUMNS, rows)


def _membership(viewer: Viewer, pk: int) -> Membership:
    """A member in the queue: one hidden from the viewer looks like one that is not there."""
    found = verification_queue(viewer).filter(pk=pk).first()
    if found is None:
        raise Http404("not in the queue")
    return found


def _decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    viewer = request.user
    back = safe_next(request, reverse("staff:verification"))
    try:
        membership = _membership(viewer, pk)
    except Http404:
        if is_htmx(request):
            raise
        messages.info(request, _("That release is no longer awaiting review."))
        return redirect(back)
    form = VerificationForm(request.POST, viewer=viewer, membership=membership, action=action)
    claim = None
    if form.is_valid():
        data = form.cleaned_data
        service = verification_confirm if action == CONFIRM else verification_dispute
        extra = {"status": data["status"]} if action == DISPUTE else {}
        try:
            claim = service(
                actor=viewer,  # type: ignore[arg-type]
                membership=membership,
                source=data["source"],
                event_date=data["event_date"],
                evidence_text=data["evidence_text"],
                evidence_url=data["evidence_url"],
                **extra,
            )
        except ValidationError as error:
            apply_errors(form, error)
    if claim is not None:
        membership.refresh_from_db()
        if action == CONFIRM:
            done = _("%(handle)s: release confirmed (claim #%(id)s); now %(state)s.")
        else:
            done = _("%(handle)s: release disputed (claim #%(id)s); now %(state)s.")
        done = done % {
            "handle": membership.person.handle,
            "id": claim.pk,
            "state": membership.get_state_display(),
        }
        if not is_htmx(request):
            messages.success(request, done)
            return redirect(back)
    [item] = build_items(viewer, [membership])
    if claim is not None:
        item.done = done
    else:
        item.forms[action] = form
        item.open_form = action
        _add_forms(viewer, item)
    context = {"item": item, "can_decide": True, "here": back, "section": "verification"}
    if is_htmx(request):
        return render(request, "staff/partials/verification_item.html", context)
    # Without JavaScript: the item alone, its form with the errors and what was typed.
    return render(request, "staff/verification_decide.html", context)


@staff_page(Action.MANAGE)
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, CONFIRM)


@staff_page(Action.MANAGE)
@require_POST
def dispute(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, DISPUTE)
