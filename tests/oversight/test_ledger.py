"""The ledger page: entries newest first by keyset paging, filters, and "Verify the
ledger" naming the first bad entry of a forged ledger."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from tests.oversight.kit import page
from tests.support import TABLE, World, sql, triggers_off

from detente.audit import ledger
from detente.audit.models import AuditEntry
from detente.registry.services import person_create


@pytest.fixture
def head(world: World) -> int:
    for i in range(4):
        person_create(actor=world.actor, given_names=f"Yusnier {i}", paternal_surname="Lazo")
    result = ledger.verify()
    assert result.ok
    return result.head_position


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("detente.oversight.views.ledger.PAGE_SIZE", 3)
    return 3


def positions(response: Any) -> list[int]:
    return [row.position for row in response.context["page"].rows]


def test_entries_newest_first_page_by_page(
    head: int, small_pages: int, login: Callable[..., Client]
) -> None:
    client = login("verifier")
    first = client.get("/staff/ledger/")
    assert first.status_code == 200
    assert positions(first) == [head, head - 1, head - 2]
    assert f"The ledger holds {head} entries." in page(first)
    assert first.context["page"].newer is None
    older = first.context["page"].older
    assert f"?before={older}" in page(first)

    second = client.get(f"/staff/ledger/?before={older}")
    assert positions(second) == [head - 3, head - 4, head - 5]
    newer = second.context["page"].newer
    assert newer == head - 3
    back = client.get(f"/staff/ledger/?after={newer}")
    assert positions(back) == positions(first)

    # Walking to the oldest entry visits each exactly once.
    seen, url = [], "/staff/ledger/"
    while True:
        response = client.get(url)
        seen += positions(response)
        if response.context["page"].older is None:
            break
        url = f"/staff/ledger/?before={response.context['page'].older}"
    assert seen == list(range(head, 0, -1))


def test_a_page_costs_no_count_of_the_table(head: int, login: Callable[..., Client]) -> None:
    client = login("verifier")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/staff/ledger/?before=5&action=person.").status_code == 200
    ledger_queries = [q["sql"] for q in queries.captured_queries if TABLE in q["sql"]]
    assert ledger_queries
    assert not any("COUNT(" in q.upper() for q in ledger_queries)
    assert all("LIMIT" in q.upper() for q in ledger_queries)


def test_filter_by_action_and_actor(
    head: int, world: World, login: Callable[..., Client], small_pages: int
) -> None:
    client = login("verifier")
    response = client.get("/staff/ledger/?action=person.create")
    rows = response.context["page"].rows
    assert rows and {r.action for r in rows} == {"person.create"}
    assert "action=person.create&amp;before=" in page(response)  # paging keeps the filter
    assert not client.get("/staff/ledger/?actor=nobody").context["page"].rows
    by_operator = client.get(f"/staff/ledger/?actor={world.actor.username}")
    assert {r.actor for r in by_operator.context["page"].rows} == {world.actor.username}


def test_a_bad_page_address_is_a_clear_error(head: int, login: Callable[..., Client]) -> None:
    response = login("verifier").get("/staff/ledger/?before=abc")
    assert response.status_code == 400
    assert "That page address is not valid" in page(response)
    assert positions(response)[0] == head


def test_verify_reports_an_intact_ledger(head: int, login: Callable[..., Client]) -> None:
    response = login("administrator").post("/staff/ledger/verify/")
    assert response.status_code == 200
    html = page(response)
    assert "The ledger is intact." in html
    assert f"{head} entries checked" in html


def test_verify_names_a_forged_entry(head: int, login: Callable[..., Client]) -> None:
    with triggers_off():
        sql(f"UPDATE {TABLE} SET data = %s WHERE position = 4", ['{"forged":true}'])
    response = login("verifier").post("/staff/ledger/verify/")
    html = page(response)
    assert "Verification FAILED at entry 4." in html
    assert "its content does not match its hash" in html
    assert "The 3 entries before it hold." in html
    assert "/staff/ledger/?after=3" in html


def test_verify_names_an_inserted_entry(head: int, login: Callable[..., Client]) -> None:
    entry = AuditEntry.objects.get(position=head)
    forged = ledger.entry_hash(
        entry.hash, entry.at, "", "intruder", "change", "person.create", "x", "1", "", "{}"
    )
    with triggers_off():
        sql(
            f"INSERT INTO {TABLE} (position, at, actor_label, kind, action, object_type, "
            "object_id, request_id, data, prev_hash, hash) VALUES "
            "(%s, %s, 'intruder', 'change', 'person.create', 'x', '1', '', '{}', %s, %s)",
            [head + 2, entry.at, entry.hash, forged],
        )
    html = page(login("verifier").post("/staff/ledger/verify/"))
    assert f"Verification FAILED at entry {head + 1}." in html
    assert "is missing" in html


def test_verify_answers_htmx_with_the_result_alone(head: int, login: Callable[..., Client]) -> None:
    response = login("verifier").post("/staff/ledger/verify/", HTTP_HX_REQUEST="true")
    html = page(response)
    assert html.lstrip().startswith('<div id="verify-result"')
    assert "The ledger is intact." in html and "<html" not in html


def test_checkpoints_are_listed_and_checked(
    head: int, login: Callable[..., Client], settings: Any, tmp_path: Path, world: World
) -> None:
    settings.DATA_DIR = tmp_path
    call_command("audit", "keygen", stdout=io.StringIO())
    call_command("audit", "checkpoint", stdout=io.StringIO())
    person_create(actor=world.actor, given_names="Later", paternal_surname="Entry")
    client = login("verifier")

    listing = client.get("/staff/ledger/")
    [row] = listing.context["checkpoints"].rows
    assert (row.size, row.problem) == (head, "")
    assert "Valid" in page(listing)

    html = page(client.post("/staff/ledger/verify/"))
    assert "consistent with 1 signed checkpoint(s)" in html
    assert "1 entry comes after the last signed checkpoint" in html


def test_a_rechained_ledger_is_caught_by_its_checkpoint(
    head: int, login: Callable[..., Client], settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    call_command("audit", "keygen", stdout=io.StringIO())
    call_command("audit", "checkpoint", stdout=io.StringIO())
    rows = list(AuditEntry.objects.order_by("position"))
    prev = ledger.GENESIS
    with triggers_off():  # change entry 2 and recompute every hash after it
        for r in rows:
            data = '{"forged":true}' if r.position == 2 else r.data
            digest = ledger.entry_hash(
                prev,
                r.at,
                str(r.actor_id or ""),
                r.actor_label,
                r.kind,
                r.action,
                r.object_type,
                r.object_id,
                r.request_id,
                data,
            )
            sql(
                f"UPDATE {TABLE} SET data = %s, prev_hash = %s, hash = %s WHERE position = %s",
                [data, prev, digest, r.position],
            )
            prev = digest
    html = page(login("verifier").post("/staff/ledger/verify/"))
    assert f"Verification FAILED at entry {head}." in html
    assert "differs from a signed checkpoint" in html


def test_a_checkpoint_that_does_not_verify_is_shown_as_unusable(
    head: int, login: Callable[..., Client], settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    call_command("audit", "keygen", stdout=io.StringIO())
    call_command("audit", "checkpoint", stdout=io.StringIO())
    (path,) = (tmp_path / "checkpoints").glob("*.txt")
    path.write_text(path.read_text().replace(str(head), str(head + 1), 1))
    listing = login("verifier").get("/staff/ledger/")
    [row] = listing.context["checkpoints"].rows
    assert "signature" in row.problem
    assert "Not usable:" in page(listing)


@pytest.mark.parametrize("role", ["analyst", "legislature", "public"])
def test_only_verifiers_and_administrators_see_the_ledger(
    head: int, login: Callable[..., Client], role: str
) -> None:
    client = login(role)
    assert client.get("/staff/ledger/").status_code == 403
    assert client.post("/staff/ledger/verify/").status_code == 403


def test_the_verify_button_needs_a_post(head: int, login: Callable[..., Client]) -> None:
    assert login("verifier").get("/staff/ledger/verify/").status_code == 405


def test_the_entries_as_filtered_download_and_the_download_is_an_entry(
    head: int, login: Callable[..., Client]
) -> None:
    import csv
    import json

    client = login("verifier")
    people = AuditEntry.objects.filter(action__startswith="person.").count()
    assert people >= 4
    listed = client.get("/staff/ledger/?action=person.")
    assert "/staff/ledger/export.csv?action=person." in page(listed)
    answer = client.get("/staff/ledger/export.csv?action=person.")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode().removeprefix("\ufeff"))))
    assert len(rows) == people and {r["action"] for r in rows} == {"person.create"}
    assert [int(r["position"]) for r in rows] == sorted(
        (int(r["position"]) for r in rows), reverse=True
    )
    # The download is recorded: who, which filter, how many entries, in what form.
    entry = AuditEntry.objects.order_by("-position").first()
    assert entry is not None and entry.action == "ledger.export"
    assert entry.actor_label == client.user.username  # type: ignore[attr-defined]
    assert json.loads(entry.data) == {
        "format": "csv",
        "filters": {"action": "person."},
        "entries": people,
    }
    assert ledger.verify().ok
    every = json.loads(client.get("/staff/ledger/export.json").content)
    assert len(every) == head + 1  # all entries, the first download's own included
    assert client.get("/staff/ledger/export.xlsx").content[:2] == b"PK"
    assert client.get("/staff/ledger/export.exe").status_code == 404
    assert client.get("/staff/ledger/export.csv?before=zero").status_code == 400


def test_only_those_who_may_read_the_ledger_may_download_it(
    head: int, login: Callable[..., Client]
) -> None:
    before = AuditEntry.objects.count()
    assert login("analyst").get("/staff/ledger/export.csv").status_code == 403
    assert Client().get("/staff/ledger/export.csv").status_code == 302  # to the login page
    assert AuditEntry.objects.count() == before
