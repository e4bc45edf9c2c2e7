"""Roles and the permission checks that services and selectors call.

Roles are Django groups with fixed names. This is the foundation's coarse policy:
staff roles read and write the registry; legislature and public roles see nothing here
until disclosure (a later issue) opens identities to them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied

Viewer = AbstractBaseUser | AnonymousUser


class Role:
    ADMINISTRATOR = "administrator"
    VERIFIER = "verifier"
    ANALYST = "analyst"
    LEGISLATURE = "legislature"

    ALL = (ADMINISTRATOR, VERIFIER, ANALYST, LEGISLATURE)
    STAFF = frozenset({ADMINISTRATOR, VERIFIER, ANALYST})


class Action:
    READ = "read"  # the registry, claims and agreements, identities included
    RECORD = "record"  # people, custody, claims, members
    MANAGE = "manage"  # sources, parties, agreements and their policies


_GRANTS: dict[str, frozenset[str]] = {
    Role.ADMINISTRATOR: frozenset({Action.READ, Action.RECORD, Action.MANAGE}),
    Role.VERIFIER: frozenset({Action.READ, Action.RECORD, Action.MANAGE}),
    Role.ANALYST: frozenset({Action.READ, Action.RECORD}),
    Role.LEGISLATURE: frozenset(),
}

CLI_USERNAME = "detente-cli"


def roles_of(user: Viewer) -> frozenset[str]:
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if getattr(user, "is_superuser", False):
        return frozenset({Role.ADMINISTRATOR})
    cached: frozenset[str] | None = getattr(user, "_detente_roles", None)
    if cached is None:
        names = user.groups.values_list("name", flat=True)  # type: ignore[attr-defined]
        cached = frozenset(n for n in names if n in Role.ALL)
        user._detente_roles = cached  # type: ignore[attr-defined]
    return cached


def can(user: Viewer, action: str) -> bool:
    return any(action in _GRANTS[r] for r in roles_of(user))


def require(user: Viewer, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied(f"not allowed: {action}")


def cli_actor() -> Any:
    """The operator at the command line: a superuser that cannot log in.

    Commands run by whoever holds the server's shell act as this account, so the audit
    ledger still names an actor for every change made from the command line.
    """
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=CLI_USERNAME, defaults={"is_superuser": True, "is_staff": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
