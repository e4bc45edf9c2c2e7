"""Appending to the ledger and checking its chain.

Each entry's hash is SHA-256 over a canonical JSON of its fields and the previous entry's
hash, so changing, removing, inserting or reordering any entry breaks every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from detente.audit.models import AuditEntry

GENESIS = "0" * 64
# Any constant works: it only serialises appends on PostgreSQL (SQLite serialises writers).
_LOCK_KEY = 0x6465_7465_6E74


def entry_hash(
    prev_hash: str,
    at: str,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    data: Any,
) -> str:
    payload = json.dumps(
        [prev_hash, at, actor, action, object_type, object_id, data],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def append(
    actor: User | None,
    action: str,
    obj: Any,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Must run inside the caller's transaction (the service's)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit entries are written inside the service's transaction")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    last = AuditEntry.objects.order_by("-seq").values_list("hash", flat=True).first()
    prev = last or GENESIS
    at = timezone.now()
    label = actor.get_username() if actor is not None else "system"
    object_type = obj._meta.label_lower if hasattr(obj, "_meta") else type(obj).__name__
    object_id = str(getattr(obj, "pk", obj))
    payload = json.loads(json.dumps(data or {}, sort_keys=True, default=str))
    digest = entry_hash(prev, at.isoformat(), label, action, object_type, object_id, payload)
    return AuditEntry.objects.create(
        at=at,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=payload,
        prev_hash=prev,
        hash=digest,
    )


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def verify() -> VerifyResult:
    """Recompute the chain; name the first entry whose hash or link does not hold."""
    prev = GENESIS
    checked = 0
    fields = ("seq", "at", "actor_label", "action", "object_type", "object_id", "data")
    rows = AuditEntry.objects.order_by("seq").values_list(*fields, "prev_hash", "hash")
    for seq, at, actor, action, otype, oid, data, prev_hash, digest in rows.iterator(2000):
        if prev_hash != prev:
            return VerifyResult(False, checked, seq, "link to the previous entry is broken")
        if entry_hash(prev, at.isoformat(), actor, action, otype, oid, data) != digest:
            return VerifyResult(False, checked, seq, "entry content does not match its hash")
        prev = digest
        checked += 1
    return VerifyResult(True, checked)


def keyed_hash(value: object) -> str:
    """A keyed hash of a confidential value, so the ledger can prove a change without
    holding the value itself. Keyed, so names cannot be confirmed by hashing guesses."""
    import hmac

    from django.conf import settings

    key = hashlib.sha256(b"detente-audit:" + settings.SECRET_KEY.encode()).digest()
    return "hmac:" + hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()[:32]
