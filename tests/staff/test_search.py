"""The staff search finds names as they are really written, and only through the index."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.support import word_token

from detente.audit.models import AuditEntry
from detente.registry.models import Identity, NameToken, Person
from detente.registry.search import person_search, rebuild
from detente.registry.services import person_create


@pytest.fixture
def registry(actor: User) -> dict[str, Person]:
    def add(given: str, paternal: str, maternal: str = "", aliases: tuple[str, ...] = ()) -> Person:
        return person_create(
            actor=actor,
            given_names=given,
            paternal_surname=paternal,
            maternal_surname=maternal,
            aliases=aliases,
        )

    return {
        "jose": add("José Luis", "Gómez", "Vázquez"),
        "juan_jose": add("Juan José", "Pérez", "Medina"),
        "maria": add("María del Carmen", "Pérez", "González"),
        "yoandry": add("Yoandry", "Rodríguez", "Cardet", ("El Flaco",)),
        "pedro": add("Pedro", "Martínez", "Ruiz"),
        "ana": add("Ana", "de la Cruz", "Ortega"),
    }


def names(viewer: User, text: str) -> list[str]:
    return [p.handle for p in person_search(viewer, text)]


@pytest.mark.parametrize(
    ("query", "who"),
    [
        ("jose luis gomez vazquez", "jose"),  # accents dropped
        ("JOSÉ LUIS GÓMEZ", "jose"),  # case, and the second surname missing
        ("jose vazquez", "jose"),  # the first surname missing
        ("Vázquez Gómez José Luis", "jose"),  # surnames first
        ("Gómez Vázquez, José", "jose"),  # register style, with a comma
        ("Pepe Gómez", "jose"),  # a nickname
        ("jose gomez vasquez", "jose"),  # a spelling that sounds the same
        ("Maricarmen Pérez", "maria"),  # a one-word nickname of a compound name
        ("Ma. del Carmen Perez Glez", "maria"),  # register abbreviations
        ("yoandri rodriguez", "yoandry"),  # Cuban coined names spelled two ways
        ("el flaco", "yoandry"),  # an alias
        ("Ana Cruz", "ana"),  # the particle of "de la Cruz" left out
        ("ana de la cruz ortega", "ana"),
        ("yoandry card", "yoandry"),  # the last word still being typed
    ],
)
def test_names_are_found_as_they_are_really_written(
    actor: User, registry: dict[str, Person], query: str, who: str
) -> None:
    assert names(actor, query)[:1] == [registry[who].handle]


def test_words_that_fit_nobody_find_nobody(actor: User, registry: dict[str, Person]) -> None:
    assert names(actor, "Roberto Fuentes") == []
    # Two words must both match: a first name alone with a wrong surname is not enough.
    assert names(actor, "José Martínez") == []


def test_the_closest_name_comes_first(actor: User, registry: dict[str, Person]) -> None:
    found = names(actor, "jose perez")
    assert found == [registry["juan_jose"].handle]  # José Luis Gómez has no Pérez
    both = names(actor, "perez")
    assert set(both) == {registry["juan_jose"].handle, registry["maria"].handle}


def test_a_handle_finds_its_person_in_any_usual_form(
    actor: User, registry: dict[str, Person]
) -> None:
    handle = registry["pedro"].handle
    number = int(handle.split("-")[1])
    for text in (handle, handle.lower(), f"P{number}", f"p-{number}"):
        assert names(actor, text) == [handle]


def test_the_index_follows_the_registry_and_can_be_rebuilt(
    actor: User, registry: dict[str, Person]
) -> None:
    # Written by the service with the identity...
    assert NameToken.objects.filter(person=registry["pedro"], token=word_token("pedro")).exists()
    # ...keyed: the table names no one to whoever has the database without the key.
    assert not NameToken.objects.filter(token__in=["pedro", "~pdr"]).exists()
    # ...and refilled for people a bulk loader created without it.
    bulk = Person.objects.create(handle="P-9001")
    Identity.objects.create(person=bulk, given_names="Yusimí", paternal_surname="Bárzaga")
    assert names(actor, "yusimi barzaga") == []
    rebuild([bulk.pk])
    assert names(actor, "Yusimi Barzaga") == ["P-9001"]


def test_a_search_records_whose_names_were_shown(
    actor: User, registry: dict[str, Person], signed_in: Callable[..., Client]
) -> None:
    client = signed_in("analyst")
    before = AuditEntry.objects.count()
    page = client.post("/staff/people/", {"q": "perez"})
    text = page.content.decode()
    assert "María del Carmen Pérez González" in text and "Juan José Pérez Medina" in text
    entry = AuditEntry.objects.order_by("-position").first()
    assert AuditEntry.objects.count() == before + 1 and entry is not None
    assert entry.action == "person.search" and entry.actor_label == "staff-analyst"
    assert sorted(entry.payload["people"]) == sorted(
        [registry["juan_jose"].handle, registry["maria"].handle]
    )
    # The names themselves never reach the ledger.
    assert "Carmen" not in entry.data


def test_while_typing_only_the_results_are_sent_back(
    registry: dict[str, Person], signed_in: Callable[..., Client]
) -> None:
    client = signed_in("verifier")
    full = client.post("/staff/people/", {"q": "pepe"}).content.decode()
    partial = client.post(
        "/staff/people/", {"q": "pepe"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    ).content.decode()
    assert "<html" in full and "<html" not in partial
    assert "José Luis Gómez Vázquez" in partial
    # The plain form works without JavaScript: a POST to the same address gives the whole
    # page, the text typed still in the box.
    assert 'method="post" action="/staff/people/"' in full and "José Luis Gómez Vázquez" in full
    assert 'value="pepe"' in full


def test_people_outside_the_staff_cannot_search(
    registry: dict[str, Person], signed_in: Callable[..., Client]
) -> None:
    for role in ("public", "legislature"):
        client = signed_in(role)
        assert client.post("/staff/people/", {"q": "perez"}).status_code == 403
        assert client.get("/staff/people/", {"q": "perez"}).status_code == 403
    assert Client().post("/staff/people/", {"q": "perez"}).status_code == 302
    assert Client().get("/staff/people/?q=perez").status_code == 302
