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
from tests.reconcile.match_review_kit import make_run, queue_row
from tests.support import World, make_user

from detente.access.policy import Role
from detente.agreements.models import Membership
from detente.api.services import token_create
from detente.audit.ledger import verify
from detente.audit.models import AuditEntry
from detente.evidence.models import Claim
from detente.reconcile.importer import import_list
from detente.reconcile.models import Decision, ImportRow, ImportRun, Outcome, seal_data
from detente.reconcile.selectors import bulk_rows, field_agreement, match_review_queue
from detente.reconcile.services import (
    match_review_accept,
    match_review_accept_bulk,
    match_review_choose,
    match_review_reject,
)
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
    row = match_review_accept(actor=users["verifier"], row=queued, note="same municipality")
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
    assert not match_review_queue(users["analyst"]).exists()
    assert list(match_review_queue(users["analyst"], decided=True)) == [row]


def test_rejecting_makes_a_new_person_from_the_row(
    queued: ImportRow, users: dict[str, User]
) -> None:
    before = Person.objects.count()
    row = match_review_reject(actor=users["verifier"], row=queued)
    assert Person.objects.count() == before + 1
    assert row.person is not None
    ident = Identity.objects.get(person=row.person)
    assert (ident.given_names, ident.paternal_surname) == ("Pepe", "Gomez")
    assert Claim.objects.get(pk=row.claim_id).person == row.person


def test_choosing_another_person(
    queued: ImportRow, users: dict[str, User], registry: dict[str, Person]
) -> None:
    row = match_review_choose(actor=users["verifier"], row=queued, person=registry["maria"])
    assert row.decision == Decision.CHOSEN and row.person == registry["maria"]


def test_a_row_is_decided_once(queued: ImportRow, users: dict[str, User]) -> None:
    match_review_accept(actor=users["verifier"], row=queued)
    claims = Claim.objects.count()
    with pytest.raises(ValidationError, match="already decided"):
        match_review_reject(actor=users["verifier"], row=queued)
    assert Claim.objects.count() == claims


def test_analysts_read_but_do_not_decide(queued: ImportRow, users: dict[str, User]) -> None:
    assert list(match_review_queue(users["analyst"])) == [queued]
    with pytest.raises(PermissionDenied):
        match_review_accept(actor=users["analyst"], row=queued)
    with pytest.raises(PermissionDenied):
        match_review_queue(users["legislator"])
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
    page = client.get("/api/match-review", **analyst).json()
    assert [i["id"] for i in page["items"]] == [queued.pk]
    assert page["items"][0]["best_candidate"] == registry["jose"].handle
    detail = client.get(f"/api/match-review/{queued.pk}", **analyst).json()
    assert detail["candidates"][0]["name"] == "José Luis Gómez Vázquez"
    assert detail["candidates"][0]["explanation"]["fields"]
    # Seeing a candidate's name is recorded like any view of an identity.
    assert AuditEntry.objects.filter(action="import.review.view", actor=users["analyst"]).exists()
    refused = client.post(
        f"/api/match-review/{queued.pk}",
        {"decision": "accept"},
        content_type="application/json",
        **analyst,
    )
    assert refused.status_code == 403 and refused["Content-Type"] == PROBLEM
    done = client.post(
        f"/api/match-review/{queued.pk}",
        {"decision": "choose", "person": registry["yoany"].handle},
        content_type="application/json",
        **verifier,
    )
    assert done.status_code == 200, done.content
    assert done.json()["decision"] == "chosen" and done.json()["person"] == registry["yoany"].handle
    again = client.post(
        f"/api/match-review/{queued.pk}",
        {"decision": "reject"},
        content_type="application/json",
        **verifier,
    )
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "decision"
    run = client.get(f"/api/imports/{queued.run_id}", **analyst).json()
    assert run["queued"] == 1 and run["digest"]


