"""Reads of casework. Every selector takes the viewer and shows only what it may.

Casework is a staff tool: a viewer without the right to read the registry sees none of it
(an empty list; a lookup answers 404, exactly like a missing row). Among staff, a note for
verifiers and administrators is, to an analyst, as missing as one never written. A row is
seen only when its subject (the person or agreement it hangs on) is seen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from detente.access.policy import Action, Viewer, can
from detente.access.visibility import STAFF, people_in_view, tier, visible_agreements
from detente.agreements.models import Agreement, Party
from detente.audit import ledger
from detente.casework.models import (
    Attachment,
    Intervention,
    Note,
    NoteVersion,
    NoteVisibility,
    Task,
)
from detente.evidence.models import Claim
from detente.evidence.selectors import claim_list
from detente.registry.models import Person


def _subjects(viewer: Viewer, prefix: str = "") -> Q:
    """Rows whose person or agreement this viewer sees (staff: every one)."""
    if tier(viewer) == STAFF:
        return Q()
    return Q(**{f"{prefix}person__in": people_in_view(viewer).values("pk")}) | Q(
        **{f"{prefix}agreement__in": visible_agreements(viewer).values("pk")}
    )


def reads_casework(viewer: Viewer) -> bool:
    return can(viewer, Action.READ)


def visibilities(viewer: Viewer) -> tuple[str, ...]:
    """The note audiences this viewer belongs to."""
    if can(viewer, Action.MANAGE):
        return (NoteVisibility.STAFF, NoteVisibility.VERIFIERS)
    if can(viewer, Action.READ):
        return (NoteVisibility.STAFF,)
    return ()


def today() -> dt.date:
    return timezone.localdate()


# --- Interventions -------------------------------------------------------------------------


def interventions(
    viewer: Viewer,
    *,
    person: Person | None = None,
    agreement: Agreement | None = None,
    party: Party | None = None,
) -> QuerySet[Intervention]:
    if not reads_casework(viewer):
        return Intervention.objects.none()
    qs = Intervention.objects.filter(_subjects(viewer)).select_related(
        "person", "agreement", "party"
    )
    if person is not None:
        qs = qs.filter(person=person)
    if agreement is not None:
        qs = qs.filter(agreement=agreement)
    if party is not None:
        qs = qs.filter(party=party)
    return qs


def intervention_get(viewer: Viewer, pk: object) -> Intervention:
    try:
        key = int(str(pk))
    except ValueError:
        raise Http404("no such intervention") from None
    found = interventions(viewer).filter(pk=key).first()
    if found is None:
        raise Http404("no such intervention")
    return found


# --- Notes ---------------------------------------------------------------------------------


def notes(
    viewer: Viewer, *, person: Person | None = None, agreement: Agreement | None = None
) -> QuerySet[Note]:
    shown = visibilities(viewer)
    if not shown:
        return Note.objects.none()
    qs = (
        Note.objects.filter(_subjects(viewer), visibility__in=shown)
        .select_related("person", "agreement", "created_by")
        .order_by("-updated_at", "-id")
    )
    if person is not None:
        qs = qs.filter(person=person)
    if agreement is not None:
        qs = qs.filter(agreement=agreement)
    return qs


def note_get(viewer: Viewer, pk: object) -> Note:
    try:
        key = int(str(pk))
    except ValueError:
        raise Http404("no such note") from None
    found = notes(viewer).filter(pk=key).first()
    if found is None:
        raise Http404("no such note")
    return found


def note_history(viewer: Viewer, note: Note) -> list[NoteVersion]:
    """Every version of a note this viewer may read, newest first; the reading is recorded
    against the person it is about (a note is part of their confidential file)."""
    note = note_get(viewer, note.pk)
    versions = list(note.versions.select_related("author").order_by("-number"))
    record_reading(viewer, "note.history", [note])
    return versions


def record_reading(viewer: Viewer, action: str, rows: list[Any]) -> None:
    """Record that the viewer read casework about these people (none: nothing recorded)."""
    handles = [r.person.handle for r in rows if getattr(r, "person_id", None)]
    if handles:
        ledger.record_access(viewer, action, handles)


# --- Tasks ---------------------------------------------------------------------------------


def tasks(viewer: Viewer) -> QuerySet[Task]:
    if not reads_casework(viewer):
        return Task.objects.none()
    seen = Q()
    if tier(viewer) != STAFF:
        seen = _subjects(viewer) | Q(intervention__in=interventions(viewer).values("pk"))
    return Task.objects.filter(seen).select_related(
        "person", "agreement", "intervention", "assignee"
    )


def task_get(viewer: Viewer, pk: object) -> Task:
    try:
        key = int(str(pk))
    except ValueError:
        raise Http404("no such task") from None
    found = tasks(viewer).filter(pk=key).first()
    if found is None:
        raise Http404("no such task")
    return found


def open_tasks(viewer: Viewer) -> QuerySet[Task]:
    return tasks(viewer).filter(done_at__isnull=True).order_by("due_on", "id")


def my_work(viewer: Viewer) -> QuerySet[Task]:
    """The viewer's own open tasks, the most overdue first (by due date, then as set)."""
    if not viewer.is_authenticated:
        return Task.objects.none()
    return open_tasks(viewer).filter(assignee_id=viewer.pk)


