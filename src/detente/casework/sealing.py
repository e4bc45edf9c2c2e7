"""Sealing casework again with the current data keys (`detente keys rotate --data`), in
batches, each its own transaction, while the site serves: a reader opens a row or file
sealed with the old key or the new one alike (a ciphertext names its key).

Sealing again changes the envelope, never the text: a note's versions stay as written
(their keyed hashes in the ledger still match), which is why this may touch the history.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from detente.casework import files
from detente.casework.models import (
    ATTACHMENT_CLASS,
    NOTE_CLASS,
    Attachment,
    Intervention,
    Note,
    NoteVersion,
    Task,
)
from detente.keys import ring


def _batches(model: type[Note] | type[NoteVersion], size: int, lock: bool) -> int:
    done, after = 0, 0
    while True:
        with transaction.atomic():
            current = ring.current(NOTE_CLASS).key_id
            rows = model._base_manager.filter(pk__gt=after).order_by("pk")
            if lock:  # an edit of the same note waits, and is not undone
                rows = rows.select_for_update()
            batch: list[Any] = list(rows[:size])
            if not batch:
                return done
            for row in batch:
                if ring.key_id_of(row.sealed_body) == current:
                    continue
                text = row.body  # opened with the key it names
                row.sealed_body = ring.seal_text(NOTE_CLASS, row._body_ref(), text)
                model._base_manager.filter(pk=row.pk).update(sealed_body=row.sealed_body)
                done += 1
            after = batch[-1].pk


def reseal_notes(batch_size: int) -> int:
    """Every note and every version of it sealed with the notes' current data key."""
    return _batches(Note, batch_size, lock=True) + _batches(NoteVersion, batch_size, lock=False)


def _fields_again(row: Intervention | Task | Attachment) -> str:
    row._opened()  # opened with the key it names
    row._sealed_dirty = True
    row._seal()
    return row.sealed


def reseal_fields(model: type[Intervention] | type[Task] | type[Attachment], size: int) -> int:
    """Every row of a model with sealed fields (``_SealedFields``) sealed with its class's
    current data key; each batch locked, so an edit of the same row waits, not undone."""
    return ring.reseal_rows(model, model.SEALED_CLASS, _fields_again, size)


def reseal_interventions(batch_size: int) -> int:
    """Every case raised sealed with the current data key of its class."""
    return reseal_fields(Intervention, batch_size)


def reseal_tasks(batch_size: int) -> int:
    """Every task sealed with the current data key of its class."""
    return reseal_fields(Task, batch_size)


def reseal_attachment_names(batch_size: int) -> int:
    """Every attachment's name as uploaded sealed with the current data key of its class."""
    return reseal_fields(Attachment, batch_size)


def reseal_files(batch_size: int) -> int:
    """Every stored attachment file sealed with the current data key (plain ones too)."""
    ring.current(ATTACHMENT_CLASS)
    hashes = set(Attachment.objects.values_list("sha256", flat=True))
    hashes |= set(
        Attachment.objects.exclude(original_sha256="").values_list("original_sha256", flat=True)
    )
    done = 0
    for sha in sorted(hashes):
        if files.path_of(sha).exists() and files.seal_again(sha):
            done += 1
    return done
