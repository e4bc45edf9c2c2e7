"""Persona table for the staff routes: who may open each one (see test_personas.py).

ROUTES: route pattern (as Django prints it, e.g. "staff/people/<str:handle>/") -> the roles
that get the page (200). Anonymous visitors must be sent to log in; other signed-in roles
get 403 or 404.
SAMPLES: for a pattern with parameters, how to fill them from the test world.
POST_ONLY: routes that only take POST (a GET by an allowed role answers 405).
PUBLIC: routes anyone may open without signing in.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.support import World

from detente.agreements.models import Membership

STAFF = frozenset({"analyst", "verifier", "administrator"})
MANAGERS = frozenset({"verifier", "administrator"})


def _member(world: World) -> int:
    return Membership.objects.get(agreement=world.agreement, person=world.person()).pk


ROUTES: dict[str, frozenset[str]] = {
    "staff/": STAFF,
    "staff/people/": STAFF,
    "staff/people/new/": STAFF,  # recording people and claims: every staff role
    "staff/people/suggest/": STAFF,
    "staff/people/<str:handle>/": STAFF,
    "staff/people/<str:handle>/at-risk/": STAFF,
    "staff/people/<str:handle>/claims/new/": STAFF,
    "staff/queue/": STAFF,  # analysts read it; only MANAGERS act on it
    "staff/queue/<int:pk>/confirm/": MANAGERS,
    "staff/queue/<int:pk>/dispute/": MANAGERS,
    "staff/estimates/": STAFF,
}
SAMPLES: dict[str, Callable[[World], str]] = {
    "staff/people/<str:handle>/": lambda w: f"/staff/people/{w.person().handle}/",
    "staff/people/<str:handle>/at-risk/": lambda w: f"/staff/people/{w.person().handle}/at-risk/",
    "staff/people/<str:handle>/claims/new/": lambda w: (
        f"/staff/people/{w.person().handle}/claims/new/"
    ),
    "staff/queue/<int:pk>/confirm/": lambda w: f"/staff/queue/{_member(w)}/confirm/",
    "staff/queue/<int:pk>/dispute/": lambda w: f"/staff/queue/{_member(w)}/dispute/",
}
POST_ONLY: set[str] = {
    "staff/people/<str:handle>/at-risk/",
    "staff/queue/<int:pk>/confirm/",
    "staff/queue/<int:pk>/dispute/",
}
# Signing in is for everyone; signing out takes a POST from whoever is signed in.
PUBLIC: set[str] = {"staff/login/", "staff/logout/"}
