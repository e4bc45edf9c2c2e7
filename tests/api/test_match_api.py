"""``POST /api/match``: the name in a JSON body, never in the address (SECURITY.md).

The operation reads, so a read token may call it; staff only (403 for others, like the
command line's ``detente match``). The old ``GET /api/match?q=`` is no operation: 405 in
problem+json, and nothing is looked up.
"""

from __future__ import annotations

import json
from typing import Any

from django.test import Client
from tests.support import World, make_user

from detente.access.policy import Role
from detente.api.services import token_create
from detente.audit.models import AuditEntry

PROBLEM = "application/problem+json"
NAME = "Yoandri 0 Perez"


def _auth(username: str, role: str | None, scope: str) -> dict[str, str]:
    user = make_user(username, role)
    token = token_create(actor=user, user=user, name="t", scope=scope)[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _post(client: Client, body: Any, auth: dict[str, str]) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post("/api/match", data, content_type="application/json", **auth)


def _matches() -> int:
    return AuditEntry.objects.filter(action="person.match").count()


def test_a_name_in_the_body_is_matched_with_a_read_or_a_write_token(world: World) -> None:
    client = Client()
    for name, scope in (("reader", "read"), ("writer", "write")):
        auth = _auth(name, Role.ANALYST, scope)
        before = _matches()
        found = _post(client, {"q": NAME, "limit": 3}, auth)
        assert found.status_code == 200, (scope, found.content)
        items = found.json()["items"]
        assert items[0]["handle"] == world.person().handle and len(items) <= 3
        assert _matches() == before + 1  # the names shown are recorded


def test_a_name_in_the_address_is_refused_and_not_looked_up(world: World) -> None:
    client = Client()
    auth = _auth("reader", Role.VERIFIER, "read")
    before = _matches()
    for url in (f"/api/match?q={NAME.replace(' ', '+')}", "/api/match"):
        refused = client.get(url, **auth)
        assert refused.status_code == 405 and refused["Content-Type"] == PROBLEM, url
        assert "POST" in refused["Allow"] and "GET" not in refused["Allow"], url
    # Nor does a POST read a name left in the query string: the body is what counts.
    odd = client.post(f"/api/match?q={NAME.replace(' ', '+')}", "{}", "application/json", **auth)
    assert odd.status_code == 422
    assert _matches() == before


def test_only_staff_may_match(world: World) -> None:
    client = Client()
    for name, role in (("leg", Role.LEGISLATURE), ("pub", None)):
        refused = _post(client, {"q": NAME}, _auth(name, role, "read"))
        assert refused.status_code == 403 and refused["Content-Type"] == PROBLEM, name
    assert _post(client, {"q": NAME}, {}).status_code == 401


def test_a_bad_body_is_refused_naming_what_is_wrong(world: World) -> None:
    client = Client()
    auth = _auth("reader", Role.ANALYST, "read")
    assert _post(client, "{not json", auth).status_code == 400
    for body in ({}, {"q": ""}, {"q": NAME, "limit": 0}, {"q": NAME, "birth_year": 1200}):
        refused = _post(client, body, auth)
        assert refused.status_code == 422 and refused["Content-Type"] == PROBLEM, body


def test_the_schema_has_the_match_as_a_post_with_a_body_and_no_query(db: Any) -> None:
    schema = Client().get("/api/openapi.json").json()
    operations = schema["paths"]["/api/match"]
    assert set(operations) == {"post"}
    post = operations["post"]
    assert not [p for p in post.get("parameters", []) if p["in"] == "query"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert "q" in body["properties"] and "q" in body["required"]
    assert {"200", "400", "401", "403", "422"} <= set(post["responses"])
