"""schemathesis against the published OpenAPI schema: once per role's token, once without.

For every operation and every role (analyst, verifier, administrator, legislature, an
account without a role) generated requests must get no server error, a declared status,
the declared content type and a body matching the declared schema; without a token, or
with a forged one, every operation must answer 401 in problem+json. Each generated request
is also replayed with path parameters that name real rows of the test world, so that the
successful answers (and hidden-as-missing ones) are checked too, not only the 404s that
random names get.

Bounded and deterministic: few examples per operation, derandomized, no example database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import Group, User
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.support import World, at

from detente.access.policy import Role
from detente.access.services import agreement_set_audience, disclosure_propose
from detente.api.services import token_create
from detente.evidence.models import Claim
from detente.evidence.services import claim_record, source_create
from detente.wsgi import application

# The examples and fuzzing phases, positive and negative data. The coverage phase is left
# out: it sends every boundary case of every parameter, whatever max_examples says, and
# that is thousands of requests per role; the methods an address does not take are
# checked in test_resources.py instead.
CONFIG = SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}}
)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application, config=CONFIG)

ROLES = {
    "analyst": Role.ANALYST,
    "verifier": Role.VERIFIER,
    "administrator": Role.ADMINISTRATOR,
    "legislature": Role.LEGISLATURE,
    "no-role": None,
}
# What the acceptance asks, and nothing heuristic: a schema-valid request may still be
# refused on its meaning (a source that does not exist, a cursor not issued here).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    ignored_auth,
]
EXAMPLES = settings(
    max_examples=6,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


class Fixture:
    """The test world and the names of its real rows to aim at."""

    def __init__(self, world: World) -> None:
        self.world = world
        agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="legislature")
        reported = claim_record(
            actor=world.actor,
            source=world.sources["gov"],
            person=world.person(0),
            agreement=world.agreement,
            status="pardoned",
            event_date=dt.date(2020, 2, 1),
            received_at=at("2020-02-02"),
        )
        informant = source_create(
            actor=world.actor,
            slug="informant",
            name="Officer in prison X",
            kind="anonymous_official",
            reliability="C",
            independence_group="informant",
            protected=True,
        )
        claim_record(
            actor=world.actor,
            source=informant,
            person=world.person(1),
            status="detained",
            event_date=dt.date(2020, 2, 3),
            received_at=at("2020-02-04"),
        )
        disclosure = disclosure_propose(
            actor=world.actor, audience="legislature", reason="hearing", agreement=world.agreement
        )
        self.values = {
            "slug": world.agreement.slug,
            "handle": world.person(0).handle,
            "claim_id": reported.pk,
            "disclosure_id": disclosure.pk,
        }
        self.source_slug = informant.slug
        self.party_slug = world.counterpart.slug
        self.body_source = world.sources["ngo"].slug

    def real(self, path: str, parameters: dict[str, Any]) -> dict[str, Any]:
        out = {k: self.values.get(k, v) for k, v in parameters.items()}
        if path.startswith("/api/sources/"):
            out["slug"] = self.source_slug
        if path.startswith("/api/parties/"):
            out["slug"] = self.party_slug
        return out


@pytest.fixture
def fuzz(world: World, settings: Any) -> Iterator[Fixture]:
    settings.DETENTE_API_RATE_PER_MINUTE = 1_000_000
    # Requests go through the real WSGI handler, which closes the database connection when
    # a request ends; that would end the test's transaction (PostgreSQL). Django's own test
    # client keeps the connection the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield Fixture(world)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(role: str, db: Any) -> str:
    """A token of a user with this role: write for the staff roles, read for the others."""
    user = User.objects.create(username=f"fuzz-{role}")  # no password: it only uses tokens
    if ROLES[role]:
        user.groups.add(Group.objects.get_or_create(name=ROLES[role])[0])
    scope = "write" if ROLES[role] in Role.STAFF else "read"
    return token_create(actor=user, user=user, name=role, scope=scope)[1]


def _replay_on_real_rows(case: Any, fuzz: Fixture, **kwargs: Any) -> Any:
    """Send the case again aimed at real rows: the person in the queue, an independent
    source in a body, so that the successful answers are checked against the schema too."""
    if not case.path_parameters and not isinstance(case.body, dict):
        return None
    if case.path_parameters:
        case.path_parameters = fuzz.real(case.operation.path, case.path_parameters)
    if isinstance(case.body, dict):
        case.body = {**case.body, "source": fuzz.body_source}
        if "person" in case.body:
            case.body["person"] = fuzz.values["handle"]
    return case.call_and_validate(checks=CHECKS, **kwargs)


@pytest.mark.parametrize("role", list(ROLES))
@schema.parametrize()
@EXAMPLES
def test_every_operation_as_every_role(case: Any, role: str, token: str, fuzz: Fixture) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    case.call_and_validate(headers=auth, checks=CHECKS)
    _replay_on_real_rows(case, fuzz, headers=auth)


@schema.parametrize()
@EXAMPLES
def test_every_operation_refuses_a_missing_or_forged_token(case: Any, fuzz: Fixture) -> None:
    claims = Claim.objects.count()
    # Were the coverage phase on, it would also send methods an address does not take: 405.
    expected = 401 if case.method.upper() == case.operation.method.upper() else 405
    for headers in ({}, {"Authorization": "Bearer dtn_0000aaaa_forged"}):
        for replay in (False, True):
            if replay:
                if not case.path_parameters:
                    continue
                case.path_parameters = fuzz.real(case.operation.path, case.path_parameters)
            response = case.call(headers=headers)
            assert response.status_code == expected, (case.operation.label, response.status_code)
            assert response.headers["content-type"] == ["application/problem+json"]
            case.validate_response(response, headers=headers, checks=CHECKS)
    assert Claim.objects.count() == claims  # nothing was written on a refused request
