"""A record hidden from someone answers them exactly as a missing one: the same status, the
same bytes, and the same database work (issue 13, point 2).

Anyone who could tell a hidden record from a missing one could count the registry and
confirm that a handle exists. Timing follows from the work done, so the tests compare the
work itself, never the clock: for every detail route (every URL and API operation keyed by
an identifier), every role, and every kind of record hidden from that role, the SQL run
for the hidden identifier and for a missing one must be the same statements in the same
order once literal values are blanked out, and the answers must be identical byte for byte
(apart from the identifier itself where a page echoes its own address).

The route tables below must cover every route with a parameter: a new detail route without
an entry here fails ``test_every_detail_route_is_covered``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.security import routes_staff
from tests.security.test_personas import _patterns
from tests.support import World, build_world, make_user

from detente.access.policy import Role
from detente.access.services import (
    agreement_access_grant,
    agreement_set_audience,
    disclosure_approve,
    disclosure_propose,
)
from detente.agreements.models import Agreement, Membership
from detente.agreements.services import agreement_add_members
from detente.api.services import token_create
from detente.audit.models import AuditEntry
from detente.evidence.models import Claim, Source
from detente.evidence.services import claim_record, source_create
from detente.publishing.releases import statistics_propose
from detente.reconcile.services import person_merge
from detente.registry.models import CustodyEpisode, Person
from detente.registry.selectors import person_get
from detente.registry.services import person_create

ROLES = ("anonymous", "public", "legislature", "analyst", "verifier", "administrator")
EVERYONE = frozenset(ROLES)
STAFF = frozenset({"analyst", "verifier", "administrator"})
MANAGERS = frozenset({"verifier", "administrator"})
ADMINISTRATORS = frozenset({"administrator"})
NOBODY: frozenset[str] = frozenset()

MISSING_HANDLE = "P-99999"
MISSING_SLUG = "no-such-record"
MISSING_ID = "999999999"


# --- The scene: one record of each kind hidden from someone ------------------------------


@dataclass
class Scene:
    world: World
    closed_deal: Agreement  # shown to staff only
    listed_deal: Agreement  # shown to listed legislature accounts only (not the persona)
    named: Person  # on a public agreement, name public
    legislature_named: Person  # on the public agreement, name shown to the legislature
    unnamed: Person  # on the public agreement, name not disclosed
    closed: Person  # named only on the staff-only agreement
    listed: Person  # named only on the list-only agreement
    merged: Person  # merged into ``named``: their handle is the survivor's to staff only
    protected: Source  # its identity is for those who manage sources
    claim: Claim
    episode: CustodyEpisode
    operator_token: int  # the command-line operator's API token
    operator: User
    disclosure: int
    release: int  # a proposed statistics release (staff only)
    member: int  # a membership on the staff-only agreement
    job: int  # the operator's import job
    run: int
    row: int
    task: str  # a background task's result (admin: superusers only)


def _disclose(actor: User, approver: User, audience: str, people: list[Person]) -> int:
    proposal = disclosure_propose(actor=actor, audience=audience, reason="hearing", people=people)
    disclosure_approve(actor=approver, disclosure=proposal)
    return proposal.pk


def _task_result() -> str:
    from django_tasks_db.models import DBTaskResult

    result = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="detente.reconcile.tasks.nothing",
        backend_name="default",
        run_after=timezone.now(),
        exception_class_path="",
        traceback="",
    )
    return str(result.pk)


@pytest.fixture
def scene(world: World) -> Scene:
    actor = world.actor
    approver = make_user("second-pair-of-eyes", Role.VERIFIER)
    open_deal = build_world(actor, members=3, slug="open")
    agreement_set_audience(actor=actor, agreement=open_deal.agreement, audience="public")
    named, legislature_named, unnamed = open_deal.people
    disclosure = _disclose(actor, approver, "public", [named])
    _disclose(actor, approver, "legislature", [legislature_named])
    listed = build_world(actor, members=1, slug="listed")
    agreement_set_audience(actor=actor, agreement=listed.agreement, audience="legislature")
    other_member = make_user("another-committee", Role.LEGISLATURE)
    agreement_access_grant(actor=actor, agreement=listed.agreement, user=other_member)
    merged = person_create(actor=actor, given_names="Yoandry", paternal_surname="Peres")
    agreement_add_members(
        actor=actor, agreement=open_deal.agreement, people=[merged], named_on=dt.date(2020, 2, 1)
    )
    person_merge(actor=actor, survivor=named, merged=merged, reason="one person, twice")
    protected = source_create(
        actor=actor,
        slug="informant",
        name="Officer in prison X",
        kind="anonymous_official",
        reliability="C",
        independence_group="informant",
        protected=True,
    )
    closed = world.person()
    claim = claim_record(
        actor=actor,
        source=protected,
        person=closed,
        status="detained",
        event_date=dt.date(2020, 2, 1),
        received_at=dt.datetime(2020, 2, 2, 12, tzinfo=dt.UTC),
    )
    token, _secret = token_create(actor=actor, user=actor, name="operator", scope="read")
    row = routes_staff._queued_row(world)
    return Scene(
        world=world,
        closed_deal=world.agreement,
        listed_deal=listed.agreement,
        named=named,
        legislature_named=legislature_named,
        unnamed=unnamed,
        closed=closed,
        listed=listed.person(),
        merged=merged,
        protected=protected,
        claim=claim,
        episode=CustodyEpisode.objects.filter(person=closed).get(),
        operator_token=token.pk,
        operator=actor,
        disclosure=disclosure,
        release=statistics_propose(actor=actor, reason="scene").pk,
        member=Membership.objects.get(agreement=world.agreement, person=closed).pk,
        job=routes_staff._import_job(world),
        run=routes_staff._import_run(world),
        row=row,
        task=_task_result(),
    )


# --- What is hidden from whom ------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A record that exists, the parameters that name it, and who may know it exists
    (for them the answer may differ from a missing record's; for everyone else it may not)."""

    label: str
    hidden: Callable[[Scene], dict[str, str]]
    missing: dict[str, str]
    sees: frozenset[str]


