"""Statistics releases: what a release counted now would publish, proposing one, and
deciding it (the two-person rule, as for disclosures; see ``publishing.releases``)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from detente.oversight.forms import DecisionForm, attach_errors
from detente.oversight.permissions import is_manager, is_staff
from detente.publishing.releases import (
    Conflict,
    conflicts,
    draft_conflicts,
    latest_release,
    may_decide,
    release_list,
    same_as_latest,
    statistics_approve,
    statistics_propose,
    statistics_reject,
)
from detente.staff.common import staff_page
from detente.web.views import column_label, statistics_tables


class ReleaseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Why publish now; kept in the audit ledger."),
    )


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - staff_page() let only signed-in users through
    return user


def _moved(found: list[Conflict]) -> list[dict[str, object]]:
    """Conflicts with their labels in the reader's language."""
    return [
        {
            "release": c.release,
            "moved": [
                {
                    "row": d.row,
                    "col": _("Total") if d.col == "total" else column_label(d.col),
                    "before": d.before,
                    "after": d.after,
                }
                for d in c.moved
            ],
        }
        for c in found
    ]


@staff_page(is_staff)
@require_http_methods(["GET", "HEAD", "POST"])
def statistics_page(request: HttpRequest) -> HttpResponse:
    viewer = _actor(request)
    form = ReleaseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            release = statistics_propose(actor=viewer, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Release #%(id)s proposed. Nothing is published until a different "
                    "verifier or administrator approves it."
                )
                % {"id": release.pk},
            )
            return redirect("oversight:statistics_release", pk=release.pk)
    draft, found = draft_conflicts()
    context = {
        "form": form,
        "draft": draft,
        "tables": statistics_tables(draft),
        "conflicts": _moved(found),
        "unchanged": same_as_latest(draft.as_json()),
        "latest": latest_release(viewer),
        "releases": release_list(viewer)[:50],
    }
    return render(request, "oversight/statistics.html", context)


@staff_page(is_staff)
@require_http_methods(["GET", "HEAD", "POST"])
def release_page(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _actor(request)
    release = get_object_or_404(release_list(viewer), pk=pk)
    form = DecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not is_manager(viewer):
            raise PermissionDenied
        decision = request.POST.get("decision")
        if decision not in ("approve", "reject"):
            # Checked before anything is decided: no message may claim a decision.
            form.is_valid()
            form.add_error(None, _("Choose “Approve” or “Reject”."))
        elif form.is_valid():
            note = form.cleaned_data["note"]
            try:
                if decision == "approve":
                    statistics_approve(actor=viewer, release=release, note=note)
                else:
                    statistics_reject(actor=viewer, release=release, note=note)
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                if decision == "approve":
                    text = _("Release #%(id)s approved: the public statistics now show it.")
                else:
                    text = _("Release #%(id)s rejected.")
                messages.success(request, text % {"id": release.pk})
                return redirect("oversight:statistics_release", pk=release.pk)
        release.refresh_from_db()
    stats = release.statistics()
    pending = release.status == release.Status.PROPOSED
    found = conflicts(release.published, release.counts, exclude=release.pk) if pending else []
    context = {
        "r": release,
        "tables": statistics_tables(stats),
        "conflicts": _moved(found) if pending else [],
        "pending": pending,
        "own": release.proposed_by_id == viewer.pk,
        "may_decide": may_decide(viewer, release),
        "form": form,
    }
    return render(request, "oversight/statistics_release.html", context)
