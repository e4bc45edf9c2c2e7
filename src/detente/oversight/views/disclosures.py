"""Disclosures: the list, proposing one, and deciding it (the two-person rule).

The services enforce the rules (a different verifier or administrator decides; people
at risk need an administrator); this page shows them before anyone tries, and shows the
services' refusals on the form when someone tries anyway.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from detente.access.models import Audience, DisclosureAction, DisclosureStatus
from detente.access.selectors import disclosure_list
from detente.access.services import disclosure_approve, disclosure_propose, disclosure_reject
from detente.agreements.models import MemberState
from detente.agreements.selectors import agreement_get, agreement_list
from detente.oversight.forms import DisclosureDecisionForm, ProposeForm, attach_errors
from detente.oversight.permissions import is_administrator, is_manager, is_staff
from detente.registry.selectors import person_rows
from detente.staff.common import staff_page

PAGE_SIZE = 50
# Where a member stands that means they are not free: naming them is the riskiest kind.
STILL_HELD = frozenset({MemberState.HELD, MemberState.REARRESTED, MemberState.DISPUTED})
TABS = {
    "pending": DisclosureStatus.PROPOSED,
    "approved": DisclosureStatus.APPROVED,
    "rejected": DisclosureStatus.REJECTED,
}


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - staff_page() let only signed-in users through
    return user


@staff_page(is_staff)
@require_safe
def disclosure_list_page(request: HttpRequest) -> HttpResponse:
    viewer = _actor(request)
    tab = request.GET.get("status", "pending")
    qs = disclosure_list(viewer).annotate(covered=Count("people")).order_by("-proposed_at", "-id")
    if tab in TABS:
        qs = qs.filter(status=TABS[tab])
    else:
        tab = "all"
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    tabs = [
        ("pending", _("Pending")),
        ("approved", _("Approved")),
        ("rejected", _("Rejected")),
        ("all", _("All")),
    ]
    context = {"page": page, "tab": tab, "tabs": tabs, "may_decide": is_manager(viewer)}
    return render(request, "oversight/disclosure_list.html", context)


@staff_page(is_staff)
@require_http_methods(["GET", "HEAD", "POST"])
def disclosure_propose_page(request: HttpRequest) -> HttpResponse:
    viewer = _actor(request)
    initial = {"agreement": request.GET.get("agreement", "")}
    form = ProposeForm(
        request.POST if request.method == "POST" else None, viewer=viewer, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            disclosure = disclosure_propose(
                actor=viewer,
                audience=data["audience"],
                action=data["action"],
                reason=data["reason"],
                people=data["people"],
                agreement=agreement_get(viewer, data["agreement"]) if data["agreement"] else None,
                effective_from=form.effective_from(),
                at_risk_override=bool(data.get("at_risk_override")),
            )
        except ValidationError as exc:
            attach_errors(form, exc, {"effective_from": "effective_date"})
        else:
            messages.success(
                request,
                _(
                    "Disclosure #%(id)s proposed. Nothing is visible until a different "
                    "verifier or administrator approves it."
                )
                % {"id": disclosure.pk},
            )
            return redirect("oversight:disclosure", pk=disclosure.pk)
    return render(request, "oversight/disclosure_propose.html", {"form": form})


@staff_page(is_staff)
@require_http_methods(["GET", "HEAD", "POST"])
def disclosure_page(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _actor(request)
    disclosure = get_object_or_404(disclosure_list(viewer), pk=pk)
    form = DisclosureDecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not is_manager(viewer):
            raise PermissionDenied
        decision = request.POST.get("decision")
        may_decide_now = (
            disclosure.status == DisclosureStatus.PROPOSED
            and disclosure.proposed_by_id != viewer.pk
        )
        if decision not in ("approve", "reject"):
            # Checked before anything is decided: no message may claim a decision.
            form.is_valid()
            form.add_error(None, _("Choose “Approve” or “Reject”."))
        elif decision == "approve" and form.is_valid() and may_decide_now:
            form.check_approval()  # (a proposer or a decided one: the service says why not)
        if decision in ("approve", "reject") and form.is_valid():
            note = form.cleaned_data["note"]
            try:
                if decision == "approve":
                    disclosure_approve(actor=viewer, disclosure=disclosure, note=note)
                else:
                    disclosure_reject(actor=viewer, disclosure=disclosure, note=note)
            except ValidationError as exc:
                attach_errors(form, exc)
            except PermissionDenied:
                # The only refusal a signed-in verifier can meet here: people at risk.
                form.add_error(
                    None,
                    _(
                        "Only an administrator may approve a disclosure that includes "
                        "people at risk."
                    ),
                )
            else:
                if decision == "approve":
                    text = _("Disclosure #%(id)s approved.")
                else:
                    text = _("Disclosure #%(id)s rejected.")
                messages.success(request, text % {"id": disclosure.pk})
                return redirect("oversight:disclosure", pk=disclosure.pk)
        disclosure.refresh_from_db()
    people = list(disclosure.people.order_by("handle").values_list("handle", "at_risk"))
    public_opening = (
        disclosure.audience == Audience.PUBLIC and disclosure.action == DisclosureAction.OPEN
    )
    pending = disclosure.status == DisclosureStatus.PROPOSED
    own = disclosure.proposed_by_id == viewer.pk
    needs_admin = disclosure.at_risk_override and not is_administrator(viewer)
    may_decide = pending and is_manager(viewer) and not own
    # Whoever decides sees who it names (names, where each stands, the at-risk marks):
    # one click must never publish people nobody looked at. Recorded as seen.
    rows = person_rows(viewer, list(disclosure.people.order_by("handle"))) if may_decide else []
    held = [r for r in rows if any(s.state in STILL_HELD for s in r.standings)]
    titles = {a.slug: a.shown_title for a in agreement_list(viewer)}
    context = {
        "d": disclosure,
        "people": people,
        "rows": [
            {
                "handle": r.handle,
                "name": r.name,
                "at_risk": r.at_risk,
                "held": r in held,
                "standings": [(titles.get(s.agreement, s.agreement), s.state) for s in r.standings],
            }
            for r in rows
        ],
        "held": len(held),
        "opening": disclosure.action == DisclosureAction.OPEN,
        "at_risk": [h for h, risk in people if risk],
        "public_opening": public_opening,
        "pending": pending,
        "own": own,
        "may_decide": may_decide,
        "needs_admin": needs_admin,
        "form": form,
    }
    return render(request, "oversight/disclosure_detail.html", context)
