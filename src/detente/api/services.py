"""Creating and revoking API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Action, Role, can, roles_of
from detente.api.models import ApiToken, Scope
from detente.audit import ledger
from detente.core.errors import check_text, invalid

MAX_DAYS = 365


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(
    *, actor: User, user: User, name: str, scope: str, days: int = 90
) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns it and the plaintext, which is never stored.

    Users make their own tokens; administrators may make them for others. A write token
    needs a user who may record.
    """
    if actor.pk != user.pk and Role.ADMINISTRATOR not in roles_of(actor):
        raise PermissionDenied("only administrators make tokens for someone else")
    name = check_text("name", name, 100, required=True)
    if scope not in Scope.values:
        raise invalid(
            "scope", _("Unknown scope “%(value)s”; use read or write.") % {"value": scope}
        )
    if scope == Scope.WRITE and not can(user, Action.RECORD):
        raise invalid("scope", _("This user may not record, so a write token is refused."))
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise invalid("days", _("A token lives from 1 to %(max)d days.") % {"max": MAX_DAYS})
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            digest=digest(secret),
            scope=scope,
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        ledger.append(
            actor,
            "api.token_create",
            token,
            {"user": user.get_username(), "name": name, "scope": scope, "days": days},
        )
    return token, f"dtn_{prefix}_{secret}"


def token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    if actor.pk != token.user_id and Role.ADMINISTRATOR not in roles_of(actor):
        raise PermissionDenied("only administrators revoke someone else's token")
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            ledger.append(actor, "api.token_revoke", token, {"user": token.user.get_username()})
    return token


def revoke_all_for_user(sender: Any, *, user: User, actor: User, **kwargs: Any) -> None:
    """Receiver of ``accounts.signals.user_disabled``: runs in the disabling transaction."""
    count = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if count:
        ledger.append(actor, "api.token_revoke_all", user, {"tokens": count})
