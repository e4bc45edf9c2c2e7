"""The API's resources for each role: people, custody, sources, claims, disclosures and the
verification queue; pagination, scopes and errors (in English and Spanish)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.support import World, at, build_world, make_user

from detente.access.policy import Role
from detente.access.services import agreement_set_audience, disclosure_approve, disclosure_propose
from detente.agreements.models import Membership
from detente.api.services import token_create
from detente.evidence.models import Claim, Source
from detente.evidence.services import claim_record, source_create

PROBLEM = "application/problem+json"


class Api:
    """A client that sends one user's bearer token."""

    def __init__(self, token: str) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def get(self, path: str, **extra: Any) -> Any:
        return self.client.get("/api" + path, **self.headers, **extra)

    def post(self, path: str, body: Any, **extra: Any) -> Any:
        data = body if isinstance(body, str) else json.dumps(body)
        return self.client.post(
            "/api" + path, data, content_type="application/json", **self.headers, **extra
        )


def api_for(username: str, role: str | None, scope: str = "read") -> Api:
    user = make_user(username, role)
    return Api(token_create(actor=user, user=user, name="test", scope=scope)[1])


@pytest.fixture
def apis(world: World) -> dict[str, Api]:
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="legislature")
    return {
        "analyst": api_for("ana", Role.ANALYST, "write"),
        "verifier": api_for("vera", Role.VERIFIER, "write"),
        "verifier-read": api_for("vero", Role.VERIFIER, "read"),
        "legislature": api_for("leg", Role.LEGISLATURE),
        "public": api_for("pub", None),
    }


def report_release(world: World, i: int = 0) -> Claim:
    return claim_record(
        actor=world.actor,
        source=world.sources["gov"],
        person=world.person(i),
        agreement=world.agreement,
        status="pardoned",
        event_date=dt.date(2020, 2, 1),
        received_at=at("2020-02-02"),
    )


def handles(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["handle"] for row in response.json()["items"]]


def field_errors(response: Any) -> dict[str, str]:
    assert response["Content-Type"] == PROBLEM, response.content
    return {e["field"]: e["reason"] for e in response.json()["errors"]}


# --- People ------------------------------------------------------------------------------


def test_people_are_listed_as_each_role_may_see_them(world: World, apis: dict[str, Api]) -> None:
    secret = build_world(world.actor, members=1, slug="secret")  # a staff-only agreement
    everyone = sorted(p.handle for p in world.people + secret.people)
    staff = apis["analyst"].get("/people").json()["items"]
    assert [p["handle"] for p in staff] == everyone
    assert staff[0]["name"] == "Yoandri 0 Pérez" and staff[0]["at_risk"] is False
    assert staff[0]["agreements"] == [
        {"agreement": "deal", "state": "held", "status": None, "release_category": None}
    ]
    legislature = apis["legislature"].get("/people").json()["items"]
    # Only the members of the agreement shown to them, without names or the at-risk flag.
    assert [p["handle"] for p in legislature] == sorted(p.handle for p in world.people)
    assert {(p["name"], p["at_risk"]) for p in legislature} == {(None, None)}
    assert handles(apis["public"].get("/people")) == []


def test_people_filters_never_reveal_a_hidden_agreement(world: World, apis: dict[str, Api]) -> None:
    secret = build_world(world.actor, members=1, slug="secret")
    report_release(world, 0)
    claim_record(  # the secret agreement's member is confirmed released, by the embassy
        actor=world.actor,
        source=secret.sources["embassy"],
        person=secret.person(0),
        agreement=secret.agreement,
        status="parole",
        event_date=dt.date(2020, 3, 1),
        received_at=at("2020-03-02"),
    )
    analyst, legislature = apis["analyst"], apis["legislature"]
    assert handles(analyst.get("/people?state=reported")) == [world.person(0).handle]
    assert handles(analyst.get("/people?category=conditional")) == [secret.person(0).handle]
    assert handles(analyst.get("/people?category=released")) == [world.person(0).handle]
    assert handles(analyst.get("/people?agreement=secret")) == [secret.person(0).handle]
    held = handles(analyst.get("/people?agreement=deal&category=held"))
    assert held == [world.person(1).handle, world.person(2).handle]
    assert handles(legislature.get("/people?state=confirmed")) == []
    # Naming the hidden agreement is refused exactly as naming one that does not exist.
    hidden = legislature.get("/people?agreement=secret")
    missing = legislature.get("/people?agreement=no-such-deal")
    assert hidden.status_code == missing.status_code == 422
    assert hidden.content == missing.content and "agreement" in field_errors(hidden)


