"""Every door, every method, every role (issue 13, point 5).

test_personas.py opens every route with GET. Here every non-admin route is also sent a POST
(with valid and with invalid data) and a method it does not take, as each role:

* a role that may not use a route is refused (anonymous: the login page; others: 403 or
  404) and nothing is written: no ledger entry, no row anywhere;
* a role that may use it gets the form back with its errors for invalid data (nothing
  written), and for valid data the route does its work and writes the ledger entries the
  table says (FORMS);
* a method the route does not take answers 405 (or the refusal above), never 200 or 500.

Each POST runs inside a savepoint that is rolled back, so the routes do not disturb each
other. The tables are the specification: a route that answers a POST (an administrator's
POST that is not 405) without an entry in FORMS fails ``test_every_route_that_takes_post_is_
in_the_form_table``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from tests.security import routes_staff
from tests.security.test_personas import (
    PUBLIC_URLS,
    ROLES,
    ROUTES,
    SAMPLES,
    _concrete,
    _patterns,
    _user,
)
from tests.support import World, forget_public_copies

from detente.access.policy import Role
from detente.audit.models import AuditEntry

Body = dict[str, Any]
# A POST to send: its address and body, made from the test world and the persona (inside the
# rolled-back savepoint, so whatever it sets up is undone too).
Make = Callable[[World, User | None], tuple[str, Body]]


@dataclass(frozen=True)
class Form:
    valid: Make | None  # None: see ``note`` (a flow that needs a signed link or a secret)
    invalid: Make | None  # None: the route has no field that can be wrong
    writes: int  # ledger change entries written by the valid POST
    ok: int = 302  # the answer to the valid POST
    bad: int = 200  # the answer to the invalid POST (the form again, with its errors)
    note: str = ""
    # Who may POST, when not those who may open the page (persona tables' ROUTES).
    roles: frozenset[str] | None = None


def _url(route: str) -> Callable[[World], str]:
    return lambda w: SAMPLES[route](w) if route in SAMPLES else _concrete(route)


def _at(route: str, body: Body | Callable[[World], Body]) -> Make:
    """The route's sample address (SAMPLES) with this body."""

    def make(w: World, _u: User | None) -> tuple[str, Body]:
        return _url(route)(w), body(w) if callable(body) else dict(body)

    return make


def _claim_form(w: World, **changes: str) -> Body:
    return {
        "source": str(w.sources["embassy"].pk),
        "status": "unconditional_release",
        "event_date": "2020-02-01",
        "event_precision": "day",
        "agreement": w.agreement.slug,
        "credibility": "2",
        "evidence_text": "Visited at home by the officer.",
        "evidence_url": "",
    } | changes


def _count_form(**changes: str) -> Body:
    data = {
        "source": "deal-gov",
        "released_count": "3",
        "event_date": "2020-03-01",
        "breakdown_0": "2",
        "breakdown_1": "1",
        "breakdown_2": "",
        "breakdown_3": "",
        "breakdown_4": "",
        "credibility": "2",
        "evidence_text": "Ministry statement on state television.",
        "evidence_url": "",
    } | changes
    return {f"count-{k}": v for k, v in data.items()}


def _stage_form(**changes: str) -> Body:
    data = {
        "source": "deal-embassy",
        "lifecycle": "suspended",
        "event_date": "2020-04-02",
        "evidence_text": "Halted after the protests, the embassy says.",
        "evidence_url": "",
    } | changes
    return {f"stage-{k}": v for k, v in data.items()}


def _legislator() -> User:
    """A legislature account to list on the agreement (inside the rolled-back savepoint)."""
    from tests.support import make_user

    found = User.objects.filter(username="door-legislator").first()
    return found or make_user("door-legislator", Role.LEGISLATURE)


_AGREEMENT = {
    "slug": "door-deal",
    "title": "Second release",
    "promisor": "deal-gov",
    "promisee": "deal-other",
    "announced_on": "2021-03-04",
    "promise": "exact",
    "promised_count": "53",
    "expected_release": "",
}
_PARTY = {
    "slug": "door-party",
    "name": "Government of Somewhere",
    "kind": "government",
    "independence_group": "door-party",
}
_SOURCE = {
    "slug": "door-source",
    "name": "Radio bulletin",
    "kind": "press",
    "reliability": "C",
    "independence_group": "door-radio",
}
_PASSWORD = "a long walk by the malecon 7"
_CSV = b"name,status,event_date\nAna Diaz Ruiz,detained,2020-05-01\n"


