"""Who may open each oversight page: one check per page, all through the access policy.

Each view is wrapped by ``allowed(check)``: anonymous visitors are sent to sign in, and a
signed-in user whose role fails the check gets 403. The navigation shows a link only
when the same check passes, so the menu never offers a page that would refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from detente.access.policy import Action, Role, Viewer, can, roles_of

Check = Callable[[Viewer], bool]
View = Callable[..., HttpResponse]


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


def allowed(check: Check) -> Callable[[View], View]:
    """Sign-in required, then ``check`` on the user, else 403."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorate
