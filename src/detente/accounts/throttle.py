"""Login throttling per (username, client address), plus a cap per address.

The key includes the address so that someone guessing a password from elsewhere locks out
only themselves: the real user at their own address keeps logging in. The per-address
cap (every username together) slows one address spraying many usernames.

An attempt is *charged* before its password is checked and *refunded* when it succeeds,
so parallel requests cannot all pass the check before any failure is counted. A locked
(username, address) pair is refused without checking the password, with the same message
as a wrong password, whether or not the username exists.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest

from detente.accounts.models import LoginThrottle
from detente.audit import ledger

MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 50
WINDOW = dt.timedelta(minutes=15)
UNKNOWN_ADDRESS = "unknown"
ALL_USERNAMES = ""
USERNAME_MAX = 150


@dataclass(frozen=True)
class Limits:
    max_failures: int
    max_failures_per_address: int
    window: dt.timedelta


def limits() -> Limits:
    """The limits in force, read at call time so settings can change them."""
    seconds = getattr(settings, "DETENTE_LOGIN_WINDOW_SECONDS", None)
    return Limits(
        max_failures=int(getattr(settings, "DETENTE_LOGIN_MAX_FAILURES", MAX_FAILURES)),
        max_failures_per_address=int(
            getattr(settings, "DETENTE_LOGIN_MAX_FAILURES_PER_ADDRESS", MAX_FAILURES_PER_ADDRESS)
        ),
        window=WINDOW if seconds is None else dt.timedelta(seconds=int(seconds)),
    )


def client_address(request: HttpRequest | None) -> str:
    """The client's address as the throttle keys it.

    Only ``REMOTE_ADDR``: headers such as X-Forwarded-For are set by the client unless a
    proxy overwrites them, so trusting them would let an attacker pick a fresh "address"
    for every guess. Behind a reverse proxy, the proxy (or the WSGI server's
    forwarded-allow-ips) must set REMOTE_ADDR to the real client. An IPv6 client is keyed
    by its /64 network, since one machine usually controls a whole /64.
    """
    raw = (request.META.get("REMOTE_ADDR") or "") if request is not None else ""
    try:
        ip = ipaddress.ip_address(raw.strip())
    except ValueError:
        return UNKNOWN_ADDRESS
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _key(username: str) -> str:
    # Longer strings cannot be usernames; cutting them keeps the row valid.
    return username[:USERNAME_MAX]


def _rows(address: str, username: str, now: dt.datetime) -> tuple[LoginThrottle, LoginThrottle]:
    """The pair's row and the address's row, locked for this transaction."""
    found = []
    for name in (_key(username), ALL_USERNAMES):
        row, _created = LoginThrottle.objects.select_for_update().get_or_create(
            address=address, username=name, defaults={"window_started_at": now}
        )
        found.append(row)
    return found[0], found[1]


def _roll(row: LoginThrottle, now: dt.datetime, window: dt.timedelta) -> bool:
    """Start a new window once the lock or the window is over; True if the row changed."""
    if row.locked_until is not None:
        if row.locked_until > now:
            return False
    elif row.window_started_at + window > now:
        return False
    row.failures, row.locked_until, row.window_started_at = 0, None, now
    return True


def _refuses(row: LoginThrottle, now: dt.datetime, limit: int) -> bool:
    # failures >= limit without a lock yet: the last allowed attempts are still in flight.
    return (row.locked_until is not None and row.locked_until > now) or row.failures >= limit


def charge(username: str, address: str, now: dt.datetime) -> bool:
    """Charge one attempt; False (and nothing charged) if the pair or address is locked."""
    lim = limits()
    with transaction.atomic():
        pair, per_address = _rows(address, username, now)
        changed = [row for row in (pair, per_address) if _roll(row, now, lim.window)]
        if _refuses(pair, now, lim.max_failures) or _refuses(
            per_address, now, lim.max_failures_per_address
        ):
            for row in changed:
                row.save()
            return False
        for row in (pair, per_address):
            row.failures += 1
            row.save()
        return True


def record_failure(username: str, address: str, now: dt.datetime) -> None:
    """The charged attempt failed: lock what reached its limit and audit each new lock.

    Runs inside the caller's transaction, so the lock and its ledger entry (and the
    caller's own ledger entry, if any) are written together.
    """
    lim = limits()
    pair, per_address = _rows(address, username, now)
    for row, limit, scope in (
        (pair, lim.max_failures, "username_and_address"),
        (per_address, lim.max_failures_per_address, "address"),
    ):
        if row.locked_until is None and row.failures >= limit:
            row.locked_until = now + lim.window
            row.save(update_fields=["locked_until"])
            ledger.append(
                None,
                "auth.lockout",
                row,
                {
                    "scope": scope,
                    # What was typed may be a password in the wrong box: named only when it
                    # is a real account, otherwise kept as a keyed hash.
                    "username": _ledger_username(row.username),
                    "address": address,
                    "failures": row.failures,
                    "until": row.locked_until.isoformat(),
                },
            )
    prune(now)


def record_success(username: str, address: str) -> None:
    """Clear the pair and refund the attempt charged to the address."""
    with transaction.atomic():
        LoginThrottle.objects.filter(address=address, username=_key(username)).delete()
        LoginThrottle.objects.filter(
            address=address, username=ALL_USERNAMES, failures__gt=0
        ).update(failures=F("failures") - 1)


def prune(now: dt.datetime) -> int:
    """Delete rows whose window and lock are both over (they no longer count)."""
    window = limits().window
    deleted, _by_model = (
        LoginThrottle.objects.filter(window_started_at__lte=now - window)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .delete()
    )
    return deleted


def is_locked(username: str, address: str, now: dt.datetime) -> bool:
    """Whether an attempt for ``username`` from ``address`` would be refused now."""
    lim = limits()
    rows = {
        r.username: r
        for r in LoginThrottle.objects.filter(
            address=address, username__in=[_key(username), ALL_USERNAMES]
        )
    }
    checks = ((_key(username), lim.max_failures), (ALL_USERNAMES, lim.max_failures_per_address))
    for name, limit in checks:
        row = rows.get(name)
        if row is not None and not _roll(row, now, lim.window) and _refuses(row, now, limit):
            return True
    return False


def _ledger_username(typed: str) -> str | None:
    from django.contrib.auth import get_user_model

    if not typed:
        return None
    if get_user_model().objects.filter(username=typed).exists():
        return typed
    return ledger.keyed_hash(typed, "login")
