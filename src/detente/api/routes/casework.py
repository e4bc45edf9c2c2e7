"""Casework: cases raised with officials, confidential notes (every version kept) and tasks,
through `detente.casework.services` and `detente.casework.selectors` — the same path as the
staff pages and `detente case|note|task`.

Casework is for staff: a token of anyone else gets empty lists and 404 for any row, exactly
as for one that does not exist; writing needs a write token of a role that records (403
otherwise, before anything is looked up). A note for verifiers and administrators only is,
to an analyst's token, as missing as one never written. Reading notes is recorded in the
ledger against the people they are about.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_noop
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from detente.access.policy import Action, require
from detente.agreements.models import Agreement
from detente.agreements.selectors import agreement_get, party_get
from detente.api.pagination import paginate
from detente.api.schemas import MAX_ID, Paged, PageQuery, Patch, Slug, answers, unchanged
from detente.casework import files, selectors, services
from detente.casework.cli import (
    attachment_json,
    intervention_json,
    note_json,
    task_json,
    version_json,
)
from detente.casework.models import AttachmentKind, Channel, NoteVisibility
from detente.evidence.selectors import claim_get
from detente.registry.models import Person
from detente.registry.selectors import person_get

router = Router(tags=["casework"])

Handle = Field(None, max_length=16, description="A person, by handle (P-0017).")
AgreementSlug = Field(None, max_length=64, description="An agreement, by slug.")


def recorder(request: HttpRequest) -> User:
    """The token's user, if it may record (else 403, before anything is looked up)."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - a token always has a user
    require(user, Action.RECORD)
    return user


def _subject(
    request: HttpRequest, person: str | None, agreement: str | None
) -> tuple[Person | None, Agreement | None]:
    viewer = request.user
    return (
        person_get(viewer, person) if person else None,
        agreement_get(viewer, agreement) if agreement else None,
    )


# --- Schemas -------------------------------------------------------------------------------


class InterventionOut(Schema):
    id: int
    person: str | None = Field(description="The person's handle, when it is about a person.")
    agreement: str | None = Field(description="The agreement's slug, when about an agreement.")
    party: str | None = Field(description="The party it was raised with (slug).")
    official: str = Field(description="The official it was raised with, by role.")
    channel: Channel
    occurred_on: dt.date
    raised_by: str
    asked: str
    answer: str
    next_step: str
    recorded_at: dt.datetime
    changed_at: dt.datetime


class InterventionPage(Paged):
    items: list[InterventionOut]


class InterventionQuery(PageQuery):
    person: str | None = Handle
    agreement: str | None = AgreementSlug
    party: Slug | None = Field(None, description="Only those raised with this party.")


class InterventionIn(Schema):
    person: str | None = Handle
    agreement: str | None = AgreementSlug
    party: Slug | None = Field(None, description="The party it was raised with.")
    official: str = Field("", max_length=200)
    channel: Channel
    occurred_on: dt.date = Field(description="When; not in the future.")
    raised_by: str = Field("", max_length=150, description="Who raised it (default: you).")
    asked: str = Field(max_length=4000)
    answer: str = Field("", max_length=4000)
    next_step: str = Field("", max_length=4000)


class InterventionPatch(Patch):
    party: Slug | None = unchanged("The party it was raised with; null for none.")
    official: str = unchanged(max_length=200)
    channel: Channel = unchanged()
    occurred_on: dt.date = unchanged()
    raised_by: str = unchanged(max_length=150)
    asked: str = unchanged(max_length=4000)
    answer: str = unchanged(max_length=4000)
    next_step: str = unchanged(max_length=4000)


class NoteOut(Schema):
    id: int
    person: str | None
    agreement: str | None
    visibility: NoteVisibility
    version: int = Field(description="The number of the newest version (the text shown).")
    body: str = Field(description="Limited HTML: p, br, strong, b, em, i, ul, ol, li, blockquote.")
    written_at: dt.datetime
    changed_at: dt.datetime


class NoteVersionOut(Schema):
    note: int
    version: int
    visibility: NoteVisibility
    body: str
    author: str
    written_at: dt.datetime


class NoteDetail(NoteOut):
    versions: list[NoteVersionOut] = Field(description="Every version, newest first.")


class NotePage(Paged):
    items: list[NoteOut]


class NoteQuery(PageQuery):
    person: str | None = Handle
    agreement: str | None = AgreementSlug


