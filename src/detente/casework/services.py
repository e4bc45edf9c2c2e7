"""Writes of casework: each checks the actor's right, checks every field, changes the rows
and appends its ledger entry in one transaction (nothing is stored half-written).

Who may do what (docs/casework.md): every staff role that may record (analysts, verifiers,
administrators) raises cases, writes notes and sets tasks on the people and agreements it
sees; a note for verifiers and administrators only is written and read by them alone. The
ledger holds the handle or slug of the subject and keyed hashes of the free text, never
the text itself.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Action, can, require
from detente.access.visibility import people_in_view, visible_agreements
from detente.agreements.models import Agreement, Party
from detente.audit import ledger
from detente.casework import files, sanitize
from detente.casework.models import (
    IMAGE_KINDS,
    Attachment,
    Channel,
    Intervention,
    Note,
    NoteVersion,
    NoteVisibility,
    Task,
)
from detente.casework.selectors import today
from detente.core.errors import check_text, invalid
from detente.evidence.models import Claim
from detente.registry.models import Person

TEXT_MAX = 4000


def _subject(person: Person | None, agreement: Agreement | None) -> dict[str, str]:
    if (person is None) == (agreement is None):
        raise invalid("subject", _("Give either a person or an agreement (one of them)."))
    if person is not None:
        return {"person": person.handle}
    assert agreement is not None  # noqa: S101 - checked just above
    return {"agreement": agreement.slug}


def _date(field: str, value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise invalid(field, _("Give a date as YYYY-MM-DD (got “%(value)s”).") % {"value": value})


def _channel(value: object) -> str:
    if value not in Channel.values:
        raise invalid(
            "channel",
            _("Unknown channel “%(value)s”; use one of %(choices)s.")
            % {"value": value, "choices": ", ".join(Channel.values)},
        )
    return str(value)


def _hash(value: str, context: str) -> str:
    return ledger.keyed_hash(value, context) if value else ""


def _occurred(value: object) -> dt.date:
    day = _date("occurred_on", value)
    if day > today():
        raise invalid("occurred_on", _("This date is in the future."))
    return day


# --- Interventions -------------------------------------------------------------------------


def intervention_raise(
    *,
    actor: User,
    person: Person | None = None,
    agreement: Agreement | None = None,
    channel: object,
    occurred_on: object,
    asked: object,
    party: Party | None = None,
    official: object = "",
    raised_by: object = "",
    answer: object = "",
    next_step: object = "",
) -> Intervention:
    """Record that a case was raised (with whom, how, when, by whom, what was asked)."""
    require(actor, Action.RECORD)
    subject = _subject(person, agreement)
    fields = {
        "channel": _channel(channel),
        "occurred_on": _occurred(occurred_on),
        "asked": check_text("asked", asked, TEXT_MAX, required=True),
        "official": check_text("official", official, 200),
        "raised_by": check_text("raised_by", raised_by, 150) or actor.get_username(),
        "answer": check_text("answer", answer, TEXT_MAX),
        "next_step": check_text("next_step", next_step, TEXT_MAX),
    }
    with transaction.atomic():
        ledger.serialize()
        row = Intervention.objects.create(
            person=person, agreement=agreement, party=party, recorded_by=actor, **fields
        )
        context = f"intervention:{row.pk}"
        ledger.append(
            actor,
            "intervention.create",
            row,
            {
                **subject,
                "party": party.slug if party else None,
                "channel": row.channel,
                "occurred_on": row.occurred_on.isoformat(),
                **{
                    f: _hash(str(fields[f]), context)
                    for f in ("official", "raised_by", "asked", "answer", "next_step")
                },
            },
        )
    return row


_EDITABLE = (
    "party",
    "official",
    "channel",
    "occurred_on",
    "raised_by",
    "asked",
    "answer",
    "next_step",
)


def intervention_edit(actor: User, intervention: Intervention, **changes: Any) -> Intervention:
    """Change what an intervention says (most often: the answer that came, the next step).

    Fields left out stay as they are; the ledger names the fields changed, with keyed
    hashes of their new text."""
    require(actor, Action.RECORD)
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise invalid(sorted(unknown)[0], _("This field cannot be changed."))
    checked: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "party":
            checked[field] = value
        elif field == "channel":
            checked[field] = _channel(value)
        elif field == "occurred_on":
            checked[field] = _occurred(value)
        elif field == "asked":
            checked[field] = check_text(field, value, TEXT_MAX, required=True)
        elif field == "official":
            checked[field] = check_text(field, value, 200)
        elif field == "raised_by":
            checked[field] = check_text(field, value, 150, required=True)
        else:
            checked[field] = check_text(field, value, TEXT_MAX)
    changed = {f: v for f, v in checked.items() if getattr(intervention, f) != v}
    if not changed:
        return intervention
    context = f"intervention:{intervention.pk}"
    data: dict[str, Any] = {}
    for field, value in changed.items():
        if field == "party":
            data[field] = value.slug if value else None
        elif field in ("channel",):
            data[field] = value
        elif field == "occurred_on":
            data[field] = value.isoformat()
        else:
            data[field] = _hash(value, context)
    with transaction.atomic():
        ledger.serialize()
        for field, value in changed.items():
            setattr(intervention, field, value)
        intervention.save()
        ledger.append(actor, "intervention.edit", intervention, data)
    return intervention


# --- Notes ---------------------------------------------------------------------------------


def _visibility(actor: User, value: object) -> str:
    if value not in NoteVisibility.values:
        raise invalid(
            "visibility",
            _("Unknown audience “%(value)s”; use one of %(choices)s.")
            % {"value": value, "choices": ", ".join(NoteVisibility.values)},
        )
    if value == NoteVisibility.VERIFIERS and not can(actor, Action.MANAGE):
        raise invalid(
            "visibility",
            _("Only verifiers and administrators may write a note for verifiers only."),
        )
    return str(value)


def note_add(
    *,
    actor: User,
    body: object,
    person: Person | None = None,
    agreement: Agreement | None = None,
    visibility: object = NoteVisibility.STAFF,
) -> Note:
    """Write a confidential note (limited formatting, see ``sanitize``); version 1."""
    require(actor, Action.RECORD)
    subject = _subject(person, agreement)
    text = sanitize.clean("body", body)
    audience = _visibility(actor, visibility)
    with transaction.atomic():
        ledger.serialize()
        # The text is set as ``body`` and sealed as the row is saved (docs/keys.md).
        note = Note(
            person=person, agreement=agreement, visibility=audience, version=1, created_by=actor
        )
        note.body = text
        note.save(force_insert=True)
        first = NoteVersion(note=note, number=1, visibility=audience, author=actor)
        first.body = text
        first.save(force_insert=True)
        ledger.append(
            actor,
            "note.create",
            note,
            {
                **subject,
                "visibility": audience,
                "version": 1,
                "body": _hash(text, f"note:{note.pk}"),
            },
        )
    return note


def note_edit(*, actor: User, note: Note, body: object, visibility: object | None = None) -> Note:
    """A new version of the note; the earlier ones are kept as they were."""
    require(actor, Action.RECORD)
    if note.visibility == NoteVisibility.VERIFIERS and not can(actor, Action.MANAGE):
        raise Http404("no such note")  # never shown to this actor: as missing
    text = sanitize.clean("body", body)
    audience = note.visibility if visibility is None else _visibility(actor, visibility)
    if text == note.body and audience == note.visibility:
        return note
    with transaction.atomic():
        ledger.serialize()
        locked = Note.objects.select_for_update().get(pk=note.pk)
        number = locked.version + 1
        added = NoteVersion(note=locked, number=number, visibility=audience, author=actor)
        added.body = text
        added.save(force_insert=True)
        locked.body, locked.visibility, locked.version = text, audience, number
        locked.save(update_fields=["sealed_body", "visibility", "version", "updated_at"])
        ledger.append(
            actor,
            "note.edit",
            locked,
            {
                "version": number,
                "visibility": audience,
                "body": _hash(text, f"note:{locked.pk}"),
            },
        )
    return locked


# --- Tasks ---------------------------------------------------------------------------------


def _assignee(value: object) -> User:
    if isinstance(value, User):
        return value
    user_model = get_user_model()
    found = user_model.objects.filter(username=str(value)).first()
    if found is None:
        raise invalid("assignee", _("No account “%(name)s”.") % {"name": value})
    return found


def _sees_subject(
    user: User,
    person: Person | None,
    agreement: Agreement | None,
    intervention: Intervention | None,
) -> bool:
    if not user.is_active or not can(user, Action.READ):
        return False
    if intervention is not None:
        person, agreement = intervention.person, intervention.agreement
    if person is not None:
        return people_in_view(user).filter(pk=person.pk).exists()
    return visible_agreements(user).filter(pk=agreement.pk).exists()  # type: ignore[union-attr]


def task_add(
    *,
    actor: User,
    title: object,
    due_on: object,
    assignee: object,
    person: Person | None = None,
    agreement: Agreement | None = None,
    intervention: Intervention | None = None,
    details: object = "",
    remind_on: object = None,
) -> Task:
    """Set a task with a due date (today or later) for someone who may see its subject.

    The assignee is reminded by email on ``remind_on`` (between today and the due day; the
    due day when not given), if their account has an address (casework.reminders)."""
    require(actor, Action.RECORD)
    if sum(x is not None for x in (person, agreement, intervention)) != 1:
        raise invalid("subject", _("Give one of a person, an agreement or an intervention."))
    due = _date("due_on", due_on)
    fields: dict[str, Any] = {
        "title": check_text("title", title, 200, required=True),
        "details": check_text("details", details, TEXT_MAX),
        "due_on": due,
    }
    if due < today():
        raise invalid("due_on", _("This date is in the past; a task is due today or later."))
    remind = due if remind_on in (None, "") else _date("remind_on", remind_on)
    if remind < today() or remind > due:
        raise invalid(
            "remind_on",
            _("A reminder is sent between today and the due day (%(due)s).")
            % {"due": due.isoformat()},
        )
    fields["remind_on"] = remind
    user = _assignee(assignee)
    if not _sees_subject(user, person, agreement, intervention):
        raise invalid(
            "assignee",
            _("%(name)s may not see this case, so cannot be given a task on it.")
            % {"name": user.get_username()},
        )
    if intervention is not None:
        subject: dict[str, Any] = {"intervention": intervention.pk}
    else:
        subject = _subject(person, agreement)
    with transaction.atomic():
        ledger.serialize()
        task = Task.objects.create(
            person=person,
            agreement=agreement,
            intervention=intervention,
            assignee=user,
            created_by=actor,
            **fields,
        )
        ledger.append(
            actor,
            "task.create",
            task,
            {
                **subject,
                "assignee": user.get_username(),
                "due_on": task.due_on.isoformat(),
                "remind_on": remind.isoformat(),
                "title": _hash(task.title, f"task:{task.pk}"),
                "details": _hash(task.details, f"task:{task.pk}"),
            },
        )
    return task


def task_done(*, actor: User, task: Task) -> Task:
    """Mark a task done (by anyone who may record; the ledger says who)."""
    require(actor, Action.RECORD)
    if task.done_at is not None:
        raise invalid("task", _("This task is already done."))
    with transaction.atomic():
        ledger.serialize()
        changed = Task.objects.filter(pk=task.pk, done_at__isnull=True).update(
            done_at=timezone.now(), done_by=actor
        )
        if not changed:
            raise invalid("task", _("This task is already done."))
        task.refresh_from_db()
        ledger.append(actor, "task.done", task, {"due_on": task.due_on.isoformat()})
    return task


# --- Attachments ---------------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\"\\/:*?<>|]+")


def clean_file_name(value: object) -> str:
    """The file's own name, without any folder, control character or quote; at most 200
    characters (the end, with the extension, kept)."""
    text = str(value or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = _UNSAFE_NAME.sub("_", text).strip(" .")
    return text[-200:] or "attachment"


def attachment_subject(row: Claim | Note | Intervention) -> dict[str, Any]:
    """What the ledger names an attachment's subject by: its kind and number, and the
    person (handle) or agreement (slug) it is about."""
    label = "claim" if isinstance(row, Claim) else row._meta.model_name
    out: dict[str, Any] = {str(label): row.pk}
    if row.person_id:
        out["person"] = row.person.handle  # type: ignore[union-attr]
    elif row.agreement_id:
        out["agreement"] = row.agreement.slug  # type: ignore[union-attr]
    return out


def attachment_add(
    *,
    actor: User,
    chunks: Iterable[bytes],
    name: object,
    claim: Claim | None = None,
    note: Note | None = None,
    intervention: Intervention | None = None,
    strip_metadata: bool = False,
) -> Attachment:
    """Keep an evidence file on a claim, a note or a case raised (one of them).

    The file is streamed to a temporary file in the data directory (sized and hashed as
    it comes), recognised by its content, optionally stripped of its metadata (images
    only: the stripped copy is what everyone gets, the original is kept for verifiers and
    administrators), then moved into place under its SHA-256 with its row and ledger
    entry. Anything refused leaves no file and no row behind."""
    require(actor, Action.RECORD)
    subjects = [x for x in (claim, note, intervention) if x is not None]
    if len(subjects) != 1:
        raise invalid("subject", _("Give one of a claim, a note or a case raised."))
    if (
        note is not None
        and note.visibility == NoteVisibility.VERIFIERS
        and not can(actor, Action.MANAGE)
    ):
        raise Http404("no such note")  # never shown to this actor: as missing
    file_name = clean_file_name(name)
    received = files.receive(chunks)
    stripped: files.Received | None = None
    try:
        kind = files.sniff(received.path)
        if strip_metadata:
            if kind not in IMAGE_KINDS:
                raise invalid(
                    "strip_metadata",
                    _("Metadata can be stripped from images only (this file: %(kind)s).")
                    % {"kind": dict(files.AttachmentKind.choices)[kind]},
                )
            stripped = files.strip_metadata(received.path, kind)
        shown = stripped or received
        with transaction.atomic():
            ledger.serialize()
            row = Attachment(
                claim=claim,
                note=note,
                intervention=intervention,
                kind=kind,
                size=shown.size,
                sha256=shown.sha256,
                stripped=stripped is not None,
                original_sha256=received.sha256 if stripped else "",
                original_size=received.size if stripped else None,
                uploaded_by=actor,
            )
            row.name = file_name  # sealed when saved (Attachment's sealed fields)
            row.save()
            ledger.append(
                actor,
                "attachment.create",
                row,
                {
                    **attachment_subject(subjects[0]),
                    "kind": kind,
                    "size": row.size,
                    "sha256": row.sha256,
                    "stripped": row.stripped,
                    "original_sha256": row.original_sha256 or None,
                    "name": _hash(file_name, f"attachment:{row.pk}"),
                },
            )
            files.keep(received)
            if stripped is not None:
                files.keep(stripped)
    except BaseException:
        received.discard()
        if stripped is not None:
            stripped.discard()
        raise
    return row