def _handle(label: str, who: Callable[[Scene], Person], sees: frozenset[str]) -> Case:
    return Case(label, lambda s: {"handle": who(s).handle}, {"handle": MISSING_HANDLE}, sees)


def _slug(label: str, what: Callable[[Scene], Any], sees: frozenset[str]) -> Case:
    return Case(label, lambda s: {"slug": what(s).slug}, {"slug": MISSING_SLUG}, sees)


def _pk(label: str, pk: Callable[[Scene], Any], sees: frozenset[str], name: str = "pk") -> Case:
    return Case(label, lambda s: {name: str(pk(s))}, {name: MISSING_ID}, sees)


# The public person page shows a person only with their name: a person whose name is not
# public to the viewer is as missing as one who does not exist.
PUBLIC_PERSON = (
    _handle("name not disclosed", lambda s: s.unnamed, STAFF),
    _handle(
        "name disclosed to the legislature",
        lambda s: s.legislature_named,
        STAFF | {"legislature"},
    ),
    _handle("on a staff-only agreement", lambda s: s.closed, STAFF),
    _handle("on an agreement listed to others", lambda s: s.listed, STAFF),
    _handle("merged into a named person", lambda s: s.merged, STAFF),
)
# Elsewhere a person known by their handle on an agreement one sees is not hidden.
API_PERSON = (
    _handle("on a staff-only agreement", lambda s: s.closed, STAFF),
    _handle("on an agreement listed to others", lambda s: s.listed, STAFF),
    _handle("merged into a named person", lambda s: s.merged, STAFF),
)
STAFF_PERSON = API_PERSON
# A person's access history: administrators only, whoever the person is.
STAFF_PERSON_ACCESS = tuple(
    _handle(label, pick, ADMINISTRATORS)
    for label, pick in (
        ("on a staff-only agreement", lambda s: s.closed),
        ("on an agreement listed to others", lambda s: s.listed),
        ("merged into a named person", lambda s: s.merged),
    )
)
AGREEMENT = (
    _slug("shown to staff only", lambda s: s.closed_deal, STAFF),
    _slug("listed to other legislators", lambda s: s.listed_deal, STAFF),
)
# Open data is the public's view whoever asks: an agreement not public is missing to all.
OPEN_AGREEMENT = (
    _slug("shown to staff only", lambda s: s.closed_deal, NOBODY),
    _slug("listed to other legislators", lambda s: s.listed_deal, NOBODY),
)
PARTY = (_slug("a party", lambda s: s.world.releasing, STAFF),)
SOURCE = (_slug("a protected source", lambda s: s.protected, MANAGERS),)
CLAIM = (_pk("a claim", lambda s: s.claim.pk, STAFF, "claim_id"),)
DISCLOSURE = (_pk("a disclosure", lambda s: s.disclosure, STAFF),)
API_DISCLOSURE = (_pk("a disclosure", lambda s: s.disclosure, STAFF, "disclosure_id"),)
RELEASE = (_pk("a statistics release", lambda s: s.release, STAFF),)
API_RELEASE = (_pk("a statistics release", lambda s: s.release, STAFF, "release_id"),)
MEMBER = (_pk("a member of a staff-only agreement", lambda s: s.member, STAFF),)
JOB = (_pk("the operator's import job", lambda s: s.job, MANAGERS),)
API_JOB = (_pk("the operator's import job", lambda s: s.job, MANAGERS, "job_id"),)
RUN = (_pk("an import", lambda s: s.run, STAFF),)
API_RUN = (_pk("an import", lambda s: s.run, STAFF, "run_id"),)
ROW = (_pk("a row waiting for review", lambda s: s.row, STAFF),)
API_ROW = (_pk("a row waiting for review", lambda s: s.row, STAFF, "row_id"),)
ACCOUNT = (_pk("the command-line operator", lambda s: s.operator.pk, NOBODY),)
API_ACCOUNT = (
    Case(
        "the command-line operator",
        lambda s: {"username": s.operator.username},
        {"username": "no-such-account"},
        NOBODY,
    ),
)
TOKEN = (_pk("the operator's token", lambda s: s.operator_token, ADMINISTRATORS),)


def _case_raised(s: Scene) -> int:
    """A case raised about the person on the staff-only agreement (made once)."""
    from detente.casework.models import Intervention
    from detente.casework.services import intervention_raise

    found = Intervention.objects.filter(person=s.closed).values_list("pk", flat=True).first()
    return (
        found
        or intervention_raise(
            actor=s.world.actor,
            person=s.closed,
            channel="meeting",
            occurred_on=dt.date(2020, 3, 1),
            asked="A visit.",
        ).pk
    )


