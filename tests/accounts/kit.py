"""Helpers for the accounts tests: a settable clock, members with authenticators, logins."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib.auth.models import Group, User
from django.test import Client

from detente.accounts import services, totp
from detente.accounts.models import LoginThrottle, TOTPDevice
from detente.audit.models import AuditEntry

PASSWORD = "correct horse battery staple 42"
# 10 s into a step, so "one step later" and "three steps ago" are unambiguous.
START = dt.datetime(2026, 3, 2, 9, 0, 10, tzinfo=dt.UTC)
ADDRESS_A = "198.51.100.7"
ADDRESS_B = "203.0.113.20"
GENERIC = "Please enter the correct username and password for a staff account."
CODE_MISSING = "Enter the 6-digit code from your authenticator app."
CODE_INVALID = "That code is not valid or has expired."
NOT_ENROLLED = "Ask an administrator to enrol you."


class Clock:
    """What ``django.utils.timezone.now`` returns while a test runs."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now

    def __call__(self) -> dt.datetime:
        return self.now


def member(
    actor: User,
    username: str,
    role: str | None = "analyst",
    *,
    staff: bool = True,
    enrol: bool = True,
    confirm: bool = True,
    now: dt.datetime = START,
) -> User:
    """A user with ``PASSWORD``; with a confirmed authenticator unless told otherwise.

    Confirmation spends a step two minutes before ``now``, so codes at ``now`` are fresh.
    """
    user = User.objects.create_user(username=username, password=PASSWORD, is_staff=staff)
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    if enrol:
        earlier = now - dt.timedelta(minutes=2)
        _device, _uri = services.totp_enroll(actor=actor, user=user, now=earlier)
        if confirm:
            services.totp_confirm(actor=actor, user=user, code=code_for(user, earlier), now=earlier)
            assert TOTPDevice.objects.get(user=user).confirmed
    return user


def code_for(user: User, at: dt.datetime) -> str:
    return totp.totp(TOTPDevice.objects.get(user=user).key(), at.timestamp())


def admin_login(client: Client, username: str, password: str, code: str = "") -> Any:
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "otp": code},
    )


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def entries(action: str) -> list[dict[str, Any]]:
    return [json.loads(e.data) for e in AuditEntry.objects.filter(action=action)]


def failures(username: str, address: str) -> int:
    row = LoginThrottle.objects.filter(username=username, address=address).first()
    return 0 if row is None else row.failures


def device_state(user: User) -> tuple[Any, ...]:
    d = TOTPDevice.objects.get(user=user)
    return (d.sealed_secret, d.confirmed, d.last_used_step, d.confirmed_at)
