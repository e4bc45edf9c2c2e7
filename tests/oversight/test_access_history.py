"""Who has seen whom (issue 16, point 5): a person's access history and an account's, for
administrators only, read from the ledger's access entries and downloadable."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client
from tests.oversight.kit import page
from tests.support import World, make_user, sql

from detente.audit import ledger
from detente.audit.models import AuditEntry, PersonAccess
from detente.reconcile.services import person_merge
from detente.registry.services import person_create


def _history(response: Any) -> list[Any]:
    return list(response.context["page"].rows)


def test_a_view_by_an_analyst_shows_in_the_persons_and_the_accounts_history(
    world: World, login: Callable[..., Client]
) -> None:
    person, bystander = world.people[0], world.people[1]
    analyst = login("analyst", username="ana")
    assert analyst.get(f"/staff/people/{person.handle}/").status_code == 200
    admin = login("administrator")

    seen = admin.get(f"/staff/access/people/{person.handle}/")
    assert seen.status_code == 200
    rows = _history(seen)
    assert [(r.actor, r.action) for r in rows][:1] == [("ana", "person.view")]
    assert "ana" in page(seen) and "viewed a person" in page(seen)
    # The bystander was not on the analyst's page: nothing in their history is ana's.
    other = _history(admin.get(f"/staff/access/people/{bystander.handle}/"))
    assert all(r.actor != "ana" for r in other)

    account = admin.get(f"/staff/access/users/{analyst.user.pk}/")  # type: ignore[attr-defined]
    assert account.status_code == 200
    assert [r.people for r in _history(account)] == [[person.handle]]
    assert f"/staff/access/people/{person.handle}/" in page(account)


@pytest.mark.parametrize("role", ["analyst", "verifier", "public"])
def test_only_administrators_open_an_access_history(
    role: str, world: World, login: Callable[..., Client]
) -> None:
    client = login(role)
    handle = world.people[0].handle
    for url in (
        f"/staff/access/people/{handle}/",
        f"/staff/access/people/{handle}/export.csv",
        f"/staff/access/users/{world.actor.pk}/",
        f"/staff/access/users/{world.actor.pk}/export.json",
    ):
        assert client.get(url).status_code == 403, url
    assert "/staff/access/" not in page(client.get(f"/staff/people/{handle}/"))


def test_an_unknown_person_or_account_is_a_404(world: World, login: Callable[..., Client]) -> None:
    admin = login("administrator")
    assert admin.get("/staff/access/people/P-99999/").status_code == 404
    assert admin.get("/staff/access/users/999999/").status_code == 404
    assert admin.get(f"/staff/access/people/{world.people[0].handle}/export.pdf").status_code == 404


def test_a_download_holds_the_history_and_is_itself_recorded(
    world: World, login: Callable[..., Client]
) -> None:
    person = world.people[0]
    analyst = login("analyst", username="ana")
    for _ in range(3):
        analyst.get(f"/staff/people/{person.handle}/")
    admin = login("administrator", username="boss")
    response = admin.get(f"/staff/access/people/{person.handle}/export.csv")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    mine = [r for r in table if r["actor"] == "ana"]
    assert len(mine) == 3
    assert {r["action"] for r in mine} == {"person.view"}
    assert all(person.handle in r["people"].split() for r in table)
    last = AuditEntry.objects.order_by("-position").first()
    assert last is not None and last.action == "access.export"
    assert (last.actor_label, last.payload["person"]) == ("boss", person.handle)
    assert last.payload["entries"] == len(table)

    as_json = admin.get(f"/staff/access/users/{analyst.user.pk}/export.json")  # type: ignore[attr-defined]
    assert len(json.loads(as_json.content)) == 3


def test_a_records_history_follows_it_into_the_person_it_was_merged_into(
    world: World, login: Callable[..., Client]
) -> None:
    keep = world.people[0]
    gone = person_create(actor=world.actor, given_names="Yoandri 0", paternal_surname="Pérez")
    analyst = login("analyst", username="ana")
    analyst.get(f"/staff/people/{gone.handle}/")
    person_merge(actor=world.actor, survivor=keep, merged=gone, reason="the same man")
    response = login("administrator").get(f"/staff/access/people/{keep.handle}/")
    assert any(r.actor == "ana" and r.people == [gone.handle] for r in _history(response))
    assert gone.handle in page(response)


def test_pages_of_fifty_newest_first(world: World, login: Callable[..., Client]) -> None:
    handle = world.people[0].handle
    analyst = login("analyst")
    for _ in range(55):
        analyst.get(f"/staff/people/{handle}/")
    admin = login("administrator")
    first = _history(admin.get(f"/staff/access/people/{handle}/"))
    assert len(first) == 50
    assert [r.position for r in first] == sorted((r.position for r in first), reverse=True)
    older = admin.get(f"/staff/access/people/{handle}/?before={first[-1].position}")
    rest = _history(older)
    assert rest and max(r.position for r in rest) < first[-1].position
    everything = {r.position for r in first + rest}
    expected = set(PersonAccess.objects.filter(handle=handle).values_list("entry_id", flat=True))
    assert everything == expected


def test_the_index_is_append_only(world: World, login: Callable[..., Client]) -> None:
    login("analyst").get(f"/staff/people/{world.people[0].handle}/")
    row = PersonAccess.objects.first()
    assert row is not None
    for statement in (
        "DELETE FROM audit_personaccess",
        "UPDATE audit_personaccess SET handle = 'P'",
    ):
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            sql(statement)
    assert PersonAccess.objects.filter(pk=row.pk, handle=row.handle).exists()


def test_the_migration_fills_the_index_from_the_entries_already_written(
    world: World, login: Callable[..., Client]
) -> None:
    analyst = login("analyst")
    for p in world.people:
        analyst.get(f"/staff/people/{p.handle}/")
    analyst.get("/staff/people/?q=Yoandri")
    before = sorted(PersonAccess.objects.values_list("entry_id", "handle"))
    assert len(before) > len(world.people)
    # As before the index existed: entries, and no index rows.
    if connection.vendor == "postgresql":
        sql("SET LOCAL session_replication_role = replica")
    else:
        sql("DROP TRIGGER audit_access_no_delete")
    sql("DELETE FROM audit_personaccess")
    fill = __import__("detente.audit.migrations.0004_person_access_fill", fromlist=["fill"]).fill
    fill(django_apps, None)
    assert sorted(PersonAccess.objects.values_list("entry_id", "handle")) == before
    assert ledger.verify().ok


def _token(role: str, name: str) -> dict[str, str]:
    from detente.api.services import token_create

    user = make_user(name, role)
    _, secret = token_create(actor=user, user=user, name="t", scope="read")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_the_api_gives_both_histories_to_administrators_only(
    world: World, login: Callable[..., Client]
) -> None:
    handle = world.people[0].handle
    analyst = _token("analyst", "ana")
    Client().get(f"/api/people/{handle}", **analyst)  # a person read through a token
    admin = _token("administrator", "boss")
    first = Client().get(f"/api/people/{handle}/access?limit=1", **admin)
    assert first.status_code == 200, first.content
    body = first.json()
    assert [(r["actor"], r["action"], r["people"]) for r in body["items"]] == [
        ("ana", "person.view", [handle])
    ]
    account = Client().get("/api/users/ana/access", **admin).json()
    assert [r["people"] for r in account["items"]] == [[handle]]
    csv_file = Client().get("/api/users/ana/access/export?format=csv", **admin)
    assert csv_file.status_code == 200 and handle in csv_file.content.decode("utf-8-sig")
    for url in (f"/api/people/{handle}/access", "/api/users/ana/access"):
        assert Client().get(url, **_token("verifier", f"v-{len(url)}")).status_code == 403
    assert Client().get("/api/people/P-99999/access", **admin).status_code == 404
    assert Client().get("/api/users/nobody-here/access", **admin).status_code == 404


def test_the_command_line_prints_and_writes_a_history(
    world: World, login: Callable[..., Client], tmp_path: Any
) -> None:
    handle = world.people[0].handle
    login("analyst", username="ana").get(f"/staff/people/{handle}/")
    out = io.StringIO()
    call_command("audit", "access", "--person", handle, stdout=out)
    assert "ana" in out.getvalue() and "viewed a person" in out.getvalue()
    out = io.StringIO()
    call_command("audit", "access", "--user", "ana", "--json", stdout=out)
    assert [e["people"] for e in json.loads(out.getvalue())["entries"]] == [[handle]]
    target = tmp_path / "history.csv"
    call_command("audit", "access", "--person", handle, "--output", str(target), stdout=out)
    assert "ana" in target.read_text(encoding="utf-8-sig")
    last = AuditEntry.objects.order_by("-position").first()
    assert last is not None and last.action == "access.export"
    with pytest.raises(CommandError, match="no person"):
        call_command("audit", "access", "--person", "P-99999", stdout=out)
    with pytest.raises(CommandError, match="no account"):
        call_command("audit", "access", "--user", "nobody-here", stdout=out)
