"""The REST API: tokens, scopes, redaction identical to the other front doors, problem+json."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from tests.support import World, make_user

from detente.access.policy import Role
from detente.access.services import agreement_set_audience, disclosure_approve, disclosure_propose
from detente.accounts.services import user_disable
from detente.api.models import ApiToken
from detente.api.services import token_create, token_revoke
from detente.evidence.models import Claim

PROBLEM = "application/problem+json"


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def tokens(world: World) -> dict[str, str]:
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="legislature")
    users = {
        "analyst": make_user("ana", Role.ANALYST),
        "verifier": make_user("vera", Role.VERIFIER),
        "legislator": make_user("leg", Role.LEGISLATURE),
        "public": make_user("pub", None),
    }
    out = {}
    for role, user in users.items():
        scope = "write" if role in ("analyst", "verifier") else "read"
        out[role] = token_create(actor=user, user=user, name=role, scope=scope)[1]
    out["analyst-read"] = token_create(
        actor=users["analyst"], user=users["analyst"], name="ro", scope="read"
    )[1]
    return out


def get(path: str, token: str | None = None, **extra: Any) -> Any:
    headers = bearer(token) if token else {}
    return Client().get("/api" + path, **headers, **extra)


def test_every_operation_needs_a_valid_token(world: World, tokens: dict[str, str]) -> None:
    for token in (None, "dtn_nothing_here", "not-a-token", tokens["analyst"] + "x"):
        response = get("/agreements", token)
        assert response.status_code == 401
        assert response["Content-Type"] == PROBLEM
        assert json.loads(response.content)["status"] == 401


def test_names_follow_disclosures_exactly_as_elsewhere(
    world: World, tokens: dict[str, str]
) -> None:
    def names(role: str) -> set[str]:
        body = get(f"/agreements/{world.agreement.slug}/members", tokens[role]).json()
        return {m["handle"] for m in body["items"] if m["name"] is not None}

    everyone = {p.handle for p in world.people}
    assert names("analyst") == everyone and names("legislator") == set()
    d = disclosure_propose(
        actor=User.objects.get(username="ana"),
        audience="legislature",
        reason="hearing",
        agreement=world.agreement,
    )
    disclosure_approve(actor=User.objects.get(username="vera"), disclosure=d)
    assert names("legislator") == everyone
    person = get(f"/people/{world.person().handle}", tokens["legislator"]).json()
    assert person["identity"]["given_names"].startswith("Yoandri")


def test_hidden_looks_missing(world: World, tokens: dict[str, str]) -> None:
    hidden = get(f"/agreements/{world.agreement.slug}/progress", tokens["public"])
    missing = get("/agreements/no-such-thing/progress", tokens["public"])
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content and hidden["Content-Type"] == PROBLEM
    person_hidden = get(f"/people/{world.person().handle}", tokens["public"])
    person_missing = get("/people/P-999999", tokens["public"])
    assert person_hidden.status_code == 404 and person_hidden.content == person_missing.content


def _claim(token: str, world: World, **body: Any) -> Any:
    payload = {
        "source": world.sources["embassy"].slug,
        "person": world.person().handle,
        "status": "unconditional_release",
        "event_date": "2020-02-01",
    } | body
    return Client().post(
        "/api/claims", json.dumps(payload), content_type="application/json", **bearer(token)
    )


def test_recording_and_confirming_a_release(world: World, tokens: dict[str, str]) -> None:
    first = _claim(tokens["analyst"], world, source=world.sources["gov"].slug)
    assert first.status_code == 201
    assert first.json()["state_after"][1]["state"] == "reported"
    second = _claim(tokens["verifier"], world)
    assert second.status_code == 201
    assert second.json()["state_after"][1]["state"] == "confirmed"
    progress = get(f"/agreements/{world.agreement.slug}/progress", tokens["legislator"]).json()
    assert progress["confirmed"] == 1


def test_read_tokens_and_roles_cannot_write(world: World, tokens: dict[str, str]) -> None:
    for token in (tokens["analyst-read"], tokens["legislator"]):
        response = _claim(token, world)
        assert response.status_code in (403, 404)
        assert response["Content-Type"] == PROBLEM
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "freed-ish"}, "status"),
        ({"event_date": "2017-01-01"}, "event_date"),
        ({"event_date": "2020-13-45"}, "event_date"),
        ({"source": "nobody"}, "source"),
        ({"credibility": 9}, "credibility"),
    ],
)
def test_bad_input_gets_problem_json_with_the_field(
    world: World, tokens: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = _claim(tokens["verifier"], world, **body)
    assert response.status_code == 422 and response["Content-Type"] == PROBLEM
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not Claim.objects.exists()


def test_revoked_expired_and_disabled_tokens_stop_working(
    world: World, tokens: dict[str, str]
) -> None:
    assert get("/agreements", tokens["analyst"]).status_code == 200
    token = ApiToken.objects.get(prefix=tokens["analyst"].split("_", 2)[1])
    token_revoke(actor=token.user, token=token)
    assert get("/agreements", tokens["analyst"]).status_code == 401
    ApiToken.objects.filter(prefix=tokens["verifier"].split("_", 2)[1]).update(
        expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    assert get("/agreements", tokens["verifier"]).status_code == 401
    admin = make_user("boss", Role.ADMINISTRATOR)
    user_disable(actor=admin, user=User.objects.get(username="leg"), reason="left the committee")
    assert get("/agreements", tokens["legislator"]).status_code == 401


def test_rate_limit_answers_429(
    world: World, tokens: dict[str, str], settings: Any, monkeypatch: Any
) -> None:
    # Half past a fixed minute, so that the test never straddles two windows.
    moment = timezone.now().replace(second=30, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    settings.DETENTE_API_RATE_PER_MINUTE = 3
    codes = [get("/agreements", tokens["analyst"]).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    limited = get("/agreements", tokens["analyst"])
    assert limited["Content-Type"] == PROBLEM and limited["Retry-After"] == "30"
    assert get("/agreements", tokens["verifier"]).status_code == 200  # per token


def test_schema_and_docs_are_published(db: Any) -> None:
    schema = Client().get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/claims" in schema["paths"]
    assert all(op["security"] for op in schema["paths"]["/api/claims"].values())
    page = Client().get("/api/docs")
    assert page.status_code == 200 and b"/api/claims" in page.content
    # Every operation is on the page, with its answers; the page speaks Spanish too.
    text = page.content.decode()
    for path, operations in schema["paths"].items():
        for method in operations:
            assert f"{method.upper()}</span> <code>{path}</code>" in text, (method, path)
    assert "application/problem+json" in text and "PersonSummary" in text
    spanish = Client().get("/api/docs", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Cómo funciona" in spanish and '<html lang="es">' in spanish
