"""Parties: the governments and bodies that make, receive, mediate or guarantee agreements.

Staff read the list; verifiers and administrators create, edit, archive and restore
parties, each through an ``agreements.services`` call (checked, changed and audited at
once). An archived party stays on its agreements and is no longer offered for new ones.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from detente.agreements.selectors import party_get, party_list
from detente.agreements.services import party_archive, party_create, party_edit
from detente.oversight.forms import ArchiveForm, PartyForm, attach_errors
from detente.oversight.permissions import is_manager, is_staff
from detente.staff.common import staff_page


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - staff_page() let only signed-in users through
    return user


@staff_page(is_staff)
@require_safe
def party_list_page(request: HttpRequest) -> HttpResponse:
    viewer = _actor(request)
    parties = list(party_list(viewer).order_by("name", "slug"))
    context = {
        "parties": [p for p in parties if p.archived_at is None],
        "archived": [p for p in parties if p.archived_at is not None],
        "may_manage": is_manager(viewer),
    }
    return render(request, "oversight/party_list.html", context)


@staff_page(is_manager)
@require_http_methods(["GET", "HEAD", "POST"])
def party_create_page(request: HttpRequest) -> HttpResponse:
    viewer = _actor(request)
    form = PartyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            party = party_create(actor=viewer, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Party “%(name)s” created.") % {"name": party.name})
            return redirect("oversight:parties")
    return render(request, "oversight/party_form.html", {"form": form, "party": None})


@staff_page(is_manager)
@require_http_methods(["GET", "HEAD", "POST"])
def party_edit_page(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _actor(request)
    party = party_get(viewer, slug)
    initial = {
        "name": party.name,
        "kind": party.kind,
        "independence_group": party.independence_group,
    }
    form = PartyForm(
        request.POST if request.method == "POST" else None, initial=initial, editing=True
    )
    if request.method == "POST" and form.is_valid():
        try:
            party = party_edit(actor=viewer, party=party, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Party “%(name)s” saved.") % {"name": party.name})
            return redirect("oversight:parties")
    return render(request, "oversight/party_form.html", {"form": form, "party": party})


@staff_page(is_manager)
@require_POST
def party_archive_view(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _actor(request)
    party = party_get(viewer, slug)
    form = ArchiveForm(request.POST)
    if not form.is_valid():
        raise BadRequest("archive or restore")
    archived = form.cleaned_data["op"] == "archive"
    party = party_archive(actor=viewer, party=party, archived=archived)
    if archived:
        done = _("Party “%(name)s” archived: it is no longer offered for new agreements.")
    else:
        done = _("Party “%(name)s” restored.")
    messages.success(request, done % {"name": party.name})
    return redirect("oversight:party_edit", slug=party.slug)
