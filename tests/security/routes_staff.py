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


def _queued_row(world: World) -> int:
    """A row of an import waiting in the review queue (made once per test world)."""
    import tempfile
    from pathlib import Path

    from detente.matching import registry as matching_registry
    from detente.reconcile.importer import import_list
    from detente.reconcile.models import ImportRow, Outcome

    found = ImportRow.objects.filter(outcome=Outcome.QUEUED).values_list("pk", flat=True).first()
    if found:
        return found
    matching_registry.reset()  # the index of this test's database, not an earlier one's
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list.csv"
        path.write_text("name,status,event_date\nYoandri 0 Perez,detained,2020-05-01\n")
        import_list(
            actor=world.actor,
            path=path,
            source=world.sources["ngo"],
            link_above=0.999999,
            review_above=0.0001,
        )
    return ImportRow.objects.get(outcome=Outcome.QUEUED).pk


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
    "staff/review/": STAFF,
    "staff/review/<int:pk>/": STAFF,
    "staff/review/<int:pk>/decide/": MANAGERS,
}
SAMPLES: dict[str, Callable[[World], str]] = {
    "staff/review/<int:pk>/": lambda w: f"/staff/review/{_queued_row(w)}/",
    "staff/review/<int:pk>/decide/": lambda w: f"/staff/review/{_queued_row(w)}/decide/",
    "staff/people/<str:handle>/": lambda w: f"/staff/people/{w.person().handle}/",
    "staff/people/<str:handle>/at-risk/": lambda w: f"/staff/people/{w.person().handle}/at-risk/",
    "staff/people/<str:handle>/claims/new/": lambda w: (
        f"/staff/people/{w.person().handle}/claims/new/"
    ),
    "staff/queue/<int:pk>/confirm/": lambda w: f"/staff/queue/{_member(w)}/confirm/",
    "staff/queue/<int:pk>/dispute/": lambda w: f"/staff/queue/{_member(w)}/dispute/",
}
POST_ONLY: set[str] = {
    "staff/review/<int:pk>/decide/",
    "staff/people/<str:handle>/at-risk/",
    "staff/queue/<int:pk>/confirm/",
    "staff/queue/<int:pk>/dispute/",
}
# Signing in is for everyone; signing out takes a POST from whoever is signed in.
PUBLIC: set[str] = {"staff/login/", "staff/logout/"}