def test_api_refusals_are_problems(queued: ImportRow, users: dict[str, User]) -> None:
    client = Client()
    assert client.get("/api/match-review").status_code == 401
    legislator = bearer(users["legislator"], "read")
    assert client.get("/api/match-review", **legislator).status_code == 403
    assert client.get(f"/api/match-review/{queued.pk}", **legislator).status_code == 404
    verifier = bearer(users["verifier"])
    missing = client.get("/api/match-review/999999", **verifier)
    assert missing.status_code == 404 and missing["Content-Type"] == PROBLEM
    bad = client.post(
        f"/api/match-review/{queued.pk}",
        {"decision": "choose"},
        content_type="application/json",
        **verifier,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "person"
    nonsense = client.post(
        f"/api/match-review/{queued.pk}",
        {"decision": "maybe"},
        content_type="application/json",
        **verifier,
    )
    assert nonsense.status_code == 422
    read_only = bearer(users["verifier"], "read")
    assert (
        client.post(
            f"/api/match-review/{queued.pk}",
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
    url = "/api/match-review?limit=2"
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
    for name in ("accept", "reject", "choose", "accept-above"):
        assert "--as" not in sub.choices[name]._option_string_actions  # type: ignore[attr-defined]
    assert "--as" in sub.choices["list"]._option_string_actions  # type: ignore[attr-defined]


# --- In bulk ---------------------------------------------------------------------------------


@pytest.fixture
def batch(world: World, registry: dict[str, Person]) -> ImportRun:
    """Rows 2-7 of one import: probabilities 0.99 down to 0.3, several reasons."""
    run = make_run(world.actor, world.sources["ngo"], world.agreement, name="batch.csv")
    jose, maria, yoany = registry["jose"], registry["maria"], registry["yoany"]
    queue_row(run, 2, [(jose, 0.99), (maria, 0.2)], given_names="José")
    queue_row(run, 3, [(maria, 0.95)], reason="names_only", given_names="María")
    queue_row(run, 4, [(yoany, 0.9)], given_names="Yoani")
    queue_row(run, 5, [(jose, 0.97)], reason="given_names", given_names="Juan")
    queue_row(run, 6, [(maria, 0.98)], reason="sex", sex="M")
    queue_row(run, 7, [(yoany, 0.3)], given_names="Yoan")
    return run


def numbers(rows: Any) -> list[int]:
    return sorted(r.number for r in rows)


def test_bulk_accepts_exactly_the_rows_at_or_above_and_records_each(
    batch: ImportRun, users: dict[str, User], registry: dict[str, Person], world: World
) -> None:
    verifier = users["verifier"]
    assert numbers(bulk_rows(verifier, run=batch, above=0.9)) == [2, 3, 4]
    before = AuditEntry.objects.count()
    done = match_review_accept_bulk(
        actor=verifier, run=batch, above=0.9, expected=3, note="checked"
    )
    assert numbers(done) == [2, 3, 4]
    rows = {r.number: r for r in batch.row_set.all()}
    assert {n for n, r in rows.items() if r.decision} == {2, 3, 4}
    assert all(rows[n].decision == Decision.ACCEPTED for n in (2, 3, 4))
    assert (rows[2].person, rows[3].person, rows[4].person) == (
        registry["jose"],
        registry["maria"],
        registry["yoany"],
    )
    for n in (2, 3, 4):  # the claim, as a single acceptance records it
        claim = Claim.objects.get(pk=rows[n].claim_id)
        assert (claim.person, claim.source, claim.status) == (
            rows[n].person,
            world.sources["ngo"],
            "detained",
        )
        assert claim.agreement == world.agreement
        assert Membership.objects.filter(agreement=world.agreement, person=claim.person).exists()
    # One entry for the batch, then one per row with its evidence, pointing to the batch.
    head = AuditEntry.objects.get(action="import.review.bulk")
    assert head.payload["rows"] == [rows[n].pk for n in (2, 3, 4)]
    assert head.payload["above"] == 0.9 and head.payload["count"] == 3
    assert head.payload["excluded_reasons"] == [
        "given_names",
        "sex",
        "birth_date",
        "place",
        "taken",
        "close_runner_up",
    ]
    entries = AuditEntry.objects.filter(action="import.review").order_by("position")
    assert [e.payload["row"] for e in entries] == [2, 3, 4]
    assert all(e.position > head.position for e in entries)
    assert all(e.payload["bulk"] == head.position for e in entries)
    assert all(e.payload["candidates"][0]["explanation"]["fields"] for e in entries)
    assert all(e.payload["note"] == "checked" for e in entries)
    assert AuditEntry.objects.count() > before + 3
    assert verify().ok


def test_bulk_leaves_the_careful_reasons_unless_named(
    batch: ImportRun, users: dict[str, User]
) -> None:
    verifier = users["verifier"]
    assert numbers(bulk_rows(verifier, run=batch, above=0.95)) == [2, 3]
    assert numbers(bulk_rows(verifier, run=batch, above=0.95, reason="given_names")) == [5]
    assert numbers(bulk_rows(verifier, run=batch, above=0.95, reason="sex")) == [6]
    done = match_review_accept_bulk(actor=verifier, run=batch, above=0.95, reason="sex", expected=1)
    assert numbers(done) == [6]
    # Two candidates as likely as each other: a person chooses, never a bulk acceptance.
    batch.row_set.filter(number=3).update(reason="close_runner_up")
    assert numbers(bulk_rows(verifier, run=batch, above=0.95)) == [2]
    assert numbers(bulk_rows(verifier, run=batch, above=0.9, reason="close_runner_up")) == [3]


def test_bulk_refuses_when_the_count_changed(
    batch: ImportRun, users: dict[str, User], world: World
) -> None:
    verifier = users["verifier"]
    shown = bulk_rows(verifier, run=batch, above=0.9).count()
    match_review_accept(actor=world.actor, row=batch.row_set.get(number=3))  # meanwhile
    entries, claims = AuditEntry.objects.count(), Claim.objects.count()
    with pytest.raises(ValidationError) as refused:
        match_review_accept_bulk(actor=verifier, run=batch, above=0.9, expected=shown)
    assert "expected" in refused.value.message_dict
    assert "2 match now, not 3" in str(refused.value)
    assert (AuditEntry.objects.count(), Claim.objects.count()) == (entries, claims)
    assert batch.row_set.filter(decision="").count() == 5


def test_bulk_is_all_or_nothing(batch: ImportRun, users: dict[str, User], world: World) -> None:
    # Row 3 says María was released before she was ever held: its claim is refused.
    row = batch.row_set.get(number=3)
    ImportRow.objects.filter(pk=row.pk).update(
        candidates=[{**row.candidates[0], "person": world.person(0).pk}],
        sealed=seal_data(
            row.source_id,
            row.row_hash,
            {**row.data, "status": "released", "event_date": "2010-01-01"},
        ),
    )
    claims = Claim.objects.count()
    with pytest.raises(ValidationError, match="Row 3 could not be accepted"):
        match_review_accept_bulk(actor=users["verifier"], run=batch, above=0.9, expected=3)
    assert Claim.objects.count() == claims
    assert not batch.row_set.exclude(decision="").exists()
    assert not AuditEntry.objects.filter(action__startswith="import.review").exists()


def test_bulk_is_for_verifiers_and_needs_a_likely_candidate(
    batch: ImportRun, users: dict[str, User]
) -> None:
    with pytest.raises(PermissionDenied):
        match_review_accept_bulk(actor=users["analyst"], run=batch, above=0.9, expected=3)
    with pytest.raises(PermissionDenied):
        match_review_accept_bulk(actor=users["legislator"], run=batch, above=0.9, expected=3)
    with pytest.raises(ValidationError, match=r"between 0\.5 and 1"):
        match_review_accept_bulk(actor=users["verifier"], run=batch, above=0.3, expected=6)
    with pytest.raises(ValidationError, match="Unknown reason"):
        match_review_accept_bulk(
            actor=users["verifier"], run=batch, above=0.9, reason="x", expected=0
        )
    with pytest.raises(ValidationError, match="nothing to accept"):
        match_review_accept_bulk(actor=users["verifier"], run=batch, above=1.0, expected=0)
    assert not batch.row_set.exclude(decision="").exists()


def test_the_fields_agreement_in_four_steps() -> None:
    assert field_agreement("given_name", "nickname") == "agree"
    assert field_agreement("surnames", "both_swapped") == "agree"
    assert field_agreement("surnames", "one_other_differs") == "partly"
    assert field_agreement("birth_date", "to_year") == "partly"
    assert field_agreement("place", "province") == "partly"
    assert field_agreement("sex", "different") == "differ"
    assert field_agreement("place", "else") == "differ"
    assert field_agreement("birth_date", "missing") == "missing"
    assert field_agreement("name_order", "swapped") == "partly"


def test_api_bulk_accepts_what_was_counted(
    batch: ImportRun, users: dict[str, User], registry: dict[str, Person]
) -> None:
    client = Client()
    analyst, verifier = bearer(users["analyst"]), bearer(users["verifier"])
    listed = client.get(f"/api/match-review?run={batch.pk}&above=0.9", **analyst).json()["items"]
    assert sorted(i["row"] for i in listed) == [2, 3, 4, 5, 6]
    assert {i["row"]: i["reason"] for i in listed}[5] == "given_names"
    grey = client.get(f"/api/match-review?run={batch.pk}&reason=grey_zone&below=0.95", **analyst)
    assert sorted(i["row"] for i in grey.json()["items"]) == [4, 7]

    def post(body: dict[str, Any], auth: dict[str, str]) -> Any:
        return client.post("/api/match-review/bulk", body, content_type="application/json", **auth)

    counted = post({"run": batch.pk, "above": 0.9, "dry_run": True}, verifier)
    rows = {r.number: r.pk for r in batch.row_set.all()}
    assert counted.status_code == 200, counted.content
    assert counted.json() == {
        "run": batch.pk,
        "count": 3,
        "accepted": 0,
        "rows": [rows[2], rows[3], rows[4]],
    }
    unsaid = post({"run": batch.pk, "above": 0.9}, verifier)
    assert unsaid.status_code == 422 and unsaid.json()["errors"][0]["field"] == "expected"
    body = {"run": batch.pk, "above": 0.9, "expected": 3, "note": "by phone"}
    assert post({**body, "dry_run": True}, analyst).status_code == 403
    refused = post(body, analyst)
    assert refused.status_code == 403 and refused["Content-Type"] == PROBLEM
    changed = post({**body, "expected": 4}, verifier)
    assert changed.status_code == 422 and changed.json()["errors"][0]["field"] == "expected"
    too_low = post({**body, "above": 0.2}, verifier)
    assert too_low.status_code == 422
    missing = post({**body, "run": 999999}, verifier)
    assert missing.status_code == 404 and missing["Content-Type"] == PROBLEM
    assert not batch.row_set.exclude(decision="").exists()
    done = post(body, verifier)
    assert done.status_code == 200, done.content
    assert done.json() == {
        "run": batch.pk,
        "count": 3,
        "accepted": 3,
        "rows": [rows[2], rows[3], rows[4]],
    }
    again = post({**body, "expected": 0}, verifier)
    assert again.status_code == 422  # nothing left to accept
    named = post({**body, "reason": "given_names", "expected": 1}, verifier)
    assert named.status_code == 200 and named.json()["accepted"] == 1


def test_api_reason_codes_are_the_models() -> None:
    from typing import get_args

    from detente.api.routes.imports import ReasonCode
    from detente.reconcile.models import Reason

    assert set(get_args(ReasonCode)) == set(Reason.values)


def test_cli_accept_above_shows_the_count_and_needs_yes(
    batch: ImportRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(CommandError, match="give --yes"):
        run("accept-above", "0.9", "--run", str(batch.pk))
    assert not batch.row_set.exclude(decision="").exists()
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    shown = run("accept-above", "0.9", "--run", str(batch.pk))
    assert "3 waiting rows of import" in shown and "Nothing accepted." in shown
    assert "row 2" in shown and "José Gómez" in shown
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    assert "3 rows accepted." in run("accept-above", "0.9", "--run", str(batch.pk))
    out = run("accept-above", "0.95", "--run", str(batch.pk), "--reason", "sex", "--yes")
    assert "1 waiting rows" in out and "1 rows accepted." in out
    assert numbers(batch.row_set.exclude(decision="")) == [2, 3, 4, 6]
    assert "0 waiting rows" in run("accept-above", "0.9", "--run", str(batch.pk), "--yes")
    with pytest.raises(CommandError, match=r"between 0\.5 and 1"):
        run("accept-above", "0.2", "--run", str(batch.pk), "--yes")
    with pytest.raises(CommandError, match="no import"):
        run("accept-above", "0.9", "--run", "999999", "--yes")
    listing = json.loads(run("list", "--json", "--run", str(batch.pk), "--reason", "given_names"))
    assert [i["row"] for i in listing] == [5] and listing[0]["reason"] == "given_names"