def _edit_form(w: World, kind: str) -> Body:
    """What the edit page offers, as posted back unchanged but for the name or title."""
    if kind == "agreement":
        renamed = {"title": "Renamed", "slug": w.agreement.slug, "announced_on": "2020-01-10"}
        return _AGREEMENT | renamed
    if kind == "party":
        return _PARTY | {"name": "Renamed", "slug": w.releasing.slug}
    ngo = w.sources["ngo"]
    return {
        "slug": ngo.slug,
        "name": "Renamed",
        "kind": ngo.kind,
        "reliability": ngo.reliability,
        "independence_group": ngo.independence_group,
    }


def _reported(w: World) -> None:
    """The first member's release reported by the releasing side: in the queue."""
    from detente.evidence.services import claim_record

    claim_record(
        actor=w.actor,
        source=w.sources["gov"],
        person=w.person(),
        agreement=w.agreement,
        status="pardoned",
        event_date=dt.date(2020, 2, 1),
        received_at=dt.datetime(2020, 2, 2, 12, tzinfo=dt.UTC),
    )


def _review(action: str, **fields: str) -> Make:
    def make(w: World, _u: User | None) -> tuple[str, Body]:
        _reported(w)
        pk = routes_staff._member(w)
        body = {
            "source": str(w.sources["embassy"].pk),
            "event_date": "2020-02-03",
            "evidence_text": "Seen at home.",
            "evidence_url": "",
        } | fields
        if action == "dispute":
            body.setdefault("status", "sentenced")
        return f"/staff/verification/{pk}/{action}/", {
            f"{action}-{pk}-{k}": v for k, v in body.items()
        }

    return make


def _fresh_job(w: World, user: User | None) -> Any:
    """An import job of the persona's (of the operator's for those who may not record),
    uploaded and waiting for its mapping: only its creator moves it forward."""
    from detente.access.policy import Action, can
    from detente.reconcile.jobs import import_job_create

    return import_job_create(
        actor=user if user is not None and can(user, Action.RECORD) else w.actor,
        upload=SimpleUploadedFile("list.csv", _CSV),
        file_name="list.csv",
        source=w.sources["ngo"],
    )


def _job(step: str, **body: str) -> Make:
    def make(w: World, u: User | None) -> tuple[str, Body]:
        job = _fresh_job(w, u)
        if step == "start":  # mapped first: started straight from its mapping
            from detente.reconcile.jobs import import_job_map

            job = import_job_map(
                actor=job.created_by,
                job=job,
                mapping=job.mapping,
                default_status="detained",
                default_event_date=None,
            )
        data: Body = {f"map_{c}": h for c, h in job.mapping.items()} if step == "map" else {}
        return f"/staff/imports/jobs/{job.pk}/{step}/", data | body

    return make


def _bulk(w: World, _u: User | None, *, expected: str = "1") -> tuple[str, Body]:
    """A run of its own with one row waiting at 0.95."""
    from tests.reconcile.match_review_kit import make_run, queue_row

    run = make_run(w.actor, w.sources["ngo"], name="door.csv")
    queue_row(run, 1, [(w.person(2), 0.95)])
    body = {"run": run.pk, "above": "0.9", "reason": "", "expected": expected, "note": "ok"}
    return "/staff/matches/bulk/", body


def _disclosure(w: World, _u: User | None, **body: str) -> tuple[str, Body]:
    approve = {"decision": "approve", "note": "Checked.", "confirm": "on"}
    return SAMPLES["staff/disclosures/<int:pk>/"](w), approve | body


def _release(w: World, _u: User | None, **body: str) -> tuple[str, Body]:
    return SAMPLES["staff/statistics/<int:pk>/"](w), {"decision": "approve", "note": ""} | body


def _token(w: World, user: User | None) -> tuple[str, Body]:
    from detente.api.services import token_create

    owner = user or w.actor
    token, _secret = token_create(actor=owner, user=owner, name="door", scope="read")
    return f"/staff/tokens/{token.pk}/revoke/", {}


