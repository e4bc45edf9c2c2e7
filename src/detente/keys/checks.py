"""``detente check`` (run by `detente serve` and `detente db_worker` before they start): a
master key is given, is not in the data directory, and opens every data key. Otherwise
nothing starts, rather than serving pages that fail half-way through (docs/keys.md)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register
from django.db import DatabaseError

from detente.keys import master, ring
from detente.keys.master import KeyProblem
from detente.keys.models import DataKey

HINT = "See docs/keys.md."


@register()
def master_key(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        # Outside production the key is made here if missing, as on first use.
        key = master.configured()
    except KeyProblem as exc:
        return [Error(str(exc), hint=HINT, id="detente.E301")]
    try:
        rows = list(DataKey.objects.all())
    except DatabaseError:
        return []  # no tables yet (before `migrate`): nothing sealed to open
    for row in rows:
        try:
            ring.unwrap(row, key.key)
        except Exception:
            return [Error(str(ring._not_opened(row, key)), hint=HINT, id="detente.E302")]
    return []
