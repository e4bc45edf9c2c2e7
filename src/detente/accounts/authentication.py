"""One login attempt: throttle, password, second factor, in that order.

Every way into Detente (the admin login form today, the web login and the backend used
by ``django.contrib.auth.authenticate()``) goes through :func:`attempt_login`, so the
lockout and the second factor cannot be skipped by choosing another door.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from typing import Any, NoReturn

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from detente.access.policy import roles_of
from detente.accounts import sealing, throttle, totp
from detente.accounts.models import TOTPDevice
from detente.audit import ledger

logger = logging.getLogger(__name__)


class Refusal(enum.StrEnum):
    LOCKED = "locked"
    CREDENTIALS = "credentials"
    NOT_ENROLLED = "not_enrolled"
    CODE_MISSING = "code_missing"
    CODE_MALFORMED = "code_malformed"
    CODE_INVALID = "code_invalid"  # wrong or expired
    CODE_REUSED = "code_reused"
    DEVICE_UNREADABLE = "device_unreadable"  # the secret key changed since enrolment


class LoginRefused(Exception):
    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


def second_factor_required(user: Any) -> bool:
    """Staff, superusers and anyone holding a Detente role must give a code.

    ``is_staff`` is included although the roles cover every staff account today: a staff
    account without a group can still open the admin, and must not be the silent gap.
    """
    return bool(user.is_superuser or user.is_staff or roles_of(user))


def code_message_missing() -> str:
    return _("Enter the 6-digit code from your authenticator app.")


def code_message_invalid() -> str:
    return _("That code is not valid or has expired.")


def refusal_message(reason: Refusal) -> str | None:
    """What to tell the person logging in; None means "the generic wrong-password message".

    A locked pair gets the generic message too, so a lockout tells nothing an ordinary
    wrong password would not. The other messages follow a correct password: they cost the
    guesser an attempt from the same throttled budget as a password guess.
    """
    if reason in (Refusal.LOCKED, Refusal.CREDENTIALS):
        return None
    if reason in (Refusal.CODE_MISSING, Refusal.CODE_MALFORMED):
        return code_message_missing()
    if reason is Refusal.NOT_ENROLLED:
        return _(
            "This account needs a second factor but has no authenticator yet. Ask an "
            "administrator to enrol you."
        )
    if reason is Refusal.DEVICE_UNREADABLE:
        return _(
            "Your authenticator can no longer be checked. Ask an administrator to enrol you again."
        )
    return code_message_invalid()


_passwords = ModelBackend()


@sensitive_variables("password", "code")
def attempt_login(
    *,
    request: HttpRequest | None,
    username: str,
    password: str,
    code: str | None,
    now: dt.datetime | None = None,
) -> User:
    """The user, if the attempt succeeds; otherwise raises :class:`LoginRefused`.

    A failed attempt changes nothing but the throttle (and appends a ledger entry when it
    got past the password, or when it set off a lockout). A locked (username, address)
    is refused before the password is looked at.
    """
    now = now or timezone.now()
    address = throttle.client_address(request)
    if not username or not password:
        raise LoginRefused(Refusal.CREDENTIALS)
    if not throttle.charge(username, address, now):
        _signal_failure(request, username)
        raise LoginRefused(Refusal.LOCKED)

    user = _passwords.authenticate(request, username=username, password=password)
    if user is None:
        _refuse(Refusal.CREDENTIALS, request, username, address, now)
    if not second_factor_required(user):
        throttle.record_success(username, address)
        return user

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        _refuse(Refusal.NOT_ENROLLED, request, username, address, now, user)
    code = totp.normalise_code(code)
    if not code:
        _refuse(Refusal.CODE_MISSING, request, username, address, now, user)
    if not totp.is_well_formed(code):
        _recovery_login(request, user, code, address, now)
        return user
    try:
        step = device.match(code, now)
    except (sealing.InvalidToken, ValueError):
        logger.error(
            "The authenticator secret of user id %s cannot be decrypted (was SECRET_KEY "
            "changed without keeping the old one in SECRET_KEY_FALLBACKS?); re-enrol them.",
            user.pk,
        )
        _refuse(Refusal.DEVICE_UNREADABLE, request, username, address, now, user)
    if step is None:
        reused = totp.match_step(device.key(), code, now.timestamp()) is not None
        reason = Refusal.CODE_REUSED if reused else Refusal.CODE_INVALID
        _refuse(reason, request, username, address, now, user)
    # Spend the step with a conditional UPDATE: of two requests racing with one code,
    # exactly one finds the step still unused.
    spent = (
        TOTPDevice.objects.filter(pk=device.pk)
        .filter(Q(last_used_step__isnull=True) | Q(last_used_step__lt=step))
        .update(last_used_step=step)
    )
    if not spent:
        _refuse(Refusal.CODE_REUSED, request, username, address, now, user)
    throttle.record_success(username, address)
    return user


def _recovery_login(
    request: HttpRequest | None, user: User, text: str, address: str, now: dt.datetime
) -> None:
    """A recovery code in place of the authenticator's: spent and audited, or refused."""
    from detente.accounts.services import (
        looks_like_recovery_code,
        normalise_recovery_code,
        recovery_code_consume,
        recovery_codes_left,
    )

    username = user.get_username()
    if not looks_like_recovery_code(normalise_recovery_code(text)):
        _refuse(Refusal.CODE_MALFORMED, request, username, address, now, user)
    with transaction.atomic():
        spent = recovery_code_consume(user, text, now)
        if spent:
            ledger.append(
                user,
                "auth.recovery_code",
                user,
                {"username": username, "address": address, "left": recovery_codes_left(user)},
            )
    if not spent:
        _refuse(Refusal.CODE_INVALID, request, username, address, now, user)
    throttle.record_success(username, address)


def _refuse(
    reason: Refusal,
    request: HttpRequest | None,
    username: str,
    address: str,
    now: dt.datetime,
    user: User | None = None,
) -> NoReturn:
    with transaction.atomic():
        throttle.record_failure(username, address, now)
        if user is not None:
            # The password was right: someone holds it. Worth an administrator's look.
            ledger.append(
                None,
                "auth.otp_failed",
                user,
                {"username": user.get_username(), "address": address, "reason": reason.value},
            )
    _signal_failure(request, username)
    raise LoginRefused(reason)


def _signal_failure(request: HttpRequest | None, username: str) -> None:
    # Same signal Django's authenticate() sends, for any listener that logs failures.
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