def _recovery_codes(w: World, user: User | None) -> tuple[str, Body]:
    """The persona enrols an authenticator (signed-in accounts only) and gives its code."""
    from django.utils import timezone

    from detente.accounts import services, totp

    if user is None:
        return "/staff/account/", {"code": "123456"}
    now = timezone.now()
    device, _uri = services.totp_enroll(actor=user, user=user, now=now)
    earlier = now.timestamp() - totp.PERIOD
    services.totp_confirm(actor=user, user=user, code=totp.totp(device.key(), earlier), now=now)
    return "/staff/account/", {"code": totp.totp(device.key(), now.timestamp())}


def _reader_login(w: World, _u: User | None) -> tuple[str, Body]:
    """An account without a role signs in with its password alone (no second factor)."""
    from tests.support import make_user

    make_user("door-reader", None)
    return "/staff/login/", {"username": "door-reader", "password": "not-used-here-1234"}


_NAMES = {"given_names": "Yoandri 0", "paternal_surname": "Perez", "sex": "X"}

_PDF = b"%PDF-1.7\n%%EOF\n"
_CASE = {"channel": "call", "occurred_on": "2020-03-02", "asked": "A visit.", "raised_by": "x"}


def _task_form(**changes: str) -> Make:
    """A task for the persona itself (a staff member who sees the world's people)."""

    def make(w: World, user: User | None) -> tuple[str, Body]:
        due = str(dt.datetime.now(tz=dt.UTC).date() + dt.timedelta(days=3))
        body = {"title": "Chase", "due_on": due, "assignee": user.username if user else "x"}
        return _url("staff/tasks/new/")(w), body | changes

    return make