def _verifiers_note(s: Scene) -> int:
    """A note for verifiers and administrators only (made once): missing to analysts."""
    from detente.casework.models import Note
    from detente.casework.services import note_add

    found = Note.objects.filter(visibility="verifiers").values_list("pk", flat=True).first()
    return (
        found
        or note_add(
            actor=s.world.actor, person=s.closed, body="<p>Met.</p>", visibility="verifiers"
        ).pk
    )


def _verifiers_file(s: Scene) -> int:
    """An evidence file on the note for verifiers only (made once): missing to analysts."""
    from detente.casework.models import Attachment, Note
    from detente.casework.services import attachment_add

    found = Attachment.objects.values_list("pk", flat=True).first()
    note = Note.objects.get(pk=_verifiers_note(s))
    return (
        found
        or attachment_add(
            actor=s.world.actor, chunks=[b"%PDF-1.7\n%%EOF\n"], name="scan.pdf", note=note
        ).pk
    )


def _open_task(s: Scene) -> int:
    from detente.casework.models import Task
    from detente.casework.services import task_add

    found = Task.objects.filter(done_at__isnull=True).values_list("pk", flat=True).first()
    return (
        found
        or task_add(
            actor=s.world.actor,
            person=s.closed,
            title="Chase",
            due_on=timezone.localdate(),
            assignee=s.world.actor,
        ).pk
    )


CASE_RAISED = (_pk("a case raised", _case_raised, STAFF),)
API_CASE_RAISED = (_pk("a case raised", _case_raised, STAFF, "intervention_id"),)
NOTE = (_pk("a note for verifiers only", _verifiers_note, MANAGERS),)
API_NOTE = (_pk("a note for verifiers only", _verifiers_note, MANAGERS, "note_id"),)
FILE = (_pk("a file on a note for verifiers only", _verifiers_file, MANAGERS),)
API_FILE = (_pk("a file on a note for verifiers only", _verifiers_file, MANAGERS, "attachment_id"),)
TASK = (_pk("a task", _open_task, STAFF),)
API_TASK = (_pk("a task", _open_task, STAFF, "task_id"),)
QUEUE = (
    Case(
        "a member of a staff-only agreement",
        lambda s: {"slug": s.closed_deal.slug, "handle": s.closed.handle},
        {"slug": MISSING_SLUG, "handle": MISSING_HANDLE},
        STAFF,
    ),
)


@dataclass(frozen=True)
class Route:
    """A detail route: its address with ``{name}`` for each parameter, the methods to try,
    a body for API writes, and the roles whose GET of a visible record differs from a
    missing one (checked, so that a case that hides nothing cannot pass unnoticed)."""

    url: str
    cases: tuple[Case, ...]
    methods: tuple[str, ...] = ("GET", "POST")
    body: Callable[[Scene], dict[str, Any]] | None = None
    shows: frozenset[str] = EVERYONE


def _web(url: str, cases: tuple[Case, ...], shows: frozenset[str] = EVERYONE) -> Route:
    return Route(url, cases, ("GET", "POST"), None, shows)


def _api(
    method: str,
    url: str,
    cases: tuple[Case, ...],
    body: Callable[[Scene], dict[str, Any]] | None = None,
) -> Route:
    return Route(url, cases, (method,), body, EVERYONE if method == "GET" else NOBODY)


def _review(s: Scene) -> dict[str, Any]:
    return {"source": s.world.sources["ngo"].slug, "evidence_text": "Seen at home."}


