"""Writes of the oversight pages that belong to no other app (checked, changed and
recorded in one transaction, like every service)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from detente.access.policy import Action, require
from detente.audit import ledger
from detente.audit.models import AuditEntry


def ledger_export_record(actor: User, *, fmt: str, filters: dict[str, str], rows: int) -> None:
    """The download of ledger entries is itself an entry: who took which part of the
    ledger, in what form."""
    require(actor, Action.MANAGE)
    with transaction.atomic():
        ledger.serialize()
        head = AuditEntry.objects.order_by("-position").first()
        data = {"format": fmt, "filters": filters, "entries": rows}
        ledger.append(actor, "ledger.export", head if head is not None else "ledger", data)