# Every route that takes a POST: what a valid and an invalid one look like.
FORMS: dict[str, Form] = {
    # --- Searching and reading by POST: no change, only the names seen are recorded.
    "staff/people/": Form(_at("staff/people/", {"q": "Yoandri 0 Perez"}), None, 0, ok=200),
    "staff/people/suggest/": Form(_at("staff/people/suggest/", _NAMES), None, 0, ok=200),
    "staff/places/divisions/": Form(
        _at("staff/places/divisions/", {"country": "CU"}), None, 0, ok=200
    ),
    "staff/matches/<int:pk>/search/": Form(
        _at("staff/matches/<int:pk>/search/", {"q": "Yoandri 0 Perez"}),
        _at("staff/matches/<int:pk>/search/", {"q": ""}),
        0,
        ok=200,
        bad=400,
    ),
    "staff/ledger/verify/": Form(_at("staff/ledger/verify/", {}), None, 0, ok=200),
    # --- Recording people and claims.
    "staff/people/new/": Form(
        _at(
            "staff/people/new/",
            {
                "given_names": "Zebedeo",
                "paternal_surname": "Quintana",
                "sex": "M",
                "birth_precision": "day",
                "different_person": "1",
            },
        ),
        _at("staff/people/new/", {"given_names": "", "sex": "F"}),
        1,
    ),
    "staff/people/<str:handle>/at-risk/": Form(
        _at("staff/people/<str:handle>/at-risk/", {"at_risk": "1"}), None, 1
    ),
    "staff/people/<str:handle>/claims/new/": Form(
        _at("staff/people/<str:handle>/claims/new/", _claim_form),
        _at("staff/people/<str:handle>/claims/new/", lambda w: _claim_form(w, status="")),
        1,
    ),
    "staff/verification/<int:pk>/confirm/": Form(
        _review("confirm"), _review("confirm", event_date="not a day"), 1
    ),
    "staff/verification/<int:pk>/dispute/": Form(
        _review("dispute"), _review("dispute", event_date="not a day"), 1
    ),
    # --- The review queue of imports.
    # Rejecting a row's candidates records the row as a new person with its claim: the
    # review, the person and the claim (three entries); accepting in bulk: the bulk
    # decision, the row's review and its claim.
    "staff/matches/<int:pk>/decide/": Form(
        _at("staff/matches/<int:pk>/decide/", {"decision": "reject"}),
        _at("staff/matches/<int:pk>/decide/", {"decision": "choose"}),
        3,
        bad=400,
    ),
    "staff/matches/bulk/": Form(_bulk, lambda w, u: _bulk(w, u, expected="7"), 3, bad=400),
    # --- Importing lists.
    "staff/imports/new/": Form(
        _at(
            "staff/imports/new/",
            lambda w: {
                "file": SimpleUploadedFile("list.csv", _CSV),
                "source": w.sources["ngo"].slug,
                "mode": "match",
                "link_above": "0.95",
                "review_above": "0.05",
            },
        ),
        _at("staff/imports/new/", lambda w: {"source": w.sources["ngo"].slug}),
        1,
        bad=400,
    ),
    # A job moves forward by its creator's hand only: each staff persona posts to its own.
    "staff/imports/jobs/<int:pk>/map/": Form(
        _job("map", action="preview"),
        _job("map", action="preview", map_name=""),
        1,
        bad=400,
        roles=Role.STAFF,
    ),
    "staff/imports/jobs/<int:pk>/start/": Form(_job("start"), None, 1, roles=Role.STAFF),
    "staff/imports/jobs/<int:pk>/discard/": Form(_job("discard"), None, 1, roles=Role.STAFF),
    # --- Setting up agreements, parties and sources.
    "staff/agreements/new/": Form(
        _at("staff/agreements/new/", _AGREEMENT),
        _at("staff/agreements/new/", _AGREEMENT | {"announced_on": "not a day"}),
        1,
    ),
    "staff/agreements/<slug:slug>/edit/": Form(
        _at("staff/agreements/<slug:slug>/edit/", lambda w: _edit_form(w, "agreement")),
        _at(
            "staff/agreements/<slug:slug>/edit/",
            lambda w: _edit_form(w, "agreement") | {"title": ""},
        ),
        1,
    ),
    "staff/agreements/<slug:slug>/archive/": Form(
        _at("staff/agreements/<slug:slug>/archive/", {"op": "archive"}),
        _at("staff/agreements/<slug:slug>/archive/", {"op": "x"}),
        1,
        bad=400,
    ),
    "staff/agreements/<slug:slug>/claims/count/": Form(
        _at("staff/agreements/<slug:slug>/claims/count/", _count_form()),
        _at("staff/agreements/<slug:slug>/claims/count/", _count_form(released_count="-1")),
        1,
    ),
    "staff/agreements/<slug:slug>/claims/stage/": Form(
        _at("staff/agreements/<slug:slug>/claims/stage/", _stage_form()),
        _at("staff/agreements/<slug:slug>/claims/stage/", _stage_form(evidence_text="")),
        1,
    ),
    "staff/agreements/<slug:slug>/members/add/": Form(
        _at(
            "staff/agreements/<slug:slug>/members/add/",
            lambda w: {"people": _newcomer(w), "named_on": "2020-02-03"},
        ),
        _at("staff/agreements/<slug:slug>/members/add/", {"people": "P-99999"}),
        1,
    ),
    "staff/agreements/<slug:slug>/members/classify/": Form(
        _at(
            "staff/agreements/<slug:slug>/members/classify/",
            lambda w: {
                "person": w.person().handle,
                "classification": "political",
                "source": w.sources["ngo"].slug,
                "reason": "Door check.",
                "classified_on": "2020-02-03",
            },
        ),
        _at(
            "staff/agreements/<slug:slug>/members/classify/",
            {"person": "P-99999", "classification": "political", "reason": "x"},
        ),
        1,
    ),
    "staff/agreements/<slug:slug>/policy/": Form(
        _at(
            "staff/agreements/<slug:slug>/policy/",
            {"confirm_min_grade": "A", "dispute_min_grade": "C", "audience": "staff"},
        ),
        _at(
            "staff/agreements/<slug:slug>/policy/",
            {"confirm_min_grade": "Z", "dispute_min_grade": "C", "audience": "staff"},
        ),
        1,
    ),
    "staff/agreements/<slug:slug>/legislature/": Form(
        _at(
            "staff/agreements/<slug:slug>/legislature/",
            lambda w: {"op": "add", "user": _legislator().username},
        ),
        _at("staff/agreements/<slug:slug>/legislature/", {"op": "add", "user": "nobody"}),
        1,
    ),
    "staff/parties/new/": Form(
        _at("staff/parties/new/", _PARTY), _at("staff/parties/new/", _PARTY | {"slug": ""}), 1
    ),
    "staff/parties/<slug:slug>/edit/": Form(
        _at("staff/parties/<slug:slug>/edit/", lambda w: _edit_form(w, "party")),
        _at("staff/parties/<slug:slug>/edit/", lambda w: _edit_form(w, "party") | {"name": ""}),
        1,
    ),
    "staff/parties/<slug:slug>/archive/": Form(
        _at("staff/parties/<slug:slug>/archive/", {"op": "archive"}),
        _at("staff/parties/<slug:slug>/archive/", {"op": "x"}),
        1,
        bad=400,
    ),
    "staff/sources/new/": Form(
        _at("staff/sources/new/", _SOURCE),
        _at("staff/sources/new/", _SOURCE | {"reliability": "Z"}),
        1,
    ),
    "staff/sources/<slug:slug>/edit/": Form(
        _at("staff/sources/<slug:slug>/edit/", lambda w: _edit_form(w, "source")),
        _at(
            "staff/sources/<slug:slug>/edit/",
            lambda w: _edit_form(w, "source") | {"name": ""},
        ),
        1,
    ),
    "staff/sources/<slug:slug>/archive/": Form(
        _at("staff/sources/<slug:slug>/archive/", {"op": "archive"}),
        _at("staff/sources/<slug:slug>/archive/", {"op": "x"}),
        1,
        bad=400,
    ),
    # --- Disclosures: proposing (every staff role), deciding (a second person).
    "staff/disclosures/propose/": Form(
        _at(
            "staff/disclosures/propose/",
            lambda w: {
                "audience": "legislature",
                "action": "open",
                "agreement": "",
                "people": w.person(0).handle,
                "effective_date": "",
                "effective_time": "",
                "reason": "The committee asked for the list.",
            },
        ),
        _at(
            "staff/disclosures/propose/",
            {"audience": "legislature", "action": "open", "people": "", "reason": "x"},
        ),
        1,
    ),
    "staff/disclosures/<int:pk>/": Form(
        _disclosure,
        lambda w, u: _disclosure(w, u, note="x" * 2001),
        1,
        roles=frozenset({Role.VERIFIER, Role.ADMINISTRATOR}),  # analysts read, managers decide
    ),
    "staff/statistics/": Form(
        _at("staff/statistics/", {"reason": "Quarterly figures."}),
        _at("staff/statistics/", {"reason": ""}),
        1,
    ),
    "staff/statistics/<int:pk>/": Form(
        _release,
        lambda w, u: _release(w, u, decision="maybe"),
        1,
        roles=frozenset({Role.VERIFIER, Role.ADMINISTRATOR}),  # analysts read, managers decide
    ),
    # --- Accounts and tokens.
    # Inviting: the account and its link (user.create, user.invite), the link shown once.
    "staff/users/new/": Form(
        _at("staff/users/new/", {"username": "door-leo", "email": "", "role": "legislature"}),
        _at("staff/users/new/", {"username": "door leo", "role": "legislature"}),
        2,
        ok=200,
    ),
    "staff/users/<int:pk>/": Form(
        _at(
            "staff/users/<int:pk>/",
            {"op": "role", "role-role": "verifier", "role-reason": "promoted"},
        ),
        _at("staff/users/<int:pk>/", {"op": "disable", "disable-reason": ""}),
        1,
    ),
    "staff/tokens/": Form(
        _at("staff/tokens/", {"name": "nightly sync", "scope": "read", "days": "30"}),
        _at("staff/tokens/", {"name": "", "scope": "read", "days": "30"}),
        1,
        ok=201,
    ),
    "staff/tokens/<int:pk>/revoke/": Form(_token, None, 1),
    # New recovery codes, shown once: needs the code the persona's authenticator shows now.
    "staff/account/": Form(_recovery_codes, _at("staff/account/", {"code": ""}), 1, ok=200),
    # --- Email updates: the mailing lists (verifiers and administrators).
    "staff/updates/new/": Form(
        _at("staff/updates/new/", {"slug": "door-news", "kind": "all", "frequency": "weekly"}),
        _at("staff/updates/new/", {"slug": "", "kind": "all", "frequency": "weekly"}),
        1,
    ),
    "staff/updates/<slug:slug>/": Form(
        _at("staff/updates/<slug:slug>/", {"frequency": "weekly"}),
        _at("staff/updates/<slug:slug>/", {"frequency": "monthly"}),
        1,
    ),
    "staff/updates/<slug:slug>/archive/": Form(
        _at("staff/updates/<slug:slug>/archive/", {"op": "archive"}),
        _at("staff/updates/<slug:slug>/archive/", {"op": "x"}),
        1,
        bad=400,
    ),
    # Nothing new in the test world: the request is recorded, no digest is built.
    "staff/updates/<slug:slug>/send/": Form(_at("staff/updates/<slug:slug>/send/", {}), None, 1),
    # --- Casework (routes_casework): cases raised, notes and tasks.
    "staff/interventions/new/": Form(
        _at("staff/interventions/new/", _CASE),
        _at("staff/interventions/new/", {**_CASE, "channel": "pigeon"}),
        1,
    ),
    "staff/interventions/<int:pk>/edit/": Form(
        _at("staff/interventions/<int:pk>/edit/", {**_CASE, "answer": "No news."}),
        _at("staff/interventions/<int:pk>/edit/", {**_CASE, "occurred_on": "2999-01-01"}),
        1,
    ),
    "staff/notes/new/": Form(
        _at("staff/notes/new/", {"body": "<p>Met</p>", "visibility": "staff"}),
        _at("staff/notes/new/", {"body": "<script>x</script>", "visibility": "staff"}),
        1,
    ),
    "staff/notes/<int:pk>/edit/": Form(
        _at("staff/notes/<int:pk>/edit/", {"body": "<p>Met twice</p>", "visibility": "staff"}),
        _at("staff/notes/<int:pk>/edit/", {"body": "", "visibility": "staff"}),
        1,
    ),
    "staff/tasks/new/": Form(_task_form(), _task_form(due_on="2000-01-01"), 1),
    "staff/tasks/<int:pk>/done/": Form(_at("staff/tasks/<int:pk>/done/", {}), None, 1),
    "staff/attachments/new/": Form(
        _at("staff/attachments/new/", lambda w: {"file": SimpleUploadedFile("a.pdf", _PDF)}),
        _at("staff/attachments/new/", lambda w: {"file": SimpleUploadedFile("a.pdf", b"MZ\0")}),
        1,
    ),
    # --- Public routes.
    "staff/login/": Form(
        _reader_login,
        _at("staff/login/", {"username": "", "password": ""}),
        0,
    ),
    "staff/logout/": Form(_at("staff/logout/", {}), None, 0),
    "staff/welcome/<str:token>/": Form(
        None,
        _at("staff/welcome/<str:token>/", {"password1": _PASSWORD, "code": "123456"}),
        0,
        bad=404,
        note="an invitation link's token, shown once: tests/accounts/test_invitations.py",
    ),
    "i18n/setlang/": Form(_at("i18n/setlang/", {"language": "es", "next": "/"}), None, 0),
    "updates/": Form(
        None,
        _at("updates/", {"email": "not an address", "lists": [], "notice": ""}),
        0,
        bad=400,
        note="a valid subscription needs the notice's hash: tests/mailing/test_subscribe.py",
    ),
    "updates/confirm/<str:token>/": Form(
        None,
        _at("updates/confirm/<str:token>/", {"notice": ""}),
        0,
        bad=400,
        note="the signed link of a confirmation email: tests/mailing/test_subscribe.py",
    ),
    "updates/unsubscribe/<str:token>/": Form(
        None,
        _at("updates/unsubscribe/<str:token>/", {}),
        0,
        bad=400,
        note="a signed link: tests/mailing/test_unsubscribe.py",
    ),
    "updates/preferences/<str:token>/": Form(
        None,
        _at("updates/preferences/<str:token>/", {}),
        0,
        bad=400,
        note="a signed link: tests/mailing/test_unsubscribe.py",
    ),
    "updates/preferences/<str:token>/erase/": Form(
        None,
        _at("updates/preferences/<str:token>/erase/", {}),
        0,
        bad=400,
        note="a signed link: tests/mailing/test_privacy.py",
    ),
    "updates/mailchimp/<str:secret>/": Form(
        None,
        _at("updates/mailchimp/<str:secret>/", {"type": "unsubscribe"}),
        0,
        bad=404,
        note="the webhook's secret: tests/mailing/test_mailchimp.py",
    ),
    "updates/webhooks/<slug:esp>/<slug:kind>/": Form(
        None,
        _at("updates/webhooks/<slug:esp>/<slug:kind>/", {}),
        0,
        bad=404,
        note="the provider's signature: tests/mailing/test_bounces.py",
    ),
}


