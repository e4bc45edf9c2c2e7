"""Reads for the oversight pages that no other app's selectors offer yet.

Each takes the viewer and shows only what it may: the page's own check is the first
gate, these are the second, so a view that forgot its check still leaks nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from detente.access.policy import CLI_USERNAME, Action, Role, Viewer, can, roles_of
from detente.accounts.models import LoginThrottle, TOTPDevice
from detente.api.models import ApiToken
from detente.audit import checkpoints
from detente.audit.models import AuditEntry, EntryKind, PersonAccess
from detente.evidence.models import Claim, Source
from detente.evidence.selectors import source_get
from detente.registry.models import Person

# --- Sources ------------------------------------------------------------------------------


def source_claim_count(viewer: Viewer, source: Source) -> int:
    source = source_get(viewer, source.slug)
    return Claim.objects.filter(source=source).count()


# --- Ledger -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    position: int
    at: dt.datetime | None
    actor: str
    kind: str
    action: str
    object_type: str
    object_id: str
    request_id: str
    data: str
    name: str = ""  # how people know the object (a handle, a slug), when the entry says


@dataclass(frozen=True)
class LedgerPage:
    rows: list[LedgerRow]
    newer: int | None  # ?after= for the page of newer entries, None on the newest page
    older: int | None  # ?before= for the page of older entries, None on the oldest page
    head: int  # position of the newest entry (0 when the ledger is empty)


def _parse_at(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None  # a tampered row still shows; verify names it


def _name(data: str) -> str:
    """The handle or slug an entry's data names its object by, if any."""
    try:
        found = json.loads(data)
    except ValueError:
        return ""
    if not isinstance(found, dict):
        return ""
    for key in ("handle", "slug"):
        if isinstance(found.get(key), str):
            return str(found[key])
    return ""


def _pretty(data: str) -> str:
    try:
        return json.dumps(json.loads(data), indent=2, ensure_ascii=False, sort_keys=True)
    except ValueError:
        return data


def ledger_page(
    viewer: Viewer,
    *,
    before: int | None = None,
    after: int | None = None,
    action: str = "",
    actor: str = "",
    size: int = 50,
) -> LedgerPage:
    """One page of entries, newest first, found by position (keyset paging).

    Every query walks the unique index on ``position`` from a known point and stops after
    ``size + 1`` rows, so page 20,000 of a million entries costs what page 1 costs; the
    total is the head's position (positions are contiguous), never a COUNT(*).
    """
    if not can(viewer, Action.MANAGE):
        raise Http404("no ledger")
    qs = AuditEntry.objects.all()
    if action:
        qs = qs.filter(action__startswith=action)
    if actor:
        qs = qs.filter(actor_label=actor)
    columns = (
        "position",
        "at",
        "actor_label",
        "kind",
        "action",
        "object_type",
        "object_id",
        "request_id",
        "data",
    )
    if after is not None:
        newer = qs.filter(position__gt=after).order_by("position")
        found = list(newer.values_list(*columns)[: size + 1])
        more_newer = len(found) > size
        found = found[:size][::-1]
        more_older = bool(found) and qs.filter(position__lt=found[-1][0]).exists()
    else:
        page = qs.filter(position__lt=before) if before is not None else qs
        found = list(page.order_by("-position").values_list(*columns)[: size + 1])
        more_older = len(found) > size
        found = found[:size]
        more_newer = bool(found) and qs.filter(position__gt=found[0][0]).exists()
    rows = [
        LedgerRow(pos, _parse_at(at), label, kind, act, otype, oid, rid, _pretty(data), _name(data))
        for pos, at, label, kind, act, otype, oid, rid, data in found
    ]
    head = AuditEntry.objects.order_by("-position").values_list("position", flat=True).first()
    return LedgerPage(
        rows,
        newer=rows[0].position if rows and more_newer else None,
        older=rows[-1].position if rows and more_older else None,
        head=head or 0,
    )


@dataclass(frozen=True)
class CheckpointRow:
    name: str
    size: int | None
    head_hash: str
    problem: str


@dataclass
class Checkpoints:
    rows: list[CheckpointRow] = field(default_factory=list)
    expected: dict[int, str] = field(default_factory=dict)  # size -> head hash, for verify

    @property
    def usable(self) -> bool:
        return not any(r.problem for r in self.rows)


def checkpoint_dir() -> Path:
    # The folder `detente audit checkpoint` writes to (core/management/commands/audit.py).
    return Path(settings.DATA_DIR) / "checkpoints"


