"""Recording a new person: people already in the registry are suggested first."""

from __future__ import annotations

from django.test import Client
from tests.support import World, make_user

from detente.registry.models import Person


def _form(**extra: str) -> dict[str, str]:
    return {
        "given_names": "Yoandri 1",
        "paternal_surname": "Perez",
        "birth_precision": "day",
        "sex": "X",
        **extra,
    }


def test_a_likely_duplicate_is_shown_and_nothing_is_recorded_until_confirmed(
    world: World,
) -> None:
    client = Client()
    client.force_login(make_user("an", "analyst"))
    before = Person.objects.count()
    page = client.post("/staff/people/new/", _form())
    html = page.content.decode()
    assert page.status_code == 200
    assert world.person(1).handle in html and "Already recorded?" in html
    assert Person.objects.count() == before
    confirmed = client.post("/staff/people/new/", _form(different_person="on"))
    assert confirmed.status_code == 302
    assert Person.objects.count() == before + 1


def test_suggestions_while_typing_and_nothing_for_a_new_name(world: World) -> None:
    client = Client()
    client.force_login(make_user("an", "analyst"))
    panel = client.post("/staff/people/suggest/", _form(), HTTP_HX_REQUEST="true")
    assert world.person(1).handle in panel.content.decode()
    other = client.post(
        "/staff/people/suggest/",
        _form(given_names="Zenaida", paternal_surname="Quintanilla"),
        HTTP_HX_REQUEST="true",
    )
    assert "Already recorded?" not in other.content.decode()
