"""Persona table for the mailing routes: who may open each one (see test_personas.py).

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

MANAGERS = frozenset({"verifier", "administrator"})


def _list_slug(world: World) -> str:
    """A mailing list of the test world (made once)."""
    from detente.mailing.models import MailingList
    from detente.mailing.services import list_create

    found = MailingList.objects.values_list("slug", flat=True).first()
    if found:
        return found
    return list_create(actor=world.actor, slug="door-list", kind="all").slug


# The staff pages of email updates: verifiers and administrators, as `detente mailing`.
ROUTES: dict[str, frozenset[str]] = {
    "staff/updates/": MANAGERS,
    "staff/updates/new/": MANAGERS,
    "staff/updates/<slug:slug>/": MANAGERS,
    "staff/updates/<slug:slug>/archive/": MANAGERS,
    "staff/updates/<slug:slug>/send/": MANAGERS,
}
SAMPLES: dict[str, Callable[[World], str]] = {
    "staff/updates/<slug:slug>/": lambda w: f"/staff/updates/{_list_slug(w)}/",
    "staff/updates/<slug:slug>/archive/": lambda w: f"/staff/updates/{_list_slug(w)}/archive/",
    "staff/updates/<slug:slug>/send/": lambda w: f"/staff/updates/{_list_slug(w)}/send/",
}
POST_ONLY: set[str] = {"staff/updates/<slug:slug>/archive/"}
# Public pages of email updates: each acts only through a signed link, a form, or a
# webhook secret (see tests/mailing/ for what each one may and may not do).
PUBLIC: set[str] = {
    "updates/",
    "updates/check/",
    "updates/confirm/<str:token>/",
    "updates/unsubscribe/<str:token>/",
    "updates/preferences/<str:token>/",
    "updates/preferences/<str:token>/export/",
    "updates/preferences/<str:token>/erase/",
    "updates/mailchimp/<str:secret>/",
    "updates/webhooks/<slug:esp>/<slug:kind>/",
}
