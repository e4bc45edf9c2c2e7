"""``detente duplicates``: likely duplicate people, with scores; staff only."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from tests.support import World, make_user

from detente.access.policy import Role
from detente.audit.models import AuditEntry
from detente.reconcile.services import person_merge
from detente.registry.models import Person
from detente.registry.services import person_create


def run(*args: str) -> list[dict[str, object]]:
    out = StringIO()
    call_command("duplicates", *args, "--json", stdout=out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


@pytest.fixture
def pair(world: World, registry: dict[str, Person]) -> tuple[Person, Person]:
    twin = person_create(
        actor=world.actor,
        given_names="Jose Luis",
        paternal_surname="Gomez",
        maternal_surname="Vazquez",
        birth_date=dt.date(1980, 2, 3),
        province="Holguín",
        municipality="Banes",
    )
    return registry["jose"], twin


def test_likely_duplicates_are_listed_with_their_probability(
    pair: tuple[Person, Person], registry: dict[str, Person]
) -> None:
    found = run("--above", "0.5")
    pairs = {frozenset((d["left"], d["right"])): d for d in found}
    ours = pairs[frozenset((pair[0].handle, pair[1].handle))]
    assert ours["probability"] > 0.9  # type: ignore[operator]
    assert ours["left_name"] in ("José Luis Gómez Vázquez", "Jose Luis Gomez Vazquez")
    # Likeliest first.
    assert [d["probability"] for d in found] == sorted(
        (d["probability"] for d in found),
        reverse=True,  # type: ignore[misc]
    )
    assert AuditEntry.objects.filter(action="person.duplicates").exists()
    assert run("--limit", "1", "--above", "0.0001")[:1] == found[:1]


def test_merged_people_are_not_listed_again(world: World, pair: tuple[Person, Person]) -> None:
    person_merge(actor=world.actor, survivor=pair[0], merged=pair[1], reason="same person")
    handles = {pair[0].handle, pair[1].handle}
    assert not [d for d in run("--above", "0.5") if {d["left"], d["right"]} & handles]


def test_who_may_run_it(pair: tuple[Person, Person]) -> None:
    make_user("ana", Role.ANALYST)
    make_user("leg", Role.LEGISLATURE)
    assert run("--as", "ana")
    for who in ("leg", "anonymous"):
        with pytest.raises(CommandError, match="not allowed"):
            run("--as", who)


def test_import_is_operator_only_on_the_command_line() -> None:
    from django.core.management import load_command_class

    parser = load_command_class("detente.reconcile", "import").create_parser("detente", "import")
    assert "--as" not in parser._option_string_actions
