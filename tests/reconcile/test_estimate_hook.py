"""An import as a list for estimation: decided rows counted, waiting rows resolved both ways."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from tests.reconcile.conftest import write_list
from tests.support import World, at, make_user

from detente.demo.names import PersonGenerator
from detente.evidence.estimates import registry_estimate, registry_lists, waiting_rows
from detente.evidence.services import claim_record
from detente.reconcile.importer import import_list
from detente.reconcile.services import person_merge
from detente.registry.models import Person
from detente.registry.services import person_create


def _registry(world: World) -> list[Person]:
    people = []
    for p in PersonGenerator(11).people(40):
        people.append(
            person_create(
                actor=world.actor,
                given_names=p.given_names,
                paternal_surname=p.paternal_surname,
                maternal_surname=p.maternal_surname,
                birth_date=p.birth_date,
                province=p.province,
                municipality=p.municipality,
            )
        )
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
    return people


def _import(tmp_path: Path, world: World, people: list[Person]) -> int:
    rows = []
    for p in people[10:25]:  # as the registry has them: linked
        ident = p.identity
        rows.append(
            {
                "name": ident.full_name,
                "birth_date": ident.birth_date.isoformat(),
                "province": ident.province,
                "municipality": ident.municipality,
            }
        )
    for p in people[30:33]:  # first given name and surname only: the grey zone
        ident = p.identity
        rows.append({"name": f"{ident.given_names.split()[0]} {ident.paternal_surname}"})
    for i, name in enumerate(["Zacarías Ulloa Quiñones", "Herminia Baró Olazábal"]):
        rows.append({"name": name, "birth_date": f"194{i}"})  # nobody the registry knows
    path = write_list(
        tmp_path / "embassy.csv", rows, ["name", "birth_date", "province", "municipality"]
    )
    summary = import_list(
        actor=world.actor,
        path=path,
        source=world.sources["embassy"],
        status="detained",
        event_date=dt.date(2024, 1, 1),
        link_above=0.99,
        review_above=0.001,
    )
    assert (summary.linked, summary.queued, summary.new) == (15, 3, 2)
    assert summary.run is not None
    return summary.run


def test_an_import_counts_decided_rows_and_shows_its_waiting_rows_resolved_both_ways(
    tmp_path: Path, world: World
) -> None:
    people = _registry(world)
    run = _import(tmp_path, world, people)
    spec = f"import:{run}"
    lists = registry_lists(world.actor, [spec])
    # The 15 linked and the 2 new people; the 3 rows waiting for review are nobody yet.
    assert len(lists[spec]) == 17
    assert {p.pk for p in people[10:25]} <= lists[spec]
    assert all(pid > 0 for pid in lists[spec])
    grey = waiting_rows(world.actor, [spec])[spec]
    assert set(grey.values()) == {p.pk for p in people[30:33]}

    ngo, family = world.sources["ngo"].slug, world.sources["family"].slug
    out = registry_estimate(world.actor, [ngo, family, spec], methods=["independence"])
    everyone = lists[spec] | {p.pk for p in people[:40]}
    assert out["observed"] == len(everyone)
    bounds = out["awaiting_review"]
    assert isinstance(bounds, dict)
    assert bounds["rows"] == 3 and bounds["by_list"] == {spec: 3}
    # As the people they resemble (all three already on the family's list): nobody more
    # is observed; as new people, three more.
    assert bounds["as_matched"]["observed"] == out["observed"]
    assert bounds["as_new"]["observed"] == out["observed"] + 3
    matched = bounds["as_matched"]["estimates"][0]["estimate"]
    new = bounds["as_new"]["estimates"][0]["estimate"]
    assert matched < new
    warning = out["warnings"][0]  # type: ignore[index]
    assert warning["code"] == "awaiting_review"
    assert "3 rows of these lists are waiting in the match review queue" in warning["message"]
    # The import is named by its source and day, in the models and for people.
    embassy = world.sources["embassy"]
    assert out["names"][spec].startswith(f"{embassy.slug} 20")  # type: ignore[index]
    assert embassy.name in out["labels"][spec]  # type: ignore[index]
    assert f"(import {run})" in out["labels"][spec]  # type: ignore[index]
    assert "import:" not in json.dumps(out["estimates"])


def test_a_sources_list_shows_the_rows_its_imports_left_waiting(
    tmp_path: Path, world: World
) -> None:
    """A source's list is its claims: rows of its imports waiting for review make none
    yet, so they are shown as the bounds, not silently dropped."""
    people = _registry(world)
    _import(tmp_path, world, people)
    ngo, embassy = world.sources["ngo"].slug, world.sources["embassy"].slug
    out = registry_estimate(world.actor, [ngo, f"source:{embassy}"], methods=["independence"])
    bounds = out["awaiting_review"]
    assert isinstance(bounds, dict) and bounds["by_list"] == {f"source:{embassy}": 3}
    assert bounds["as_new"]["observed"] == out["observed"] + 3
    # Without waiting rows, nothing is added and nothing is said.
    family = world.sources["family"].slug
    plain = registry_estimate(world.actor, [ngo, family], methods=["independence"])
    assert "awaiting_review" not in plain
    assert all(w["code"] != "awaiting_review" for w in plain["warnings"])  # type: ignore[attr-defined]


def test_estimate_command_shows_the_waiting_rows_both_ways(tmp_path: Path, world: World) -> None:
    people = _registry(world)
    run = _import(tmp_path, world, people)
    args = [
        "--source",
        world.sources["ngo"].slug,
        "--source",
        world.sources["family"].slug,
        "--list",
        f"import:{run}",
        "--method",
        "independence",
    ]
    out = io.StringIO()
    call_command("estimate", *args, "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["awaiting_review"]["rows"] == 3
    plain = io.StringIO()
    call_command("estimate", *args, stdout=plain)
    text = plain.getvalue()
    assert "Rows awaiting review, not counted above: 3." in text
    assert "as new people (observed" in text
    assert f"(import {run})" in text
    # --grey-zone, from before the bounds were always shown, is still accepted.
    again = io.StringIO()
    call_command("estimate", *args, "--grey-zone", "--json", stdout=again)
    assert json.loads(again.getvalue())["awaiting_review"] == data["awaiting_review"]


def test_merged_people_count_once_on_every_list(tmp_path: Path, world: World) -> None:
    people = _registry(world)
    ngo, family = world.sources["ngo"].slug, world.sources["family"].slug
    before = registry_lists(world.actor, [ngo, family])
    # 5 is only on the NGO's list, 35 only on the family's: merged, they are one person.
    person_merge(actor=world.actor, survivor=people[35], merged=people[5], reason="same")
    after = registry_lists(world.actor, [ngo, family])
    assert people[5].pk not in after[ngo] and people[35].pk in after[ngo]
    assert len(after[ngo] | after[family]) == len(before[ngo] | before[family]) - 1


def test_the_page_and_the_api_offer_an_import_and_show_its_waiting_rows(
    tmp_path: Path, world: World
) -> None:
    from django.test import Client

    from detente.api.services import token_create

    people = _registry(world)
    run = _import(tmp_path, world, people)
    ngo = world.sources["ngo"].slug
    client = Client()
    client.force_login(make_user("an", "analyst"))
    form = client.get("/staff/estimates/").content.decode()
    assert f'value="import:{run}"' in form
    html = client.get(
        f"/staff/estimates/?lists=source:{ngo}&lists=import:{run}&methods=independence"
    ).content.decode()
    assert "3 rows of these lists are waiting in the match review queue" in html
    assert "Waiting rows as new people" in html
    assert 'data-code="awaiting_review"' in html

    _, token = token_create(actor=world.actor, user=world.actor, name="t", scope="read")
    body = (
        Client()
        .get(
            f"/api/estimates?list=source:{ngo}&list=import:{run}&method=independence",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        .json()
    )
    assert body["awaiting_review"]["rows"] == 3
    assert body["labels"][f"import:{run}"].endswith(f"(import {run})")
    page_total = re.search(r"Decided rows only.*?<td>([\d,]+)</td>", html, re.S)
    assert page_total is not None
    assert int(page_total.group(1).replace(",", "")) == round(body["estimates"][0]["estimate"])


def test_a_protected_sources_import_is_missing_to_an_analyst(tmp_path: Path, world: World) -> None:
    from django.http import Http404

    people = _registry(world)
    run = _import(tmp_path, world, people)
    embassy = world.sources["embassy"]
    embassy.protected = True
    embassy.save(update_fields=["protected"])
    analyst = make_user("an2", "analyst")
    with pytest.raises(Http404):
        registry_lists(analyst, [f"import:{run}"])
    assert registry_lists(world.actor, [f"import:{run}"])  # the administrator still may
