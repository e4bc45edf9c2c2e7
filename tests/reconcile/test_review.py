"""The review queue: accept, reject, choose; who may; the API and the command line."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from tests.reconcile.conftest import write_list
from tests.support import World, make_user

from detente.access.policy import Role
from detente.agreements.models import Membership
from detente.api.services import token_create
from detente.audit.ledger import verify
from detente.audit.models import AuditEntry
from detente.evidence.models import Claim
from detente.reconcile.importer import import_list
from detente.reconcile.models import Decision, ImportRow, Outcome
from detente.reconcile.review import review_accept, review_choose, review_queue, review_reject
from detente.registry.models import Identity, Person

PROBLEM = "application/problem+json"
UNSURE = {
    "name": "Pepe Gomez",
    "province": "Holguín",
    "status": "detained",
    "event_date": "2024-05-01",
    "evidence": "=SUM(A1) list of May",
}


@pytest.fixture
def queued(tmp_path: Path, world: World, registry: dict[str, Person]) -> ImportRow:
    path = write_list(
        tmp_path / "ngo.csv", [UNSURE], ["name", "province", "status", "event_date", "evidence"]
    )
    import_list(
        actor=world.actor,
        path=path,
        source=world.sources["ngo"],
        agreement=world.agreement,
        link_above=0.999,
        review_above=0.0001,
    )
    return ImportRow.objects.get(outcome=Outcome.QUEUED)


@pytest.fixture
def users(db: Any) -> dict[str, User]:
    return {
        "analyst": make_user("ana", Role.ANALYST),
        "verifier": make_user("vera", Role.VERIFIER),
        "legislator": make_user("leg", Role.LEGISLATURE),
    }


def test_accepting_links_the_proposed_person_and_records_the_claim(
    queued: ImportRow, users: dict[str, User], registry: dict[str, Person], world: World
) -> None:
    jose = registry["jose"]
    row = review_accept(actor=users["verifier"], row=queued, note="same municipality")
    assert (row.decision, row.person, row.decided_by) == (
        Decision.ACCEPTED,
        jose,
        users["verifier"],
    )
    claim = Claim.objects.get(pk=row.claim_id)
    assert (claim.person, claim.source, claim.status) == (jose, world.sources["ngo"], "detained")
    assert claim.agreement == world.agreement
    assert Membership.objects.filter(agreement=world.agreement, person=jose).exists()
    entry = AuditEntry.objects.filter(action="import.review").get()
    assert entry.payload["decision"] == "accepted" and entry.payload["person"] == jose.handle
    evidence = entry.payload["candidates"][0]
    assert evidence["person"] == jose.handle and evidence["probability"] > 0
    assert evidence["explanation"]["fields"]
    assert verify().ok
    assert not review_queue(users["analyst"]).exists()
    assert list(review_queue(users["analyst"], decided=True)) == [row]


def test_rejecting_makes_a_new_person_from_the_row(
    queued: ImportRow, users: dict[str, User]
) -> None:
    before = Person.objects.count()
    row = review_reject(actor=users["verifier"], row=queued)
    assert Person.objects.count() == before + 1
    assert row.person is not None
    ident = Identity.objects.get(person=row.person)
    assert (ident.given_names, ident.paternal_surname) == ("Pepe", "Gomez")
    assert Claim.objects.get(pk=row.claim_id).person == row.person


def test_choosing_another_person(
    queued: ImportRow, users: dict[str, User], registry: dict[str, Person]
) -> None:
    row = review_choose(actor=users["verifier"], row=queued, person=registry["maria"])
    assert row.decision == Decision.CHOSEN and row.person == registry["maria"]


def test_a_row_is_decided_once(queued: ImportRow, users: dict[str, User]) -> None:
    review_accept(actor=users["verifier"], row=queued)
    claims = Claim.objects.count()
    with pytest.raises(ValidationError, match="already decided"):
        review_reject(actor=users["verifier"], row=queued)
    assert Claim.objects.count() == claims


def test_analysts_read_but_do_not_decide(queued: ImportRow, users: dict[str, User]) -> None:
    assert list(review_queue(users["analyst"])) == [queued]
    with pytest.raises(PermissionDenied):
        review_accept(actor=users["analyst"], row=queued)
    with pytest.raises(PermissionDenied):
        review_queue(users["legislator"])
    assert ImportRow.objects.get(pk=queued.pk).decision == ""


# --- The API -------------------------------------------------------------------------------


def bearer(user: User, scope: str = "write") -> dict[str, str]:
    token = token_create(actor=user, user=user, name="t", scope=scope)[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


pytestmark = pytest.mark.urls("tests.reconcile.urls")


def test_api_lists_shows_and_decides(
    queued: ImportRow, users: dict[str, User], registry: dict[str, Person]
) -> None:
    client = Client()
    analyst, verifier = bearer(users["analyst"]), bearer(users["verifier"])
    page = client.get("/api/review", **analyst).json()
    assert [i["id"] for i in page["items"]] == [queued.pk]
    assert page["items"][0]["best_candidate"] == registry["jose"].handle
    detail = client.get(f"/api/review/{queued.pk}", **analyst).json()
    assert detail["candidates"][0]["name"] == "José Luis Gómez Vázquez"
    assert detail["candidates"][0]["explanation"]["fields"]
    # Seeing a candidate's name is recorded like any view of an identity.
    assert AuditEntry.objects.filter(action="import.review.view", actor=users["analyst"]).exists()
    refused = client.post(
        f"/api/review/{queued.pk}",
        {"decision": "accept"},
        content_type="application/json",
        **analyst,
    )
    assert refused.status_code == 403 and refused["Content-Type"] == PROBLEM
    done = client.post(
        f"/api/review/{queued.pk}",
        {"decision": "choose", "person": registry["yoany"].handle},
        content_type="application/json",
        **verifier,
    )
    assert done.status_code == 200, done.content
    assert done.json()["decision"] == "chosen" and done.json()["person"] == registry["yoany"].handle
    again = client.post(
        f"/api/review/{queued.pk}",
        {"decision": "reject"},
        content_type="application/json",
        **verifier,
    )
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "decision"
    run = client.get(f"/api/imports/{queued.run_id}", **analyst).json()
    assert run["queued"] == 1 and run["digest"]


def test_api_refusals_are_problems(queued: ImportRow, users: dict[str, User]) -> None:
    client = Client()
    assert client.get("/api/review").status_code == 401
    legislator = bearer(users["legislator"], "read")
    assert client.get("/api/review", **legislator).status_code == 403
    assert client.get(f"/api/review/{queued.pk}", **legislator).status_code == 404
    verifier = bearer(users["verifier"])
    missing = client.get("/api/review/999999", **verifier)
    assert missing.status_code == 404 and missing["Content-Type"] == PROBLEM
    bad = client.post(
        f"/api/review/{queued.pk}",
        {"decision": "choose"},
        content_type="application/json",
        **verifier,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "person"
    nonsense = client.post(
        f"/api/review/{queued.pk}",
        {"decision": "maybe"},
        content_type="application/json",
        **verifier,
    )
    assert nonsense.status_code == 422
    read_only = bearer(users["verifier"], "read")
    assert (
        client.post(
            f"/api/review/{queued.pk}",
            {"decision": "accept"},
            content_type="application/json",
            **read_only,
        ).status_code
        == 403
    )
    assert ImportRow.objects.get(pk=queued.pk).decision == ""


def test_api_pages_with_cursors(
    tmp_path: Path, world: World, registry: dict[str, Person], users: dict[str, User]
) -> None:
    rows = [dict(UNSURE, event_date=f"2024-05-{d:02d}") for d in range(1, 6)]
    path = write_list(tmp_path / "many.csv", rows, ["name", "province", "status", "event_date"])
    import_list(
        actor=world.actor,
        path=path,
        source=world.sources["ngo"],
        link_above=1.0,
        review_above=0.0001,
    )
    client, analyst = Client(), bearer(users["analyst"])
    seen: list[int] = []
    url = "/api/review?limit=2"
    while url:
        page = client.get(url, **analyst).json()
        seen += [i["row"] for i in page["items"]]
        url = page["next"] and page["next"].replace("http://testserver", "")
    assert seen == [2, 3, 4, 5, 6]


# --- The command line ----------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("review", *args, stdout=out)
    return out.getvalue()


def test_cli_list_show_and_decide(
    tmp_path: Path, queued: ImportRow, users: dict[str, User], registry: dict[str, Person]
) -> None:
    listing = json.loads(run("list", "--json", "--as", "ana"))
    assert [i["row_id"] for i in listing] == [queued.pk]
    shown = run("show", str(queued.pk))
    assert registry["jose"].handle in shown and "given_name" in shown
    with pytest.raises(CommandError, match="not allowed"):
        run("list", "--as", "leg")
    assert "accepted" in run("accept", str(queued.pk), "--note", "checked by phone")
    with pytest.raises(CommandError, match="already decided"):
        run("reject", str(queued.pk))
    with pytest.raises(CommandError, match="no queued row"):
        run("accept", "424242")


def test_cli_csv_export_neutralises_formulas(tmp_path: Path, queued: ImportRow) -> None:
    out = tmp_path / "queue.csv"
    run("list", "--csv", str(out))
    text = out.read_text(encoding="utf-8")
    # The evidence cell came in as text starting with "="; the export defuses it.
    assert "'=SUM(A1) list of May" in text
    assert ",=SUM" not in text


def test_cli_choose_needs_a_known_person(queued: ImportRow) -> None:
    with pytest.raises(CommandError, match="no person"):
        run("choose", str(queued.pk), "P-9999")


def test_decisions_are_operator_only_on_the_command_line() -> None:
    from django.core.management import load_command_class

    parser = load_command_class("detente.reconcile", "review").create_parser("detente", "review")
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name in ("accept", "reject", "choose"):
        assert "--as" not in sub.choices[name]._option_string_actions  # type: ignore[attr-defined]
    assert "--as" in sub.choices["list"]._option_string_actions  # type: ignore[attr-defined]
