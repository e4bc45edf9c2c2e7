"""Sources: the list (with the form that adds one) and each source (with regrading).

Adding and regrading are for verifiers and administrators, through the evidence
services. A protected source does not exist for analysts, as in the admin.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from detente.evidence.selectors import source_get, source_list
from detente.evidence.services import source_create, source_regrade
from detente.oversight.forms import SourceCreateForm, SourceRegradeForm, attach_errors
from detente.oversight.permissions import allowed, is_manager, is_staff
from detente.oversight.selectors import source_claim_count

PAGE_SIZE = 100


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - allowed() let only signed-in users through
    return user


@allowed(is_staff)
@require_http_methods(["GET", "HEAD", "POST"])
def source_list_page(request: HttpRequest) -> HttpResponse:
    viewer = _actor(request)
    may_manage = is_manager(viewer)
    form = SourceCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                source = source_create(actor=viewer, **form.cleaned_data)
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, _("Source “%(name)s” added.") % {"name": source.name})
                return redirect("oversight:source", slug=source.slug)
    page = Paginator(source_list(viewer), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "form": form if may_manage else None, "may_manage": may_manage}
    return render(request, "oversight/source_list.html", context)


@allowed(is_staff)
@require_http_methods(["GET", "HEAD", "POST"])
def source_page(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _actor(request)
    source = source_get(viewer, slug)
    may_manage = is_manager(viewer)
    initial = {"reliability": source.reliability, "independence_group": source.independence_group}
    form = SourceRegradeForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                source_regrade(actor=viewer, source=source, **form.cleaned_data)
            except ValidationError as exc:
                source.refresh_from_db()  # the service may have changed it before refusing
                attach_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Source “%(name)s” regraded; the states it touches were rederived.")
                    % {"name": source.name},
                )
                return redirect("oversight:source", slug=source.slug)
    context = {
        "source": source,
        "claims": source_claim_count(viewer, source),
        "form": form if may_manage else None,
    }
    return render(request, "oversight/source_detail.html", context)
