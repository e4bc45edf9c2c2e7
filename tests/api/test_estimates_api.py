"""GET /api/estimates: the same figures as the command line, problem+json on bad input."""

from __future__ import annotations

import datetime as dt
import io
import json

from django.core.management import call_command
from django.test import Client
from tests.support import World, at

from detente.api.services import token_create
from detente.evidence.services import claim_record
from detente.registry.services import person_create


def _lists(world: World) -> tuple[str, str]:
    people = [person_create(actor=world.actor, given_names=f"Yordanis {i}") for i in range(40)]
    for source, idx in {"ngo": range(0, 30), "family": range(20, 40)}.items():
        for i in idx:
            claim_record(
                actor=world.actor,
                source=world.sources[source],
                person=people[i],
                status="detained",
                event_date=dt.date(2020, 1, 1),
                received_at=at("2020-01-02"),
            )
    return world.sources["ngo"].slug, world.sources["family"].slug


def _auth(world: World) -> dict[str, str]:
    _, token = token_create(actor=world.actor, user=world.actor, name="t", scope="read")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_the_api_gives_what_the_command_line_gives(world: World) -> None:
    ngo, family = _lists(world)
    response = Client().get(
        f"/api/estimates?list=source:{ngo}&list=source:{family}&method=independence",
        **_auth(world),
    )
    assert response.status_code == 200
    body = response.json()
    out = io.StringIO()
    call_command(
        "estimate",
        "--list",
        f"source:{ngo}",
        "--list",
        f"source:{family}",
        "--method",
        "independence",
        "--json",
        stdout=out,
    )
    cli = json.loads(out.getvalue())
    assert body["observed"] == cli["observed"] == 40
    assert body["estimates"][0]["estimate"] == cli["estimates"][0]["estimate"]
    assert round(body["estimates"][0]["estimate"]) == 60  # 30 x 20 / 10


def test_bad_input_is_problem_json_naming_the_parameter(world: World) -> None:
    ngo, _family = _lists(world)
    auth = _auth(world)
    one = Client().get(f"/api/estimates?list=source:{ngo}", **auth)
    assert one.status_code == 422 and one["Content-Type"].startswith("application/problem+json")
    assert "list" in one.content.decode()
    missing = Client().get(f"/api/estimates?list=source:{ngo}&list=source:nowhere", **auth)
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("application/problem+json")


def test_warnings_are_in_the_answer_and_the_schema(world: World) -> None:
    ngo, family = _lists(world)
    response = Client().get(
        f"/api/estimates?list=source:{ngo}&list=source:{family}&method=aic", **_auth(world)
    )
    assert response.status_code == 200
    data = response.json()
    assert data["warnings"] == []  # 30 and 20 people, 10 on both: nothing to warn about
    (row,) = data["estimates"]
    assert row["exhaustive"] is True and row["models_tried"] == 1 and row["aic"] is not None
    assert row["interval"] == [row["lower"], row["upper"]]
    schema = Client().get("/api/openapi.json").json()
    warning = schema["components"]["schemas"]["EstimateWarning"]
    assert "subset_list" in warning["properties"]["code"]["enum"]
    assert "exhaustive" in schema["components"]["schemas"]["EstimateRow"]["properties"]
