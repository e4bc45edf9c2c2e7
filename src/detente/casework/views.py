"""The staff pages of casework: "My work", interventions, notes and tasks.

Reading pages need the right to read the registry, writing ones the right to record; the
subject of a new row (``?person=P-0001``, ``?agreement=slug``, ``?intervention=12``) is
looked up through the viewer's selectors, so one the viewer may not see answers 404 like
a missing one.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from detente.access.policy import Action, Viewer, can
from detente.agreements.models import Agreement, Party
from detente.agreements.selectors import agreement_get, party_get
from detente.casework import files, selectors, services
from detente.casework.forms import AttachmentForm, InterventionForm, NoteForm, TaskForm
from detente.casework.models import Intervention, Note
from detente.evidence.models import Claim
from detente.evidence.selectors import claim_get
from detente.registry.models import Person
from detente.registry.selectors import person_get
from detente.staff.common import apply_errors, safe_next, staff_page

logger = logging.getLogger(__name__)

GET_POST = require_http_methods(["GET", "POST"])


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - staff_page let only a signed-in user in
    return user


def _subject(
    viewer: Viewer, query: Any, *, intervention: bool = False
) -> tuple[Person | None, Agreement | None, Intervention | None]:
    """The one subject named in the query string, as this viewer may see it (else 404)."""
    given = [k for k in ("person", "agreement", "intervention") if query.get(k)]
    if len(given) != 1 or (given[0] == "intervention" and not intervention):
        raise Http404("name one person, agreement or intervention")
    value = str(query[given[0]])[:64]
    if given[0] == "person":
        return person_get(viewer, value), None, None
    if given[0] == "agreement":
        return None, agreement_get(viewer, value), None
    return None, None, selectors.intervention_get(viewer, value)


def subject_url(
    person: Person | None, agreement: Agreement | None, intervention: Intervention | None = None
) -> str:
    if person is not None:
        return reverse("staff:person", args=[person.handle])
    if agreement is not None:
        return reverse("oversight:agreement", args=[agreement.slug])
    assert intervention is not None  # noqa: S101
    return reverse("casework:intervention", args=[intervention.pk])


def _subject_context(
    person: Person | None, agreement: Agreement | None, intervention: Intervention | None = None
) -> dict[str, Any]:
    return {
        "person": person,
        "agreement": agreement,
        "intervention": intervention,
        "back": subject_url(person, agreement, intervention),
    }


# --- My work -------------------------------------------------------------------------------


@staff_page()
@require_safe
def my_work(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.my_work(request.user)[:500])
    today = selectors.today()
    context = {
        "tasks": rows,
        "today": today,
        "overdue": sum(1 for t in rows if t.due_on < today),
        "can_record": can(request.user, Action.RECORD),
        "section": "work",
    }
    return render(request, "casework/my_work.html", context)


# --- Interventions -------------------------------------------------------------------------


@staff_page()
@require_safe
def intervention_list(request: HttpRequest) -> HttpResponse:
    """Interventions, all or of one person, agreement or party (``?party=slug``)."""
    viewer = request.user
    person = agreement = None
    party: Party | None = None
    if request.GET.get("person"):
        person = person_get(viewer, request.GET["person"][:64])
    if request.GET.get("agreement"):
        agreement = agreement_get(viewer, request.GET["agreement"][:64])
    if request.GET.get("party"):
        party = party_get(viewer, request.GET["party"][:64])
    rows = selectors.interventions(viewer, person=person, agreement=agreement, party=party)
    context = {
        "interventions": list(rows[:500]),
        "filter_person": person,
        "filter_agreement": agreement,
        "filter_party": party,
        "parties": selectors.parties_raised_with(viewer),
        "section": "work",
    }
    return render(request, "casework/intervention_list.html", context)


@staff_page()
@require_safe
def note_list(request: HttpRequest) -> HttpResponse:
    """Notes, the latest first: all this viewer may read, or those on one person or
    agreement (``?person=`` / ``?agreement=``; a person's page shows the latest few and
    links here for the rest)."""
    viewer = request.user
    person = agreement = None
    if request.GET.get("person"):
        person = person_get(viewer, request.GET["person"][:64])
    if request.GET.get("agreement"):
        agreement = agreement_get(viewer, request.GET["agreement"][:64])
    rows = selectors.notes(viewer, person=person, agreement=agreement)
    shown = list(rows[:500])
    # As the API's and the command line's lists: a note is part of a person's file.
    selectors.record_reading(viewer, "note.list", shown)
    context = {
        "notes": shown,
        "total": len(shown) if len(shown) < 500 else rows.count(),
        "filter_person": person,
        "filter_agreement": agreement,
        "section": "work",
    }
    return render(request, "casework/note_list.html", context)


def _intervention_values(form: InterventionForm, viewer: Viewer) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["party"] = party_get(viewer, data["party"]) if data.get("party") else None
    return data


@staff_page(Action.RECORD)
@GET_POST
def intervention_new(request: HttpRequest) -> HttpResponse:
    viewer = _actor(request)
    person, agreement, _none = _subject(viewer, request.GET)
    form = InterventionForm(request.POST or None, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        try:
            row = services.intervention_raise(
                actor=viewer,
                person=person,
                agreement=agreement,
                **_intervention_values(form, viewer),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The case raised is recorded."))
            return HttpResponseRedirect(reverse("casework:intervention", args=[row.pk]))
    context = {"form": form, **_subject_context(person, agreement), "section": "work"}
    return render(request, "casework/intervention_form.html", context)


@staff_page()
@require_safe
def intervention_page(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = request.user
    row = selectors.intervention_get(viewer, pk)
    context = {
        "iv": row,
        "tasks": list(selectors.tasks(viewer).filter(intervention=row).order_by("due_on", "id")),
        "attachments": list(selectors.attachments(viewer, intervention=row)),
        "upload_query": f"intervention={row.pk}",
        "originals": selectors.sees_originals(viewer),
        "can_record": can(viewer, Action.RECORD),
        **_subject_context(row.person, row.agreement),
        "section": "work",
    }
    return render(request, "casework/intervention_detail.html", context)


@staff_page(Action.RECORD)
@GET_POST
def intervention_edit(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _actor(request)
    row = selectors.intervention_get(viewer, pk)
    initial = {
        "party": row.party.slug if row.party else "",
        **{
            f: getattr(row, f)
            for f in (
                "official",
                "channel",
                "occurred_on",
                "raised_by",
                "asked",
                "answer",
                "next_step",
            )
        },
    }
    form = InterventionForm(request.POST or None, initial=initial, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        values = _intervention_values(form, viewer)
        values["raised_by"] = values["raised_by"] or row.raised_by
        try:
            services.intervention_edit(viewer, row, **values)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The case raised is updated."))
            return HttpResponseRedirect(reverse("casework:intervention", args=[row.pk]))
    context = {
        "form": form,
        "iv": row,
        **_subject_context(row.person, row.agreement),
        "section": "work",
    }
    return render(request, "casework/intervention_form.html", context)


# --- Notes ---------------------------------------------------------------------------------


@staff_page(Action.RECORD)
@GET_POST
def note_new(request: HttpRequest) -> HttpResponse:
    viewer = _actor(request)
    person, agreement, _none = _subject(viewer, request.GET)
    form = NoteForm(request.POST or None, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        try:
            note = services.note_add(
                actor=viewer, person=person, agreement=agreement, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The note is saved."))
            return HttpResponseRedirect(reverse("casework:note", args=[note.pk]))
    context = {"form": form, **_subject_context(person, agreement), "section": "work"}
    return render(request, "casework/note_form.html", context)


@staff_page()
@require_safe
def note_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A note and every earlier version of it (the reading is recorded)."""
    viewer = request.user
    note = selectors.note_get(viewer, pk)
    context = {
        "note": note,
        "versions": selectors.note_history(viewer, note),
        "attachments": list(selectors.attachments(viewer, note=note)),
        "upload_query": f"note={note.pk}",
        "originals": selectors.sees_originals(viewer),
        "can_record": can(viewer, Action.RECORD),
        **_subject_context(note.person, note.agreement),
        "section": "work",
    }
    return render(request, "casework/note_detail.html", context)


