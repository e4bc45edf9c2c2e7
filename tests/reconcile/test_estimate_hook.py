"""An import as a list for estimation, and its grey zone accepted and rejected."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

from django.core.management import call_command
from tests.reconcile.conftest import write_list
from tests.support import World, at

from detente.demo.names import PersonGenerator
from detente.evidence.estimates import import_grey_links, registry_estimate, registry_lists
from detente.evidence.services import claim_record
from detente.reconcile.importer import import_list
from detente.reconcile.merge import person_merge
from detente.reconcile.models import ImportRow, Outcome
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


def test_an_import_is_a_list_with_its_waiting_rows_as_their_own_people(
    tmp_path: Path, world: World
) -> None:
    people = _registry(world)
    run = _import(tmp_path, world, people)
    spec = f"import:{run}"
    lists = registry_lists(world.actor, [spec])
    assert len(lists[spec]) == 20
    assert {p.pk for p in people[10:25]} <= lists[spec]
    waiting = ImportRow.objects.filter(run_id=run, outcome=Outcome.QUEUED)
    assert {-r.pk for r in waiting} <= lists[spec]
    grey = import_grey_links(world.actor, ["source:x", spec])
    assert {b for _a, b in grey} == {p.pk for p in people[30:33]}

    out = registry_estimate(
        world.actor,
        [world.sources["ngo"].slug, world.sources["family"].slug, spec],
        methods=["independence"],
        grey_links=grey,
    )
    accepted, rejected = out["matching_sensitivity"]  # type: ignore[misc]
    assert accepted["grey_zone"] == "accepted" and rejected["grey_zone"] == "rejected"
    assert accepted["observed"] < rejected["observed"]  # three fewer people when accepted


def test_estimate_command_shows_the_grey_zone(tmp_path: Path, world: World) -> None:
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
    call_command("estimate", *args, "--grey-zone", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert [r["grey_zone"] for r in data["matching_sensitivity"]] == ["accepted", "rejected"]
    plain = io.StringIO()
    call_command("estimate", *args, "--grey-zone", stdout=plain)
    assert "Grey zone (rows awaiting review):" in plain.getvalue()
    without = io.StringIO()
    call_command("estimate", *args, "--json", stdout=without)
    assert "matching_sensitivity" not in json.loads(without.getvalue())


def test_merged_people_count_once_on_every_list(tmp_path: Path, world: World) -> None:
    people = _registry(world)
    ngo, family = world.sources["ngo"].slug, world.sources["family"].slug
    before = registry_lists(world.actor, [ngo, family])
    # 5 is only on the NGO's list, 35 only on the family's: merged, they are one person.
    person_merge(actor=world.actor, survivor=people[35], merged=people[5], reason="same")
    after = registry_lists(world.actor, [ngo, family])
    assert people[5].pk not in after[ngo] and people[35].pk in after[ngo]
    assert len(after[ngo] | after[family]) == len(before[ngo] | before[family]) - 1