class NoteIn(Schema):
    person: str | None = Handle
    agreement: str | None = AgreementSlug
    body: str = Field(max_length=20_000)
    visibility: NoteVisibility = NoteVisibility.STAFF


class NotePatch(Patch):
    body: str = unchanged("The new text: a new version.", max_length=20_000)
    visibility: NoteVisibility = unchanged()


class TaskOut(Schema):
    id: int
    person: str | None
    agreement: str | None
    intervention: int | None = Field(description="The case raised it is about, if any.")
    title: str
    details: str
    due_on: dt.date
    remind_on: dt.date | None = Field(description="The day the assignee is emailed.")
    reminded_at: dt.datetime | None = Field(description="When the reminder was sent.")
    assignee: str = Field(description="The user name of the one it is assigned to.")
    done_at: dt.datetime | None


class TaskPage(Paged):
    items: list[TaskOut]


class TaskQuery(PageQuery):
    mine: bool = Field(False, description="Only the token user's own open tasks.")
    done: bool = Field(False, description="Include tasks already done.")


class TaskIn(Schema):
    person: str | None = Handle
    agreement: str | None = AgreementSlug
    intervention: int | None = Field(None, description="A case raised, by id.")
    title: str = Field(max_length=200)
    details: str = Field("", max_length=4000)
    due_on: dt.date = Field(description="Today or later.")
    assignee: str = Field(max_length=150, description="A user name; they must see the case.")
    remind_on: dt.date | None = Field(
        None, description="The day to email the assignee: today to the due day (default)."
    )


# --- Interventions -------------------------------------------------------------------------


@router.get(
    "/interventions",
    response=answers(200, InterventionPage, paged=True, lookup=True),
    summary=gettext_noop("List cases raised"),
)
def list_interventions(request: HttpRequest, query: Query[InterventionQuery]) -> dict[str, Any]:
    """Cases raised, newest first; of one person, agreement or party (404 for one the token
    cannot see, as for one that does not exist). Empty for a token that is not staff."""
    person, agreement = _subject(request, query.person, query.agreement)
    party = party_get(request.user, query.party) if query.party else None
    qs = selectors.interventions(request.user, person=person, agreement=agreement, party=party)
    rows, links = paginate(
        request,
        qs,
        scope="interventions",
        keys=("-occurred_on", "-id"),
        cursor=query.cursor,
        limit=query.limit,
    )
    return {"items": [intervention_json(r) for r in rows], **links}


@router.get(
    "/interventions/{intervention_id}",
    response=answers(200, InterventionOut, lookup=True),
    summary=gettext_noop("Get a case raised"),
)
def get_intervention(request: HttpRequest, intervention_id: int) -> dict[str, Any]:
    return intervention_json(selectors.intervention_get(request.user, intervention_id))


@router.post(
    "/interventions",
    response=answers(201, InterventionOut, lookup=True, write=True),
    summary=gettext_noop("Record a case raised"),
)
def post_intervention(request: HttpRequest, payload: InterventionIn) -> Any:
    """Record a case raised about a person or an agreement (give one of them)."""
    user = recorder(request)
    person, agreement = _subject(request, payload.person, payload.agreement)
    party = party_get(user, payload.party) if payload.party else None
    row = services.intervention_raise(
        actor=user,
        person=person,
        agreement=agreement,
        party=party,
        **payload.dict(exclude={"person", "agreement", "party"}),
    )
    return Status(201, intervention_json(row))


@router.patch(
    "/interventions/{intervention_id}",
    response=answers(200, InterventionOut, lookup=True, write=True),
    summary=gettext_noop("Change a case raised"),
)
def patch_intervention(
    request: HttpRequest, intervention_id: int, payload: InterventionPatch
) -> Any:
    """Record the answer, the next step, or correct what was recorded; fields left out stay
    as they are."""
    user = recorder(request)
    row = selectors.intervention_get(user, intervention_id)
    changes = {f: getattr(payload, f) for f in payload.model_fields_set}
    if "party" in changes:
        changes["party"] = party_get(user, changes["party"]) if changes["party"] else None
    return intervention_json(services.intervention_edit(user, row, **changes))


# --- Notes ---------------------------------------------------------------------------------


