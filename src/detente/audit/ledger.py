"""Appending to the ledger and proving it was not altered.

Entry hash = SHA-256 over the previous hash and every field of the entry, joined with a
separator that cannot occur inside them (JSON escapes control characters; the other fields
are ours). Changing, removing, inserting or reordering an entry breaks the chain there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from detente.audit.models import AuditEntry, EntryKind, PersonAccess
from detente.core.security import current_request_id

GENESIS = "0" * 64
SEP = "\x1f"
# The root that signed checkpoints carry (their third line) and witnesses follow: a second
# chain over the entry hashes alone, root(n) = SHA-256(root(n-1) || hash(n)), from 32 zero
# bytes. A witness that holds root(n) can check a later root(m) from the entry hashes
# n+1..m, which are opaque digests (no name, no field of any entry), and the chain of
# entries commits every entry hash to its content, so root(m) commits to all of it.
ROOT_GENESIS = bytes(32)
# Any constant works: it serialises appends on PostgreSQL (SQLite serialises writers).
_LOCK_KEY = 0x6465_7465_6E74


def entry_hash(
    prev_hash: str,
    at: str,
    actor_id: str,
    actor_label: str,
    kind: str,
    action: str,
    object_type: str,
    object_id: str,
    request_id: str,
    data: str,
) -> str:
    text = SEP.join(
        (
            prev_hash,
            at,
            actor_id,
            actor_label,
            kind,
            action,
            object_type,
            object_id,
            request_id,
            data,
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


def extend_root(root: bytes, entry_hashes: Iterable[bytes]) -> bytes:
    """The root after these raw 32-byte entry hashes (what a witness recomputes)."""
    sha = hashlib.sha256
    for digest in entry_hashes:
        root = sha(root + digest).digest()
    return root


def entry_hashes(after: int, upto: int) -> list[bytes]:
    """The raw hashes of entries after+1 .. upto: the consistency proof sent to witnesses."""
    rows = (
        AuditEntry.objects.filter(position__gt=after, position__lte=upto)
        .order_by("position")
        .values_list("position", "hash")
    )
    out = []
    for expected, (position, digest) in enumerate(rows.iterator(), start=after + 1):
        if position != expected:
            raise ValueError(f"entry {expected} is missing from the ledger")
        out.append(bytes.fromhex(digest))
    if len(out) != upto - after:
        raise ValueError(f"the ledger ends before entry {upto}")
    return out


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _hash_key() -> bytes:
    """The key for hashing confidential values: its own file, not the secret key, so
    rotating one does not touch the other and a leaked settings file does not unlock it."""
    path = Path(settings.DATA_DIR) / "keys" / "ledger-hmac"
    cached = _KEYS.get(path)
    if cached is None:
        if not path.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it first
            else:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(secrets.token_bytes(32))
        cached = _KEYS[path] = path.read_bytes()
    return cached


_KEYS: dict[Path, bytes] = {}


def keyed_hash(value: object, context: str) -> str:
    """A keyed hash of a confidential value, so the ledger can show that a value changed
    (or stayed) without holding it. Keyed, so a name cannot be confirmed by hashing
    guesses; bound to ``context`` (the person's handle, the source), so two people who
    share a surname do not share its hash."""
    message = f"{context}{SEP}{value}".encode()
    return "hmac:" + hmac.new(_hash_key(), message, hashlib.sha256).hexdigest()[:32]


def serialize() -> None:
    """Queue this transaction behind any other writer, for the rest of the transaction.

    Services call it first, before they read what they will derive from, so two
    concurrent writes about one person cannot each miss the other's claim. SQLite
    already takes its write lock at BEGIN (IMMEDIATE); PostgreSQL needs the advisory lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _append(
    actor: User | None, kind: str, action: str, object_type: str, object_id: str, data: Any
) -> AuditEntry:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit entries are written inside the service's transaction")
    serialize()
    last = AuditEntry.objects.order_by("-position").values_list("position", "hash").first()
    position, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    actor_id = str(actor.pk) if actor is not None and actor.pk else ""
    label = actor.get_username() if actor is not None else "system"
    request_id = current_request_id()
    text = canonical(data)
    digest = entry_hash(
        prev, at, actor_id, label, kind, action, object_type, object_id, request_id, text
    )
    return AuditEntry.objects.create(
        position=position,
        at=at,
        actor_id=int(actor_id) if actor_id else None,
        actor_label=label,
        kind=kind,
        action=action,
        object_type=object_type,
        object_id=object_id,
        request_id=request_id,
        data=text,
        prev_hash=prev,
        hash=digest,
    )


def append(
    actor: User | None, action: str, obj: Any, data: dict[str, Any] | None = None
) -> AuditEntry:
    """Append one change entry. Runs inside the caller's (the service's) transaction."""
    object_type = obj._meta.label_lower if hasattr(obj, "_meta") else type(obj).__name__
    return _append(
        actor, EntryKind.CHANGE, action, object_type, str(getattr(obj, "pk", obj)), data or {}
    )


def record_access(
    viewer: Any,
    action: str,
    handles: Iterable[str],
    data: dict[str, Any] | None = None,
    *,
    always: bool = False,
) -> AuditEntry | None:
    """Record that ``viewer`` saw the identities of these people (nothing when none, unless
    ``always``: a download is recorded even when the file names no one)."""
    seen = sorted(set(handles))
    operator = getattr(viewer, "_detente_operator", None)
    if (not seen and not always) or (
        operator is None and not getattr(viewer, "is_authenticated", False)
    ):
        # An anonymous visitor only ever sees identities already made public: nothing
        # confidential was seen, and the public site must not write on every page view.
        return None
    actor = viewer if getattr(viewer, "is_authenticated", False) else None
    if operator is not None:
        # The command line's --as: the operator saw it, through that user's eyes.
        data = {**(data or {}), "as": getattr(viewer, "username", "anonymous")}
        actor = operator
    with transaction.atomic():
        entry = _append(
            actor,
            EntryKind.ACCESS,
            action,
            "registry.person",
            seen[0] if len(seen) == 1 else f"{len(seen)} people",
            {"people": seen, **(data or {})},
        )
        # The index behind "who has seen this person" (audit.PersonAccess), in the same
        # transaction as the entry it points to.
        PersonAccess.objects.bulk_create(
            [PersonAccess(entry_id=entry.position, handle=h) for h in seen], batch_size=5000
        )
        return entry


def record_download(
    viewer: Any,
    action: str,
    *,
    fmt: str,
    filters: dict[str, Any],
    count: int,
    people: Iterable[str] = (),
) -> None:
    """The download is itself a ledger entry: who took which table, in what form, with
    which filters, how many rows, and whose identities it holds (``people``: handles).
    Written even when the file names no one. Called by the service that read the rows
    (and made the file with ``core.exports``), inside its transaction."""
    data = {"format": fmt, "filters": filters, "rows": count}
    record_access(viewer, action, people, data, always=True)


# --- Verification --------------------------------------------------------------------------

_COLUMNS = (
    "position, at, actor_id, actor_label, kind, action, object_type, object_id, request_id, "
    "data, prev_hash, hash"
)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    head_position: int
    head_hash: str
    first_bad_position: int | None = None
    reason: str = ""
    root_hash: str = ""  # hex; what a checkpoint of head_position entries signs


def _rows(batch: int = 20_000) -> Iterator[tuple[Any, ...]]:
    # A raw cursor: at a million entries the ORM's per-row conversions cost more than hashing.
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM {table} ORDER BY position")  # noqa: S608
        while chunk := cur.fetchmany(batch):
            yield from chunk


def verify(hashes_at: dict[int, str] | None = None) -> VerifyResult:
    """Recompute the chain and name the first entry that does not hold.

    ``hashes_at`` maps positions to the hashes that earlier checkpoints recorded for them;
    the chain must still pass through each (consistency with the checkpoints). A
    checkpoint's hash is the root at that position (see ROOT_GENESIS) or, for checkpoints
    signed before witnesses, the entry's own hash; either commits to every entry up to it.
    """
    expected_at = dict(hashes_at or {})
    prev, before_prev, expected_pos, checked = GENESIS, "", 1, 0
    root = ROOT_GENESIS
    sha = hashlib.sha256
    for pos, at, aid, label, kind, action, otype, oid, rid, data, prev_hash, digest in _rows():
        if pos != expected_pos:
            return VerifyResult(
                False,
                checked,
                expected_pos - 1,
                prev,
                expected_pos,
                f"entry {expected_pos} is missing (next found: {pos})",
            )
        if prev_hash != prev:
            if prev_hash == before_prev:
                # This entry links past its predecessor: the predecessor was slipped in.
                return VerifyResult(
                    False,
                    checked - 1,
                    pos - 2,
                    before_prev,
                    pos - 1,
                    "it was inserted: the next entry links past it",
                )
            return VerifyResult(
                False,
                checked,
                pos - 1,
                prev,
                pos,
                "its link to the previous entry is broken (altered, moved or replaced)",
            )
        text = SEP.join(
            (prev, at, "" if aid is None else str(aid), label, kind, action, otype, oid, rid, data)
        )
        if sha(text.encode()).hexdigest() != digest:
            return VerifyResult(
                False, checked, pos - 1, prev, pos, "its content does not match its hash"
            )
        root = sha(root + bytes.fromhex(digest)).digest()
        if pos in expected_at and expected_at.pop(pos) not in (root.hex(), digest):
            return VerifyResult(
                False, checked, pos, digest, pos, "it differs from a signed checkpoint"
            )
        prev, before_prev, expected_pos, checked = digest, prev, pos + 1, checked + 1
    if expected_at:
        missing = min(expected_at)
        return VerifyResult(
            False,
            checked,
            expected_pos - 1,
            prev,
            missing,
            f"a signed checkpoint covers entry {missing}, which is no longer in the ledger",
        )
    return VerifyResult(True, checked, expected_pos - 1, prev, root_hash=root.hex())