WEB_ROUTES: dict[str, Route] = {
    "people/<str:handle>/": _web("/people/{handle}/", PUBLIC_PERSON),
    "agreements/<slug:slug>/": _web("/agreements/{slug}/", AGREEMENT),
    "agreements/<slug:slug>/briefing.pdf": _web("/agreements/{slug}/briefing.pdf", AGREEMENT),
    "agreements/<slug:slug>/known-then/": _web("/agreements/{slug}/known-then/", AGREEMENT),
    "open/agreements/<slug:slug>/members.json": _web(
        "/open/agreements/{slug}/members.json", OPEN_AGREEMENT
    ),
    "open/agreements/<slug:slug>/members.csv": _web(
        "/open/agreements/{slug}/members.csv", OPEN_AGREEMENT
    ),
    "staff/people/<str:handle>/": _web("/staff/people/{handle}/", STAFF_PERSON, STAFF),
    "staff/people/<str:handle>/at-risk/": _web(
        "/staff/people/{handle}/at-risk/", STAFF_PERSON, NOBODY
    ),
    "staff/people/<str:handle>/claims/new/": _web(
        "/staff/people/{handle}/claims/new/", STAFF_PERSON, STAFF
    ),
    "staff/people/<str:handle>/claims.<str:fmt>": _web(
        "/staff/people/{handle}/claims.csv", STAFF_PERSON, STAFF
    ),
    "staff/verification/<int:pk>/confirm/": _web(
        "/staff/verification/{pk}/confirm/", MEMBER, NOBODY
    ),
    "staff/verification/<int:pk>/dispute/": _web(
        "/staff/verification/{pk}/dispute/", MEMBER, NOBODY
    ),
    "staff/matches/<int:pk>/": _web("/staff/matches/{pk}/", ROW, STAFF),
    "staff/matches/<int:pk>/decide/": _web("/staff/matches/{pk}/decide/", ROW, NOBODY),
    "staff/matches/<int:pk>/search/": _web("/staff/matches/{pk}/search/", ROW, NOBODY),
    "staff/imports/jobs/<int:pk>/": _web("/staff/imports/jobs/{pk}/", JOB, MANAGERS),
    "staff/imports/jobs/<int:pk>/map/": _web("/staff/imports/jobs/{pk}/map/", JOB, NOBODY),
    "staff/imports/jobs/<int:pk>/progress/": _web(
        "/staff/imports/jobs/{pk}/progress/", JOB, MANAGERS
    ),
    "staff/imports/jobs/<int:pk>/start/": _web("/staff/imports/jobs/{pk}/start/", JOB, NOBODY),
    "staff/imports/jobs/<int:pk>/discard/": _web("/staff/imports/jobs/{pk}/discard/", JOB, NOBODY),
    "staff/imports/<int:pk>/": _web("/staff/imports/{pk}/", RUN, STAFF),
    "staff/imports/<int:pk>/rows.csv": _web("/staff/imports/{pk}/rows.csv", RUN, STAFF),
    "staff/agreements/<slug:slug>/": _web("/staff/agreements/{slug}/", AGREEMENT, STAFF),
    "staff/agreements/<slug:slug>/members.<str:fmt>": _web(
        "/staff/agreements/{slug}/members.csv", AGREEMENT, STAFF
    ),
    "staff/agreements/<slug:slug>/edit/": _web(
        "/staff/agreements/{slug}/edit/", AGREEMENT, MANAGERS
    ),
    "staff/agreements/<slug:slug>/archive/": _web(
        "/staff/agreements/{slug}/archive/", AGREEMENT, NOBODY
    ),
    "staff/agreements/<slug:slug>/claims/count/": _web(
        "/staff/agreements/{slug}/claims/count/", AGREEMENT, STAFF
    ),
    "staff/agreements/<slug:slug>/claims/stage/": _web(
        "/staff/agreements/{slug}/claims/stage/", AGREEMENT, STAFF
    ),
    "staff/agreements/<slug:slug>/members/add/": _web(
        "/staff/agreements/{slug}/members/add/", AGREEMENT, STAFF
    ),
    "staff/agreements/<slug:slug>/policy/": _web(
        "/staff/agreements/{slug}/policy/", AGREEMENT, NOBODY
    ),
    "staff/agreements/<slug:slug>/members/classify/": _web(
        "/staff/agreements/{slug}/members/classify/", AGREEMENT, STAFF
    ),
    "staff/agreements/<slug:slug>/legislature/": _web(
        "/staff/agreements/{slug}/legislature/", AGREEMENT, MANAGERS
    ),
    "staff/parties/<slug:slug>/edit/": _web("/staff/parties/{slug}/edit/", PARTY, MANAGERS),
    "staff/parties/<slug:slug>/archive/": _web("/staff/parties/{slug}/archive/", PARTY, NOBODY),
    "staff/sources/<slug:slug>/": _web("/staff/sources/{slug}/", SOURCE, MANAGERS),
    "staff/sources/<slug:slug>/edit/": _web("/staff/sources/{slug}/edit/", SOURCE, MANAGERS),
    "staff/sources/<slug:slug>/archive/": _web("/staff/sources/{slug}/archive/", SOURCE, NOBODY),
    "staff/disclosures/<int:pk>/": _web("/staff/disclosures/{pk}/", DISCLOSURE, STAFF),
    "staff/statistics/<int:pk>/": _web("/staff/statistics/{pk}/", RELEASE, STAFF),
    "staff/users/<int:pk>/": _web("/staff/users/{pk}/", ACCOUNT, NOBODY),
    "staff/access/people/<str:handle>/": _web(
        "/staff/access/people/{handle}/", STAFF_PERSON_ACCESS, NOBODY
    ),
    "staff/access/people/<str:handle>/export.<str:fmt>": _web(
        "/staff/access/people/{handle}/export.csv", STAFF_PERSON_ACCESS, NOBODY
    ),
    "staff/access/users/<int:pk>/": _web("/staff/access/users/{pk}/", ACCOUNT, NOBODY),
    "staff/access/users/<int:pk>/export.<str:fmt>": _web(
        "/staff/access/users/{pk}/export.csv", ACCOUNT, NOBODY
    ),
    "staff/tokens/<int:pk>/revoke/": _web("/staff/tokens/{pk}/revoke/", TOKEN, NOBODY),
    "staff/interventions/<int:pk>/": _web("/staff/interventions/{pk}/", CASE_RAISED, STAFF),
    "staff/interventions/<int:pk>/edit/": _web(
        "/staff/interventions/{pk}/edit/", CASE_RAISED, STAFF
    ),
    "staff/notes/<int:pk>/": _web("/staff/notes/{pk}/", NOTE, MANAGERS),
    "staff/notes/<int:pk>/edit/": _web("/staff/notes/{pk}/edit/", NOTE, MANAGERS),
    "staff/tasks/<int:pk>/done/": _web("/staff/tasks/{pk}/done/", TASK, NOBODY),
    "staff/attachments/<int:pk>/download/": _web(
        "/staff/attachments/{pk}/download/", FILE, MANAGERS
    ),
}