def _newcomer(w: World) -> str:
    from detente.registry.services import person_create

    return person_create(actor=w.actor, given_names="Dayana", paternal_surname="Rojas").handle


# Read-only staff pages that once answered a POST or a PUT like a GET (no method check on
# the view); they answer 405 now (test_read_only_pages_refuse_writes keeps them to it).
READ_ONLY_STAFF = {
    "staff/",
    "staff/people/<str:handle>/",
    "staff/verification/",
    "staff/estimates/",
    "staff/matches/",
    "staff/matches/<int:pk>/",
    "staff/imports/",
    "staff/imports/jobs/<int:pk>/",
    "staff/imports/jobs/<int:pk>/progress/",
    "staff/imports/<int:pk>/",
    "staff/imports/<int:pk>/rows.csv",
}
# Form pages of the same app that once answered PUT like GET.
FORM_STAFF = {
    "staff/login/",
    "staff/people/new/",
    "staff/people/<str:handle>/claims/new/",
    "staff/matches/bulk/",
    "staff/imports/new/",
}
# Routes that still answer any method like GET (a known gap): none.
ANSWERS_ANY_METHOD: set[str] = set()
ANSWERS_PUT: set[str] = set()
# The sample address names no provider: any method is answered 404 (tests/mailing).
UNKNOWN_PROVIDER = {"updates/webhooks/<slug:esp>/<slug:kind>/"}
# set_language answers any other method with a redirect and changes nothing.
REDIRECTS_OTHER_METHODS = {"i18n/setlang/"}


