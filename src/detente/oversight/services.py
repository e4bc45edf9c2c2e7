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


# The newest entries one access-history download holds; the file says when it stops.
ACCESS_EXPORT_LIMIT = 10_000
ACCESS_COLUMNS = ["position", "at", "actor", "as_user", "action", "what", "people", "details"]


def access_history_export(
    actor: User, *, fmt: str, handle: str = "", user_pk: int | None = None
) -> tuple[list[str], list[dict[str, object]]]:
    """One person's or one account's access history as rows for a file, newest first (up
    to ``ACCESS_EXPORT_LIMIT``), read and recorded in one transaction: the download is an
    ``access.export`` entry (whose history, in what form, how many entries). Administrators
    only (the selectors refuse anyone else)."""
    from detente.audit.labels import action_label
    from detente.oversight.selectors import person_access, user_access, user_get

    with transaction.atomic():
        ledger.serialize()
        if handle:
            page = person_access(actor, handle, size=ACCESS_EXPORT_LIMIT)
            subject: dict[str, object] = {"person": handle}
        else:
            assert user_pk is not None  # noqa: S101 - one of the two is given
            page = user_access(actor, user_pk, size=ACCESS_EXPORT_LIMIT)
            subject = {"user": user_get(actor, user_pk).get_username()}
        rows: list[dict[str, object]] = [
            {
                "position": r.position,
                "at": r.at.isoformat() if r.at else "",
                "actor": r.actor,
                "as_user": r.as_user,
                "action": r.action,
                "what": action_label(r.action),
                "people": " ".join(r.people),
                "details": "; ".join(f"{k}: {v}" for k, v in r.details.items()),
            }
            for r in page.rows
        ]
        head = AuditEntry.objects.order_by("-position").first()
        ledger.append(
            actor,
            "access.export",
            head if head is not None else "ledger",
            {**subject, "format": fmt, "entries": len(rows)},
        )
    return ACCESS_COLUMNS, rows