API_OPERATIONS: dict[str, Route] = {
    "GET api/agreements/{slug}": _api("GET", "/api/agreements/{slug}", AGREEMENT),
    "PATCH api/agreements/{slug}": _api(
        "PATCH", "/api/agreements/{slug}", AGREEMENT, lambda s: {"title": "Renamed"}
    ),
    "POST api/agreements/{slug}/archive": _api("POST", "/api/agreements/{slug}/archive", AGREEMENT),
    "POST api/agreements/{slug}/restore": _api("POST", "/api/agreements/{slug}/restore", AGREEMENT),
    "POST api/agreements/{slug}/policy": _api(
        "POST", "/api/agreements/{slug}/policy", AGREEMENT, lambda s: {"confirm_min_grade": "B"}
    ),
    "GET api/agreements/{slug}/progress": _api("GET", "/api/agreements/{slug}/progress", AGREEMENT),
    "GET api/agreements/{slug}/members": _api("GET", "/api/agreements/{slug}/members", AGREEMENT),
    "GET api/agreements/{slug}/briefing.pdf": _api(
        "GET", "/api/agreements/{slug}/briefing.pdf", AGREEMENT
    ),
    "POST api/agreements/{slug}/members": _api(
        "POST",
        "/api/agreements/{slug}/members",
        AGREEMENT,
        lambda s: {"people": [s.named.handle]},
    ),
    "POST api/agreements/{slug}/members/{handle}/classification": _api(
        "POST",
        "/api/agreements/{slug}/members/{handle}/classification",
        QUEUE,
        lambda s: {"classification": "other", "source": "deal-ngo", "reason": "Said so."},
    ),
    # Managers only: analysts see the agreement but are refused here before any lookup.
    "GET api/agreements/{slug}/legislature": Route(
        "/api/agreements/{slug}/legislature", AGREEMENT, ("GET",), None, MANAGERS
    ),
    "POST api/agreements/{slug}/legislature": _api(
        "POST", "/api/agreements/{slug}/legislature", AGREEMENT, lambda s: {"everyone": True}
    ),
    "GET api/parties/{slug}": _api("GET", "/api/parties/{slug}", PARTY),
    "PATCH api/parties/{slug}": _api(
        "PATCH", "/api/parties/{slug}", PARTY, lambda s: {"name": "Renamed"}
    ),
    "POST api/statistics/releases/{release_id}/approve": _api(
        "POST", "/api/statistics/releases/{release_id}/approve", API_RELEASE, lambda s: {}
    ),
    "POST api/statistics/releases/{release_id}/reject": _api(
        "POST", "/api/statistics/releases/{release_id}/reject", API_RELEASE, lambda s: {}
    ),
    "POST api/parties/{slug}/archive": _api("POST", "/api/parties/{slug}/archive", PARTY),
    "POST api/parties/{slug}/restore": _api("POST", "/api/parties/{slug}/restore", PARTY),
    "GET api/people/{handle}": _api("GET", "/api/people/{handle}", API_PERSON),
    "GET api/people/{handle}/custody": _api("GET", "/api/people/{handle}/custody", API_PERSON),
    "GET api/people/{handle}/access": _api(
        "GET", "/api/people/{handle}/access", STAFF_PERSON_ACCESS
    ),
    "GET api/people/{handle}/access/export": _api(
        "GET", "/api/people/{handle}/access/export", STAFF_PERSON_ACCESS
    ),
    "GET api/users/{username}/access": _api("GET", "/api/users/{username}/access", API_ACCOUNT),
    "GET api/users/{username}/access/export": _api(
        "GET", "/api/users/{username}/access/export", API_ACCOUNT
    ),
    "GET api/people/{handle}/claims/export": _api(
        "GET", "/api/people/{handle}/claims/export", API_PERSON
    ),
    "GET api/sources/{slug}": _api("GET", "/api/sources/{slug}", SOURCE),
    "PATCH api/sources/{slug}": _api(
        "PATCH", "/api/sources/{slug}", SOURCE, lambda s: {"name": "Renamed"}
    ),
    "POST api/sources/{slug}/archive": _api("POST", "/api/sources/{slug}/archive", SOURCE),
    "POST api/sources/{slug}/restore": _api("POST", "/api/sources/{slug}/restore", SOURCE),
    "GET api/claims/{claim_id}": _api("GET", "/api/claims/{claim_id}", CLAIM),
    "GET api/disclosures/{disclosure_id}": _api(
        "GET", "/api/disclosures/{disclosure_id}", API_DISCLOSURE
    ),
    "POST api/verification/{slug}/{handle}/confirm": _api(
        "POST", "/api/verification/{slug}/{handle}/confirm", QUEUE, _review
    ),
    "POST api/verification/{slug}/{handle}/dispute": _api(
        "POST", "/api/verification/{slug}/{handle}/dispute", QUEUE, _review
    ),
    "GET api/imports/{run_id}": _api("GET", "/api/imports/{run_id}", API_RUN),
    "GET api/imports/{run_id}/rows": _api("GET", "/api/imports/{run_id}/rows", API_RUN),
    "GET api/match-review/{row_id}": _api("GET", "/api/match-review/{row_id}", API_ROW),
    "POST api/match-review/{row_id}": _api(
        "POST", "/api/match-review/{row_id}", API_ROW, lambda s: {"decision": "new"}
    ),
    "GET api/imports/jobs/{job_id}": _api("GET", "/api/imports/jobs/{job_id}", API_JOB),
    "POST api/imports/jobs/{job_id}/start": _api(
        "POST", "/api/imports/jobs/{job_id}/start", API_JOB
    ),
    "GET api/interventions/{intervention_id}": _api(
        "GET", "/api/interventions/{intervention_id}", API_CASE_RAISED
    ),
    "PATCH api/interventions/{intervention_id}": _api(
        "PATCH", "/api/interventions/{intervention_id}", API_CASE_RAISED, lambda s: {"answer": "x"}
    ),
    "GET api/notes/{note_id}": _api("GET", "/api/notes/{note_id}", API_NOTE),
    "PATCH api/notes/{note_id}": _api(
        "PATCH", "/api/notes/{note_id}", API_NOTE, lambda s: {"body": "x"}
    ),
    "POST api/tasks/{task_id}/done": _api("POST", "/api/tasks/{task_id}/done", API_TASK),
    "GET api/attachments/{attachment_id}/download": _api(
        "GET", "/api/attachments/{attachment_id}/download", API_FILE
    ),
}

