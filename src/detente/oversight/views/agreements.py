"""Agreement pages for staff: members with names, progress (now or as of a date),
the releasing side's own figures against what was verified, milestones, and who can see
the names."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_safe

from detente.access.selectors import disclosure_report
from detente.agreements.selectors import (
    agreement_get,
    agreement_list,
    agreement_members_page,
    agreement_progress,
)
from detente.oversight.forms import AsOfForm
from detente.oversight.permissions import allowed, is_staff

MEMBERS_PER_PAGE = 100


def person_link_pattern() -> str | None:
    """The staff person page's address with a placeholder, if the staff app has one."""
    try:
        return reverse("staff:person", args=["HANDLE"])
    except NoReverseMatch:
        return None


@allowed(is_staff)
@require_safe
def agreement_list_page(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    rows = [(a, agreement_progress(viewer, a)) for a in agreement_list(viewer)]
    return render(request, "oversight/agreement_list.html", {"rows": rows})


@allowed(is_staff)
@require_safe
def agreement_page(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = request.user
    agreement = agreement_get(viewer, slug)
    form = AsOfForm(request.GET if "as_of" in request.GET else None)
    as_of, status = None, 200
    if form.is_bound and request.GET.get("as_of", "").strip():
        if form.is_valid():
            as_of = form.cleaned_data["as_of"]
        else:
            status = 400  # the page still shows today's figures under the error
    progress = agreement_progress(viewer, agreement, as_of=as_of)
    releasing = [a for a in progress.aggregate_claims if a.releasing_party]
    link = person_link_pattern()
    # A page of members at a time, by handle: an agreement can name thousands of people,
    # and every name shown is recorded as seen.
    after = request.GET.get("after", "")[:16]
    page, next_after = agreement_members_page(
        viewer, agreement, after=after, limit=MEMBERS_PER_PAGE
    )
    members = [(m, link.replace("HANDLE", m.handle) if link else None) for m in page]
    context = {
        "agreement": agreement,
        "p": progress,
        "as_of": as_of,
        "form": form,
        "members": members,
        "next_after": next_after,
        "paged": bool(after),
        "latest_releasing": releasing[-1] if releasing else None,
        "audiences": disclosure_report(viewer, agreement),
    }
    return render(request, "oversight/agreement_detail.html", context, status=status)
