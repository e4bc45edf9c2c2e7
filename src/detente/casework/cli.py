"""What the casework commands share: naming a subject, reporting refusals, rows as JSON."""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError
from django.http import Http404

from detente.access.policy import Action, Viewer, require
from detente.agreements.models import Agreement
from detente.agreements.selectors import agreement_get
from detente.casework.models import Attachment, Intervention, Note, NoteVersion, Task
from detente.core.cli_support import refusal
from detente.registry.models import Person
from detente.registry.selectors import person_get

T = TypeVar("T")


def add_subject_arguments(parser: ArgumentParser, *, required: bool = True) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--person", metavar="HANDLE", help="a person, by handle (P-0017)")
    group.add_argument("--agreement", metavar="SLUG", help="an agreement, by slug")


def subject(viewer: Viewer, opts: Mapping[str, Any]) -> tuple[Person | None, Agreement | None]:
    """The person or agreement named by --person / --agreement, as the viewer sees it."""
    if opts.get("person"):
        return found(
            lambda: person_get(viewer, opts["person"]), f"no person {opts['person']!r}"
        ), None
    if opts.get("agreement"):
        slug = opts["agreement"]
        return None, found(lambda: agreement_get(viewer, slug), f"no agreement {slug!r}")
    return None, None


def found(lookup: Callable[[], T], message: str) -> T:
    try:
        return lookup()
    except Http404:
        raise CommandError(message) from None


def reader(viewer: Viewer) -> None:
    """Refuse, before any lookup, a viewer who may not read casework."""
    try:
        require(viewer, Action.READ)
    except PermissionDenied:
        raise CommandError("not allowed for this user") from None


def run(action: Callable[[], T], options: Mapping[str, str]) -> T:
    """Call a service; its refusal becomes a command error naming the option at fault."""
    try:
        return action()
    except ValidationError as exc:
        raise refusal(exc, options) from None
    except Http404 as exc:
        raise CommandError(str(exc)) from None


def _on(row: Any) -> dict[str, Any]:
    return {
        "person": row.person.handle if row.person_id else None,
        "agreement": row.agreement.slug if row.agreement_id else None,
    }


def intervention_json(row: Intervention) -> dict[str, Any]:
    return {
        "id": row.pk,
        **_on(row),
        "party": row.party.slug if row.party_id else None,  # type: ignore[union-attr]
        "official": row.official,
        "channel": row.channel,
        "occurred_on": row.occurred_on.isoformat(),
        "raised_by": row.raised_by,
        "asked": row.asked,
        "answer": row.answer,
        "next_step": row.next_step,
        "recorded_at": row.created_at.isoformat(),
        "changed_at": row.updated_at.isoformat(),
    }


def note_json(note: Note) -> dict[str, Any]:
    return {
        "id": note.pk,
        **_on(note),
        "visibility": note.visibility,
        "version": note.version,
        "body": note.body,
        "written_at": note.created_at.isoformat(),
        "changed_at": note.updated_at.isoformat(),
    }


def version_json(version: NoteVersion) -> dict[str, Any]:
    return {
        "note": version.note_id,
        "version": version.number,
        "visibility": version.visibility,
        "body": version.body,
        "author": version.author.get_username(),
        "written_at": version.created_at.isoformat(),
    }


def task_json(task: Task) -> dict[str, Any]:
    return {
        "id": task.pk,
        **_on(task),
        "intervention": task.intervention_id,
        "title": task.title,
        "details": task.details,
        "due_on": task.due_on.isoformat(),
        "remind_on": task.remind_on.isoformat() if task.remind_on else None,
        "reminded_at": task.reminded_at.isoformat() if task.reminded_at else None,
        "assignee": task.assignee.get_username(),
        "done_at": task.done_at.isoformat() if task.done_at else None,
    }


def attachment_json(row: Attachment) -> dict[str, Any]:
    from detente.casework.services import attachment_subject

    return {
        "id": row.pk,
        "claim": row.claim_id,
        "note": row.note_id,
        "intervention": row.intervention_id,
        "person": attachment_subject(row.subject).get("person"),
        "name": row.name,
        "kind": row.kind,
        "size": row.size,
        "sha256": row.sha256,
        "stripped": row.stripped,
        "original_sha256": row.original_sha256 or None,
        "uploaded_by": row.uploaded_by.get_username(),
        "uploaded_at": row.created_at.isoformat(),
    }
