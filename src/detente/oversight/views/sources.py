"""Sources: the list, each source, and (for verifiers and administrators) creating,
editing, archiving and restoring one.

Every change is an ``evidence.services`` call: checked, changed and audited at once. A
protected source does not exist for analysts, as in the admin. An archived source's
claims stand; it is no longer offered for new ones.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import BadRequest, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from detente.evidence.selectors import source_get, source_list
from detente.evidence.services import source_archive, source_create, source_edit
from detente.oversight.forms import ArchiveForm, SourceForm, attach_errors
from detente.oversight.permissions import is_manager, is_staff
from detente.oversight.selectors import source_claim_count
from detente.staff.common import staff_page

PAGE_SIZE = 100


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - staff_page() let only signed-in users through
    return user


@staff_page(is_staff)
@require_safe
def source_list_page(request: HttpRequest) -> HttpResponse:
    viewer = _actor(request)
    sources = source_list(viewer)
    page = Paginator(sources.filter(archived_at__isnull=True), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "archived": list(sources.filter(archived_at__isnull=False)),
        "may_manage": is_manager(viewer),
    }
    return render(request, "oversight/source_list.html", context)


@staff_page(is_manager)
@require_http_methods(["GET", "HEAD", "POST"])
def source_create_page(request: HttpRequest) -> HttpResponse:
    viewer = _actor(request)
    form = SourceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            source = source_create(actor=viewer, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Source “%(name)s” added.") % {"name": source.name})
            return redirect("oversight:source", slug=source.slug)
    return render(request, "oversight/source_form.html", {"form": form, "source": None})


@staff_page(is_staff)
@require_safe
def source_page(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _actor(request)
    source = source_get(viewer, slug)
    context = {
        "source": source,
        "claims": source_claim_count(viewer, source),
        "may_manage": is_manager(viewer),
    }
    return render(request, "oversight/source_detail.html", context)


@staff_page(is_manager)
@require_http_methods(["GET", "HEAD", "POST"])
def source_edit_page(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _actor(request)
    source = source_get(viewer, slug)
    initial = {
        "name": source.name,
        "kind": source.kind,
        "reliability": source.reliability,
        "independence_group": source.independence_group,
        "protected": source.protected,
    }
    form = SourceForm(
        request.POST if request.method == "POST" else None, initial=initial, editing=True
    )
    if request.method == "POST" and form.is_valid():
        try:
            source = source_edit(actor=viewer, source=source, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Source “%(name)s” saved.") % {"name": source.name})
            return redirect("oversight:source", slug=source.slug)
    return render(request, "oversight/source_form.html", {"form": form, "source": source})


@staff_page(is_manager)
@require_POST
def source_archive_view(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _actor(request)
    source = source_get(viewer, slug)
    form = ArchiveForm(request.POST)
    if not form.is_valid():
        raise BadRequest("archive or restore")
    archived = form.cleaned_data["op"] == "archive"
    source = source_archive(actor=viewer, source=source, archived=archived)
    if archived:
        done = _("Source “%(name)s” archived: its claims stand, and no new ones are taken from it.")
    else:
        done = _("Source “%(name)s” restored.")
    messages.success(request, done % {"name": source.name})
    return redirect("oversight:source_edit", slug=source.slug)
