"""Downloads of the staff queues and of a person's claims — the verification queue, the
import review queue — as CSV, Excel and JSON (issue 14, point 3): the rows the page shows
its viewer with the page's filters, every page; formula-safe; names and sources as the
page shows them; each download one ledger entry; refused to those the page refuses."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook
from tests.reconcile.match_review_kit import make_run, queue_row
from tests.support import World, at, make_user, set_identity

from detente.access.policy import Role
from detente.audit.models import AuditEntry
from detente.evidence.models import Source
from detente.evidence.services import claim_record
from detente.registry.status import CustodyStatus


def _client(role: str) -> Client:
    client = Client()
    client.force_login(make_user(f"dl-{role}", role))
    return client


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content[:300]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _sheet(response: Any) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(response.content))
    return [[c.value for c in row] for row in book.active.iter_rows()]


def _entry(action: str) -> dict[str, Any]:
    entry = AuditEntry.objects.filter(action=action).latest("position")
    data = json.loads(entry.data) if isinstance(entry.data, str) else entry.data
    return {"actor": entry.actor_label, "kind": entry.kind, **data}


def _claim_id(world: World, i: int) -> int:
    from detente.evidence.models import Claim

    return Claim.objects.filter(person=world.person(i)).latest("id").pk


def _report(world: World, i: int, source: str = "gov", day: str = "2020-02-01") -> None:
    claim_record(
        actor=world.actor,
        source=world.sources[source],
        person=world.person(i),
        agreement=world.agreement,
        status=CustodyStatus.PARDONED,
        event_date=dt.date.fromisoformat(day),
        received_at=at(day),
        evidence_text="Communiqué.",
    )


# --- The verification queue ------------------------------------------------------------


@pytest.fixture
def queued(world: World) -> World:
    """Two members reported released; the second by a protected source."""
    _report(world, 0)
    Source.objects.filter(pk=world.sources["gov_press"].pk).update(protected=True)
    _report(world, 1, "gov_press", "2020-02-03")
    set_identity(world.person(0), given_names="=HYPERLINK(1)")
    return world


def test_the_verification_queue_as_the_page_shows_it(queued: World) -> None:
    world = queued
    analyst = _client(Role.ANALYST)
    page = analyst.get("/staff/verification/").content.decode()
    assert 'href="/staff/verification/export.csv"' in page and ">Excel<" in page
    rows = _csv(analyst.get("/staff/verification/export.csv"))
    assert [r["handle"] for r in rows] == [world.person(0).handle, world.person(1).handle]
    assert rows[0]["name"].startswith("'=HYPERLINK")  # text in a spreadsheet, never run
    assert rows[0]["state"] == "reported" and rows[0]["status"] == "pardoned"
    assert "gov (C): pardoned, 2020-02-01" in rows[0]["reported_by"]
    # A protected source is masked to an analyst, as on the page.
    assert rows[1]["reported_by"].startswith(f"#{_claim_id(world, 1)} protected (B): ")
    assert "gov_press" not in rows[1]["reported_by"]
    entry = _entry("queue.export")
    assert entry["format"] == "csv" and entry["rows"] == 2 and entry["kind"] == "access"
    assert entry["people"] == sorted([world.person(0).handle, world.person(1).handle])
    # A verifier (who manages sources) reads its name; JSON keeps the value as typed.
    data = _client(Role.VERIFIER).get("/staff/verification/export.json").json()
    assert data[1]["reported_by"][0]["source"] == "gov_press"
    assert data[0]["name"].startswith("=HYPERLINK")
    sheet = _sheet(analyst.get("/staff/verification/export.xlsx"))
    assert sheet[0][:3] == ["agreement", "handle", "name"]
    assert str(sheet[1][2]).startswith("'=HYPERLINK")


def test_the_queue_download_keeps_the_pages_filters(queued: World) -> None:
    world = queued
    analyst = _client(Role.ANALYST)
    page = analyst.get("/staff/verification/?agreement=deal&state=reported&page=1").content.decode()
    assert "/staff/verification/export.csv?agreement=deal&amp;state=reported" in page
    assert _csv(analyst.get("/staff/verification/export.csv?state=disputed")) == []
    assert _entry("queue.export")["filters"] == {"state": "disputed"}
    assert _entry("queue.export")["rows"] == 0  # an empty file is still recorded
    rows = _csv(analyst.get("/staff/verification/export.csv?agreement=deal&state=reported"))
    assert len(rows) == 2 and {r["agreement"] for r in rows} == {world.agreement.slug}
    assert analyst.get("/staff/verification/export.csv?state=held").status_code == 400
    assert analyst.get("/staff/verification/export.pdf").status_code == 404


def test_the_queue_download_is_refused_outside_staff(queued: World) -> None:
    before = AuditEntry.objects.count()
    assert _client(Role.LEGISLATURE).get("/staff/verification/export.csv").status_code == 403
    assert Client().get("/staff/verification/export.csv").status_code == 302  # to the login
    assert AuditEntry.objects.count() == before


# --- The match review queue -----------------------------------------------------------


@pytest.fixture
def rows(world: World) -> Any:
    run = make_run(world.actor, world.sources["ngo"], world.agreement)
    other = make_run(world.actor, world.sources["ngo"], world.agreement, name="other.csv")
    first = queue_row(
        run,
        1,
        [(world.person(0), 0.9), (world.person(1), 0.4)],
        given_names="=cmd|' /C calc'!A0",
        paternal="Pérez",
        birth_date="1980-02-03",
        aliases=["Yoyi"],
        evidence="@SUM(1)",
    )
    second = queue_row(run, 2, [(world.person(2), 0.6)], reason="birth_date")
    third = queue_row(other, 1, [(world.person(1), 0.7)])
    return run, other, first, second, third


def test_the_review_queue_with_the_lists_values_and_the_candidates(world: World, rows: Any) -> None:
    run, _other, first, second, third = rows
    analyst = _client(Role.ANALYST)
    page = analyst.get(f"/staff/matches/?run={run.pk}").content.decode()
    assert f'href="/staff/matches/export.csv?run={run.pk}"' in page
    found = _csv(analyst.get(f"/staff/matches/export.csv?run={run.pk}"))
    assert [r["row_id"] for r in found] == [str(first.pk), str(second.pk)]
    assert found[0]["given_names"].startswith("'=cmd")  # formula-safe
    assert found[0]["evidence"] == "'@SUM(1)"
    assert (found[0]["birth_date"], found[0]["aliases"]) == ("1980-02-03", "Yoyi")
    assert found[0]["candidates"] == (
        f"{world.person(0).handle} (0.90) Yoandri 0 Pérez; "
        f"{world.person(1).handle} (0.40) Yoandri 1 Pérez"
    )
    entry = _entry("import.review.export")
    assert entry["filters"] == {"run": run.pk} and entry["rows"] == 2
    assert entry["people"] == sorted(p.handle for p in world.people)
    data = analyst.get(f"/staff/matches/export.json?run={run.pk}&reason=birth_date").json()
    assert [r["row_id"] for r in data] == [second.pk]
    assert data[0]["candidates"] == [
        {"handle": world.person(2).handle, "name": "Yoandri 2 Pérez", "probability": 0.6}
    ]
    everything = analyst.get("/staff/matches/export.json?above=0.65").json()
    assert [r["row_id"] for r in everything] == [first.pk, third.pk]
    sheet = _sheet(analyst.get("/staff/matches/export.xlsx"))
    assert sheet[0][0] == "row_id" and len(sheet) == 4
    assert str(sheet[1][4]).startswith("'=cmd")
    assert analyst.get("/staff/matches/export.csv?above=2").status_code == 400
    assert analyst.get("/staff/matches/export.txt").status_code == 404


def test_the_review_queue_download_is_refused_outside_staff(rows: Any) -> None:
    before = AuditEntry.objects.count()
    assert _client(Role.LEGISLATURE).get("/staff/matches/export.csv").status_code == 403
    assert AuditEntry.objects.count() == before


# --- A person's claims -----------------------------------------------------------------


@pytest.fixture
def claims(world: World) -> World:
    """Three claims about the third person: one from a protected source with a link, one
    retracted (left out of the status), and the retraction."""
    from detente.evidence.models import Claim, ClaimKind

    Source.objects.filter(pk=world.sources["family"].pk).update(protected=True)
    person = world.person(2)
    claim_record(
        actor=world.actor,
        source=world.sources["family"],
        person=person,
        status=CustodyStatus.DETAINED,
        event_date=dt.date(2020, 3, 1),
        received_at=at("2020-03-02"),
        evidence_text="=1+1",
        evidence_url="https://example.org/family-post",
    )
    wrong = claim_record(
        actor=world.actor,
        source=world.sources["ngo"],
        person=person,
        agreement=world.agreement,
        status=CustodyStatus.PARDONED,
        event_date=dt.date(2020, 3, 5),
        received_at=at("2020-03-06"),
    )
    claim_record(
        actor=world.actor,
        source=world.sources["ngo"],
        kind=ClaimKind.RETRACTION,
        person=person,
        corrects=wrong,
        received_at=at("2020-03-07"),
        evidence_text="We were wrong.",
    )
    assert Claim.objects.filter(person=person).count() == 3
    return world


def test_a_persons_claims_as_the_page_lists_them(claims: World) -> None:
    world = claims
    handle = world.person(2).handle
    analyst = _client(Role.ANALYST)
    page = analyst.get(f"/staff/people/{handle}/").content.decode()
    assert f'href="/staff/people/{handle}/claims.csv"' in page
    rows = _csv(analyst.get(f"/staff/people/{handle}/claims.csv"))
    assert [r["kind"] for r in rows] == ["status", "status", "retraction"]
    family, wrong, retraction = rows
    # A protected source is masked to an analyst, and its link (which could name who gave
    # it) left out; the evidence is text, never a formula.
    assert (family["source"], family["evidence_url"]) == ("protected", "")
    assert family["evidence"] == "'=1+1"
    assert wrong["source"] == "ngo" and wrong["agreement"] == world.agreement.slug
    assert (wrong["left_out"], family["left_out"]) == ("yes", "no")
    assert retraction["corrects"] == wrong["id"]
    entry = _entry("person.claims.export")
    assert entry["people"] == [handle] and entry["rows"] == 3 and entry["format"] == "csv"
    # A verifier manages sources: the name and the link, as on their page.
    data = _client(Role.VERIFIER).get(f"/staff/people/{handle}/claims.json").json()
    assert data[0]["source"] == "family"
    assert data[0]["evidence_url"] == "https://example.org/family-post"
    sheet = _sheet(analyst.get(f"/staff/people/{handle}/claims.xlsx"))
    assert sheet[0][0] == "id" and len(sheet) == 4


def test_a_persons_claims_download_refuses_outsiders_and_missing_people(claims: World) -> None:
    handle = claims.person(2).handle
    analyst = _client(Role.ANALYST)
    assert analyst.get("/staff/people/P-999999/claims.csv").status_code == 404
    assert analyst.get(f"/staff/people/{handle}/claims.pdf").status_code == 404
    before = AuditEntry.objects.count()
    assert _client(Role.LEGISLATURE).get(f"/staff/people/{handle}/claims.csv").status_code == 403
    assert AuditEntry.objects.count() == before


# --- The same files through the API and the command line -------------------------------


def _bearer(role: str) -> dict[str, str]:
    from detente.api.services import token_create

    user = make_user(f"api-{role}", role)
    _, secret = token_create(actor=user, user=user, name="dl", scope="read")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_the_api_gives_the_pages_files(queued: World, rows: Any, claims: World) -> None:
    world = queued
    run = rows[0]
    api, page = Client(), _client(Role.ANALYST)
    auth = _bearer(Role.ANALYST)
    handle = world.person(2).handle
    pairs = (
        (
            "/api/verification/export?state=reported",
            "/staff/verification/export.{fmt}?state=reported",
        ),
        (f"/api/match-review/export?run={run.pk}", f"/staff/matches/export.{{fmt}}?run={run.pk}"),
        (f"/api/people/{handle}/claims/export", f"/staff/people/{handle}/claims.{{fmt}}"),
    )
    for api_url, page_url in pairs:
        got = api.get(api_url, **auth)  # CSV unless asked
        assert got["Content-Type"].startswith("text/csv"), api_url
        assert _csv(got) == _csv(page.get(page_url.format(fmt="csv"))), api_url
        as_json = api.get(api_url + ("&" if "?" in api_url else "?") + "format=json", **auth)
        assert as_json.json() == page.get(page_url.format(fmt="json")).json(), api_url
    api.get(pairs[2][0] + "?format=xlsx", **auth)
    assert (_entry("person.claims.export")["actor"], _entry("person.claims.export")["format"]) == (
        "api-analyst",
        "xlsx",
    )
    legislature = _bearer(Role.LEGISLATURE)
    before = AuditEntry.objects.count()
    for url in (
        "/api/verification/export",
        "/api/match-review/export",
        f"/api/people/{handle}/claims/export",
    ):
        assert api.get(url, **legislature).status_code == 403, url
    assert AuditEntry.objects.count() == before
    assert api.get("/api/verification/export?format=pdf", **auth).status_code == 422
    assert api.get("/api/verification/export?agreement=no-such", **auth).status_code == 422
    assert api.get("/api/match-review/export?run=999999", **auth).status_code == 404
    assert api.get("/api/people/P-999999/claims/export", **auth).status_code == 404


def _run(*args: str) -> str:
    from django.core.management import call_command

    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_command_line_writes_the_pages_files(
    queued: World, rows: Any, claims: World, tmp_path: Any
) -> None:
    from django.core.management import CommandError

    world = queued
    make_user("cli-analyst", Role.ANALYST)
    make_user("cli-lawmaker", Role.LEGISLATURE)
    page = _client(Role.ANALYST)
    handle = world.person(2).handle
    cases = (
        (("queue", "list"), "/staff/verification/export.{fmt}", "queue.export"),
        (("review", "list"), "/staff/matches/export.{fmt}", "import.review.export"),
        (("person", "claims", handle), f"/staff/people/{handle}/claims.{{fmt}}", None),
    )
    for args, url, action in cases:
        target = tmp_path / f"{args[0]}.xlsx"
        said = _run(*args, "--output", str(target), "--as", "cli-analyst")
        assert str(target) in said
        entry = _entry(action or "person.claims.export")
        assert (entry["actor"], entry["as"], entry["format"]) == (
            "detente-cli",
            "cli-analyst",
            "xlsx",
        )
        written = type("Written", (), {"content": target.read_bytes()})
        assert _sheet(written) == _sheet(page.get(url.format(fmt="xlsx"))), args
        with pytest.raises(CommandError, match="not allowed"):
            _run(*args, "--json", "--as", "cli-lawmaker")
    # Printed, the queue is the same rows; the file's format follows --format or the name.
    printed = json.loads(_run("queue", "list", "--json", "--as", "cli-analyst"))
    assert printed == page.get("/staff/verification/export.json").json()
    assert _entry("queue.view")["format"] == "json"
    assert world.person(1).handle in _run("queue", "list")
    target = tmp_path / "claims.txt"
    with pytest.raises(CommandError, match="--format"):
        _run("person", "claims", handle, "--output", str(target))
    _run("person", "claims", handle, "--output", str(target), "--format", "json")
    assert [c["kind"] for c in json.loads(target.read_text())] == ["status", "status", "retraction"]


# --- Issue 14, point 7: what a reviewer reads, in their language ------------------------


def test_a_masked_source_on_the_queue_is_named_in_the_readers_language(queued: World) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    client.force_login(make_user("es-analyst", Role.ANALYST))
    page = client.get("/staff/verification/").content.decode()
    assert "fuente protegida (" in page and "protected source" not in page
