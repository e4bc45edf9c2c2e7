"""Issue 18, point 4: one way to guard staff pages.

Every page under /staff/ — the staff app's and the oversight app's alike — is wrapped by
``detente.staff.common.staff_page`` (signed in, then one rule of the access policy), but
for the few that must open to someone not yet signed in, named here with the reason. A
page added with another guard, or none, fails here before it is reached."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

OPEN: dict[str, str] = {
    "staff/login/": "signing in",
    "staff/logout/": "signing out ends whatever session there is",
    "staff/welcome/<str:token>/": "a new account sets its password from the invitation link",
}


def _routes(resolver: Any = None, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def _rule(view: Any) -> object:
    while view is not None:
        if hasattr(view, "staff_rule"):
            return view.staff_rule
        view = getattr(view, "__wrapped__", None)
    return None


def test_every_staff_page_has_the_one_guard() -> None:
    staff = {route: view for route, view in _routes() if route.startswith("staff/")}
    assert len(staff) > 40  # the staff site is there
    unguarded = sorted(r for r, view in staff.items() if _rule(view) is None and r not in OPEN)
    assert not unguarded, f"wrap these in staff_page (or name them in OPEN): {unguarded}"
    stale = sorted(r for r in OPEN if r not in staff or _rule(staff[r]) is not None)
    assert not stale, f"no longer open: {stale}"