@staff_page(Action.RECORD)
@GET_POST
def note_edit(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _actor(request)
    note = selectors.note_get(viewer, pk)
    form = NoteForm(
        request.POST or None,
        initial={"body": note.body, "visibility": note.visibility},
        viewer=viewer,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.note_edit(actor=viewer, note=note, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The note is saved; its earlier text is kept."))
            return HttpResponseRedirect(reverse("casework:note", args=[note.pk]))
    else:
        selectors.record_reading(viewer, "note.view", [note])
    context = {
        "form": form,
        "note": note,
        **_subject_context(note.person, note.agreement),
        "section": "work",
    }
    return render(request, "casework/note_form.html", context)


# --- Tasks ---------------------------------------------------------------------------------


@staff_page(Action.RECORD)
@GET_POST
def task_new(request: HttpRequest) -> HttpResponse:
    viewer = _actor(request)
    person, agreement, intervention = _subject(viewer, request.GET, intervention=True)
    form = TaskForm(request.POST or None, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_add(
                actor=viewer,
                person=person,
                agreement=agreement,
                intervention=intervention,
                **form.cleaned_data,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The task is set."))
            return HttpResponseRedirect(subject_url(person, agreement, intervention))
    context = {
        "form": form,
        **_subject_context(person, agreement, intervention),
        "section": "work",
    }
    return render(request, "casework/task_form.html", context)


@staff_page(Action.RECORD)
@require_POST
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _actor(request)
    task = selectors.task_get(viewer, pk)
    try:
        services.task_done(actor=viewer, task=task)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Task done: %(title)s") % {"title": task.title})
    return HttpResponseRedirect(safe_next(request, reverse("casework:work")))


# --- Attachments ---------------------------------------------------------------------------


def _attached_to(
    viewer: Viewer, query: Any
) -> tuple[Claim | None, Note | None, Intervention | None]:
    """The one claim, note or case raised named in the query string (else 404)."""
    given = [k for k in ("claim", "note", "intervention") if query.get(k)]
    if len(given) != 1:
        raise Http404("name one claim, note or case raised")
    value = str(query[given[0]])[:20]
    if given[0] == "claim":
        if not value.isdigit():
            raise Http404("no such claim")
        return claim_get(viewer, int(value)), None, None
    if given[0] == "note":
        return None, selectors.note_get(viewer, value), None
    return None, None, selectors.intervention_get(viewer, value)


def attached_url(claim: Claim | None, note: Note | None, intervention: Intervention | None) -> str:
    if note is not None:
        return reverse("casework:note", args=[note.pk])
    if intervention is not None:
        return reverse("casework:intervention", args=[intervention.pk])
    assert claim is not None  # noqa: S101
    if claim.person_id:
        return reverse("staff:person", args=[claim.person.handle]) + f"#claim-{claim.pk}"  # type: ignore[union-attr]
    return reverse("oversight:agreement", args=[claim.agreement.slug])  # type: ignore[union-attr]


@staff_page(Action.RECORD)
@GET_POST
def attachment_new(request: HttpRequest) -> HttpResponse:
    """Upload an evidence file to a claim, a note or a case raised."""
    viewer = _actor(request)
    claim, note, intervention = _attached_to(viewer, request.GET)
    form = AttachmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            row = services.attachment_add(
                actor=viewer,
                chunks=upload.chunks(files.CHUNK),
                name=upload.name,
                claim=claim,
                note=note,
                intervention=intervention,
                strip_metadata=form.cleaned_data["strip_metadata"],
            )
        except ValidationError as error:
            apply_errors(form, error, {"subject": "file"})
        else:
            messages.success(
                request,
                _("The file is kept (SHA-256 %(sha)s).") % {"sha": row.sha256},
            )
            return HttpResponseRedirect(attached_url(claim, note, intervention))
    context = {
        "form": form,
        "claim": claim,
        "note": note,
        "iv": intervention,
        "back": attached_url(claim, note, intervention),
        "section": "work",
    }
    return render(request, "casework/attachment_form.html", context)


@staff_page()
@require_safe
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file, as an attachment (never shown in the browser); ``?original=1``: the
    file as uploaded, before its metadata was stripped (verifiers and administrators).
    Every download is written to the ledger."""
    download = selectors.attachment_download(
        request.user, pk, original=request.GET.get("original") == "1"
    )
    # A streamed file, not an HttpResponse, though a view all the same.
    return cast(HttpResponse, file_response(download))


def file_response(download: selectors.Download) -> FileResponse | HttpResponse:
    # Checked whole (every chunk, and the SHA-256) before the first byte goes out.
    try:
        plain = files.PlainFile(download.sha256)
    except files.Unreadable as exc:
        logger.error("attachment download refused: %s", exc)
        return HttpResponse(
            _("This file cannot be read: %(problem)s. Nothing of it was sent.") % {"problem": exc},
            status=500,
            content_type="text/plain; charset=utf-8",
        )
    response = FileResponse(
        plain,
        as_attachment=True,
        filename=download.name,
        content_type=download.content_type,
    )
    response["Content-Length"] = str(download.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
