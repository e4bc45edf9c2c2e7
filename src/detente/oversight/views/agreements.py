"""Agreement pages for staff: members with names, progress (now or as of a date),
the releasing side's own figures against what was verified, milestones, and who can see
the names; and, for verifiers and administrators, recording an agreement, correcting it,
archiving and restoring it (each an ``agreements.services`` call, audited). Counts, stages,
naming people and the verification policy: ``agreement_records``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from detente.access.selectors import disclosure_report
from detente.agreements.selectors import (
    agreement_get,
    agreement_list,
    agreement_members,
    agreement_members_page,
    agreement_progress,
)
from detente.agreements.services import agreement_archive, agreement_create, agreement_edit
from detente.core.exports import export
from detente.oversight.forms import (
    AgreementForm,
    ArchiveForm,
    AsOfForm,
    CountClaimForm,
    PolicyForm,
    StageClaimForm,
    agreement_initial,
    attach_errors,
    policy_initial,
)
from detente.oversight.permissions import is_manager, is_staff, may_record
from detente.staff.common import staff_page

MEMBERS_PER_PAGE = 100


def person_link_pattern() -> str | None:
    """The staff person page's address with a placeholder, if the staff app has one."""
    try:
        return reverse("staff:person", args=["HANDLE"])
    except NoReverseMatch:
        return None


@staff_page(is_staff)
@require_safe
def agreement_list_page(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    rows = [(a, agreement_progress(viewer, a)) for a in agreement_list(viewer)]
    context = {
        "rows": [(a, p) for a, p in rows if a.archived_at is None],
        "archived_rows": [(a, p) for a, p in rows if a.archived_at is not None],
        "may_manage": is_manager(viewer),
    }
    return render(request, "oversight/agreement_list.html", context)


@staff_page(is_staff)
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
        "latest_releasing": progress.releasing_claim,
        "audiences": disclosure_report(viewer, agreement),
        "may_manage": is_manager(viewer),
        "may_record": may_record(viewer),
    }
    if context["may_record"] and agreement.archived_at is None:
        # What a source says about the agreement as a whole (posted to their own pages).
        context["count_form"] = CountClaimForm(viewer=viewer, prefix="count")
        context["stage_form"] = StageClaimForm(viewer=viewer, prefix="stage")
    return render(request, "oversight/agreement_detail.html", context, status=status)


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - staff_page() let only signed-in users through
    return user


@staff_page(is_manager)
@require_http_methods(["GET", "HEAD", "POST"])
def agreement_create_page(request: HttpRequest) -> HttpResponse:
    viewer = _actor(request)
    form = AgreementForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = agreement_create(actor=viewer, **form.service_arguments())
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request, _("Agreement “%(title)s” recorded.") % {"title": agreement.title}
            )
            return redirect("oversight:agreement", slug=agreement.slug)
    return render(request, "oversight/agreement_form.html", {"form": form, "agreement": None})


@staff_page(is_manager)
@require_http_methods(["GET", "HEAD", "POST"])
def agreement_edit_page(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _actor(request)
    agreement = agreement_get(viewer, slug)
    form = AgreementForm(
        request.POST if request.method == "POST" else None,
        initial=agreement_initial(agreement),
        agreement=agreement,
    )
    if request.method == "POST" and form.is_valid():
        try:
            agreement = agreement_edit(
                actor=viewer, agreement=agreement, **form.service_arguments()
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request, _("Agreement “%(title)s” saved.") % {"title": agreement.title}
            )
            return redirect("oversight:agreement", slug=agreement.slug)
    context = {
        "form": form,
        "agreement": agreement,
        "policy_form": PolicyForm(initial=policy_initial(agreement)),
    }
    return render(request, "oversight/agreement_form.html", context)


@staff_page(is_manager)
@require_POST
def agreement_archive_view(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _actor(request)
    agreement = agreement_get(viewer, slug)
    form = ArchiveForm(request.POST)
    if not form.is_valid():
        raise BadRequest("archive or restore")
    archived = form.cleaned_data["op"] == "archive"
    agreement = agreement_archive(actor=viewer, agreement=agreement, archived=archived)
    if archived:
        done = _(
            "Agreement “%(title)s” archived: its page and figures stay, and no one new can "
            "be named or claimed under it."
        )
    else:
        done = _("Agreement “%(title)s” restored.")
    messages.success(request, done % {"title": agreement.title})
    return redirect("oversight:agreement_edit", slug=agreement.slug)


@staff_page(is_staff)
@require_safe
def agreement_members_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    """Every named member as the page shows them (names as this viewer may see them), as
    CSV, Excel or JSON; recorded as a download of those names."""
    viewer = request.user
    agreement = agreement_get(viewer, slug)
    members = agreement_members(viewer, agreement, action="agreement.members.export")
    columns = [
        "handle",
        "name",
        "state",
        "status",
        "release_category",
        "released_on",
        "classification",
    ]
    rows = [
        {
            "handle": m.handle,
            "name": m.name or "",
            "state": m.state,
            "status": m.status,
            "release_category": m.release_category,
            "released_on": m.released_on.isoformat() if m.released_on else "",
            "classification": m.classification,
        }
        for m in members
    ]
    return export(f"{agreement.slug}-members", fmt, columns, rows)
