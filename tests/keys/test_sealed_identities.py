"""Identities stored sealed, the name search on keyed tokens (issue 17, point 1;
docs/keys.md): what the database holds alone, what the pages and the search still find, a
ciphertext moved to another person, rotation, and the migration that seals identities
stored before."""

from __future__ import annotations

import datetime as dt
import importlib
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from tests.support import World, make_user, set_identity

from detente.access.policy import Role
from detente.keys import ring
from detente.matching.registry import registry_index, reset
from detente.registry import search
from detente.registry.models import Identity, NameToken, Person
from detente.registry.search import person_search
from detente.registry.services import person_create

# Words that appear nowhere else: found in a raw table, they are plaintext.
GIVEN, PATERNAL, MATERNAL = "Yoandrisleidy", "Quetzalbarra", "Ondrovasquel"
WORDS = (GIVEN, PATERNAL, MATERNAL, "Vrelmistown", "Pozzarelline", "Krumbelaide")


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    monkeypatch.setattr(ring, "CURRENT_TTL", 0.0)  # no wait for other processes
    return tmp_path


def _record(world: World, given: str = GIVEN, paternal: str = PATERNAL) -> Person:
    return person_create(
        actor=world.actor,
        given_names=given,
        paternal_surname=paternal,
        maternal_surname=MATERNAL,
        aliases=["Pozzarelline"],
        birth_date=dt.date(1981, 4, 9),
        province="Vrelmistown",
        municipality="Krumbelaide",
        affiliation="Krumbelaide union",
    )


