"""A large agreement's members come a page at a time, and only a page is recorded as seen."""

from __future__ import annotations

import datetime as dt
import json
import re

from django.test import Client
from tests.support import World, make_user

from detente.agreements.services import agreement_add_members
from detente.audit.models import AuditEntry
from detente.oversight.views import agreements as views
from detente.registry.services import person_create


def test_members_are_paged_by_handle(world: World, monkeypatch: object) -> None:
    monkeypatch.setattr(views, "MEMBERS_PER_PAGE", 2)  # type: ignore[attr-defined]
    extra = [person_create(actor=world.actor, given_names=f"Yunior {i}") for i in range(3)]
    agreement_add_members(
        actor=world.actor, agreement=world.agreement, people=extra, named_on=dt.date(2020, 2, 1)
    )
    client = Client()
    client.force_login(make_user("an", "analyst"))
    handles = sorted(p.handle for p in [*world.people, *extra])
    first = client.get(f"/staff/agreements/{world.agreement.slug}/").content.decode()
    assert set(re.findall(r">(P-\d+)</a>", first)) == {handles[0], handles[1]}
    seen = AuditEntry.objects.filter(action="agreement.members").order_by("-position").first()
    assert seen is not None and json.loads(seen.data)["people"] == handles[:2]
    second = client.get(
        f"/staff/agreements/{world.agreement.slug}/?after={handles[1]}"
    ).content.decode()
    shown = set(re.findall(r">(P-\d+)</a>", second))
    assert shown == {handles[2], handles[3]}
    assert "First page" in second
