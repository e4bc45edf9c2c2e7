"""The estimates page: the capture table, the figures and their chart, for staff only."""

from __future__ import annotations

import datetime as dt
import re

from django.test import Client
from tests.support import World, at, make_user

from detente.evidence.services import claim_record
from detente.registry.services import person_create


def _three_lists(world: World) -> None:
    people = [person_create(actor=world.actor, given_names=f"Yordanis {i}") for i in range(40)]
    for source, idx in {"ngo": range(0, 30), "family": range(20, 40)}.items():
        for i in idx:
            claim_record(
                actor=world.actor,
                source=world.sources[source],
                person=people[i],
                status="detained",
                event_date=dt.date(2020, 1, 1),
                received_at=at("2020-01-02"),
            )


def _url(world: World, *lists: str, extra: str = "") -> str:
    query = "&".join(f"lists={x}" for x in lists)
    return f"/staff/estimates/?{query}&methods=independence{extra}"


def test_an_analyst_sees_the_capture_table_and_the_estimate(world: World) -> None:
    _three_lists(world)
    client = Client()
    client.force_login(make_user("an", "analyst"))
    ngo, family = world.sources["ngo"].slug, world.sources["family"].slug
    page = client.get(_url(world, f"source:{ngo}", f"source:{family}"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "40 people are on at least one list." in html
    # 30 x 20 / 10 = 60 by Lincoln-Petersen: 20 on no list.
    row = re.search(r"<th scope=\"row\">Log-linear, independent lists</th>(.*?)</tr>", html, re.S)
    assert row and "<td>60</td>" in row.group(1) and "<td>20</td>" in row.group(1)
    assert "<svg" in html


def test_one_list_is_refused_on_the_field_and_nothing_is_estimated(world: World) -> None:
    client = Client()
    client.force_login(make_user("an", "analyst"))
    page = client.get(_url(world, f"source:{world.sources['ngo'].slug}"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Choose between 2 and 10 lists." in html and "Who is on which list" not in html


def test_strata_and_spanish(world: World) -> None:
    _three_lists(world)
    client = Client()
    client.force_login(make_user("an", "analyst"))
    ngo, family = world.sources["ngo"].slug, world.sources["family"].slug
    page = client.get(
        _url(world, f"source:{ngo}", f"source:{family}", extra="&stratify=province"),
        HTTP_ACCEPT_LANGUAGE="es",
    )
    html = page.content.decode()
    assert "Por estrato" in html and "unknown" in html


def test_warnings_are_plain_sentences_on_the_page(world: World) -> None:
    # Everyone on the family list is on the NGO's: a list inside another.
    people = [person_create(actor=world.actor, given_names=f"Yordanis {i}") for i in range(30)]
    for source, idx in {"ngo": range(0, 30), "family": range(10, 20)}.items():
        for i in idx:
            claim_record(
                actor=world.actor,
                source=world.sources[source],
                person=people[i],
                status="detained",
                event_date=dt.date(2020, 1, 1),
                received_at=at("2020-01-02"),
            )
    client = Client()
    client.force_login(make_user("an", "analyst"))
    ngo, family = world.sources["ngo"].slug, world.sources["family"].slug
    html = client.get(_url(world, f"source:{ngo}", f"source:{family}")).content.decode()
    assert "Read this before quoting a figure" in html
    # Named as people know them, not by their slugs.
    family_name, ngo_name = world.sources["family"].name, world.sources["ngo"].name
    assert f"Everyone on {family_name} is also on {ngo_name}." in html
    assert 'data-code="subset_list"' in html
