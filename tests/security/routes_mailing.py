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

ROUTES: dict[str, frozenset[str]] = {}
SAMPLES: dict[str, Callable[[World], str]] = {}
POST_ONLY: set[str] = set()
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
