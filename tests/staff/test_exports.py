"""Exports of the tables staff read — the People list and an agreement's members — as CSV,
Excel and JSON: the same rows as the page, formula-safe, recorded in the ledger (issue 14,
point 3)."""

from __future__ import annotations

import csv
import io
import json

from django.test import Client
from openpyxl import load_workbook
from tests.support import World, make_user, set_identity

from detente.access.policy import Role
from detente.audit.models import AuditEntry


def _client(role: str = Role.ANALYST) -> Client:
    client = Client()
    client.force_login(make_user(f"x-{role}", role))
    return client


def _seen(action: str) -> list[str]:
    entry = AuditEntry.objects.filter(action=action).latest("position")
    data = json.loads(entry.data) if isinstance(entry.data, str) else entry.data
    return sorted(data["people"])


def test_the_people_list_in_three_formats_with_its_filters(world: World) -> None:
    set_identity(world.person(1), given_names="=HYPERLINK(1)")
    client = _client()
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/staff/people/export.csv").content.decode("utf-8-sig"))
        )
    )
    assert [r["handle"] for r in rows] == [p.handle for p in world.people]
    assert rows[1]["name"].startswith("'=HYPERLINK")  # shown as text, never run
    assert rows[0]["agreements"] == "deal: held"
    assert _seen("person.export") == sorted(p.handle for p in world.people)
    data = client.get("/staff/people/export.json?agreement=deal&sort=newest").json()
    assert [r["handle"] for r in data] == [p.handle for p in reversed(world.people)]
    assert data[1]["name"].startswith("=HYPERLINK")  # JSON keeps the value as typed
    book = load_workbook(io.BytesIO(client.get("/staff/people/export.xlsx").content))
    cells = [[c.value for c in row] for row in book.active.iter_rows()]
    assert cells[0] == ["handle", "name", "at_risk", "agreements"]
    assert str(cells[2][1]).startswith("'=HYPERLINK") and cells[1][2] == "no"
    assert client.get("/staff/people/export.pdf").status_code == 404
    assert client.get("/staff/people/export.csv?state=free").status_code == 400


def test_an_agreements_members_as_the_viewer_may_see_them(world: World) -> None:
    client = _client(Role.VERIFIER)
    rows = client.get("/staff/agreements/deal/members.json").json()
    assert [r["handle"] for r in rows] == [p.handle for p in world.people]
    assert rows[0]["name"] == "Yoandri 0 Pérez" and rows[0]["state"] == "held"
    assert _seen("agreement.members.export") == sorted(p.handle for p in world.people)
    assert client.get("/staff/agreements/no-such/members.csv").status_code == 404
    # Outside staff: refused like the page itself.
    assert _client(Role.LEGISLATURE).get("/staff/agreements/deal/members.csv").status_code == 403
    assert Client().get("/staff/people/export.csv").status_code == 302
