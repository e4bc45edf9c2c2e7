"""Writes to accounts. Each service checks, changes and audits in one transaction.

Secrets (TOTP secrets, codes) never reach the ledger; usernames and reasons do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Role, roles_of
from detente.accounts import sealing, totp
from detente.accounts.authentication import code_message_invalid, code_message_missing
from detente.accounts.models import (
    Invitation,
    LoginThrottle,
    RecoveryCode,
    TOTPDevice,
    UserSession,
)
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
    """Remove ``user``'s authenticator and recovery codes (lost phone, suspected copy).
    Administrator only.

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
        _reset_device(actor, user, device, reason)


def _reset_device(actor: User, user: User, device: TOTPDevice, reason: str) -> None:
    codes, _by_model = RecoveryCode.objects.filter(user=user).delete()
    ledger.append(
        actor,
        "totp.reset",
        device,
        {
            "username": user.get_username(),
            "reason": reason,
            "was_confirmed": device.confirmed,
            "recovery_codes_removed": codes,
        },
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


def holds_staff_role(user: Any) -> bool:
    """Whether the account holds a staff role (analyst, verifier, administrator): the one
    answer to "is this staff?". Django's ``is_staff`` flag is kept equal to it by
    ``set_role_groups`` only because Django expects the flag; nothing here reads the flag to
    decide (the admin site and its sign-in ask this function)."""
    return bool(getattr(user, "is_active", False) and set(roles_of(user)) & Role.STAFF)


def set_role_groups(user: User, role: str) -> None:
    """Give the account exactly ``role`` (or none), and Django's ``is_staff`` to match.

    The caller checks and writes the ledger entry (the services below, the demo)."""
    from django.contrib.auth.models import Group

    user.groups.remove(*Group.objects.filter(name__in=Role.ALL))
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    # Staff roles may open the interim admin; nobody else needs to.
    user.is_staff = role in Role.STAFF
    user.save(update_fields=["is_staff"])
    if hasattr(user, "_detente_roles"):
        del user._detente_roles  # roles_of caches per object; this one just changed


def _check_new_account(username: object, role: object, email: object) -> tuple[str, str, str]:
    """The new account's username, role and e-mail address, checked (not yet taken)."""
    from django.contrib.auth.validators import UnicodeUsernameValidator
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    username = check_text("username", username, 150, required=True)
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise invalid(
            "username", _("Use only letters, digits and the characters @ . + - _ in a username.")
        ) from None
    if User.objects.filter(username__iexact=username).exists():
        raise invalid("username", _taken(username))
    role = _check_role(role)
    email = check_text("email", email, 254)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise invalid(
                "email", _("“%(value)s” is not an e-mail address.") % {"value": email}
            ) from None
    return username, role, email


def _taken(username: str) -> str:
    return _("The username “%(username)s” is already taken.") % {"username": username}


def user_create(*, actor: User, username: str, role: str, password: str, email: str = "") -> User:
    """Create an account with one role (or none) and a password. Administrator only.

    The password must pass the configured validators. The new account cannot sign in
    until an authenticator is enrolled for it when its role needs a second factor; an
    invitation (``user_invite``) does both at once and is the usual way. Neither the
    password nor the e-mail address reaches the ledger.
    """
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError

    require_administrator(actor)
    username, role, email = _check_new_account(username, role, email)
    if not isinstance(password, str) or not password:
        raise invalid("password", _("This field is required."))
    try:
        validate_password(password, User(username=username, email=email))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
            set_role_groups(user, role)
            ledger.append(actor, "user.create", user, {"username": username, "role": role or None})
    except IntegrityError:  # created by someone else between the check and the insert
        raise invalid("username", _taken(username)) from None
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
        set_role_groups(user, role)
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


# --- Invitations: the browser's way to set a password and enrol -------------------------

INVITATION_HOURS = 72
_INVITATION = "invitation"


class InvitationUnusable(Exception):
    """The link is unknown, used, expired, replaced, or its account is disabled.

    One exception for all of them: the page answers each the same way, so a link tells
    nobody whether it ever existed.
    """


def invitation_hours() -> int:
    from django.conf import settings

    return int(getattr(settings, "DETENTE_INVITATION_HOURS", INVITATION_HOURS))


def _issue_invitation(actor: User, user: User, now: dt.datetime) -> tuple[Invitation, str, int]:
    """A new link for ``user`` (its token, shown once), replacing any link still open."""
    import secrets

    cancelled = Invitation.objects.filter(
        user=user, used_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        user=user,
        token_hash=sealing.keyed_hashes(_INVITATION, token)[0],
        created_by=actor,
        created_at=now,
        expires_at=now + dt.timedelta(hours=invitation_hours()),
    )
    return invitation, token, cancelled


def user_invite(
    *, actor: User, username: str, role: str, email: str = "", now: dt.datetime | None = None
) -> tuple[User, Invitation, str]:
    """Create an account with one role (or none) and no password, and its invitation link.

    Returns the account, the invitation and the link's token, which is shown once and
    never stored (only its keyed hash is). Whoever opens the link sets the password and
    enrols the authenticator (``invitation_accept``). Administrator only; two ledger
    entries, ``user.create`` and ``user.invite``.
    """
    from django.db import IntegrityError

    require_administrator(actor)
    now = now or timezone.now()
    username, role, email = _check_new_account(username, role, email)
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=None)
            set_role_groups(user, role)
            ledger.append(actor, "user.create", user, {"username": username, "role": role or None})
            invitation, token, _cancelled = _issue_invitation(actor, user, now)
            ledger.append(
                actor,
                "user.invite",
                user,
                {
                    "username": username,
                    "expires_at": invitation.expires_at.isoformat(),
                    "reason": "",
                    "reset": False,
                    "replaced": 0,
                },
            )
    except IntegrityError:
        raise invalid("username", _taken(username)) from None
    return user, invitation, token


