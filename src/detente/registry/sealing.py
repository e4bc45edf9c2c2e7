"""Sealing identities again with the current data key (`detente keys rotate --data`), in
batches, each its own transaction and locked, so an edit of the same identity waits and
is not undone. The text never changes: only its envelope."""

from __future__ import annotations

from django.db import transaction

from detente.keys import ring
from detente.registry.models import IDENTITY_CLASS, Identity


def reseal_identities(batch_size: int) -> int:
    """Every identity sealed with the current identity data key; how many were."""
    done, after = 0, 0
    while True:
        with transaction.atomic():
            current = ring.current(IDENTITY_CLASS).key_id
            rows = Identity.objects.filter(pk__gt=after).order_by("pk").select_for_update()
            batch = list(rows[:batch_size])
            if not batch:
                return done
            for row in batch:
                if ring.key_id_of(row.sealed) == current:
                    continue
                row._opened()  # opened with the key it names
                row._dirty = True
                row.seal()
                Identity.objects.filter(pk=row.pk).update(sealed=row.sealed)
                done += 1
            after = batch[-1].pk