@router.get(
    "/notes",
    response=answers(200, NotePage, paged=True, lookup=True),
    summary=gettext_noop("List notes"),
)
def list_notes(request: HttpRequest, query: Query[NoteQuery]) -> dict[str, Any]:
    """Notes the token may read, newest first; of one person or agreement."""
    person, agreement = _subject(request, query.person, query.agreement)
    qs = selectors.notes(request.user, person=person, agreement=agreement)
    rows, links = paginate(
        request, qs, scope="notes", keys=("-id",), cursor=query.cursor, limit=query.limit
    )
    selectors.record_reading(request.user, "note.list", rows)
    return {"items": [note_json(n) for n in rows], **links}


@router.get(
    "/notes/{note_id}",
    response=answers(200, NoteDetail, lookup=True),
    summary=gettext_noop("Get a note and its history"),
)
def get_note(request: HttpRequest, note_id: int) -> dict[str, Any]:
    note = selectors.note_get(request.user, note_id)
    versions = selectors.note_history(request.user, note)
    return {**note_json(note), "versions": [version_json(v) for v in versions]}


@router.post(
    "/notes",
    response=answers(201, NoteOut, lookup=True, write=True),
    summary=gettext_noop("Write a note"),
)
def post_note(request: HttpRequest, payload: NoteIn) -> Any:
    """Write a note on a person or an agreement (give one of them); HTML beyond the
    limited formatting is refused (422), nothing stored."""
    user = recorder(request)
    person, agreement = _subject(request, payload.person, payload.agreement)
    note = services.note_add(
        actor=user,
        person=person,
        agreement=agreement,
        body=payload.body,
        visibility=payload.visibility,
    )
    return Status(201, note_json(note))


@router.patch(
    "/notes/{note_id}",
    response=answers(200, NoteOut, lookup=True, write=True),
    summary=gettext_noop("Change a note"),
)
def patch_note(request: HttpRequest, note_id: int, payload: NotePatch) -> Any:
    """A new version of the note; every earlier one is kept."""
    user = recorder(request)
    note = selectors.note_get(user, note_id)
    sent = payload.model_fields_set
    note = services.note_edit(
        actor=user,
        note=note,
        body=payload.body if "body" in sent else note.body,
        visibility=payload.visibility if "visibility" in sent else None,
    )
    return note_json(note)


# --- Tasks ---------------------------------------------------------------------------------


@router.get(
    "/tasks",
    response=answers(200, TaskPage, paged=True),
    summary=gettext_noop("List tasks"),
)
def list_tasks(request: HttpRequest, query: Query[TaskQuery]) -> dict[str, Any]:
    """Open tasks, the earliest due first (overdue ones first of all); `mine=true`: the
    token user's own, as on the "My work" page."""
    viewer = request.user
    if query.mine:
        qs = selectors.my_work(viewer)
    elif query.done:
        qs = selectors.tasks(viewer)
    else:
        qs = selectors.open_tasks(viewer)
    rows, links = paginate(
        request, qs, scope="tasks", keys=("due_on", "id"), cursor=query.cursor, limit=query.limit
    )
    return {"items": [task_json(t) for t in rows], **links}


@router.post(
    "/tasks",
    response=answers(201, TaskOut, lookup=True, write=True),
    summary=gettext_noop("Set a task"),
)
def post_task(request: HttpRequest, payload: TaskIn) -> Any:
    """Set a task on a person, an agreement or a case raised (one of them), due today or
    later, for a user who may see it (422 otherwise, nothing stored)."""
    user = recorder(request)
    person, agreement = _subject(request, payload.person, payload.agreement)
    intervention = (
        selectors.intervention_get(user, payload.intervention)
        if payload.intervention is not None
        else None
    )
    task = services.task_add(
        actor=user,
        person=person,
        agreement=agreement,
        intervention=intervention,
        title=payload.title,
        details=payload.details,
        due_on=payload.due_on,
        assignee=payload.assignee,
        remind_on=payload.remind_on,
    )
    return Status(201, task_json(task))


@router.post(
    "/tasks/{task_id}/done",
    response=answers(200, TaskOut, lookup=True, write=True),
    summary=gettext_noop("Mark a task done"),
)
def task_done(request: HttpRequest, task_id: int) -> Any:
    user = recorder(request)
    task = selectors.task_get(user, task_id)
    return task_json(services.task_done(actor=user, task=task))


# --- Attachments ---------------------------------------------------------------------------


