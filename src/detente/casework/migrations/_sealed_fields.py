"""Sealing the free text of rows stored before it was sealed (used by the casework
migrations that moved a model's free-text columns into one sealed column; docs/keys.md).

A row already sealed is left as it is, so a run that was stopped is simply run again.
With rows to seal this needs the master key (made outside production when missing; in
production `detente keys init` first, or the migration stops saying so)."""

from __future__ import annotations

import json
from typing import Any


def seal(
    apps: Any, model_name: str, record_class: str, prefix: str, fields: tuple[str, ...]
) -> None:
    from detente.keys import ring

    model = apps.get_model("casework", model_name)
    for row in model.objects.order_by("pk").iterator(chunk_size=500):
        if ring.key_id_of(row.sealed) is not None:
            continue
        values = {f: getattr(row, f) or "" for f in fields}
        text = json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        sealed = ring.seal_text(record_class, f"{prefix}:{row.pk}", text)
        model.objects.filter(pk=row.pk).update(sealed=sealed)


def unseal(
    apps: Any, model_name: str, record_class: str, prefix: str, fields: tuple[str, ...]
) -> None:
    from detente.keys import ring

    model = apps.get_model("casework", model_name)
    for row in model.objects.order_by("pk").iterator(chunk_size=500):
        if ring.key_id_of(row.sealed) is None:
            continue
        text = ring.open_text(record_class, f"{prefix}:{row.pk}", row.sealed, f"row {row.pk}")
        values = json.loads(text)
        model.objects.filter(pk=row.pk).update(
            sealed="", **{f: str(values.get(f) or "") for f in fields}
        )