def _raw(table: str) -> str:
    """Every column of every row of the table, as one text."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT * FROM {table}")
        return "\n".join(" ".join(str(v) for v in row) for row in cur.fetchall())


def _plain_tokens(person: Person) -> set[str]:
    return search.identity_tokens(GIVEN, PATERNAL, MATERNAL, ["Pozzarelline"])


def test_an_identity_is_stored_sealed_and_found_and_shown_as_written(world: World) -> None:
    person = _record(world)
    identity = Identity.objects.get(person=person)
    raw = _raw("registry_identity") + _raw("registry_nametoken")
    for word in WORDS:
        for form in (word, word.lower(), word.upper()):
            assert form not in raw
    assert "1981" not in _raw("registry_identity")  # the birth date too
    # No token is a word or a sound key as written: each is a keyed hash.
    stored = set(NameToken.objects.filter(person=person).values_list("token", flat=True))
    assert stored and not stored & _plain_tokens(person)
    # Read as before, by the services, the search, the index and the pages.
    assert (identity.given_names, identity.paternal_surname, identity.birth_date) == (
        GIVEN,
        PATERNAL,
        dt.date(1981, 4, 9),
    )
    assert identity.aliases == ["Pozzarelline"] and identity.province == "Vrelmistown"
    analyst = make_user("ana", Role.ANALYST)
    for query in ("yoandrisleidy quetzalbarra", "Quetzal", "pozzarelline ondrovasquel"):
        assert [p.handle for p in person_search(analyst, query)] == [person.handle], query
    reset()
    assert registry_index().get(person.pk) is not None
    client = Client()
    client.force_login(analyst)
    page = client.get(f"/staff/people/{person.handle}/").content.decode()
    assert f"{GIVEN} {PATERNAL} {MATERNAL}" in page and "Vrelmistown" in page


def test_a_name_typed_is_completed_from_keyed_prefixes(world: World) -> None:
    person = _record(world)
    analyst = make_user("ana", Role.ANALYST)
    # A last word still being typed (three letters or more) completes a surname...
    assert [p.handle for p in person_search(analyst, "Yoandrisleidy Quet")] == [person.handle]
    assert [p.handle for p in person_search(analyst, "Yoandrisleidy Qux")] == []
    # ...and a word longer than the prefixes kept (twelve letters) from its first letters.
    assert [p.handle for p in person_search(analyst, "Yoandrisleid")] == [person.handle]


def test_an_identity_copied_onto_another_person_does_not_open(world: World) -> None:
    first, second = _record(world), _record(world, "Ana", "Pérez")
    sealed = Identity.objects.get(person=first).sealed
    Identity.objects.filter(person=second).update(sealed=sealed)
    with pytest.raises(ring.Undecryptable, match="moved from another row"):
        Identity.objects.get(person=second).given_names  # noqa: B018 - reading is the test
    client = Client(raise_request_exception=False)
    client.force_login(make_user("ana", Role.ANALYST))
    assert client.get(f"/staff/people/{second.handle}/").status_code == 500
    assert client.get(f"/staff/people/{first.handle}/").status_code == 200


def test_rotate_data_seals_identities_and_keys_tokens_again(world: World) -> None:
    person = _record(world)
    analyst = make_user("ana", Role.ANALYST)
    before = ring.current("registry.identity").key_id
    old_tokens = set(NameToken.objects.filter(person=person).values_list("token", flat=True))
    call_command(
        "keys", "rotate", "--data", "--keep-master", "--batch-size", "1", stdout=io.StringIO()
    )
    ring.forget()
    now = ring.current("registry.identity").key_id
    assert now != before
    assert {ring.key_id_of(s) for s in Identity.objects.values_list("sealed", flat=True)} == {now}
    new_tokens = set(NameToken.objects.filter(person=person).values_list("token", flat=True))
    assert new_tokens and not new_tokens & old_tokens
    assert Identity.objects.get(person=person).given_names == GIVEN
    assert [p.handle for p in person_search(analyst, "quetzalbarra")] == [person.handle]


def test_tokens_under_the_previous_key_are_still_found(world: World) -> None:
    """Between a rotation and the end of its pass, people not yet keyed again are found."""
    person = _record(world)
    analyst = make_user("ana", Role.ANALYST)
    from detente.keys import master

    ring.new_version(search.NAME_INDEX_CLASS, master.configured())
    ring.forget()
    assert [p.handle for p in person_search(analyst, "Quetzalbarra Ondro")] == [person.handle]


def test_the_migration_seals_identities_stored_before(world: World) -> None:
    """Identities stored in plain columns (as before this change) are sealed in place by
    the migration, with the historical models as `migrate` runs it, and their tokens
    keyed; going back opens them again and writes the plain tokens."""
    person = _record(world)
    with connection.cursor() as cur:
        # The plain columns as they were (gone since), inside this test's transaction
        # (PostgreSQL: after the checks of the rows just written, or it refuses to alter).
        if connection.vendor == "postgresql":
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        json_type = "jsonb" if connection.vendor == "postgresql" else "text"
        for column, kind in (
            ("given_names", "text DEFAULT ''"),
            ("paternal_surname", "text DEFAULT ''"),
            ("maternal_surname", "text DEFAULT ''"),
            ("aliases", f"{json_type} DEFAULT '[]'"),
            ("birth_date", "date NULL"),
            ("province", "text DEFAULT ''"),
            ("municipality", "text DEFAULT ''"),
            ("affiliation", "text DEFAULT ''"),
        ):
            cur.execute(f"ALTER TABLE registry_identity ADD COLUMN {column} {kind}")
        cur.execute(
            "UPDATE registry_identity SET sealed = '', given_names = %s, paternal_surname = %s, "
            "maternal_surname = %s, aliases = %s, birth_date = %s, province = %s "
            "WHERE person_id = %s",
            [GIVEN, PATERNAL, MATERNAL, '["Pozzarelline"]', "1981-04-09", "Vrelmistown", person.pk],
        )
        cur.execute("DELETE FROM registry_nametoken")
        cur.executemany(
            "INSERT INTO registry_nametoken (person_id, token) VALUES (%s, %s)",
            [(person.pk, t) for t in sorted(_plain_tokens(person))],
        )
    migration = importlib.import_module("detente.registry.migrations.0007_seal_identities")
    state = MigrationExecutor(connection).loader.project_state(("registry", "0007_seal_identities"))
    migration.seal(state.apps, None)
    again = Identity.objects.get(person=person)
    assert (again.given_names, again.maternal_surname, again.aliases, again.birth_date) == (
        GIVEN,
        MATERNAL,
        ["Pozzarelline"],
        dt.date(1981, 4, 9),
    )
    stored = set(NameToken.objects.filter(person=person).values_list("token", flat=True))
    assert stored and not stored & _plain_tokens(person)
    analyst = make_user("ana", Role.ANALYST)
    assert [p.handle for p in person_search(analyst, "quetzalbarra")] == [person.handle]
    sealed = again.sealed
    migration.seal(state.apps, None)  # run again: what is sealed is left as it is
    assert Identity.objects.get(person=person).sealed == sealed
    migration.unseal(state.apps, None)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT sealed, given_names, paternal_surname, province FROM registry_identity "
            "WHERE person_id = %s",
            [person.pk],
        )
        assert cur.fetchone() == ("", GIVEN, PATERNAL, "Vrelmistown")
    plain = set(NameToken.objects.filter(person=person).values_list("token", flat=True))
    assert plain == _plain_tokens(person)


def test_the_people_list_sorted_by_name_reads_the_sealed_names(world: World) -> None:
    zoe, *_rest = [
        _record(world, given, paternal)
        for given, paternal in (("Zoe", "Abreu"), ("Ana", "Zamora"), ("Luis", "Mena"))
    ]
    _record(world, "Eva", "Ávila")  # accents aside: among the A, not after the Z
    client = Client()
    client.force_login(make_user("ana", Role.ANALYST))

    def order(*names: str) -> list[int]:
        html = client.get("/staff/people/?sort=name").content.decode()
        return [html.index(name) for name in names]

    found = order("Abreu", "Ávila", "Mena", "Zamora")
    assert found == sorted(found)
    # A name changed is sorted where it now belongs (the order kept in memory follows).
    set_identity(zoe, paternal_surname="Zuñiga")
    found = order("Mena", "Zamora", "Zuñiga")
    assert found == sorted(found)