class AttachmentOut(Schema):
    id: int
    claim: int | None = Field(description="The claim it is attached to, if any.")
    note: int | None = Field(description="The note it is attached to, if any.")
    intervention: int | None = Field(description="The case raised it is attached to, if any.")
    person: str | None = Field(description="The person it is about (handle), if any.")
    name: str
    kind: AttachmentKind = Field(description="What the file is, read from its content.")
    size: int = Field(description="Bytes, of the copy everyone gets.")
    sha256: str = Field(description="SHA-256 of the copy everyone gets.")
    stripped: bool = Field(description="Its metadata (EXIF, GPS) was stripped.")
    original_sha256: str | None = Field(description="SHA-256 of the file as uploaded.")
    uploaded_by: str
    uploaded_at: dt.datetime


class AttachmentPage(Paged):
    items: list[AttachmentOut]


class AttachmentQuery(PageQuery):
    claim: int | None = Field(None, ge=1, le=MAX_ID, description="The files of one claim.")
    note: int | None = Field(None, ge=1, le=MAX_ID, description="The files of one note.")
    intervention: int | None = Field(
        None, ge=1, le=MAX_ID, description="The files of one case raised."
    )
    person: str | None = Field(
        None, max_length=16, description="Every file about a person (handle)."
    )


class AttachmentIn(Schema):
    claim: int | None = Field(None, ge=1, le=MAX_ID, description="Attach to this claim.")
    note: int | None = Field(None, ge=1, le=MAX_ID, description="Attach to this note.")
    intervention: int | None = Field(
        None, ge=1, le=MAX_ID, description="Attach to this case raised."
    )
    strip_metadata: bool = Field(
        False,
        description="Images: everyone gets a copy without EXIF/GPS; the original is kept "
        "for verifiers and administrators.",
    )


class AttachmentDownloadQuery(Schema):
    original: bool = Field(
        False,
        description="The image as uploaded, before its metadata was stripped (verifiers "
        "and administrators; 404 for others).",
    )


def _attached_to(request: HttpRequest, claim: int | None, note: int | None, iv: int | None) -> Any:
    viewer = request.user
    return (
        claim_get(viewer, claim) if claim else None,
        selectors.note_get(viewer, note) if note else None,
        selectors.intervention_get(viewer, iv) if iv else None,
    )


@router.get(
    "/attachments",
    response=answers(200, AttachmentPage, paged=True, lookup=True),
    summary=gettext_noop("List evidence files"),
)
def list_attachments(request: HttpRequest, query: Query[AttachmentQuery]) -> dict[str, Any]:
    """Evidence files the token may see, newest first; of one claim, note, case raised or
    person (404 for one the token cannot see). Empty for a token that is not staff."""
    claim, note, intervention = _attached_to(request, query.claim, query.note, query.intervention)
    person = person_get(request.user, query.person) if query.person else None
    qs = selectors.attachments(
        request.user, claim=claim, note=note, intervention=intervention, person=person
    )
    rows, links = paginate(
        request, qs, scope="attachments", keys=("-id",), cursor=query.cursor, limit=query.limit
    )
    return {"items": [attachment_json(a) for a in rows], **links}


@router.post(
    "/attachments",
    response=answers(201, AttachmentOut, lookup=True, write=True),
    summary=gettext_noop("Upload an evidence file"),
)
def post_attachment(
    request: HttpRequest, file: File[UploadedFile], options: Form[AttachmentIn]
) -> Any:
    """Attach a file (multipart) to one claim, note or case raised: a PDF, an image, plain
    text, or a Word, Excel or OpenDocument text file, recognised by its content. Too large,
    disguised or refused (an executable, an SVG, a zip bomb): 422 naming what was found,
    and nothing is stored."""
    user = recorder(request)
    claim, note, intervention = _attached_to(
        request, options.claim, options.note, options.intervention
    )
    row = services.attachment_add(
        actor=user,
        chunks=file.chunks(files.CHUNK),
        name=file.name or "",
        claim=claim,
        note=note,
        intervention=intervention,
        strip_metadata=options.strip_metadata,
    )
    return Status(201, attachment_json(row))


@router.get(
    "/attachments/{attachment_id}/download",
    response=answers(200, None, lookup=True),
    summary=gettext_noop("Download an evidence file"),
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, as an attachment.",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    },
)
def download_attachment(
    request: HttpRequest, attachment_id: int, query: Query[AttachmentDownloadQuery]
) -> HttpResponse:
    """The file, sent as an attachment; recorded in the ledger against the person it is
    about. 404 for a file the token may not see, exactly as for a missing one."""
    from detente.casework.views import file_response

    download = selectors.attachment_download(request.user, attachment_id, original=query.original)
    return file_response(download)  # type: ignore[return-value]
