"""Helpers for the oversight page tests."""

from __future__ import annotations

import json
from typing import Any

from detente.audit.models import AuditEntry


def page(response: Any) -> str:
    """The page's HTML as text."""
    return str(response.content.decode())


def field_errors(response: Any, form: str = "form") -> dict[str, list[str]]:
    """The errors of the form the page was rendered with, by field ("__all__" for the rest)."""
    bound = response.context[form]
    return {name: [str(e) for e in errors] for name, errors in bound.errors.items()}


def entries(action: str) -> list[dict[str, Any]]:
    return [json.loads(e.data) for e in AuditEntry.objects.filter(action=action)]


def release(world: Any, source: str, i: int, day: str, status: str = "") -> None:
    """Record that ``source`` says person ``i`` was released on ``day`` (received that day)."""
    import datetime as dt

    from tests.support import at

    from detente.evidence.services import claim_record
    from detente.registry.status import CustodyStatus

    claim_record(
        actor=world.actor,
        source=world.sources[source],
        person=world.person(i),
        status=status or CustodyStatus.UNCONDITIONAL_RELEASE,
        event_date=dt.date.fromisoformat(day),
        received_at=at(day),
    )