# Lists narrowed by a record named in the query string find it through the same selectors:
# a hidden one must cost and answer what a missing one does there too.
API_FILTERS: dict[str, Route] = {
    "GET api/people?agreement=": _api("GET", "/api/people?agreement={slug}", AGREEMENT),
    "GET api/claims?person=": _api("GET", "/api/claims?person={handle}", API_PERSON),
    "GET api/claims?agreement=": _api("GET", "/api/claims?agreement={slug}", AGREEMENT),
    "GET api/claims?source=": _api("GET", "/api/claims?source={slug}", SOURCE),
    "GET api/disclosures?agreement=": _api("GET", "/api/disclosures?agreement={slug}", AGREEMENT),
    "GET api/verification?agreement=": _api("GET", "/api/verification?agreement={slug}", AGREEMENT),
    "GET api/match-review?run=": _api("GET", "/api/match-review?run={run_id}", API_RUN),
    "GET api/verification/export?agreement=": _api(
        "GET", "/api/verification/export?agreement={slug}", AGREEMENT
    ),
    "GET api/match-review/export?run=": _api(
        "GET", "/api/match-review/export?run={run_id}", API_RUN
    ),
    "GET api/interventions?person=": _api("GET", "/api/interventions?person={handle}", API_PERSON),
    "GET api/notes?person=": _api("GET", "/api/notes?person={handle}", API_PERSON),
    "GET api/attachments?note=": _api("GET", "/api/attachments?note={note_id}", API_NOTE),
}

# The admin: each model's object pages, with one object of the model and who may view it.
ADMIN_OBJECTS: dict[str, tuple[Callable[[Scene], Any], frozenset[str]]] = {
    "registry/person": (lambda s: s.closed.pk, STAFF),
    "registry/custodyepisode": (lambda s: s.episode.pk, STAFF),
    "evidence/source": (lambda s: s.protected.pk, MANAGERS),
    "evidence/claim": (lambda s: s.claim.pk, STAFF),
    "agreements/party": (lambda s: s.world.releasing.pk, STAFF),
    "agreements/agreement": (lambda s: s.closed_deal.pk, STAFF),
    "audit/auditentry": (lambda s: AuditEntry.objects.order_by("position").first().pk, MANAGERS),
    "access/disclosure": (lambda s: s.disclosure, STAFF),
    "django_tasks_database/dbtaskresult": (lambda s: s.task, NOBODY),
}
ADMIN_PAGES = {"change/": STAFF, "history/": STAFF, "delete/": NOBODY, "": NOBODY}


def _admin_routes() -> dict[str, Route]:
    out = {}
    for model, (pk, sees) in ADMIN_OBJECTS.items():
        missing = str(uuid.UUID(int=1)) if model.endswith("dbtaskresult") else MISSING_ID
        case = Case(
            f"an object of {model}",
            lambda s, pk=pk: {"object_id": str(pk(s))},
            {"object_id": missing},
            sees,
        )
        for page, shows in ADMIN_PAGES.items():
            out[f"admin/{model}/<path:object_id>/{page}"] = _web(
                f"/admin/{model}/{{object_id}}/{page}", (case,), shows
            )
    # "View on site": Detente's models have no public address, so it answers 404 to all.
    source_type = Case(
        "a protected source",
        lambda s: {"content_type_id": str(_content_type(Source)), "object_id": str(s.protected.pk)},
        {"content_type_id": str(_content_type(Source)), "object_id": MISSING_ID},
        MANAGERS,
    )
    out["admin/r/<path:content_type_id>/<path:object_id>/"] = _web(
        "/admin/r/{content_type_id}/{object_id}/", (source_type,), NOBODY
    )
    return out


def _content_type(model: Any) -> int:
    from django.contrib.contenttypes.models import ContentType

    return int(ContentType.objects.get_for_model(model).pk)


