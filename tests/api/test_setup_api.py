"""Setting up through the API: parties, sources and agreements created, edited, archived and
restored by verifiers and administrators through the same services as everywhere else."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.support import World, make_user

from detente.access.policy import Role
from detente.agreements.models import Agreement, Party
from detente.api.services import token_create
from detente.audit.models import AuditEntry
from detente.evidence.models import Source

PROBLEM = "application/problem+json"


class Api:
    """A client that sends one user's bearer token (or none)."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def get(self, path: str, **extra: Any) -> Any:
        return self.client.get("/api" + path, **self.headers, **extra)

    def _send(self, method: str, path: str, body: Any, **extra: Any) -> Any:
        data = body if isinstance(body, str) else json.dumps(body)
        send = getattr(self.client, method)
        return send("/api" + path, data, content_type="application/json", **self.headers, **extra)

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self._send("post", path, {} if body is None else body, **extra)

    def patch(self, path: str, body: Any, **extra: Any) -> Any:
        return self._send("patch", path, body, **extra)


def api_for(username: str, role: str | None, scope: str = "read") -> Api:
    user = make_user(username, role)
    return Api(token_create(actor=user, user=user, name="test", scope=scope)[1])


@pytest.fixture
def apis(world: World) -> dict[str, Api]:
    return {
        "verifier": api_for("vera", Role.VERIFIER, "write"),
        "administrator": api_for("adam", Role.ADMINISTRATOR, "write"),
        "analyst": api_for("ana", Role.ANALYST, "write"),
        "verifier-read": api_for("vero", Role.VERIFIER, "read"),
        "legislature": api_for("leg", Role.LEGISLATURE),
        "anonymous": Api(None),
    }


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json()


