"""Persona table for the staff routes: who may open each one (see test_personas.py).

ROUTES: route pattern (as Django prints it, e.g. "staff/people/<str:handle>/") -> the roles
that get the page (200). Anonymous visitors must be sent to log in; other signed-in roles
get 403 or 404.
SAMPLES: for a pattern with parameters, how to fill them from the test world.
POST_ONLY: routes that only take POST (a GET by an allowed role answers 405).
NAME_SEARCHES: the routes that search by a name, which they take in a POST body only (never
in the address): route pattern -> (address, body) of a search that finds the test world's
first person. A GET with the same text in its query string must not search.
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


def _import_run(world: World) -> int:
    from detente.reconcile.models import ImportRow

    return ImportRow.objects.get(pk=_queued_row(world)).run_id


def _import_job(world: World) -> int:
    """An import job of the operator's (so not the persona's own), uploaded then discarded
    so that no file stays behind."""
    from django.core.files.base import ContentFile

    from detente.reconcile.jobs import import_job_create, import_job_discard
    from detente.reconcile.models import ImportJob

    found = ImportJob.objects.values_list("pk", flat=True).first()
    if found:
        return found
    job = import_job_create(
        actor=world.actor,
        upload=ContentFile(b"name,status,event_date\nAna Diaz Ruiz,detained,2020-05-01\n"),
        file_name="list.csv",
        source=world.sources["ngo"],
    )
    import_job_discard(actor=world.actor, job=job)
    return job.pk


def _member(world: World) -> int:
    return Membership.objects.get(agreement=world.agreement, person=world.person()).pk


ROUTES: dict[str, frozenset[str]] = {
    "staff/": STAFF,
    "staff/people/": STAFF,
    "staff/people/new/": STAFF,  # recording people and claims: every staff role
    "staff/people/export.<str:fmt>": STAFF,  # the People list as a file
    "staff/people/suggest/": STAFF,
    "staff/places/divisions/": STAFF,  # a country's divisions, for the forms' lists
    "staff/people/<str:handle>/": STAFF,
    "staff/people/<str:handle>/at-risk/": STAFF,
    "staff/people/<str:handle>/claims/new/": STAFF,
    "staff/people/<str:handle>/claims.<str:fmt>": STAFF,  # the person's claims as a file
    "staff/verification/": STAFF,  # analysts read it; only MANAGERS act on it
    "staff/verification/export.<str:fmt>": STAFF,  # the queue as a file
    "staff/verification/<int:pk>/confirm/": MANAGERS,
    "staff/verification/<int:pk>/dispute/": MANAGERS,
    "staff/estimates/": STAFF,
    "staff/matches/": STAFF,
    "staff/matches/export.<str:fmt>": STAFF,  # the waiting rows as a file
    "staff/matches/<int:pk>/": STAFF,
    "staff/matches/<int:pk>/decide/": MANAGERS,
    "staff/matches/<int:pk>/search/": MANAGERS,  # finding another person to choose
    "staff/matches/bulk/": MANAGERS,  # GET: the count and a sample; POST: accept them
    "staff/imports/": STAFF,
    "staff/imports/new/": STAFF,  # uploading a list: every staff role (Action.RECORD)
    # A job is its creator's (tests/staff/test_import_pages.py), and verifiers' and
    # administrators': the sample is the operator's, so analysts get 404.
    "staff/imports/jobs/<int:pk>/": MANAGERS,
    "staff/imports/jobs/<int:pk>/map/": MANAGERS,
    "staff/imports/jobs/<int:pk>/progress/": MANAGERS,
    "staff/imports/jobs/<int:pk>/start/": MANAGERS,
    "staff/imports/jobs/<int:pk>/discard/": MANAGERS,
    "staff/imports/<int:pk>/": STAFF,
    "staff/imports/<int:pk>/rows.csv": STAFF,
}
SAMPLES: dict[str, Callable[[World], str]] = {
    "staff/imports/jobs/<int:pk>/": lambda w: f"/staff/imports/jobs/{_import_job(w)}/",
    "staff/imports/jobs/<int:pk>/map/": lambda w: f"/staff/imports/jobs/{_import_job(w)}/map/",
    "staff/imports/jobs/<int:pk>/progress/": lambda w: (
        f"/staff/imports/jobs/{_import_job(w)}/progress/"
    ),
    "staff/imports/jobs/<int:pk>/start/": lambda w: f"/staff/imports/jobs/{_import_job(w)}/start/",
    "staff/imports/jobs/<int:pk>/discard/": lambda w: (
        f"/staff/imports/jobs/{_import_job(w)}/discard/"
    ),
    "staff/imports/<int:pk>/": lambda w: f"/staff/imports/{_import_run(w)}/",
    "staff/imports/<int:pk>/rows.csv": lambda w: f"/staff/imports/{_import_run(w)}/rows.csv",
    "staff/people/export.<str:fmt>": lambda w: "/staff/people/export.csv",
    "staff/verification/export.<str:fmt>": lambda w: "/staff/verification/export.csv",
    "staff/matches/export.<str:fmt>": lambda w: "/staff/matches/export.csv",
    "staff/people/<str:handle>/claims.<str:fmt>": lambda w: (
        f"/staff/people/{w.person().handle}/claims.csv"
    ),
    "staff/matches/<int:pk>/": lambda w: f"/staff/matches/{_queued_row(w)}/",
    "staff/matches/<int:pk>/decide/": lambda w: f"/staff/matches/{_queued_row(w)}/decide/",
    "staff/matches/<int:pk>/search/": lambda w: f"/staff/matches/{_queued_row(w)}/search/",
    "staff/matches/bulk/": lambda w: f"/staff/matches/bulk/?run={_import_run(w)}&above=0.5",
    "staff/people/<str:handle>/": lambda w: f"/staff/people/{w.person().handle}/",
    "staff/people/<str:handle>/at-risk/": lambda w: f"/staff/people/{w.person().handle}/at-risk/",
    "staff/people/<str:handle>/claims/new/": lambda w: (
        f"/staff/people/{w.person().handle}/claims/new/"
    ),
    "staff/verification/<int:pk>/confirm/": lambda w: f"/staff/verification/{_member(w)}/confirm/",
    "staff/verification/<int:pk>/dispute/": lambda w: f"/staff/verification/{_member(w)}/dispute/",
}
POST_ONLY: set[str] = {
    "staff/people/suggest/",
    "staff/places/divisions/",
    "staff/imports/jobs/<int:pk>/map/",
    "staff/imports/jobs/<int:pk>/start/",
    "staff/imports/jobs/<int:pk>/discard/",
    "staff/matches/<int:pk>/decide/",
    "staff/matches/<int:pk>/search/",
    "staff/people/<str:handle>/at-risk/",
    "staff/verification/<int:pk>/confirm/",
    "staff/verification/<int:pk>/dispute/",
}
NAME_SEARCHES: dict[str, Callable[[World], tuple[str, dict[str, str]]]] = {
    "staff/people/": lambda w: ("/staff/people/", {"q": "Yoandri 0 Perez"}),
    "staff/people/suggest/": lambda w: (
        "/staff/people/suggest/",
        {"given_names": "Yoandri 0", "paternal_surname": "Perez", "sex": "X"},
    ),
    "staff/matches/<int:pk>/search/": lambda w: (
        f"/staff/matches/{_queued_row(w)}/search/",
        {"q": "Yoandri 0 Perez"},
    ),
}
# Signing in is for everyone; signing out takes a POST from whoever is signed in.
PUBLIC: set[str] = {"staff/login/", "staff/logout/"}