def _web_routes() -> list[str]:
    return [p for p in _patterns() if not p.startswith(("admin/", "api/"))]


def _allowed(route: str) -> frozenset[str]:
    return ROUTES[route] if route in ROUTES else frozenset(ROLES)


# Sessions and login counters move with every sign-in; the ledger is counted apart (its
# access entries record what was seen, which reading by POST does).
_SNAPSHOT_SKIP = {
    "sessions.session",
    "accounts.usersession",
    "accounts.loginthrottle",
    "audit.auditentry",
    "audit.personaccess",  # the index of the access entries, moving with them
    # The public pages' kept copies: a cache that a visit may fill, not data it changes.
    "web.renderedpage",
}


def _state() -> tuple[int, dict[str, int]]:
    """The ledger's change entries and the number of rows of every table (one query)."""
    tables = sorted(
        {
            m._meta.db_table
            for m in apps.get_models(include_auto_created=True)
            if m._meta.label_lower not in _SNAPSHOT_SKIP and not m._meta.proxy
        }
    )
    quote = connection.ops.quote_name
    audit = quote(AuditEntry._meta.db_table)
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT COUNT(*) FROM {audit} WHERE kind <> 'access'), {counts}")
        changes, *rows = cursor.fetchone()
    return changes, dict(zip(tables, rows, strict=True))


