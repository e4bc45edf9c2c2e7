"""Persona table for the oversight routes: who may open each one (see test_personas.py).

ROUTES: route pattern (as Django prints it, e.g. "staff/people/<str:handle>/") -> the roles
that get the page (200). Anonymous visitors must be sent to log in; other signed-in roles
get 403 or 404.
SAMPLES: for a pattern with parameters, how to fill them from the test world.
POST_ONLY: routes that only take POST (a GET by an allowed role answers 405).
PUBLIC: routes anyone may open without signing in.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.support import World, make_user

STAFF = frozenset({"analyst", "verifier", "administrator"})
MANAGERS = frozenset({"verifier", "administrator"})
ADMINISTRATORS = frozenset({"administrator"})
SIGNED_IN = frozenset({"public", "legislature", "analyst", "verifier", "administrator"})


def _disclosure(world: World) -> str:
    from detente.access.services import disclosure_propose

    proposal = disclosure_propose(
        actor=world.actor, audience="legislature", reason="committee", people=world.people[:1]
    )
    return f"/staff/disclosures/{proposal.pk}/"


def _statistics_release(world: World) -> str:
    from detente.publishing.releases import statistics_propose

    release = statistics_propose(actor=world.actor, reason="persona sample")
    return f"/staff/statistics/{release.pk}/"


def _account(world: World) -> str:
    from django.contrib.auth.models import User

    user = User.objects.filter(username="persona-sample").first()
    return f"/staff/users/{(user or make_user('persona-sample', 'analyst')).pk}/"


ROUTES: dict[str, frozenset[str]] = {
    "staff/agreements/": STAFF,
    "staff/agreements/new/": MANAGERS,  # setting up agreements, parties and sources
    "staff/agreements/<slug:slug>/": STAFF,
    "staff/agreements/<slug:slug>/members.<str:fmt>": STAFF,  # the members as a file
    "staff/agreements/<slug:slug>/edit/": MANAGERS,
    "staff/agreements/<slug:slug>/archive/": MANAGERS,
    # What a source says of the agreement as a whole, and who is named on it: recording
    # (analysts too); how claims are weighed and who is shown it: managing.
    "staff/agreements/<slug:slug>/claims/count/": STAFF,
    "staff/agreements/<slug:slug>/claims/stage/": STAFF,
    "staff/agreements/<slug:slug>/members/add/": STAFF,
    "staff/agreements/<slug:slug>/members/classify/": STAFF,
    "staff/agreements/<slug:slug>/policy/": MANAGERS,
    # Which legislature accounts see it (every one, or a list): managing, as the audience.
    "staff/agreements/<slug:slug>/legislature/": MANAGERS,
    "staff/parties/": STAFF,
    "staff/parties/new/": MANAGERS,
    "staff/parties/<slug:slug>/edit/": MANAGERS,
    "staff/parties/<slug:slug>/archive/": MANAGERS,
    "staff/sources/": STAFF,
    "staff/sources/new/": MANAGERS,
    "staff/sources/<slug:slug>/": STAFF,
    "staff/sources/<slug:slug>/edit/": MANAGERS,
    "staff/sources/<slug:slug>/archive/": MANAGERS,
    "staff/disclosures/": STAFF,
    "staff/disclosures/propose/": STAFF,
    "staff/disclosures/<int:pk>/": STAFF,
    "staff/statistics/": STAFF,
    "staff/statistics/<int:pk>/": STAFF,
    "staff/ledger/": MANAGERS,
    "staff/ledger/verify/": MANAGERS,
    "staff/ledger/export.<str:fmt>": MANAGERS,  # the entries as filtered, as a file
    "staff/users/": ADMINISTRATORS,
    "staff/users/new/": ADMINISTRATORS,
    "staff/users/<int:pk>/": ADMINISTRATORS,
    # Who has seen whom: a person's and an account's access history, and their downloads.
    "staff/access/people/<str:handle>/": ADMINISTRATORS,
    "staff/access/people/<str:handle>/export.<str:fmt>": ADMINISTRATORS,
    "staff/access/users/<int:pk>/": ADMINISTRATORS,
    "staff/access/users/<int:pk>/export.<str:fmt>": ADMINISTRATORS,
    # One's own account: the second factor, new recovery codes.
    "staff/account/": SIGNED_IN,
    # Every signed-in account keeps its own API tokens (the legislature reads by API too).
    "staff/tokens/": SIGNED_IN,
    "staff/tokens/<int:pk>/revoke/": SIGNED_IN,
}
SAMPLES: dict[str, Callable[[World], str]] = {
    # The public site's agreement pages (a made-up slug would only ever answer 404).
    "agreements/<slug:slug>/": lambda w: f"/agreements/{w.agreement.slug}/",
    "agreements/<slug:slug>/briefing.pdf": lambda w: f"/agreements/{w.agreement.slug}/briefing.pdf",
    "agreements/<slug:slug>/known-then/": lambda w: f"/agreements/{w.agreement.slug}/known-then/",
    "open/agreements/<slug:slug>/members.json": lambda w: (
        f"/open/agreements/{w.agreement.slug}/members.json"
    ),
    "open/agreements/<slug:slug>/members.csv": lambda w: (
        f"/open/agreements/{w.agreement.slug}/members.csv"
    ),
    "staff/agreements/<slug:slug>/": lambda w: f"/staff/agreements/{w.agreement.slug}/",
    "staff/agreements/<slug:slug>/members.<str:fmt>": lambda w: (
        f"/staff/agreements/{w.agreement.slug}/members.csv"
    ),
    "staff/agreements/<slug:slug>/edit/": lambda w: f"/staff/agreements/{w.agreement.slug}/edit/",
    "staff/agreements/<slug:slug>/archive/": lambda w: (
        f"/staff/agreements/{w.agreement.slug}/archive/"
    ),
    "staff/agreements/<slug:slug>/claims/count/": lambda w: (
        f"/staff/agreements/{w.agreement.slug}/claims/count/"
    ),
    "staff/agreements/<slug:slug>/claims/stage/": lambda w: (
        f"/staff/agreements/{w.agreement.slug}/claims/stage/"
    ),
    "staff/agreements/<slug:slug>/members/add/": lambda w: (
        f"/staff/agreements/{w.agreement.slug}/members/add/"
    ),
    "staff/agreements/<slug:slug>/members/classify/": lambda w: (
        f"/staff/agreements/{w.agreement.slug}/members/classify/"
    ),
    "staff/agreements/<slug:slug>/policy/": lambda w: (
        f"/staff/agreements/{w.agreement.slug}/policy/"
    ),
    "staff/agreements/<slug:slug>/legislature/": lambda w: (
        f"/staff/agreements/{w.agreement.slug}/legislature/"
    ),
    "staff/parties/<slug:slug>/edit/": lambda w: f"/staff/parties/{w.releasing.slug}/edit/",
    "staff/parties/<slug:slug>/archive/": lambda w: f"/staff/parties/{w.releasing.slug}/archive/",
    "staff/sources/<slug:slug>/": lambda w: f"/staff/sources/{w.sources['ngo'].slug}/",
    "staff/sources/<slug:slug>/edit/": lambda w: f"/staff/sources/{w.sources['ngo'].slug}/edit/",
    "staff/sources/<slug:slug>/archive/": lambda w: (
        f"/staff/sources/{w.sources['ngo'].slug}/archive/"
    ),
    "staff/disclosures/<int:pk>/": _disclosure,
    "staff/statistics/<int:pk>/": _statistics_release,
    "staff/users/<int:pk>/": _account,
    "staff/access/people/<str:handle>/": lambda w: f"/staff/access/people/{w.person().handle}/",
    "staff/access/people/<str:handle>/export.<str:fmt>": lambda w: (
        f"/staff/access/people/{w.person().handle}/export.csv"
    ),
    "staff/access/users/<int:pk>/": lambda w: _account(w).replace("users/", "access/users/"),
    "staff/access/users/<int:pk>/export.<str:fmt>": lambda w: (
        _account(w).replace("users/", "access/users/") + "export.json"
    ),
    "staff/welcome/<str:token>/": lambda w: "/staff/welcome/no-such-invitation-token-0000000000/",
    "staff/tokens/<int:pk>/revoke/": lambda w: "/staff/tokens/1/revoke/",
    "staff/ledger/export.<str:fmt>": lambda w: "/staff/ledger/export.csv",
}
POST_ONLY: set[str] = {
    "staff/ledger/verify/",
    "staff/tokens/<int:pk>/revoke/",
    "staff/agreements/<slug:slug>/archive/",
    "staff/agreements/<slug:slug>/policy/",
    "staff/parties/<slug:slug>/archive/",
    "staff/sources/<slug:slug>/archive/",
}
# The invitation link's page: the token is the credential (unknown, used and expired
# tokens all answer 404 alike; tests/accounts/test_invitations.py).
PUBLIC: set[str] = {"staff/welcome/<str:token>/"}
