"""The verification queue: reported releases awaiting independent confirmation, and
disputed ones, with the confirm and dispute actions of ``evidence.review``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from detente.access.policy import Action, Viewer, can
from detente.agreements.derivation import policy_for
from detente.agreements.models import Membership
from detente.agreements.selectors import PROTECTED_SOURCE, agreement_list
from detente.audit import ledger
from detente.evidence.facts import latest_arrests, person_claim_facts
from detente.evidence.models import Claim
from detente.evidence.review import review_confirm, review_dispute, verification_queue
from detente.evidence.verification import derive
from detente.registry.models import Identity
from detente.staff.common import apply_errors, is_htmx, safe_next, staff_page
from detente.staff.forms import QueueFilterForm, ReviewForm

PAGE_SIZE = 25
CONFIRM, DISPUTE = "confirm", "dispute"


@dataclass
class Item:
    membership: Membership
    name: str
    reports: list[dict[str, Any]]  # the release claims the state rests on
    contradictions: list[dict[str, Any]]  # for a dispute: the claims that say "held"
    forms: dict[str, ReviewForm] = field(default_factory=dict)
    open_form: str = ""  # the form to show unfolded (it has errors)
    done: str = ""  # after an action: what was recorded


def _claim_view(claim: Claim, sees_protected: bool) -> dict[str, Any]:
    source = claim.source
    return {
        "id": claim.pk,
        "status": claim.status,
        "event_date": claim.event_date,
        "event_precision": claim.event_precision,
        "received_at": claim.received_at,
        # The rule of agreements.selectors: a protected source is named to deciders only.
        "source": source.name if sees_protected or not source.protected else PROTECTED_SOURCE,
        "protected": source.protected and not sees_protected,
        "reliability": source.reliability,
    }


def build_items(viewer: Viewer, memberships: list[Membership]) -> list[Item]:
    """Queue items with the claims behind each state, loaded together for the page."""
    ids = [m.person_id for m in memberships]
    facts = person_claim_facts(ids)
    arrests = latest_arrests(ids)
    wanted: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {}
    for m in memberships:
        _derived, why = derive(
            facts.get(m.person_id, []), policy_for(m.agreement), arrests.get(m.person_id)
        )
        wanted[m.pk] = (why.decisive, why.contradicting)
    claim_ids = {cid for pair in wanted.values() for part in pair for cid in part}
    claims = {c.pk: c for c in Claim.objects.filter(pk__in=claim_ids).select_related("source")}
    sees_protected = can(viewer, Action.MANAGE)
    names = {i.person_id: i.full_name for i in Identity.objects.filter(person_id__in=ids)}
    items = []
    for m in memberships:
        decisive, contradicting = wanted[m.pk]
        items.append(
            Item(
                membership=m,
                name=names.get(m.person_id, ""),
                reports=[_claim_view(claims[c], sees_protected) for c in decisive if c in claims],
                contradictions=[
                    _claim_view(claims[c], sees_protected) for c in contradicting if c in claims
                ],
            )
        )
    # Staff see every identity; the names on this page were seen.
    ledger.record_access(viewer, "queue.view", [m.person.handle for m in memberships])
    return items


def _add_forms(viewer: Viewer, item: Item) -> None:
    if not can(viewer, Action.MANAGE):
        return  # analysts see the queue; deciding is for verifiers and administrators
    for action in (CONFIRM, DISPUTE):
        item.forms.setdefault(
            action, ReviewForm(viewer=viewer, membership=item.membership, action=action)
        )


@staff_page()
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    agreements = agreement_list(viewer)
    filters = QueueFilterForm(request.GET or None, agreements=agreements)
    agreement, state = None, ""
    if filters.is_valid():
        agreement = filters.cleaned_data["agreement"]
        state = filters.cleaned_data["state"]
    pages = Paginator(verification_queue(viewer, agreement=agreement, state=state), PAGE_SIZE)
    page = pages.get_page(request.GET.get("page"))
    items = build_items(viewer, list(page.object_list))
    for item in items:
        _add_forms(viewer, item)
    context = {
        "filters": filters,
        "page": page,
        "items": items,
        "can_decide": can(viewer, Action.MANAGE),
        "here": request.get_full_path(),
        "section": "queue",
    }
    return render(request, "staff/queue.html", context)


def _membership(viewer: Viewer, pk: int) -> Membership:
    """A member in the queue: one hidden from the viewer looks like one that is not there."""
    found = verification_queue(viewer).filter(pk=pk).first()
    if found is None:
        raise Http404("not in the queue")
    return found


def _review(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    viewer = request.user
    back = safe_next(request, reverse("staff:queue"))
    try:
        membership = _membership(viewer, pk)
    except Http404:
        if is_htmx(request):
            raise
        messages.info(request, _("That release is no longer awaiting review."))
        return redirect(back)
    form = ReviewForm(request.POST, viewer=viewer, membership=membership, action=action)
    claim = None
    if form.is_valid():
        data = form.cleaned_data
        service = review_confirm if action == CONFIRM else review_dispute
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
    context = {"item": item, "can_decide": True, "here": back, "section": "queue"}
    if is_htmx(request):
        return render(request, "staff/partials/queue_item.html", context)
    # Without JavaScript: the item alone, its form with the errors and what was typed.
    return render(request, "staff/review.html", context)


@staff_page(Action.MANAGE)
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(request, pk, CONFIRM)


@staff_page(Action.MANAGE)
@require_POST
def dispute(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(request, pk, DISPUTE)