def _login(client: Client, user: User | None) -> None:
    client.logout()
    if user is not None:
        client.force_login(user)


def _discard_jobs(seen: set[int]) -> None:
    """Uploaded files are not rolled back with the database: delete the new jobs' files."""
    from detente.reconcile.jobs import _delete_files
    from detente.reconcile.models import ImportJob

    for job in ImportJob.objects.exclude(pk__in=seen):
        _delete_files(job)


def _post(
    client: Client, world: World, user: User | None, make: Make
) -> tuple[Any, tuple[int, dict[str, int]], tuple[int, dict[str, int]]]:
    from detente.reconcile.models import ImportJob

    with transaction.atomic():
        jobs = set(ImportJob.objects.values_list("pk", flat=True))
        _login(client, user)
        url, body = make(world, user)
        before = _state()
        response = client.post(url, body)
        after = _state()
        response.actions = [  # what the ledger says was done, for the messages
            e.action
            for e in AuditEntry.objects.exclude(kind="access").order_by("-position")[
                : max(after[0] - before[0], 0)
            ]
        ]
        _discard_jobs(jobs)
        transaction.set_rollback(True)
    forget_public_copies()
    return response, before, after


def _diff(before: tuple[int, dict[str, int]], after: tuple[int, dict[str, int]]) -> list[str]:
    return [k for k in after[1] if after[1][k] != before[1].get(k)]


def _refused(role: str, response: Any) -> bool:
    if role == "anonymous":
        return response.status_code == 302 and "login" in response["Location"]
    return response.status_code in (403, 404)