def ledger_checkpoints(viewer: Viewer) -> Checkpoints:
    """The signed checkpoints kept on this server, each checked against the public key.

    A problem (bad signature, no key, two heads for one size) is reported per file in
    English, like the command line, and the file is left out of ``expected``.
    """
    if not can(viewer, Action.MANAGE):
        raise Http404("no ledger")
    out = Checkpoints()
    files = sorted(checkpoint_dir().glob("checkpoint-*.txt"))
    if not files:
        return out
    _private, public_path = checkpoints.key_paths()
    public = checkpoints.load_public(public_path) if public_path.exists() else None
    for path in files:
        if public is None:
            out.rows.append(CheckpointRow(path.name, None, "", f"no public key at {public_path}"))
            continue
        try:
            cp = checkpoints.parse_and_check(path.read_text(), public)
        except (OSError, ValueError) as exc:  # CheckpointError is a ValueError
            out.rows.append(CheckpointRow(path.name, None, "", str(exc)))
            continue
        if out.expected.get(cp.size, cp.head_hash) != cp.head_hash:
            problem = f"conflicts with another checkpoint of {cp.size} entries (fork)"
            out.rows.append(CheckpointRow(path.name, cp.size, cp.head_hash, problem))
            continue
        out.expected[cp.size] = cp.head_hash
        out.rows.append(CheckpointRow(path.name, cp.size, cp.head_hash, ""))
    return out


# --- Users --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserRow:
    pk: int
    username: str
    email: str
    role: str  # a Role value, "" for none
    superuser: bool
    second_factor: str  # "confirmed", "unconfirmed" or "none"
    active: bool
    locked_until: dt.datetime | None
    last_login: dt.datetime | None
    joined: dt.datetime


def _require_administrator(viewer: Viewer) -> None:
    if Role.ADMINISTRATOR not in roles_of(viewer):
        raise Http404("no such user")


def user_accounts(viewer: Viewer) -> QuerySet[User]:
    """Every account but the command-line operator's, which is not a person to manage."""
    _require_administrator(viewer)
    return User.objects.exclude(username=CLI_USERNAME).order_by("username")


def user_get(viewer: Viewer, pk: int) -> User:
    try:
        return user_accounts(viewer).get(pk=pk)
    except User.DoesNotExist:
        raise Http404("no such user") from None


def user_rows(viewer: Viewer, users: list[User]) -> list[UserRow]:
    """What the users page shows of each account: role, second factor, locks."""
    _require_administrator(viewer)
    now = timezone.now()
    names = [u.username for u in users]
    locks: dict[str, dt.datetime] = {}
    for username, until in LoginThrottle.objects.filter(
        username__in=names, locked_until__gt=now
    ).values_list("username", "locked_until"):
        if until is not None and (username not in locks or until > locks[username]):
            locks[username] = until
    groups: dict[int, set[str]] = {}
    through = User.groups.through.objects.filter(user_id__in=[u.pk for u in users])
    for user_id, name in through.values_list("user_id", "group__name"):
        groups.setdefault(user_id, set()).add(name)
    rows = []
    for u in users:
        held = groups.get(u.pk, set())
        rows.append(
            UserRow(
                pk=u.pk,
                username=u.username,
                email=u.email,
                role=next((r for r in Role.ALL if r in held), ""),
                superuser=u.is_superuser,
                second_factor=_second_factor(u),
                active=u.is_active,
                locked_until=locks.get(u.username),
                last_login=u.last_login,
                joined=u.date_joined,
            )
        )
    return rows


def _second_factor(user: User) -> str:
    try:
        device = user.totp_device  # filled by select_related, or raises
    except TOTPDevice.DoesNotExist:
        return "none"
    return "confirmed" if device.confirmed else "unconfirmed"


def user_row(viewer: Viewer, user: User) -> UserRow:
    fresh = user_accounts(viewer).select_related("totp_device").get(pk=user.pk)
    return user_rows(viewer, [fresh])[0]


# --- API tokens ---------------------------------------------------------------------------


def token_list(viewer: Viewer) -> QuerySet[ApiToken]:
    """The viewer's own tokens; every token for an administrator."""
    if not viewer.is_authenticated:
        return ApiToken.objects.none()
    qs = ApiToken.objects.select_related("user").order_by("-created_at", "-id")
    if Role.ADMINISTRATOR in roles_of(viewer):
        return qs
    return qs.filter(user_id=viewer.pk)


def token_get(viewer: Viewer, pk: int) -> ApiToken:
    try:
        return token_list(viewer).get(pk=pk)
    except ApiToken.DoesNotExist:
        raise Http404("no such token") from None


# --- Who has seen whom -------------------------------------------------------------------


