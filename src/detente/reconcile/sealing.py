"""Sealing imported rows again with the current data key (`detente keys rotate --data`),
in batches, each its own transaction, while the site serves: a reader opens a row sealed
with the old key or the new one alike (a ciphertext names its key). The parsed row is
unchanged; only its envelope is new."""

from __future__ import annotations

from django.db import transaction

from detente.keys import ring
from detente.reconcile.models import IMPORT_ROW_CLASS, ImportRow, open_data, seal_data


def reseal_import_rows(batch_size: int) -> int:
    """Every imported row sealed with the current data key of its class; each batch
    locked (a decision on the same row waits, and is not undone) and written in one
    statement."""
    done, after = 0, 0
    while True:
        with transaction.atomic():
            current = ring.current(IMPORT_ROW_CLASS).key_id
            rows = (
                ImportRow.objects.filter(pk__gt=after)
                .order_by("pk")
                .select_for_update()
                .only("pk", "source_id", "row_hash", "sealed")
            )
            batch = list(rows[:batch_size])
            if not batch:
                return done
            changed = []
            for row in batch:
                if ring.key_id_of(row.sealed) == current:
                    continue
                what = f"import row #{row.pk}"
                data = open_data(row.source_id, row.row_hash, row.sealed, what)
                row.sealed = seal_data(row.source_id, row.row_hash, data)
                changed.append(row)
            ImportRow.objects.bulk_update(changed, ["sealed"])
            done += len(changed)
            after = batch[-1].pk
