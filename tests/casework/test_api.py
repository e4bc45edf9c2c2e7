"""The casework operations of the API (issue 16): what staff tokens read and write, what
every other token sees (nothing: empty lists, 404 like a missing row)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client
from django.utils import timezone
from tests.support import World, make_user

from detente.access.policy import Role
from detente.api.services import token_create
from detente.audit.models import AuditEntry
from detente.casework.models import Intervention, Note, Task

TODAY = timezone.localdate()


def _auth(role: str, scope: str = "write", name: str | None = None) -> dict[str, str]:
    user = make_user(name or f"api-{role}", role)
    _, secret = token_create(actor=user, user=user, name="t", scope=scope)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _post(url: str, body: Any, auth: dict[str, str], method: str = "post") -> Any:
    return getattr(Client(), method)(url, json.dumps(body), content_type="application/json", **auth)


def test_a_case_raised_a_task_on_it_and_my_work_through_the_api(world: World) -> None:
    analyst = _auth(Role.ANALYST, name="ana")
    handle = world.person(0).handle
    made = _post(
        "/api/interventions",
        {
            "person": handle,
            "party": world.releasing.slug,
            "channel": "letter",
            "occurred_on": "2020-02-01",
            "asked": "A visit",
        },
        analyst,
    )
    assert made.status_code == 201, made.content
    case = made.json()
    assert case["person"] == handle and case["raised_by"] == "ana"
    answered = _post(f"/api/interventions/{case['id']}", {"answer": "No"}, analyst, method="patch")
    assert answered.status_code == 200 and answered.json()["answer"] == "No"
    listed = Client().get(f"/api/interventions?party={world.releasing.slug}", **analyst)
    assert [r["id"] for r in listed.json()["items"]] == [case["id"]]
    due = str(TODAY + dt.timedelta(days=1))
    task = _post(
        "/api/tasks",
        {"intervention": case["id"], "title": "Chase", "due_on": due, "assignee": "ana"},
        analyst,
    )
    assert task.status_code == 201, task.content
    mine = Client().get("/api/tasks?mine=true", **analyst).json()["items"]
    assert [t["id"] for t in mine] == [task.json()["id"]]
    done = _post(f"/api/tasks/{task.json()['id']}/done", {}, analyst)
    assert done.status_code == 200 and done.json()["done_at"]
    assert Client().get("/api/tasks?mine=true", **analyst).json()["items"] == []


def test_bad_input_is_refused_with_the_field_and_nothing_stored(world: World) -> None:
    auth = _auth(Role.VERIFIER)
    handle = world.person(0).handle
    before = AuditEntry.objects.count()
    late = _post(
        "/api/tasks",
        {"person": handle, "title": "x", "due_on": "2000-01-01", "assignee": "api-verifier"},
        auth,
    )
    outsider = make_user("outsider", Role.LEGISLATURE)
    blind = _post(
        "/api/tasks",
        {"person": handle, "title": "x", "due_on": str(TODAY), "assignee": outsider.username},
        auth,
    )
    script = _post("/api/notes", {"person": handle, "body": "<script>x</script>"}, auth)
    for response, field in ((late, "due_on"), (blind, "assignee"), (script, "body")):
        assert response.status_code in (400, 422), response.content
        assert field in response.content.decode()
    assert not Task.objects.exists() and not Note.objects.exists()
    assert AuditEntry.objects.count() == before


def test_notes_and_their_history_by_role(world: World) -> None:
    verifier = _auth(Role.VERIFIER)
    analyst = _auth(Role.ANALYST)
    legislature = _auth(Role.LEGISLATURE, scope="read")
    handle = world.person(0).handle
    made = _post(
        "/api/notes",
        {"person": handle, "body": "<p>One</p>", "visibility": "verifiers"},
        verifier,
    ).json()
    _post(f"/api/notes/{made['id']}", {"body": "<p>Two</p>"}, verifier, method="patch")
    detail = Client().get(f"/api/notes/{made['id']}", **verifier).json()
    assert [v["body"] for v in detail["versions"]] == ["<p>Two</p>", "<p>One</p>"]
    for auth in (analyst, legislature):
        hidden = Client().get(f"/api/notes/{made['id']}", **auth)
        missing = Client().get(f"/api/notes/{made['id'] + 999}", **auth)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content
        assert Client().get("/api/notes", **auth).json()["items"] == []


def test_tokens_without_a_staff_role_see_no_casework(world: World) -> None:
    from detente.casework.services import intervention_raise

    row = intervention_raise(
        actor=world.actor,
        person=world.person(0),
        channel="call",
        occurred_on=TODAY,
        asked="x",
    )
    legislature = _auth(Role.LEGISLATURE, scope="read")
    assert Client().get("/api/interventions", **legislature).json()["items"] == []
    assert Client().get("/api/tasks", **legislature).json()["items"] == []
    hidden = Client().get(f"/api/interventions/{row.pk}", **legislature)
    missing = Client().get(f"/api/interventions/{row.pk + 99}", **legislature)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert Intervention.objects.count() == 1