@dataclass(frozen=True)
class Overdue:
    mine: int
    everyone: int


def overdue(viewer: Viewer) -> Overdue:
    late = open_tasks(viewer).filter(due_on__lt=today())
    mine = late.filter(assignee_id=viewer.pk).count() if viewer.is_authenticated else 0
    return Overdue(mine=mine, everyone=late.count())


# --- The casework of one subject -----------------------------------------------------------

SECTION_LIMIT = 20  # the latest on a person's or agreement's page; the lists have the rest
OPEN_TASK_LIMIT = 50  # open tasks are work to do: all of them, within reason


@dataclass(frozen=True)
class Casework:
    interventions: list[Intervention]
    interventions_total: int
    notes: list[Note]
    notes_total: int
    tasks: list[Task]


def casework_of(
    viewer: Viewer,
    *,
    person: Person | None = None,
    agreement: Agreement | None = None,
    limit: int = SECTION_LIMIT,
) -> Casework:
    """What a person's or an agreement's page shows: the latest interventions and notes
    (``limit`` of each, with their totals) and the open tasks."""
    ivs = interventions(viewer, person=person, agreement=agreement)
    ns = notes(viewer, person=person, agreement=agreement)
    ts = open_tasks(viewer)
    if person is not None:
        ts = ts.filter(Q(person=person) | Q(intervention__person=person))
    if agreement is not None:
        ts = ts.filter(Q(agreement=agreement) | Q(intervention__agreement=agreement))
    iv_rows = list(ivs[:limit])
    note_rows = list(ns[:limit])
    return Casework(
        interventions=iv_rows,
        interventions_total=len(iv_rows) if len(iv_rows) < limit else ivs.count(),
        notes=note_rows,
        notes_total=len(note_rows) if len(note_rows) < limit else ns.count(),
        tasks=list(ts[:OPEN_TASK_LIMIT]),
    )


def parties_raised_with(viewer: Viewer) -> QuerySet[Party]:
    """The parties that some intervention this viewer sees was raised with."""
    raised = interventions(viewer).filter(party__isnull=False).values("party_id")
    return Party.objects.filter(pk__in=raised).order_by("name")


# --- Attachments ---------------------------------------------------------------------------


