"""Persona table for the casework routes: who may open each one (see test_personas.py).

Casework is for staff: every staff role reads it and records it (analysts included), on
the people and agreements it sees; a note for verifiers only is missing to the others
(tests/casework). Samples name the test world's first person and rows made once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone
from tests.support import World

STAFF = frozenset({"analyst", "verifier", "administrator"})


def intervention_pk(world: World) -> int:
    """A case raised about the world's first person (made once)."""
    from detente.casework.models import Intervention
    from detente.casework.services import intervention_raise

    found = Intervention.objects.values_list("pk", flat=True).first()
    if found:
        return found
    return intervention_raise(
        actor=world.actor,
        person=world.person(),
        channel="meeting",
        occurred_on=dt.date(2020, 3, 1),
        asked="A visit by the family.",
    ).pk


def note_pk(world: World) -> int:
    """A note for every staff member about the world's first person (made once)."""
    from detente.casework.models import Note
    from detente.casework.services import note_add

    found = Note.objects.filter(visibility="staff").values_list("pk", flat=True).first()
    if found:
        return found
    return note_add(actor=world.actor, person=world.person(), body="<p>Seen in May.</p>").pk


def task_pk(world: World) -> int:
    """An open task on the world's first person (made once)."""
    from detente.casework.models import Task
    from detente.casework.services import task_add

    found = Task.objects.filter(done_at__isnull=True).values_list("pk", flat=True).first()
    if found:
        return found
    return task_add(
        actor=world.actor,
        person=world.person(),
        title="Chase the answer",
        due_on=timezone.localdate(),
        assignee=world.actor,
    ).pk


def attachment_pk(world: World) -> int:
    """An evidence file (a PDF) on the note of ``note_pk`` (made once)."""
    from detente.casework.models import Attachment
    from detente.casework.selectors import note_get
    from detente.casework.services import attachment_add

    found = Attachment.objects.values_list("pk", flat=True).first()
    if found:
        return found
    note = note_get(world.actor, note_pk(world))
    return attachment_add(
        actor=world.actor, chunks=[b"%PDF-1.7\n%%EOF\n"], name="scan.pdf", note=note
    ).pk


ROUTES: dict[str, frozenset[str]] = {
    "staff/work/": STAFF,
    "staff/interventions/": STAFF,
    "staff/interventions/new/": STAFF,
    "staff/interventions/<int:pk>/": STAFF,
    "staff/interventions/<int:pk>/edit/": STAFF,
    "staff/notes/": STAFF,
    "staff/notes/new/": STAFF,
    "staff/notes/<int:pk>/": STAFF,
    "staff/notes/<int:pk>/edit/": STAFF,
    "staff/tasks/new/": STAFF,
    "staff/tasks/<int:pk>/done/": STAFF,
    "staff/attachments/new/": STAFF,
    "staff/attachments/<int:pk>/download/": STAFF,
}
SAMPLES: dict[str, Callable[[World], str]] = {
    "staff/interventions/new/": lambda w: f"/staff/interventions/new/?person={w.person().handle}",
    "staff/interventions/<int:pk>/": lambda w: f"/staff/interventions/{intervention_pk(w)}/",
    "staff/interventions/<int:pk>/edit/": (
        lambda w: f"/staff/interventions/{intervention_pk(w)}/edit/"
    ),
    "staff/notes/": lambda w: f"/staff/notes/?person={w.person().handle}",
    "staff/notes/new/": lambda w: f"/staff/notes/new/?person={w.person().handle}",
    "staff/notes/<int:pk>/": lambda w: f"/staff/notes/{note_pk(w)}/",
    "staff/notes/<int:pk>/edit/": lambda w: f"/staff/notes/{note_pk(w)}/edit/",
    "staff/tasks/new/": lambda w: f"/staff/tasks/new/?person={w.person().handle}",
    "staff/tasks/<int:pk>/done/": lambda w: f"/staff/tasks/{task_pk(w)}/done/",
    "staff/attachments/new/": lambda w: f"/staff/attachments/new/?note={note_pk(w)}",
    "staff/attachments/<int:pk>/download/": (
        lambda w: f"/staff/attachments/{attachment_pk(w)}/download/"
    ),
}
POST_ONLY: set[str] = {"staff/tasks/<int:pk>/done/"}
PUBLIC: set[str] = set()