def field_errors(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == PROBLEM, response.content
    return {e["field"]: e["reason"] for e in response.json()["errors"]}


def audited(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


def snapshot() -> tuple[int, ...]:
    """What a refused write must leave as it was."""
    return (
        Party.objects.count(),
        Source.objects.count(),
        Agreement.objects.count(),
        AuditEntry.objects.count(),
    )


# --- Parties -----------------------------------------------------------------------------


def test_a_party_is_created_edited_archived_and_restored(
    world: World, apis: dict[str, Api]
) -> None:
    vera = apis["verifier"]
    created = vera.post(
        "/parties", {"slug": "vatican", "name": "Holy See", "independence_group": "vatican"}
    )
    assert ok(created, 201) == {
        "slug": "vatican",
        "name": "Holy See",
        "kind": "government",
        "independence_group": "vatican",
        "archived_at": None,
    }
    assert audited("party.create") == 3  # the test world's two, and this one
    edited = ok(vera.patch("/parties/vatican", {"kind": "mediator", "name": "The Holy See"}))
    assert (edited["kind"], edited["name"], edited["independence_group"]) == (
        "mediator",
        "The Holy See",
        "vatican",
    )
    assert audited("party.edit") == 1
    assert ok(vera.get("/parties/vatican")) == edited
    assert ok(vera.get("/parties?kind=mediator"))["items"] == [edited]

    archived = ok(vera.post("/parties/vatican/archive"))
    assert archived["archived_at"] is not None
    listed = [p["slug"] for p in ok(vera.get("/parties"))["items"]]
    assert listed == ["deal-gov", "deal-other"]
    everything = [p["slug"] for p in ok(vera.get("/parties?archived=true"))["items"]]
    assert everything == ["deal-gov", "deal-other", "vatican"]
    assert ok(vera.post("/parties/vatican/archive"))["archived_at"] == archived["archived_at"]
    assert audited("party.archive") == 1  # archiving it again changed nothing

    restored = ok(apis["administrator"].post("/parties/vatican/restore"))
    assert restored["archived_at"] is None and audited("party.restore") == 1
    assert "vatican" in [p["slug"] for p in ok(vera.get("/parties"))["items"]]


def test_refused_party_input_names_the_field_and_saves_nothing(
    world: World, apis: dict[str, Api]
) -> None:
    vera = apis["verifier"]
    before = snapshot()
    good = {"slug": "vatican", "name": "Holy See", "independence_group": "vatican"}
    cases = {
        "slug": {**good, "slug": "deal-gov"},  # exists
        "kind": {**good, "kind": "alien"},
        "independence_group": {**good, "independence_group": "Not A Slug"},
        "name": {**good, "name": "   "},
    }
    for field, body in cases.items():
        assert field in field_errors(vera.post("/parties", body)), field
    missing = {k: v for k, v in good.items() if k != "independence_group"}
    assert field_errors(vera.post("/parties", missing)) == {
        "independence_group": "This field is required."
    }
    assert field_errors(vera.post("/parties", {**good, "name": 7})) == {"name": "Expected text."}
    # A field left out stays; one sent as null is refused like any other wrong type.
    assert "name" in field_errors(vera.patch("/parties/deal-gov", {"name": None}))
    assert "kind" in field_errors(vera.patch("/parties/deal-gov", {"kind": "alien"}))
    # Both parties of an agreement in one independence group: no release could be confirmed.
    regroup = vera.patch("/parties/deal-other", {"independence_group": "deal-gov"})
    assert "deal" in field_errors(regroup)["independence_group"]
    assert vera.patch("/parties/no-such-party", {"name": "X"}).status_code == 404
    assert vera.post("/parties/no-such-party/archive").status_code == 404
    assert vera.post("/parties", "{not json").status_code == 400
    assert snapshot() == before


# --- Sources -----------------------------------------------------------------------------


def test_a_source_is_created_edited_archived_and_restored(
    world: World, apis: dict[str, Api]
) -> None:
    vera, ana = apis["verifier"], apis["analyst"]
    body = {
        "slug": "informant",
        "name": "Officer in prison X",
        "kind": "anonymous_official",
        "reliability": "C",
        "independence_group": "informant",
        "protected": True,
    }
    created = ok(vera.post("/sources", body), 201)
    assert created == {**body, "archived_at": None}
    assert audited("source.create") == 7
    # Protected: named only to those who manage sources, as the other front doors do.
    assert ana.get("/sources/informant").status_code == 404
    assert "informant" not in [s["slug"] for s in ok(ana.get("/sources"))["items"]]
    assert "informant" in [s["slug"] for s in ok(vera.get("/sources"))["items"]]

    edited = ok(vera.patch("/sources/informant", {"reliability": "B", "name": "Officer Y"}))
    assert (edited["reliability"], edited["name"], edited["kind"]) == (
        "B",
        "Officer Y",
        "anonymous_official",
    )
    assert audited("source.regrade") == 1 and audited("source.edit") == 1
    assert "Officer" not in AuditEntry.objects.filter(action="source.edit").get().data
    opened = ok(vera.patch("/sources/informant", {"protected": False}))
    assert opened["protected"] is False
    assert ok(ana.get("/sources/informant"))["name"] == "Officer Y"

    assert ok(vera.post("/sources/informant/archive"))["archived_at"] is not None
    assert "informant" not in [s["slug"] for s in ok(vera.get("/sources"))["items"]]
    assert "informant" in [s["slug"] for s in ok(vera.get("/sources?archived=true"))["items"]]
    assert ok(vera.get("/sources/informant"))["archived_at"] is not None
    # An archived source's word is no longer taken.
    claim = ana.post(
        "/claims",
        {
            "source": "informant",
            "person": world.person().handle,
            "status": "detained",
            "event_date": "2020-03-01",
        },
    )
    assert "source" in field_errors(claim)
    assert ok(vera.post("/sources/informant/restore"))["archived_at"] is None
    assert (audited("source.archive"), audited("source.restore")) == (1, 1)


def test_refused_source_input_names_the_field_and_saves_nothing(
    world: World, apis: dict[str, Api]
) -> None:
    vera = apis["verifier"]
    before = snapshot()
    good = {
        "slug": "radio",
        "name": "Radio",
        "kind": "press",
        "reliability": "B",
        "independence_group": "radio",
    }
    assert set(field_errors(vera.post("/sources", {**good, "reliability": "Z"}))) == {"reliability"}
    assert set(field_errors(vera.post("/sources", {**good, "kind": "rumour"}))) == {"kind"}
    assert set(field_errors(vera.post("/sources", {**good, "slug": "deal-ngo"}))) == {"slug"}
    assert set(field_errors(vera.post("/sources", {**good, "protected": "maybe"}))) == {"protected"}
    assert set(field_errors(vera.patch("/sources/deal-ngo", {"reliability": "Z"}))) == {
        "reliability"
    }
    assert set(field_errors(vera.patch("/sources/deal-ngo", {"reliability": None}))) == {
        "reliability"
    }
    assert vera.patch("/sources/no-such-source", {"name": "X"}).status_code == 404
    assert snapshot() == before


# --- Agreements --------------------------------------------------------------------------


def _agreement(**changes: Any) -> dict[str, Any]:
    return {
        "slug": "havana-2025",
        "title": "Havana release",
        "title_es": "Liberación de La Habana",
        "releasing_party": "deal-gov",
        "counterpart": "deal-other",
        "mediators": ["vatican"],
        "announced_on": "2025-01-14",
        "promised_count": None,
        "expected_release": "parole",
    } | changes


@pytest.fixture
def vatican(world: World) -> Party:
    from detente.agreements.services import party_create

    return party_create(
        actor=world.actor,
        slug="vatican",
        name="Holy See",
        kind="mediator",
        independence_group="vatican",
    )


def test_an_agreement_without_a_number_round_trips_and_is_edited(
    world: World, vatican: Party, apis: dict[str, Api]
) -> None:
    vera = apis["verifier"]
    created = ok(vera.post("/agreements", _agreement()), 201)
    assert created["promised"] is None and created["promised_approximate"] is False
    assert created["releasing_party"] == {"slug": "deal-gov", "name": "Releasing"}
    assert created["mediators"] == [{"slug": "vatican", "name": "Holy See"}]
    assert created["expected_release"] == "parole" and created["archived_at"] is None
    assert created["policy"] == {
        "confirm_min_grade": "B",
        "dispute_min_grade": "C",
        "status_overrides": {},
    }
    stored = Agreement.objects.get(slug="havana-2025")
    assert stored.promised_count is None and audited("agreement.create") == 2
    assert ok(vera.get("/agreements/havana-2025")) == created
    progress = ok(vera.get("/agreements/havana-2025/progress"))
    assert progress["promised"] is None and progress["promised_approximate"] is False
    assert progress["total"] == progress["named"] + progress["unnamed"] == 0
    assert progress["released_before"] == 0
    listed = {a["slug"]: a for a in ok(vera.get("/agreements"))["items"]}
    assert listed["havana-2025"]["promised"] is None

    about = ok(
        vera.patch("/agreements/havana-2025", {"promised_count": 900, "promised_approximate": True})
    )
    assert (about["promised"], about["promised_approximate"]) == (900, True)
    assert ok(vera.get("/agreements/havana-2025/progress"))["total"] == 900
    # Only what is sent changes: the title and mediators are still there.
    assert about["title"] == "Havana release" and about["mediators"] == created["mediators"]
    unknown = ok(vera.patch("/agreements/havana-2025", {"promised_count": None}))
    assert (unknown["promised"], unknown["promised_approximate"]) == (None, False)
    assert Agreement.objects.get(slug="havana-2025").promised_count is None

    edited = ok(
        vera.patch(
            "/agreements/havana-2025",
            {
                "title": "Havana releases",
                "description": "Announced by both governments.",
                "mediators": [],
                "expected_release": None,
                "announced_on": "2025-01-15",
            },
        )
    )
    assert edited["title"] == "Havana releases" and edited["mediators"] == []
    assert edited["expected_release"] is None and edited["announced_on"] == "2025-01-15"
    assert audited("agreement.edit") == 3
    assert ok(vera.patch("/agreements/havana-2025", {})) == edited  # nothing to change
    assert audited("agreement.edit") == 3


def test_an_agreement_is_archived_and_restored(world: World, apis: dict[str, Api]) -> None:
    vera = apis["verifier"]
    slug = world.agreement.slug
    archived = ok(vera.post(f"/agreements/{slug}/archive"))
    assert archived["archived_at"] is not None
    assert archived["promised"] == 5 and archived["named"] == 3  # figures stay
    claim = apis["analyst"].post(
        "/claims",
        {
            "source": world.sources["gov"].slug,
            "person": world.person().handle,
            "agreement": slug,
            "status": "pardoned",
            "event_date": "2020-02-01",
        },
    )
    assert "agreement" in field_errors(claim)
    restored = ok(apis["administrator"].post(f"/agreements/{slug}/restore"))
    assert restored["archived_at"] is None
    assert (audited("agreement.archive"), audited("agreement.restore")) == (1, 1)
    assert vera.post("/agreements/no-such-deal/archive").status_code == 404


def test_refused_agreement_input_names_the_field_and_saves_nothing(
    world: World, vatican: Party, apis: dict[str, Api]
) -> None:
    from detente.agreements.services import party_archive

    vera = apis["verifier"]
    party_archive(actor=world.actor, party=vatican)
    before = snapshot()

    def body(**changes: Any) -> dict[str, Any]:
        return _agreement(**({"mediators": []} | changes))

    refused = {
        "counterpart": body(counterpart="deal-gov"),  # the same party on both sides
        "releasing_party": body(releasing_party="no-such-party"),
        "mediators": body(mediators=["no-such-party"]),
        "announced_on": body(announced_on="2025-02-30"),
        "promised_count": body(promised_count="many"),
        "confirm_min_grade": body(confirm_min_grade="Z"),
        "expected_release": body(expected_release="detained"),  # not a release
        "status_overrides": body(status_overrides={"house_arrest": "free"}),
        "slug": body(slug=world.agreement.slug),
        "title": body(title=""),
    }
    for field, sent in refused.items():
        assert field in field_errors(vera.post("/agreements", sent)), field
    # An approximate count needs a number; an archived party is not offered.
    approximate = vera.post("/agreements", body(promised_approximate=True))
    assert "promised_count" in field_errors(approximate)
    assert "mediators" in field_errors(vera.post("/agreements", _agreement()))
    future = (timezone.now().date() + dt.timedelta(days=2)).isoformat()
    assert "announced_on" in field_errors(vera.post("/agreements", body(announced_on=future)))
    missing = {k: v for k, v in body().items() if k != "promised_count"}
    assert field_errors(vera.post("/agreements", missing)) == {
        "promised_count": "This field is required."
    }
    slug = world.agreement.slug
    for change, field in (
        ({"counterpart": "deal-gov"}, "counterpart"),
        ({"releasing_party": "deal-other", "counterpart": "deal-other"}, "counterpart"),
        ({"mediators": ["deal-gov"]}, "mediators"),
        ({"mediators": ["no-such-party"]}, "mediators"),
        ({"promised_count": -1}, "promised_count"),
        ({"promised_count": 3, "promised_approximate": "perhaps"}, "promised_approximate"),
        ({"announced_on": "2020-01-20"}, "announced_on"),  # after people were named on it
        ({"title": None}, "title"),
        ({"announced_on": None}, "announced_on"),
    ):
        assert field in field_errors(vera.patch(f"/agreements/{slug}", change)), change
    assert vera.patch("/agreements/no-such-deal", {"title": "X"}).status_code == 404
    assert snapshot() == before
    assert Agreement.objects.get(slug=slug).promisee == world.counterpart


def test_refusals_are_translated_and_name_the_field_as_sent(
    world: World, apis: dict[str, Api]
) -> None:
    response = apis["verifier"].post(
        "/agreements", _agreement(mediators=[], counterpart="deal-gov"), HTTP_ACCEPT_LANGUAGE="es"
    )
    assert response.json()["detail"] == "Los datos fueron rechazados; no se guardó nada."
    assert list(field_errors(response)) == ["counterpart"]


# --- Who may -----------------------------------------------------------------------------


def _writes(world: World) -> list[tuple[str, str, Any]]:
    slug = world.agreement.slug
    return [
        ("post", "/parties", {"slug": "x", "name": "X", "independence_group": "x"}),
        ("patch", "/parties/deal-gov", {"name": "Renamed"}),
        ("post", "/parties/deal-gov/archive", None),
        ("post", "/parties/deal-gov/restore", None),
        (
            "post",
            "/sources",
            {
                "slug": "x",
                "name": "X",
                "kind": "press",
                "reliability": "B",
                "independence_group": "x",
            },
        ),
        ("patch", "/sources/deal-ngo", {"name": "Renamed"}),
        ("post", "/sources/deal-ngo/archive", None),
        ("post", "/sources/deal-ngo/restore", None),
        ("post", "/agreements", _agreement(mediators=[])),
        ("patch", f"/agreements/{slug}", {"promised_count": None}),
        ("post", f"/agreements/{slug}/archive", None),
        ("post", f"/agreements/{slug}/restore", None),
    ]


@pytest.mark.parametrize(
    ("who", "status"),
    [("analyst", 403), ("legislature", 403), ("verifier-read", 403), ("anonymous", 401)],
)
def test_only_verifiers_and_administrators_with_a_write_token_may_set_up(
    world: World, apis: dict[str, Api], who: str, status: int
) -> None:
    before = snapshot()
    for method, path, body in _writes(world):
        response = getattr(apis[who], method)(path, body)
        assert response.status_code == status, (who, method, path, response.content)
        assert response["Content-Type"] == PROBLEM
    assert snapshot() == before


def test_the_writes_succeed_for_those_who_may(world: World, apis: dict[str, Api]) -> None:
    for method, path, body in _writes(world):
        response = getattr(apis["administrator"], method)(path, body)
        assert response.status_code == (201 if method == "post" and "/" not in path[1:] else 200)


def test_parties_are_read_by_staff_only(world: World, apis: dict[str, Api]) -> None:
    assert [p["slug"] for p in ok(apis["analyst"].get("/parties"))["items"]] == [
        "deal-gov",
        "deal-other",
    ]
    assert ok(apis["legislature"].get("/parties"))["items"] == []
    hidden = apis["legislature"].get("/parties/deal-gov")
    missing = apis["legislature"].get("/parties/no-such-party")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert apis["anonymous"].get("/parties").status_code == 401


def test_the_schema_publishes_the_new_operations(db: Any) -> None:
    schema = Client().get("/api/openapi.json").json()
    paths = schema["paths"]
    for path, methods in {
        "/api/parties": {"get", "post"},
        "/api/parties/{slug}": {"get", "patch"},
        "/api/parties/{slug}/archive": {"post"},
        "/api/parties/{slug}/restore": {"post"},
        "/api/sources": {"get", "post"},
        "/api/sources/{slug}": {"get", "patch"},
        "/api/sources/{slug}/archive": {"post"},
        "/api/sources/{slug}/restore": {"post"},
        "/api/agreements": {"get", "post"},
        "/api/agreements/{slug}": {"get", "patch"},
        "/api/agreements/{slug}/archive": {"post"},
        "/api/agreements/{slug}/restore": {"post"},
    }.items():
        assert set(paths[path]) == methods, path
    promised = schema["components"]["schemas"]["AgreementIn"]["properties"]["promised_count"]
    assert {"type": "null"} in promised["anyOf"]
    assert "promised_count" in schema["components"]["schemas"]["AgreementIn"]["required"]
    patch = schema["components"]["schemas"]["AgreementPatch"]
    assert "required" not in patch and "default" not in patch["properties"]["title"]


def test_stages_counts_with_parts_and_times_through_the_api(db: Any) -> None:
    from tests.support import build_world

    from detente.access.policy import cli_actor

    w = build_world(cli_actor())
    user = make_user("vera-stage", Role.VERIFIER)
    token = token_create(actor=user, user=user, name="w", scope="write")[1]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client = Client()

    def post(body: dict[str, Any]) -> Any:
        return client.post(
            "/api/claims", data=json.dumps(body), content_type="application/json", **headers
        )

    stage = post(
        {
            "source": "deal-gov",
            "kind": "lifecycle",
            "agreement": "deal",
            "lifecycle": "suspended",
            "event_date": "2020-03-01",
            "received_at": "2020-03-02T10:00:00Z",
            "evidence_text": "Talks broke down.",
        }
    )
    assert stage.status_code == 201, stage.content
    count = post(
        {
            "source": "deal-gov",
            "kind": "aggregate",
            "agreement": "deal",
            "released_count": 9,
            "breakdown": {"political": 4, "other": 5},
            "event_date": "2020-03-05",
            "received_at": "2020-03-06T10:00:00Z",
        }
    )
    assert count.status_code == 201, count.content
    assert count.json()["warnings"] == ["The count 9 is above the 5 promised."]
    progress = client.get("/api/agreements/deal/progress", **headers).json()
    assert progress["stage"] == "suspended"
    assert progress["aggregate_claims"][0]["breakdown"] == {"political": 4, "other": 5}
    bad = post(
        {
            "source": "deal-gov",
            "kind": "aggregate",
            "agreement": "deal",
            "released_count": 3,
            "breakdown": {"political": 4},
            "event_date": "2020-03-07",
            "received_at": "2020-03-08T10:00:00Z",
        }
    )
    assert bad.status_code == 422 and "breakdown" in bad.content.decode()
    timed = post(
        {
            "source": "deal-ngo",
            "person": w.person(0).handle,
            "status": "rearrested",
            "event_date": "2020-03-01",
            "event_time": "09:00",
            "received_at": "2020-03-02T10:00:00Z",
        }
    )
    assert timed.status_code == 201, timed.content