def test_a_person_and_their_custody_record(world: World, apis: dict[str, Api]) -> None:
    handle = world.person().handle
    person = apis["analyst"].get(f"/people/{handle}").json()
    assert person["identity"]["paternal_surname"] == "Pérez"
    assert [s["agreement"] for s in person["statuses"]] == [None, "deal"]
    custody = apis["analyst"].get(f"/people/{handle}/custody").json()["items"]
    assert custody == [
        {
            "status": "sentenced",
            "start_date": "2018-05-01",
            "start_precision": "day",
            "end_date": None,
            "end_precision": "day",
            "place": "",
        }
    ]
    # The legislature sees the person (named on an agreement shown to them) but no custody
    # record; the public sees neither, exactly as for a person who does not exist.
    assert apis["legislature"].get(f"/people/{handle}/custody").json()["items"] == []
    hidden = apis["public"].get(f"/people/{handle}/custody")
    missing = apis["public"].get("/people/P-9999/custody")
    assert hidden.status_code == missing.status_code == 404 and hidden.content == missing.content


# --- Pagination --------------------------------------------------------------------------


def test_pages_follow_each_other_without_gaps_or_repeats(
    world: World, apis: dict[str, Api]
) -> None:
    build_world(world.actor, members=4, slug="more")
    analyst = apis["analyst"]
    seen: list[str] = []
    url: str | None = "/api/people?limit=2"
    pages = 0
    while url:
        body = analyst.client.get(url, **analyst.headers).json()
        seen += [p["handle"] for p in body["items"]]
        url, pages = body["next"], pages + 1
    assert pages == 4 and seen == sorted(seen) and len(seen) == len(set(seen)) == 7
    first = analyst.get("/people?limit=2").json()
    second = analyst.get(f"/people?limit=2&cursor={first['next_cursor']}").json()
    assert [p["handle"] for p in second["items"]] == seen[2:4]


def test_a_cursor_from_elsewhere_or_altered_is_refused_naming_it(
    world: World, apis: dict[str, Api]
) -> None:
    analyst = apis["analyst"]
    cursor = analyst.get("/people?limit=1").json()["next_cursor"]
    for bad in (cursor[:-2] + "xx", "not-a-cursor"):
        response = analyst.get(f"/people?cursor={bad}")
        assert response.status_code == 400 and "cursor" in field_errors(response)
    # A genuine cursor, but from another list.
    assert analyst.get(f"/sources?cursor={cursor}").status_code == 400
    for limit in (0, 201, "many"):
        response = analyst.get(f"/people?limit={limit}")
        assert response.status_code == 422 and "limit" in field_errors(response)


def test_claims_page_in_the_order_received(world: World, apis: dict[str, Api]) -> None:
    for day in (5, 3, 4):  # received out of order: listed by time received, then number
        claim_record(
            actor=world.actor,
            source=world.sources["family"],
            person=world.person(1),
            status="detained",
            event_date=dt.date(2020, 1, 20),
            received_at=at(f"2020-02-0{day}"),
        )
    verifier = apis["verifier"]
    first = verifier.get("/claims?limit=2").json()
    rest = verifier.get(f"/claims?limit=2&cursor={first['next_cursor']}").json()
    received = [c["received_at"][:10] for c in first["items"] + rest["items"]]
    assert received == ["2020-02-03", "2020-02-04", "2020-02-05"] and rest["next"] is None


# --- Sources and claims ------------------------------------------------------------------


@pytest.fixture
def informant(world: World) -> Source:
    source = source_create(
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
        source=source,
        person=world.person(),
        status="detained",
        event_date=dt.date(2020, 2, 3),
        received_at=at("2020-02-04"),
    )
    return source


def test_a_protected_source_is_known_only_to_those_who_manage_sources(
    world: World, apis: dict[str, Api], informant: Source
) -> None:
    analyst, verifier = apis["analyst"], apis["verifier"]
    assert "informant" not in [s["slug"] for s in analyst.get("/sources").json()["items"]]
    assert "informant" in [s["slug"] for s in verifier.get("/sources").json()["items"]]
    hidden, missing = analyst.get("/sources/informant"), analyst.get("/sources/nobody")
    assert hidden.status_code == missing.status_code == 404 and hidden.content == missing.content
    assert verifier.get("/sources/informant").json()["name"] == "Officer in prison X"
    # Its claims: attributed to "protected" for the analyst, in the list and one by one.
    claim = Claim.objects.get(source=informant)
    as_analyst = analyst.get(f"/claims/{claim.pk}").json()
    assert as_analyst["source"] == {
        "slug": "protected",
        "kind": "anonymous_official",
        "reliability": "C",
        "independence_group": "protected",
    }
    listed = analyst.get(f"/claims?person={world.person().handle}").json()["items"]
    assert [c["source"]["slug"] for c in listed] == ["protected"]
    assert "Officer" not in analyst.get("/claims").content.decode()
    assert verifier.get(f"/claims/{claim.pk}").json()["source"]["slug"] == "informant"
    # Filtering by it is refused as for a source that does not exist.
    hidden = analyst.get("/claims?source=informant")
    missing = analyst.get("/claims?source=nobody")
    assert hidden.status_code == 422 and hidden.content == missing.content