def invitation_issue(
    *,
    actor: User,
    user: User,
    reason: str,
    reset: bool = False,
    now: dt.datetime | None = None,
) -> tuple[Invitation, str]:
    """A new invitation link for an existing account (a new phone, a forgotten password).

    Opening it lets the person choose a new password and enrol a new authenticator; until
    then their current password and authenticator keep working, unless ``reset`` removes
    the authenticator and recovery codes now (a lost phone, a suspected copy). An older
    link still open stops working. Administrator only; the account must be enabled.
    """
    require_administrator(actor)
    reason = check_text("reason", reason, REASON_MAX, required=True)
    now = now or timezone.now()
    with transaction.atomic():
        if not User.objects.select_for_update().get(pk=user.pk).is_active:
            raise invalid(
                "user",
                _("%(username)s is disabled; enable the account before inviting them again.")
                % {"username": user.get_username()},
            )
        if reset:
            device = TOTPDevice.objects.select_for_update().filter(user=user).first()
            if device is not None:
                _reset_device(actor, user, device, reason)
        invitation, token, cancelled = _issue_invitation(actor, user, now)
        ledger.append(
            actor,
            "user.invite",
            user,
            {
                "username": user.get_username(),
                "expires_at": invitation.expires_at.isoformat(),
                "reason": reason,
                "reset": reset,
                "replaced": cancelled,
            },
        )
    return invitation, token


def _find_invitation(token: str, now: dt.datetime, *, lock: bool = False) -> Invitation:
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise InvitationUnusable
    qs = Invitation.objects.select_related("user").filter(
        token_hash__in=sealing.keyed_hashes(_INVITATION, token)
    )
    if lock:
        qs = qs.select_for_update()
    invitation = qs.first()
    if invitation is None or not invitation.usable(now) or not invitation.user.is_active:
        raise InvitationUnusable
    return invitation


def invitation_open(token: str, now: dt.datetime | None = None) -> Invitation:
    """The open invitation of this token, or ``InvitationUnusable``. Changes nothing."""
    return _find_invitation(token, now or timezone.now())


def enrolment_secret() -> str:
    return totp.generate_secret()


def enrolment_seal(invitation: Invitation, secret: str) -> str:
    """The new secret, encrypted for the invitation page's form: the page carries it from
    showing the QR code to the code that confirms it, and nothing is stored before that."""
    return sealing.seal(invitation.user_id, f"{invitation.pk}:{secret}")


def enrolment_unseal(invitation: Invitation, sealed: str) -> str | None:
    try:
        plain = sealing.unseal(invitation.user_id, sealed)
    except (sealing.InvalidToken, ValueError, UnicodeError):
        return None
    owner, _sep, secret = plain.partition(":")
    if owner != str(invitation.pk):
        return None
    try:
        totp.decode_secret(secret)
    except ValueError:
        return None
    return secret