def attachments(
    viewer: Viewer,
    *,
    claim: Claim | None = None,
    note: Note | None = None,
    intervention: Intervention | None = None,
    person: Person | None = None,
) -> QuerySet[Attachment]:
    """The evidence files this viewer may see: those on the claims, notes and cases raised
    it sees (a file on a note for verifiers only is as missing as the note); of one
    subject, or of everything about one person."""
    if not reads_casework(viewer):
        return Attachment.objects.none()
    seen = (
        Q(claim__in=claim_list(viewer).values("pk"))
        | Q(note__in=notes(viewer).values("pk"))
        | Q(intervention__in=interventions(viewer).values("pk"))
    )
    qs = Attachment.objects.filter(seen).select_related(
        "claim__person", "note__person", "intervention__person", "uploaded_by"
    )
    if claim is not None:
        qs = qs.filter(claim=claim)
    if note is not None:
        qs = qs.filter(note=note)
    if intervention is not None:
        qs = qs.filter(intervention=intervention)
    if person is not None:
        qs = qs.filter(
            Q(claim__person=person) | Q(note__person=person) | Q(intervention__person=person)
        )
    return qs


def attachments_by_claim(viewer: Viewer, person: Person) -> dict[int, list[Attachment]]:
    """The files on the claims about one person this viewer may see, by claim, in the
    order ``attachments`` gives them: one query for a page that lists every claim."""
    found: dict[int, list[Attachment]] = {}
    if not reads_casework(viewer):
        return found
    # The rows ``attachments`` gives (a file hangs on one claim, note or case raised, so
    # the claims decide), with the claims narrowed to this person's before the check of
    # what the viewer sees: PostgreSQL otherwise reads every claim to decide.
    seen = claim_list(viewer).filter(person=person).values("pk")
    rows = Attachment.objects.filter(claim__in=seen).select_related(
        "claim__person", "note__person", "intervention__person", "uploaded_by"
    )
    for row in rows:
        found.setdefault(row.claim_id, []).append(row)  # type: ignore[arg-type]
    return found


def attachment_get(viewer: Viewer, pk: object) -> Attachment:
    try:
        key = int(str(pk))
    except ValueError:
        raise Http404("no such attachment") from None
    found = attachments(viewer).filter(pk=key).first()
    if found is None:
        raise Http404("no such attachment")
    return found


def sees_originals(viewer: Viewer) -> bool:
    """Verifiers and administrators may have a stripped image's original."""
    return can(viewer, Action.MANAGE)


@dataclass(frozen=True)
class Download:
    """What is sent for one download: the stored file (by hash), under which name."""

    sha256: str
    size: int
    name: str
    content_type: str


CONTENT_TYPES = {
    "pdf": ("application/pdf", ".pdf"),
    "png": ("image/png", ".png"),
    "jpeg": ("image/jpeg", ".jpg"),
    "webp": ("image/webp", ".webp"),
    "gif": ("image/gif", ".gif"),
    "text": ("text/plain; charset=utf-8", ".txt"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".docx",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "odt": ("application/vnd.oasis.opendocument.text", ".odt"),
}


def attachment_download(viewer: Viewer, pk: object, *, original: bool = False) -> Download:
    """One file as this viewer may have it (the stripped copy; ``original``: the file as
    uploaded, verifiers and administrators only, else 404 like a missing one). The
    download is recorded in the ledger against the person the file is about."""
    row = attachment_get(viewer, pk)
    if original and not sees_originals(viewer):
        raise Http404("no such attachment")
    sha, size = row.sha256, row.size
    if original and row.stripped:
        sha, size = row.original_sha256, row.original_size or 0
    content_type, extension = CONTENT_TYPES[row.kind]
    name = row.name if row.name.lower().endswith(extension) else row.name + extension
    if row.kind == "jpeg" and row.name.lower().endswith(".jpeg"):
        name = row.name
    person = row.person
    ledger.record_access(
        viewer,
        "attachment.download",
        [person.handle] if person is not None else [],
        {"attachment": row.pk, "sha256": sha, "original": bool(original and row.stripped)},
        always=True,
    )
    return Download(sha, size, name, content_type)