ADMIN_APP_INDEX = "admin/^(?P<app_label>…)/$"
# Routes with a parameter that names no record anyone could hide, and why.
NOT_RECORDS = {
    "staff/people/export.<str:fmt>": "a file format (csv, xlsx, json), not a record: an "
    "unknown one is 404 for every staff role (tests/staff/test_exports.py)",
    "staff/ledger/export.<str:fmt>": "a file format, not a record: an unknown one is 404 "
    "(tests/oversight/test_ledger.py)",
    "staff/verification/export.<str:fmt>": "a file format, not a record: an unknown one is 404 "
    "(tests/staff/test_staff_downloads.py)",
    "staff/matches/export.<str:fmt>": "a file format (as above)",
    "updates/confirm/<str:token>/": "a signed link: without the server's key no one can name "
    "a subscriber, so nothing can be probed (tests/mailing)",
    "updates/unsubscribe/<str:token>/": "a signed link (tests/mailing)",
    "updates/preferences/<str:token>/": "a signed link (tests/mailing)",
    "updates/preferences/<str:token>/export/": "a signed link (tests/mailing)",
    "updates/preferences/<str:token>/erase/": "a signed link (tests/mailing)",
    "updates/mailchimp/<str:secret>/": "a shared secret compared in constant time",
    "staff/updates/<slug:slug>/": "a mailing list: verifiers and administrators see every "
    "one, everyone else is refused before any lookup (tests/mailing/test_staff_pages.py)",
    "staff/updates/<slug:slug>/archive/": "a mailing list (as above)",
    "staff/updates/<slug:slug>/send/": "a mailing list (as above)",
    "GET api/mailing-lists/{slug}": "a mailing list: managers see every one, every other "
    "token is refused (403) before any lookup (tests/mailing/test_list_admin.py)",
    "GET api/mailing-lists/{slug}/pending": "a mailing list (as above)",
    "PATCH api/mailing-lists/{slug}": "a mailing list (as above)",
    "POST api/mailing-lists/{slug}/archive": "a mailing list (as above)",
    "POST api/mailing-lists/{slug}/restore": "a mailing list (as above)",
    "POST api/mailing-lists/{slug}/send": "a mailing list (as above)",
    "staff/welcome/<str:token>/": "an invitation link: a random token of which only a keyed "
    "hash is kept; unknown, used and expired ones answer alike (tests/accounts)",
    "updates/webhooks/<slug:esp>/<slug:kind>/": "names the configured mail provider, no record",
    ADMIN_APP_INDEX: "an application's index in the admin, not a record",
    "admin/(?P<url>.*)$": "the admin's catch-all: redirects or 404 without reading anything",
}


def all_routes() -> dict[str, Route]:
    """The covered routes this installation has (an entry may be ahead of its route)."""
    present = detail_routes()
    tables = {**WEB_ROUTES, **_admin_routes(), **API_OPERATIONS}
    return {name: route for name, route in tables.items() if name in present}


# --- Asking as each role ---------------------------------------------------------------


@dataclass
class Asker:
    """One role's way in: a signed-in browser and, for the API, a bearer token."""

    role: str
    user: User | None
    client: Client
    headers: dict[str, str]

    def ask(self, method: str, url: str, body: dict[str, Any] | None) -> tuple[Any, list[str]]:
        """The answer, and every SQL statement run to give it."""
        send = getattr(self.client, method.lower())
        with CaptureQueriesContext(connection) as queries:
            if url.startswith("/api/") and method == "GET":
                response = send(url, **self.headers)
            elif url.startswith("/api/"):
                response = send(
                    url,
                    json.dumps(body or {}),
                    content_type="application/json",
                    **self.headers,
                )
            else:
                response = send(url)
        # A message left for the next page (the admin's "does not exist") is not carried
        # into the next request: each answer is compared on its own.
        self.client.cookies.pop("messages", None)
        return response, [q["sql"] for q in queries.captured_queries]


def _asker(role: str) -> Asker:
    client = Client()
    if role == "anonymous":
        return Asker(role, None, client, {})
    user = make_user(f"persona-{role}", None if role == "public" else role, staff=role in STAFF)
    client.force_login(user)
    scope = "write" if role in STAFF else "read"
    _, secret = token_create(actor=user, user=user, name="probe", scope=scope)
    return Asker(role, user, client, {"HTTP_AUTHORIZATION": f"Bearer {secret}"})


# Quoted values, numbers, and the names Django gives savepoints (a counter per thread).
_LITERAL = re.compile(r"'(?:[^']|'')*'|\"s\d+_x\d+\"|\b\d+(?:\.\d+)?\b")


def shape(statement: str) -> str:
    """A statement with its literal values blanked: what is asked, not of what."""
    return _LITERAL.sub("?", statement)


# Headers that differ between any two requests (an id, the time) or are compared apart.
_IGNORED_HEADERS = {"x-request-id", "expires", "set-cookie", "location", "content-length"}
# A form's CSRF token is masked afresh for every page: it tells nothing of the record.
_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def _answer(response: Any, url: str) -> dict[str, Any]:
    """What a client sees, with this request's own address taken out where it is echoed."""

    def blank(text: str) -> str:
        for form in (url, quote(url), quote(url, safe="")):
            text = text.replace(form, "<URL>")
        return _CSRF.sub(r"\1<CSRF>\2", text)

    content = b"" if response.streaming else response.content
    return {
        "status": response.status_code,
        "content": blank(content.decode("utf-8", "replace")),
        "location": blank(response.get("Location", "")),
        "headers": {k.lower(): v for k, v in response.items() if k.lower() not in _IGNORED_HEADERS},
        "cookies": sorted(response.cookies),
    }


def _fill(template: str, values: dict[str, str]) -> str:
    return template.format(**values)


