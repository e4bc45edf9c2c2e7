"""Imported rows sealed at rest, step 2 of 3: every row already stored, its parsed row
sealed into ``sealed`` with the data key of ``reconcile.import_row``, bound to the row's
source and hash (``import_row:<source id>:<row hash>``). A row already sealed is left as
it is, so a run that was stopped is simply run again. Going back opens them again into
the plain column.

With rows to seal this needs the master key (made outside production when missing; in
production `detente keys init` first, or the migration stops saying so)."""

import json
from typing import Any

from django.db import migrations

CLASS = "reconcile.import_row"
BATCH = 1000


def _batches(apps: Any) -> Any:
    model = apps.get_model("reconcile", "ImportRow")
    after = 0
    while True:
        batch = list(model.objects.filter(pk__gt=after).order_by("pk")[:BATCH])
        if not batch:
            return
        yield model, batch
        after = batch[-1].pk


def seal(apps: Any, schema_editor: Any) -> None:
    from detente.keys import ring

    for model, batch in _batches(apps):
        changed = []
        for row in batch:
            if ring.key_id_of(row.sealed) is not None:
                continue
            text = json.dumps(row.data, ensure_ascii=False, separators=(",", ":"))
            ref = f"import_row:{row.source_id}:{row.row_hash}"
            row.sealed = ring.seal_text(CLASS, ref, text)
            changed.append(row)
        model.objects.bulk_update(changed, ["sealed"])


def unseal(apps: Any, schema_editor: Any) -> None:
    from detente.keys import ring

    for model, batch in _batches(apps):
        changed = []
        for row in batch:
            if ring.key_id_of(row.sealed) is None:
                continue
            ref = f"import_row:{row.source_id}:{row.row_hash}"
            row.data = json.loads(ring.open_text(CLASS, ref, row.sealed, f"row {row.pk}"))
            row.sealed = ""
            changed.append(row)
        model.objects.bulk_update(changed, ["data", "sealed"])


class Migration(migrations.Migration):
    dependencies = [
        ("reconcile", "0004_importrow_sealed"),
        ("keys", "0001_initial"),
    ]

    operations = [migrations.RunPython(seal, unseal)]