@pytest.mark.parametrize("role", ROLES)
def test_every_post_for_every_role(world: World, role: str) -> None:
    """Refused roles change nothing; allowed ones get errors for bad data and do the work
    for good data, with the ledger entries the table says."""
    user = _user(role)
    client = Client()
    problems = []
    for route, form in FORMS.items():
        allowed = role in (form.roles if form.roles is not None else _allowed(route))
        for kind, make in (("invalid", form.invalid), ("valid", form.valid)):
            if make is None:
                continue
            response, before, after = _post(client, world, user, make)
            status = response.status_code
            written = after[0] - before[0]
            if not allowed:
                if not _refused(role, response) or after != before:
                    problems.append((route, kind, status, written, _diff(before, after)))
            elif kind == "invalid":
                if status != form.bad or after != before:
                    where = response.get("Location", "")
                    problems.append((route, kind, status, written, _diff(before, after), where))
            elif status != form.ok or written != form.writes:
                ctx = getattr(response, "context", None)
                errs = ctx.get("form").errors if ctx and ctx.get("form") else None
                problems.append((route, kind, status, written, response.actions, errs))
    assert problems == [], "\n".join(map(str, problems))


@pytest.mark.parametrize("role", ROLES)
def test_every_route_refuses_methods_it_does_not_take(world: World, role: str) -> None:
    """PUT and DELETE: 405, or the refusal a role gets anyway; never 200 or 500."""
    user = _user(role)
    client = Client()
    _login(client, user)
    problems = []
    for route in _web_routes():
        if route in ANSWERS_ANY_METHOD | ANSWERS_PUT:
            continue  # test_read_only_pages_refuse_writes (a known gap)
        url = _url(route)(world)
        for method in ("put", "delete"):
            before = _state()
            response = getattr(client, method)(url)
            after = _state()
            status = response.status_code
            if route in REDIRECTS_OTHER_METHODS:
                ok = status == 302
            elif route in UNKNOWN_PROVIDER:
                ok = status in (404, 405)
            elif role in _allowed(route):
                ok = status == 405
            else:
                ok = status == 405 or _refused(role, response)
            if not ok or after != before:
                problems.append((route, method, status))
    assert problems == [], "\n".join(map(str, problems))


def test_read_only_pages_change_nothing_when_posted_to(world: World) -> None:
    """The staff pages that once did not check the method write nothing on a POST or PUT."""
    client = Client()
    user = _user("administrator")
    for route in sorted(READ_ONLY_STAFF | FORM_STAFF):
        url = _url(route)(world)
        for method in ("post", "put", "delete"):
            with transaction.atomic():
                _login(client, user)
                before = _state()
                response = getattr(client, method)(url)
                after = _state()
                transaction.set_rollback(True)
            forget_public_copies()
            assert response.status_code < 500, (route, method)
            assert after == before, (route, method)


def test_read_only_pages_refuse_writes(world: World) -> None:
    client = Client()
    client.force_login(_user("administrator"))
    answered = []
    for route in sorted(READ_ONLY_STAFF | FORM_STAFF):
        url = _url(route)(world)
        methods = ("post", "put", "delete") if route in READ_ONLY_STAFF else ("put", "delete")
        for method in methods:
            with transaction.atomic():
                status = getattr(client, method)(url).status_code
                transaction.set_rollback(True)
            if status != 405:
                answered.append((route, method, status))
    assert answered == [], "\n".join(map(str, answered))


# --- Meta-tests: the tables cover every route ------------------------------------------


def test_every_route_that_takes_post_is_in_the_form_table(world: World) -> None:
    """Probe every non-admin route with an administrator's POST: one that is not answered
    405 takes a POST and needs an entry in FORMS (or, a known gap, ANSWERS_ANY_METHOD)."""
    client = Client()
    user = _user("administrator")
    takes_post = set()
    for route in _web_routes():
        with transaction.atomic():
            _login(client, user)
            status = client.post(_url(route)(world), {}).status_code
            transaction.set_rollback(True)
        forget_public_copies()
        if status != 405:
            takes_post.add(route)
    assert takes_post - ANSWERS_ANY_METHOD == set(FORMS)
    assert set(FORMS) | ANSWERS_ANY_METHOD | ANSWERS_PUT <= set(_web_routes())
    assert set(_web_routes()) == set(ROUTES) | (PUBLIC_URLS & set(_web_routes()))


def test_an_unknown_disclosure_decision_is_refused_on_the_form(world: World) -> None:
    client = Client()
    client.force_login(_user("verifier"))
    url, body = _disclosure(world, None, decision="maybe")
    response = client.post(url, body)
    assert response.status_code == 200
