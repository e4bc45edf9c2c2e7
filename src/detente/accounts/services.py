"""Writes to accounts. Each service checks, changes and audits in one transaction.

Secrets (TOTP secrets, codes) never reach the ledger; usernames and reasons do.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Role, roles_of
from detente.accounts import sealing, totp
from detente.accounts.authentication import code_message_invalid, code_message_missing
from detente.accounts.models import LoginThrottle, TOTPDevice, UserSession
from detente.accounts.signals import user_disabled
from detente.audit import ledger
from detente.core.errors import check_text, invalid

REASON_MAX = 500


def is_administrator(user: User) -> bool:
    return Role.ADMINISTRATOR in roles_of(user)


def require_administrator(actor: User) -> None:
    # Action.MANAGE is not enough: verifiers hold it too, and accounts are the keys to
    # every confidential record.
    if not is_administrator(actor):
        raise PermissionDenied("not allowed: administrator only")


# --- Second factor --------------------------------------------------------------------


def totp_enroll(
    *, actor: User, user: User, now: dt.datetime | None = None
) -> tuple[TOTPDevice, str]:
    """Give ``user`` a new, unconfirmed authenticator; return it and its ``otpauth://`` link.

    An administrator may enrol anyone; a user may enrol themselves while they have no
    confirmed authenticator. A confirmed one is replaced only after ``totp_reset``, so a
    stolen session alone cannot swap a user's second factor for the thief's.
    """
    if actor.pk != user.pk:
        require_administrator(actor)
    now = now or timezone.now()
    with transaction.atomic():
        existing = TOTPDevice.objects.select_for_update().filter(user=user).first()
        if existing is not None and existing.confirmed:
            raise invalid(
                "user",
                _(
                    "%(username)s already has a confirmed authenticator; an administrator "
                    "must reset it before a new one is enrolled."
                )
                % {"username": user.get_username()},
            )
        secret = totp.generate_secret()
        device = existing or TOTPDevice(user=user)
        device.sealed_secret = sealing.seal(user.pk, secret)
        device.confirmed, device.confirmed_at, device.last_used_step = False, None, None
        device.created_at = now
        device.save()
        ledger.append(
            actor,
            "totp.enrol",
            device,
            {"username": user.get_username(), "replaced_unconfirmed": existing is not None},
        )
    return device, totp.provisioning_uri(secret, user.get_username())


def totp_confirm(
    *, actor: User, user: User, code: str, now: dt.datetime | None = None
) -> TOTPDevice:
    """Confirm ``user``'s new authenticator with a code it shows; from then on it is required.

    The step the code belongs to is spent, so the code seen while enrolling cannot be
    used again to log in.
    """
    if actor.pk != user.pk:
        require_administrator(actor)
    now = now or timezone.now()
    code = totp.normalise_code(code)
    if not totp.is_well_formed(code):
        raise invalid("code", code_message_missing())
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user).first()
        if device is None or device.confirmed:
            raise invalid(
                "user",
                _("%(username)s has no authenticator waiting for confirmation.")
                % {"username": user.get_username()},
            )
        step = device.match(code, now)
        if step is None:
            raise invalid("code", code_message_invalid())
        device.confirmed, device.confirmed_at, device.last_used_step = True, now, step
        device.save(update_fields=["confirmed", "confirmed_at", "last_used_step"])
        ledger.append(actor, "totp.confirm", device, {"username": user.get_username()})
    return device


def totp_reset(*, actor: User, user: User, reason: str) -> None:
    """Remove ``user``'s authenticator (lost phone, suspected copy). Administrator only.

    Until a new one is enrolled and confirmed, an account that needs a second factor
    cannot log in at all.
    """
    require_administrator(actor)
    reason = check_text("reason", reason, REASON_MAX, required=True)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user).first()
        if device is None:
            raise invalid(
                "user",
                _("%(username)s has no authenticator.") % {"username": user.get_username()},
            )
        was_confirmed = device.confirmed
        ledger.append(
            actor,
            "totp.reset",
            device,
            {"username": user.get_username(), "reason": reason, "was_confirmed": was_confirmed},
        )
        device.delete()


# --- Login throttle -------------------------------------------------------------------


def login_unlock(*, actor: User, user: User) -> int:
    """Lift every lockout of ``user``'s username (all addresses). Administrator only.

    The per-address caps are left alone: they are about the address, not the user.
    """
    require_administrator(actor)
    with transaction.atomic():
        deleted, _by_model = LoginThrottle.objects.filter(username=user.get_username()).delete()
        ledger.append(
            actor, "auth.unlock", user, {"username": user.get_username(), "rows": deleted}
        )
    return deleted


# --- Disabling ------------------------------------------------------------------------


def user_disable(*, actor: User, user: User, reason: str) -> int:
    """Disable ``user`` at once: no login, every session ended, tokens revoked.

    Returns the number of sessions ended. Tokens are revoked by the receivers of
    ``detente.accounts.signals.user_disabled``, inside this transaction.
    """
    require_administrator(actor)
    reason = check_text("reason", reason, REASON_MAX, required=True)
    if actor.pk == user.pk:
        raise invalid("user", _("You cannot disable your own account."))
    with transaction.atomic():
        if not User.objects.select_for_update().get(pk=user.pk).is_active:
            raise invalid(
                "user",
                _("%(username)s is already disabled.") % {"username": user.get_username()},
            )
        user.is_active = False
        try:
            user.save(update_fields=["is_active"])
            keys = UserSession.objects.filter(user=user).values_list("session_id", flat=True)
            _total, by_model = Session.objects.filter(session_key__in=list(keys)).delete()
            sessions = by_model.get(Session._meta.label, 0)
            user_disabled.send(sender=User, user=user, actor=actor, reason=reason)
            ledger.append(
                actor,
                "user.disable",
                user,
                {"username": user.get_username(), "reason": reason, "sessions_ended": sessions},
            )
        except BaseException:
            user.is_active = True  # rolled back: keep the caller's object truthful
            raise
    return sessions


def user_enable(*, actor: User, user: User, reason: str = "") -> None:
    """Let a disabled user log in again (with their password and second factor)."""
    require_administrator(actor)
    reason = check_text("reason", reason, REASON_MAX)
    with transaction.atomic():
        if User.objects.select_for_update().get(pk=user.pk).is_active:
            raise invalid(
                "user", _("%(username)s is not disabled.") % {"username": user.get_username()}
            )
        user.is_active = True
        user.save(update_fields=["is_active"])
        ledger.append(
            actor, "user.enable", user, {"username": user.get_username(), "reason": reason}
        )


# --- Creating accounts and choosing their role ------------------------------------------

NO_ROLE = ""  # an account without a role sees what the public sees (its own API tokens)


def _role_label(role: str) -> str:
    labels = {
        Role.ADMINISTRATOR: _("administrator"),
        Role.VERIFIER: _("verifier"),
        Role.ANALYST: _("analyst"),
        Role.LEGISLATURE: _("legislature"),
        NO_ROLE: _("no role"),
    }
    return str(labels.get(role, role))


def _check_role(role: object) -> str:
    if role not in (*Role.ALL, NO_ROLE):
        raise invalid(
            "role",
            _(
                "Unknown role “%(value)s”; use administrator, verifier, analyst, "
                "legislature or none."
            )
            % {"value": role},
        )
    return str(role)


def role_of(user: User) -> str:
    """The one role an account holds (``NO_ROLE`` for none), the strongest if it has several."""
    held = set(user.groups.filter(name__in=Role.ALL).values_list("name", flat=True))
    return next((r for r in Role.ALL if r in held), NO_ROLE)


def _set_role_groups(user: User, role: str) -> None:
    from django.contrib.auth.models import Group

    user.groups.remove(*Group.objects.filter(name__in=Role.ALL))
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    # Staff roles may open the interim admin; nobody else needs to.
    user.is_staff = role in Role.STAFF
    user.save(update_fields=["is_staff"])
    if hasattr(user, "_detente_roles"):
        del user._detente_roles  # roles_of caches per object; this one just changed


def user_create(*, actor: User, username: str, role: str, password: str, email: str = "") -> User:
    """Create an account with one role (or none). Administrator only.

    The password must pass the configured validators. The new account cannot sign in
    until an authenticator is enrolled for it (``detente user totp-enrol``) when its role
    needs a second factor. Neither the password nor the e-mail address reaches the ledger.
    """
    from django.contrib.auth.password_validation import validate_password
    from django.contrib.auth.validators import UnicodeUsernameValidator
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email
    from django.db import IntegrityError

    require_administrator(actor)
    username = check_text("username", username, 150, required=True)
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise invalid(
            "username", _("Use only letters, digits and the characters @ . + - _ in a username.")
        ) from None
    taken = _("The username “%(username)s” is already taken.") % {"username": username}
    if User.objects.filter(username__iexact=username).exists():
        raise invalid("username", taken)
    role = _check_role(role)
    email = check_text("email", email, 254)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise invalid(
                "email", _("“%(value)s” is not an e-mail address.") % {"value": email}
            ) from None
    if not isinstance(password, str) or not password:
        raise invalid("password", _("This field is required."))
    try:
        validate_password(password, User(username=username, email=email))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
            _set_role_groups(user, role)
            ledger.append(actor, "user.create", user, {"username": username, "role": role or None})
    except IntegrityError:  # created by someone else between the check and the insert
        raise invalid("username", taken) from None
    return user


def user_set_role(*, actor: User, user: User, role: str, reason: str = "") -> None:
    """Give ``user`` exactly one role (or none), in place of what they had. Administrator only.

    Takes effect on the user's next request. An administrator cannot change their own
    role (nobody removes the last administrator by accident), and superusers are managed
    from the command line: their flag outranks any role.
    """
    require_administrator(actor)
    role = _check_role(role)
    reason = check_text("reason", reason, REASON_MAX)
    if actor.pk == user.pk:
        raise invalid("role", _("You cannot change your own role; ask another administrator."))
    if user.is_superuser:
        raise invalid(
            "role",
            _(
                "%(username)s is a superuser, which outranks any role; manage it from the "
                "command line."
            )
            % {"username": user.get_username()},
        )
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        before = role_of(user)
        if before == role:
            raise invalid(
                "role",
                _("%(username)s already has the role “%(role)s”.")
                % {"username": user.get_username(), "role": _role_label(role)},
            )
        _set_role_groups(user, role)
        ledger.append(
            actor,
            "user.role",
            user,
            {
                "username": user.get_username(),
                "before": before or None,
                "after": role or None,
                "reason": reason,
            },
        )
