"""Every API operation by method, as every role (issue 13, point 5).

test_personas.test_api_operations_for_every_role calls each operation with a token of each
role and checks who gets the sample row. Here, from the OpenAPI schema itself:

* the persona table (API_ROUTES) holds exactly the schema's (method, path) pairs;
* every operation answers an anonymous caller 401 and writes nothing;
* every writing operation refuses a read-only token, and a write token of a role that may
  not do it, with nothing written; and refuses an invalid body (422 or 400) from a role that
  may, with nothing written;
* a method an address does not take answers 405, never 200 or 500.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from tests.security.test_every_door import _state
from tests.security.test_personas import API_ROUTES, ROLES, _user
from tests.support import World

from detente.api.services import token_create

METHODS = ("get", "post", "put", "patch", "delete")


def _operations() -> set[tuple[str, str]]:
    from detente.api.main import api

    return {
        (method.upper(), path)
        for path, methods in api.get_openapi_schema()["paths"].items()
        for method in methods
    }


def _with_body() -> set[tuple[str, str]]:
    """The operations whose schema describes a request body."""
    from detente.api.main import api

    return {
        (method.upper(), path)
        for path, methods in api.get_openapi_schema()["paths"].items()
        for method, operation in methods.items()
        if "requestBody" in operation
    }


# Reading operations sent by POST (the name searched for stays out of the address): a read
# token may call them.
READS_BY_POST = {"POST api/match"}
# PATCH operations once took a JSON array for their object and answered 200 having changed
# nothing (test_a_patch_whose_body_is_not_an_object_is_refused keeps them refusing it).
PATCH_TAKES_ANY_JSON = {
    ("PATCH", "/api/agreements/{slug}"),
    ("PATCH", "/api/parties/{slug}"),
    ("PATCH", "/api/sources/{slug}"),
}


def _key(method: str, path: str) -> str:
    """The persona table's key: a reading operation by its path, the others by both."""
    bare = path.lstrip("/")
    return bare if method == "GET" else f"{method} {bare}"


def _table() -> set[tuple[str, str]]:
    out = set()
    for key in API_ROUTES:
        method, _, path = key.rpartition(" ")
        out.add((method or "GET", "/" + path))
    return out


def test_the_persona_table_holds_every_operation_by_method_and_path() -> None:
    assert _table() == _operations()


def _fill(path: str, world: World) -> str:
    """A concrete address for an operation: the world's own records where they exist."""
    from tests.security.routes_casework import attachment_pk, intervention_pk, note_pk, task_pk
    from tests.security.routes_mailing import _list_slug
    from tests.security.routes_staff import _import_job, _import_run, _queued_row

    slugs = {
        "/api/mailing-lists/": _list_slug(world) if path.startswith("/api/mailing-lists/") else "",
        "/api/parties/": world.releasing.slug,
        "/api/sources/": world.sources["ngo"].slug,
        "/api/verification/": world.agreement.slug,
    }
    slug = next((v for k, v in slugs.items() if path.startswith(k)), world.agreement.slug)
    values = {
        "{slug}": slug,
        "{handle}": world.person().handle,
        "{claim_id}": "1",
        "{disclosure_id}": "1",
        "{row_id}": str(_queued_row(world)) if "{row_id}" in path else "1",
        "{run_id}": str(_import_run(world)) if "{run_id}" in path else "1",
        "{job_id}": str(_import_job(world)) if "{job_id}" in path else "1",
        "{intervention_id}": str(intervention_pk(world)) if "{intervention_id}" in path else "1",
        "{note_id}": str(note_pk(world)) if "{note_id}" in path else "1",
        "{task_id}": str(task_pk(world)) if "{task_id}" in path else "1",
        "{attachment_id}": str(attachment_pk(world)) if "{attachment_id}" in path else "1",
    }
    for name, value in values.items():
        path = path.replace(name, value)
    return path


def _send(client: Client, method: str, url: str, body: Any = None, **auth: str) -> Any:
    if method == "get":
        return client.get(url, **auth)
    data = json.dumps({} if body is None else body)
    return getattr(client, method)(url, data, content_type="application/json", **auth)


def _token(user: Any, scope: str) -> dict[str, str]:
    _, secret = token_create(actor=user, user=user, name=f"op-{scope}", scope=scope)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_every_operation_answers_anonymous_callers_401_and_writes_nothing(world: World) -> None:
    client = Client()
    problems = []
    for method, path in sorted(_operations()):
        url = _fill(path, world)
        before = _state()
        response = _send(client, method.lower(), url)
        if response.status_code != 401 or _state() != before:
            problems.append((method, path, response.status_code))
    assert problems == [], problems


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_every_write_is_refused_to_those_who_may_not_and_checks_its_body(
    world: World, role: str
) -> None:
    """A read token never writes; a write token of a role not in the table is refused; a
    role that may gets 422/400 for a body of the wrong shape. Nothing is written in any
    of these cases."""
    from detente.access.policy import Role

    user = _user(role)
    read = _token(user, "read")
    # Only a role that records may hold a write token at all.
    write = _token(user, "write") if role in Role.STAFF else read
    client = Client()
    problems = []
    writes = sorted((m, p) for m, p in _operations() if m != "GET")
    with_body = _with_body() - PATCH_TAKES_ANY_JSON
    for method, path in writes:
        key = _key(method, path)
        if key not in API_ROUTES:
            continue  # not in the persona table: the meta-test above says so
        allowed = role in API_ROUTES[key]
        url = _fill(path, world)
        cases: list[tuple[str, dict[str, str], Any, tuple[int, ...]]] = []
        if key not in READS_BY_POST:
            cases.append(("read token", read, {}, (403, 404)))
        if not allowed:
            # An empty body: refused, or found wanting before anyone is asked (422).
            cases.append(("write token, not allowed", write, {}, (403, 404, 422)))
        elif (method, path) in with_body:
            cases.append(("invalid body", write, ["not", "an", "object"], (400, 422)))
        for case, auth, body, expected in cases:
            with transaction.atomic():
                before = _state()
                response = _send(client, method.lower(), url, body, **auth)
                after = _state()
                transaction.set_rollback(True)
            if response.status_code not in expected or after != before:
                problems.append((role, method, path, case, response.status_code))
    assert problems == [], "\n".join(map(str, problems))


def test_every_address_refuses_the_methods_it_does_not_take(world: World) -> None:
    auth = _token(_user("administrator"), "write")
    client = Client()
    taken: dict[str, set[str]] = {}
    for method, path in _operations():
        taken.setdefault(path, set()).add(method.lower())
    problems = []
    for path, methods in sorted(taken.items()):
        url = _fill(path, world)
        for method in METHODS:
            if method in methods:
                continue
            before = _state()
            response = _send(client, method, url, **auth)
            if response.status_code != 405 or _state() != before:
                problems.append((method, path, response.status_code))
    assert problems == [], problems


def test_a_patch_whose_body_is_not_an_object_is_refused(world: World) -> None:
    auth = _token(_user("administrator"), "write")
    client = Client()
    answers = []
    for method, path in sorted(PATCH_TAKES_ANY_JSON):
        response = _send(client, method.lower(), _fill(path, world), ["a", "list"], **auth)
        answers.append((path, response.status_code))
    assert all(status == 422 for _path, status in answers), answers


def test_the_known_gaps_are_operations() -> None:
    assert PATCH_TAKES_ANY_JSON.issubset(_operations())
    assert {tuple(k.split(" ", 1)) for k in READS_BY_POST} <= {
        (m, p.lstrip("/")) for m, p in _operations()
    }