@dataclass(frozen=True)
class AccessRow:
    """One access entry as an access history shows it."""

    position: int
    at: dt.datetime | None
    actor: str
    action: str  # the ledger's code; the page shows it in words
    people: list[str]  # the handles the entry names (all of them)
    as_user: str  # the account whose view the command line's --as took, if any
    details: dict[str, str]  # what else the entry says: format, rows, agreement, file…

    @property
    def others(self) -> int:
        """How many other people the same view or download named."""
        return max(len(self.people) - 1, 0)

    def as_json(self) -> dict[str, object]:
        """The entry as the API and ``detente audit access --json`` give it."""
        return {
            "position": self.position,
            "at": self.at.isoformat() if self.at else None,
            "actor": self.actor,
            "as_user": self.as_user or None,
            "action": self.action,
            "people": self.people,
            "details": self.details,
        }


@dataclass(frozen=True)
class AccessPage:
    rows: list[AccessRow]
    older: int | None  # ?before= for the next page (older entries), None on the last
    newer: bool  # whether this is not the newest page
    merged: tuple[str, ...] = ()  # a person's history: the records merged into them


# What an access entry may say beside the people, as the history shows it.
_DETAIL_KEYS = ("format", "rows", "agreement", "attachment", "original", "run", "job", "filters")


def _access_row(position: int, at: str, actor: str, action: str, data: str) -> AccessRow:
    try:
        found = json.loads(data)
    except ValueError:
        found = {}
    if not isinstance(found, dict):
        found = {}
    people = [h for h in found.get("people") or [] if isinstance(h, str)]
    details = {}
    for key in _DETAIL_KEYS:
        value = found.get(key)
        if value in (None, "", {}, []):
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
        details[key] = str(value)
    return AccessRow(
        position, _parse_at(at), actor, action, people, str(found.get("as") or ""), details
    )


def _access_page(entries: QuerySet[AuditEntry], before: int | None, size: int) -> AccessPage:
    if before is not None:
        entries = entries.filter(position__lt=before)
    found = list(
        entries.order_by("-position").values_list(
            "position", "at", "actor_label", "action", "data"
        )[: size + 1]
    )
    rows = [_access_row(*f) for f in found[:size]]
    return AccessPage(
        rows, rows[-1].position if len(found) > size and rows else None, before is not None
    )


def person_handles(viewer: Viewer, handle: str) -> list[str]:
    """The person's handle and the handles of every record merged into it: what was seen of
    a record before the merge was seen of this person. Administrators only; 404 for a
    handle that names no one."""
    _require_administrator(viewer)
    person = Person.objects.filter(handle=handle).first()
    if person is None:
        raise Http404("no such person")
    handles, frontier = [person.handle], [person.pk]
    while frontier:  # merges chain: A into B, then B into C
        merged = list(Person.objects.filter(merged_into__in=frontier).values_list("pk", "handle"))
        frontier = [pk for pk, _h in merged]
        handles += [h for _pk, h in merged]
    return handles


def _naming(handles: list[str]) -> QuerySet[AuditEntry]:
    positions = PersonAccess.objects.filter(handle__in=handles).values("entry_id")
    return AuditEntry.objects.filter(kind=EntryKind.ACCESS, position__in=positions)


def person_access_entries(viewer: Viewer, handle: str) -> QuerySet[AuditEntry]:
    """Every access entry that named this person (or a record merged into it), found by
    the ledger's access index (audit.PersonAccess). Administrators only: who looked at
    whom is itself sensitive."""
    return _naming(person_handles(viewer, handle))


def user_named(viewer: Viewer, username: str) -> User:
    """The account with this username (administrators only; 404 as for a missing one)."""
    found = user_accounts(viewer).filter(username=username).first()
    if found is None:
        raise Http404("no such user")
    return found


def user_access_entries(viewer: Viewer, pk: int) -> QuerySet[AuditEntry]:
    """Every access entry written for this account: what it saw on pages, in searches, in
    downloads and through its API tokens. Administrators only."""
    return AuditEntry.objects.filter(kind=EntryKind.ACCESS, actor=user_get(viewer, pk))


def access_row(entry: AuditEntry) -> AccessRow:
    return _access_row(entry.position, entry.at, entry.actor_label, entry.action, entry.data)


def person_access(
    viewer: Viewer, handle: str, *, before: int | None = None, size: int = 50
) -> AccessPage:
    """A person's access history, newest first, a page at a time."""
    handles = person_handles(viewer, handle)
    page = _access_page(_naming(handles), before, size)
    return dataclasses.replace(page, merged=tuple(handles[1:]))


def user_access(
    viewer: Viewer, pk: int, *, before: int | None = None, size: int = 50
) -> AccessPage:
    """An account's access history, newest first, a page at a time."""
    return _access_page(user_access_entries(viewer, pk), before, size)
