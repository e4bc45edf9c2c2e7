"""The staff People page lists everyone, filtered, sorted and in pages, with where each
person stands (issue 14, point 8)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client
from tests.support import World, build_world, make_user

from detente.access.policy import Role
from detente.audit.models import AuditEntry
from detente.evidence.services import claim_record
from detente.registry.models import Identity
from detente.registry.services import person_set_at_risk


def _client(role: str = Role.ANALYST, name: str = "ana") -> Client:
    client = Client()
    client.force_login(make_user(name, role))
    return client


def _handles(html: str) -> list[str]:
    import re

    return re.findall(r'<span class="handle">(P-\d+)</span></th>', html)


def test_everyone_is_listed_before_any_search(world: World) -> None:
    html = _client().get("/staff/people/").content.decode()
    assert "Everyone in the registry" in html and "3 people." in html
    assert _handles(html) == [p.handle for p in world.people]
    assert "Yoandri 0 Pérez" in html and "Still held" in html
    # The names shown are recorded as seen, like any list of people.
    seen = AuditEntry.objects.filter(action="person.list").latest("position")
    data = json.loads(seen.data) if isinstance(seen.data, str) else seen.data
    assert sorted(data["people"]) == sorted(p.handle for p in world.people)


def test_filters_narrow_and_keep_their_values(world: World, actor: Any) -> None:
    other = build_world(actor, members=2, slug="other")
    person_set_at_risk(actor=actor, person=world.person(1), at_risk=True)
    Identity.objects.filter(person=other.person(0)).update(country="CU", division="CU-11")
    claim_record(
        actor=actor,
        source=world.sources["family"],
        person=world.person(2),
        status="detained",
        event_date=dt.date(2020, 3, 1),
    )
    client = _client()

    def shown(query: str) -> list[str]:
        return _handles(client.get(f"/staff/people/?{query}").content.decode())

    assert shown("agreement=other") == [p.handle for p in other.people]
    assert shown("at_risk=yes") == [world.person(1).handle]
    assert shown("division=cu-11") == [other.person(0).handle]
    assert shown(f"source={world.sources['family'].slug}") == [world.person(2).handle]
    assert shown("state=held&agreement=deal") == [p.handle for p in world.people]
    assert shown("state=confirmed") == []
    newest = shown("sort=newest")
    assert newest[0] == other.people[-1].handle
    page = client.get("/staff/people/?at_risk=yes").content.decode()
    assert 'value="yes" selected' in page and "Clear the filters" in page


def test_a_bad_filter_says_so_and_lists_no_one(world: World) -> None:
    response = _client().get("/staff/people/?state=free&agreement=no-such-deal")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice" in html and _handles(html) == []


def test_pages_of_fifty(actor: Any) -> None:
    build_world(actor, members=60, slug="big")
    client = _client()
    first = client.get("/staff/people/").content.decode()
    assert len(_handles(first)) == 50 and "Page 1 of 2." in first and 'rel="next"' in first
    second = client.get("/staff/people/?page=2").content.decode()
    assert len(_handles(second)) == 10


def test_outside_staff_the_page_is_refused(world: World) -> None:
    assert _client(Role.LEGISLATURE, "leg").get("/staff/people/").status_code == 403