def compare(asker: Asker, scene: Scene, name: str, route: Route) -> list[str]:
    """Every difference between a hidden and a missing record on one route for one role."""
    problems = []
    for case in route.cases:
        hidden_url = _fill(route.url, case.hidden(scene))
        missing_url = _fill(route.url, case.missing)
        body = route.body(scene) if route.body else None
        for method in route.methods:
            if asker.role in case.sees:
                if method == "GET" and asker.role in route.shows:
                    seen, _ = asker.ask(method, hidden_url, body)
                    absent, _ = asker.ask(method, missing_url, body)
                    if _answer(seen, hidden_url) == _answer(absent, missing_url):
                        problems.append(f"{name} {case.label}: {asker.role} should see it")
                continue
            asker.ask(method, missing_url, body)  # warm whatever a first request loads
            absent, absent_sql = asker.ask(method, missing_url, body)
            hidden, hidden_sql = asker.ask(method, hidden_url, body)
            shown = name if name.startswith(method) else f"{method} {name}"
            where = f"{shown} ({case.label}) as {asker.role}"
            seen, expected = _answer(hidden, hidden_url), _answer(absent, missing_url)
            if seen != expected:
                differ = {k: (seen[k], expected[k]) for k in seen if seen[k] != expected[k]}
                problems.append(f"{where}: answers differ: {str(differ)[:600]}")
            if len(hidden_sql) != len(absent_sql):
                problems.append(f"{where}: {len(hidden_sql)} queries vs {len(absent_sql)}")
            elif [shape(q) for q in hidden_sql] != [shape(q) for q in absent_sql]:
                problems.append(f"{where}: the same number of queries, of another shape")
    return problems


@pytest.fixture
def unlimited(settings: Any) -> None:
    settings.DETENTE_API_RATE_PER_MINUTE = 1_000_000


@pytest.mark.parametrize("role", ROLES)
def test_hidden_records_cost_and_answer_what_missing_ones_do(
    scene: Scene, role: str, unlimited: None
) -> None:
    asker = _asker(role)
    problems = []
    for name, route in all_routes().items():
        problems += compare(asker, scene, name, route)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_hidden_records_named_in_a_filter_cost_what_missing_ones_do(
    scene: Scene, role: str, unlimited: None
) -> None:
    asker = _asker(role)
    problems = []
    for name, route in API_FILTERS.items():
        problems += compare(asker, scene, name, route)
    assert not problems, "\n".join(problems)


# --- Coverage: a new detail route must come with its cases --------------------------------


def detail_routes() -> set[str]:
    """Every URL pattern and API operation with a parameter in its path."""
    from detente.api.main import api

    urls = {
        ADMIN_APP_INDEX if p.startswith("admin/^(?P<app_label>") else p
        for p in _patterns()
        if "<" in p and not p.startswith("api/")
    }
    operations = {
        f"{method.upper()} {path.lstrip('/')}"
        for path, methods in api.get_openapi_schema()["paths"].items()
        if "{" in path
        for method in methods
    }
    return urls | operations


def test_every_detail_route_is_covered(db: Any) -> None:  # (content types come from the db)
    covered = set(WEB_ROUTES) | set(_admin_routes()) | set(API_OPERATIONS)
    assert not covered & set(NOT_RECORDS)
    assert detail_routes() - covered - set(NOT_RECORDS) == set()


def test_every_case_names_a_record_that_exists(scene: Scene) -> None:
    """A case whose record did not exist would compare a missing record with itself."""
    assert Person.objects.filter(handle=scene.merged.handle, merged_into=scene.named).exists()
    for route in all_routes().values():
        for case in route.cases:
            assert case.hidden(scene) != case.missing, route.url


# --- A merged handle -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "public", "legislature"])
def test_a_merged_handle_is_missing_to_whoever_could_not_see_it(scene: Scene, role: str) -> None:
    """The merged record left every list and agreement: outside staff it is not there, and
    its handle must not lead to the survivor (that would tie a hidden handle to a name)."""
    asker = _asker(role)
    survivor = asker.client.get(f"/people/{scene.named.handle}/")
    assert survivor.status_code == 200  # the survivor's name is public
    merged_url, missing_url = f"/people/{scene.merged.handle}/", f"/people/{MISSING_HANDLE}/"
    merged = asker.client.get(merged_url)
    missing = asker.client.get(missing_url)
    assert merged.status_code == missing.status_code == 404
    assert _answer(merged, merged_url) == _answer(missing, missing_url)
    assert scene.named.handle.encode() not in merged.content
    viewer = asker.user or AnonymousUser()
    with pytest.raises(Http404):
        person_get(viewer, scene.merged.handle)
    with pytest.raises(Http404):
        person_get(viewer, str(scene.merged.pk))
    if role != "anonymous":
        answer = asker.client.get(f"/api/people/{scene.merged.handle}", **asker.headers)
        absent = asker.client.get(f"/api/people/{MISSING_HANDLE}", **asker.headers)
        assert answer.status_code == absent.status_code == 404
        assert answer.content == absent.content


@pytest.mark.parametrize("role", sorted(STAFF))
def test_staff_still_find_the_survivor_by_a_merged_handle(scene: Scene, role: str) -> None:
    asker = _asker(role)
    user = asker.user
    assert user is not None
    assert person_get(user, scene.merged.handle) == scene.named
    assert person_get(user, scene.merged.handle.lower()) == scene.named
    assert person_get(user, str(scene.merged.pk)) == scene.named
    answer = asker.client.get(f"/api/people/{scene.merged.handle}", **asker.headers)
    assert answer.status_code == 200 and answer.json()["handle"] == scene.named.handle
    page = asker.client.get(f"/staff/people/{scene.merged.handle}/")
    assert page.status_code == 200 and scene.named.handle in page.content.decode()