def test_claims_are_filtered_and_staff_only(world: World, apis: dict[str, Api]) -> None:
    reported = report_release(world, 0)
    claim_record(
        actor=world.actor,
        source=world.sources["gov"],
        agreement=world.agreement,
        kind="aggregate",
        released_count=2,
        event_date=dt.date(2020, 2, 1),
        received_at=at("2020-02-03"),
    )
    analyst = apis["analyst"]

    def ids(query: str) -> list[int]:
        return [c["id"] for c in analyst.get("/claims" + query).json()["items"]]

    assert len(ids("")) == 2
    assert ids(f"?person={world.person(0).handle}") == [reported.pk]
    assert ids("?kind=aggregate&agreement=deal") != [] and ids("?kind=retraction") == []
    assert ids(f"?source={world.sources['embassy'].slug}") == []
    assert analyst.get(f"/claims/{reported.pk}").json()["status"] == "pardoned"
    for role in ("legislature", "public"):
        assert apis[role].get("/claims").json()["items"] == []
        hidden = apis[role].get(f"/claims/{reported.pk}")
        missing = apis[role].get("/claims/999999")
        assert hidden.status_code == 404 and hidden.content == missing.content
        assert apis[role].get("/sources").json()["items"] == []


# --- Disclosures -------------------------------------------------------------------------


def test_disclosures_are_read_by_staff_newest_first(world: World, apis: dict[str, Api]) -> None:
    ana, vera = User.objects.get(username="ana"), User.objects.get(username="vera")
    first = disclosure_propose(
        actor=ana, audience="legislature", reason="hearing", agreement=world.agreement
    )
    disclosure_approve(actor=vera, disclosure=first)
    second = disclosure_propose(
        actor=ana, audience="public", reason="press", people=[world.person(1)]
    )
    analyst = apis["analyst"]
    listed = analyst.get("/disclosures").json()["items"]
    assert [d["id"] for d in listed] == [second.pk, first.pk]
    assert listed[1]["status"] == "approved" and listed[1]["decided_by"] == "vera"
    approved = analyst.get("/disclosures?status=approved&audience=legislature").json()
    assert [d["id"] for d in approved["items"]] == [first.pk]
    detail = analyst.get(f"/disclosures/{second.pk}").json()
    assert detail["people"] == [world.person(1).handle] and detail["agreement"] is None
    for role in ("legislature", "public"):
        assert apis[role].get("/disclosures").json()["items"] == []
        hidden = apis[role].get(f"/disclosures/{first.pk}")
        assert hidden.status_code == 404
        assert hidden.content == apis[role].get("/disclosures/99999").content


# --- The verification queue --------------------------------------------------------------