def invitation_accept(
    *, token: str, password: str, sealed_secret: str, code: str, now: dt.datetime | None = None
) -> tuple[User, list[str]]:
    """Use an invitation: set the password, enrol and confirm the authenticator, make
    recovery codes, all at once or not at all. Returns the account and its recovery codes
    (shown once).

    Refused with ``InvitationUnusable`` for a link that cannot be used, and with a
    ``ValidationError`` on ``password`` (the configured validators) or ``code`` (not the
    code the new authenticator shows now). A previous authenticator and recovery codes
    are replaced; the new password ends the account's other sessions.
    """
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    now = now or timezone.now()
    with transaction.atomic():
        invitation = _find_invitation(token, now, lock=True)
        user = invitation.user
        errors: dict[str, list[str]] = {}
        if not isinstance(password, str) or not password:
            errors["password"] = [_("This field is required.")]
        else:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                errors["password"] = list(exc.messages)
        secret = enrolment_unseal(invitation, sealed_secret)
        code = totp.normalise_code(code)
        step = None
        if secret is not None and totp.is_well_formed(code):
            step = totp.match_step(totp.decode_secret(secret), code, now.timestamp())
        if secret is None:
            errors["code"] = [
                _("The page is out of date; open the link again and scan the new code.")
            ]
        elif not totp.is_well_formed(code):
            errors["code"] = [code_message_missing()]
        elif step is None:
            errors["code"] = [code_message_invalid()]
        if errors:
            raise ValidationError(errors)
        assert secret is not None  # noqa: S101 - errors were raised above otherwise
        old = TOTPDevice.objects.select_for_update().filter(user=user).first()
        replaced = old is not None and old.confirmed
        if old is not None:
            old.delete()
        device = TOTPDevice(user=user, created_at=now, confirmed=True, confirmed_at=now)
        device.sealed_secret = sealing.seal(user.pk, secret)
        device.last_used_step = step
        device.save()
        user.set_password(password)
        user.save(update_fields=["password"])
        codes = _replace_recovery_codes(user, now)
        invitation.used_at = now
        invitation.save(update_fields=["used_at"])
        ledger.append(
            user,
            "user.invitation_accept",
            user,
            {
                "username": user.get_username(),
                "invitation": invitation.pk,
                "replaced_authenticator": replaced,
                "recovery_codes": len(codes),
            },
        )
    return user, codes


# --- Recovery codes ----------------------------------------------------------------------

RECOVERY_CODES = 10
_RECOVERY = "recovery-code"
# No 0/o, 1/l/i: a code read off paper is typed back without guessing.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_CODE_LENGTH = 10


def _recovery_message(user: User, code: str) -> str:
    return f"{user.pk}:{code}"


def normalise_recovery_code(text: str | None) -> str:
    """The code as stored: lower case, without the spaces and dashes it is printed with."""
    return "".join(c for c in (text or "").lower() if c not in " -\t")


def looks_like_recovery_code(text: str) -> bool:
    return len(text) == _CODE_LENGTH and all(c in _ALPHABET for c in text)


def _replace_recovery_codes(user: User, now: dt.datetime) -> list[str]:
    """New codes for ``user`` in place of all their old ones; returned as printed."""
    import secrets

    RecoveryCode.objects.filter(user=user).delete()
    codes = [
        "".join(secrets.choice(_ALPHABET) for _i in range(_CODE_LENGTH))
        for _n in range(RECOVERY_CODES)
    ]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(
            user=user,
            code_hash=sealing.keyed_hashes(_RECOVERY, _recovery_message(user, c))[0],
            created_at=now,
        )
        for c in codes
    )
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def recovery_code_consume(user: User, code: str, now: dt.datetime) -> bool:
    """Spend one of ``user``'s unused recovery codes; False if ``code`` is none of them.

    A conditional UPDATE: of two requests racing with one code, exactly one spends it.
    """
    code = normalise_recovery_code(code)
    if not looks_like_recovery_code(code):
        return False
    hashes = sealing.keyed_hashes(_RECOVERY, _recovery_message(user, code))
    found = (
        RecoveryCode.objects.filter(user=user, code_hash__in=hashes, used_at__isnull=True)
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        return False
    return bool(RecoveryCode.objects.filter(pk=found, used_at__isnull=True).update(used_at=now))


def recovery_codes_regenerate(
    *, actor: User, code: str, address: str = "", now: dt.datetime | None = None
) -> list[str]:
    """New recovery codes for the signed-in ``actor``, in place of their old ones.

    Needs the code the authenticator shows now (a session left open is not enough), and
    a wrong code counts towards the login lockout of this username and address. The
    step the code belongs to is spent.
    """
    from detente.accounts import throttle

    now = now or timezone.now()
    code = totp.normalise_code(code)
    if not totp.is_well_formed(code):
        raise invalid("code", code_message_missing())
    username = actor.get_username()
    device = TOTPDevice.objects.filter(user=actor, confirmed=True).first()
    if device is None:
        raise invalid(
            "code",
            _("Your account has no authenticator; ask an administrator for an invitation link."),
        )
    if not throttle.charge(username, address, now):
        raise invalid("code", _("Too many wrong codes; try again in a while."))
    step = device.match(code, now)
    codes: list[str] = []
    with transaction.atomic():
        spent = step is not None and (
            TOTPDevice.objects.filter(pk=device.pk)
            .filter(Q(last_used_step__isnull=True) | Q(last_used_step__lt=step))
            .update(last_used_step=step)
        )
        if spent:
            codes = _replace_recovery_codes(actor, now)
            ledger.append(
                actor, "recovery.regenerate", actor, {"username": username, "count": len(codes)}
            )
    if not spent:
        with transaction.atomic():
            throttle.record_failure(username, address, now)
        raise invalid("code", code_message_invalid())
    throttle.record_success(username, address)
    return codes
