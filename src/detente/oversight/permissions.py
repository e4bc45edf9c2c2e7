"""Who may open each oversight page: one check per page, all through the access policy.

Each view is wrapped by ``staff.common.staff_page(check)``, the one guard of every page
under /staff/: anonymous visitors are sent to sign in, and a signed-in user whose role
fails the check gets 403. The navigation shows a link only when the same check passes, so
the menu never offers a page that would refuse.
"""

from __future__ import annotations

from collections.abc import Callable

from detente.access.policy import Action, Role, Viewer, can, roles_of

Check = Callable[[Viewer], bool]


def is_staff(user: Viewer) -> bool:
    """Analysts, verifiers and administrators: they read the whole record."""
    return can(user, Action.READ)


def may_record(user: Viewer) -> bool:
    """Analysts, verifiers and administrators: claims, and who is named on an agreement."""
    return can(user, Action.RECORD)


def is_manager(user: Viewer) -> bool:
    """Verifiers and administrators: sources, disclosure decisions, the ledger."""
    return can(user, Action.MANAGE)


def is_administrator(user: Viewer) -> bool:
    # MANAGE is not enough: verifiers hold it too, and accounts are the keys to everything.
    return Role.ADMINISTRATOR in roles_of(user)


def signed_in(user: Viewer) -> bool:
    """Anyone signed in (their own API tokens)."""
    return bool(user.is_authenticated and user.is_active)