def test_a_verifier_confirms_a_reported_release_from_the_queue(
    world: World, apis: dict[str, Api]
) -> None:
    report_release(world, 0)
    verifier = apis["verifier"]
    queue = verifier.get("/verification").json()["items"]
    assert [(q["agreement"], q["handle"], q["state"]) for q in queue] == [
        ("deal", world.person(0).handle, "reported")
    ]
    response = verifier.post(
        f"/verification/deal/{world.person(0).handle}/confirm",
        {"source": world.sources["ngo"].slug, "evidence_text": "Seen at home by our team."},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["member"]["state"] == "confirmed" and body["member"]["status"] == "pardoned"
    assert Claim.objects.get(pk=body["claim"]).source == world.sources["ngo"]
    assert verifier.get("/verification").json()["items"] == []
    progress = apis["legislature"].get("/agreements/deal/progress").json()
    assert progress["confirmed"] == 1 and progress["reported"] == 0


def test_a_dispute_keeps_the_member_in_the_queue(world: World, apis: dict[str, Api]) -> None:
    report_release(world, 0)
    handle = world.person(0).handle
    response = apis["verifier"].post(
        f"/verification/deal/{handle}/dispute",
        {
            "source": world.sources["family"].slug,
            "event_date": "2020-02-05",
            "evidence_text": "Still in the prison, visited on Sunday.",
        },
    )
    assert response.status_code == 201 and response.json()["member"]["state"] == "disputed"
    disputed = apis["verifier"].get("/verification?state=disputed").json()["items"]
    assert [q["handle"] for q in disputed] == [handle]
    assert apis["verifier"].get("/verification?state=held").status_code == 422


def test_only_verifiers_with_a_write_token_act_on_the_queue(
    world: World, apis: dict[str, Api]
) -> None:
    report_release(world, 0)
    url = f"/verification/deal/{world.person(0).handle}/confirm"
    body = {"source": world.sources["ngo"].slug, "evidence_text": "Seen."}
    for who in ("analyst", "verifier-read", "legislature", "public"):
        response = apis[who].post(url, body)
        assert response.status_code == 403 and response["Content-Type"] == PROBLEM, who
    # A read token is refused before the body is even read.
    assert apis["verifier-read"].post(url, "{not json").status_code == 403
    assert apis["legislature"].get("/verification").status_code == 403
    assert apis["analyst"].get("/verification").status_code == 200  # analysts read it
    assert Membership.objects.get(person=world.person(0)).state == "reported"


def test_a_refused_confirmation_names_the_field_and_saves_nothing(
    world: World, apis: dict[str, Api]
) -> None:
    report_release(world, 0)
    verifier, handle = apis["verifier"], world.person(0).handle
    claims = Claim.objects.count()
    cases = [
        ({"source": world.sources["gov_press"].slug, "evidence_text": "x"}, "source"),
        ({"source": world.sources["ngo"].slug}, "evidence_text"),
        (
            {"source": world.sources["ngo"].slug, "evidence_text": "x", "status": "sentenced"},
            "status",
        ),
        ({"source": "no-such-source", "evidence_text": "x"}, "source"),
        ({"source": world.sources["ngo"].slug, "event_date": "someday"}, "event_date"),
    ]
    for body, field in cases:
        response = verifier.post(f"/verification/deal/{handle}/confirm", body)
        assert response.status_code == 422 and field in field_errors(response), body
    assert verifier.post("/verification/deal/P-9999/confirm", cases[0][0]).status_code == 404
    assert verifier.post(f"/verification/deal/{handle}/confirm", "{oops").status_code == 400
    assert Claim.objects.count() == claims


# --- Errors ------------------------------------------------------------------------------


def test_errors_speak_the_users_language(world: World, apis: dict[str, Api]) -> None:
    spanish = {"HTTP_ACCEPT_LANGUAGE": "es"}
    response = apis["analyst"].get("/people?limit=0", **spanish)
    assert response["Content-Language"] == "es"
    body = response.json()
    assert body["title"] == "Contenido no procesable"
    assert body["errors"] == [{"field": "limit", "reason": "Como mínimo 1."}]
    claim = apis["analyst"].post(
        "/claims",
        {
            "source": world.sources["ngo"].slug,
            "person": world.person().handle,
            "status": "detained",
            "event_date": "2999-01-01",
        },
        **spanish,
    )
    assert claim.status_code == 422
    assert "futuro" in field_errors(claim)["event_date"]
    unauthenticated = Client().get("/api/people", HTTP_ACCEPT_LANGUAGE="es").json()
    assert unauthenticated["title"] == "No autorizado"


def test_a_method_an_address_does_not_take_is_refused_in_problem_json(
    world: World, apis: dict[str, Api]
) -> None:
    response = apis["analyst"].client.delete("/api/claims", **apis["analyst"].headers)
    assert response.status_code == 405 and response["Content-Type"] == PROBLEM
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_schema_declares_every_answer(db: Any) -> None:
    schema = Client().get("/api/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"TokenAuth": []}], (path, method)
            codes = set(operation["responses"])
            assert {"401", "422", "429"} <= codes, (path, method)
            for code, answer in operation["responses"].items():
                media = set(answer["content"])
                # JSON, except a file by its own name (an agreement's briefing as a PDF),
                # a staff table's download (CSV, Excel or JSON, as `format` asks) and an
                # evidence file (its bytes as uploaded, whatever their type).
                ok = {"application/pdf"} if path.endswith(".pdf") else {"application/json"}
                if path.endswith("/export"):
                    ok = {"text/csv", "application/json", XLSX}
                if path.startswith("/api/attachments/") and path.endswith("/download"):
                    ok = {"application/octet-stream"}
                assert media == ({PROBLEM} if int(code) >= 400 else ok), (path, code)
            if "{" in path:
                assert "404" in codes, path
            if method in ("post", "patch"):
                assert {"400", "403"} <= codes, path
            if "cursor" in {p["name"] for p in operation.get("parameters", [])}:
                assert "400" in codes, path


def test_an_agreement_and_its_progress_as_of_a_date(world: World, apis: dict[str, Api]) -> None:
    report_release(world, 0)
    agreement = apis["legislature"].get("/agreements/deal").json()
    assert agreement["releasing_party"] == {"slug": "deal-gov", "name": "Releasing"}
    assert agreement["policy"]["confirm_min_grade"] == "B" and agreement["claimed"] == 1
    before = apis["legislature"].get("/agreements/deal/progress?as_of=2020-02-01").json()
    after = apis["legislature"].get("/agreements/deal/progress?as_of=2020-02-02").json()
    assert (before["reported"], after["reported"]) == (0, 1)
    assert apis["public"].get("/agreements/deal").status_code == 404
