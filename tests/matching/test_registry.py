"""The registry's index: built from identities and current after every kind of write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from tests.support import set_identity

from detente.matching import registry
from detente.matching.records import record_from_text
from detente.registry.models import Identity
from detente.registry.services import person_create


def _top(text: str, **kw: Any) -> Any:
    found = registry.registry_index().search(record_from_text(text, **kw), 3)
    return found[0].key if found else None


def test_the_index_holds_every_identity_with_its_aliases(actor: User) -> None:
    person = person_create(
        actor=actor,
        given_names="Francisco",
        paternal_surname="Quesada",
        maternal_surname="Lamadrid",
        aliases=["Paco Quesada"],
        birth_date=dt.date(1968, 3, 1),
        birth_precision="month",
        province="Matanzas",
        municipality="Cárdenas",
        sex="M",
    )
    record = registry.registry_index().get(person.pk)
    assert record is not None
    assert [(n.given, n.paternal) for n in record.names] == [
        ("francisco", "quesada"),
        ("paco", "quesada"),
    ]
    assert (record.birth.year, record.birth.month, record.birth.precision) == (1968, 3, 2)
    # The province as its ISO 3166-2 subdivision: lists spell it many ways.
    assert record.place == ("cardenas", "cu-04")
    assert record.sex == "M"


def test_people_created_after_the_index_was_built_are_found(actor: User) -> None:
    person_create(actor=actor, given_names="Ana", paternal_surname="Lazo")
    assert _top("Yusleidy Bacallao") != "anyone"  # builds the index
    later = person_create(actor=actor, given_names="Yusleidy", paternal_surname="Bacallao")
    assert _top("Yusleidy Bacallao") == later.pk


def test_a_renamed_identity_is_found_by_its_new_name(
    actor: User, django_capture_on_commit_callbacks: Any
) -> None:
    person = person_create(actor=actor, given_names="Osmany", paternal_surname="Quiala")
    assert _top("Osmany Quiala") == person.pk
    identity = Identity.objects.get(person=person)
    identity.paternal_surname = "Zaldívar"
    # No ledger entry here: the save signal alone updates the index, once committed.
    with django_capture_on_commit_callbacks(execute=True):
        identity.save()
    assert registry.registry_index().get(person.pk).names[0].paternal == "zaldivar"
    assert _top("Osmany Zaldívar") == person.pk


def test_a_write_seen_only_through_the_ledger_reaches_the_index(actor: User) -> None:
    person = person_create(actor=actor, given_names="Leydan", paternal_surname="Cobas")
    index = registry.registry_index()
    # Another process's write: the row changes, this process gets no signal, but the
    # ledger gets an entry about the person, as every service writes one.
    set_identity(person, paternal_surname="Duany")
    from detente.audit import ledger

    with transaction.atomic():
        ledger.append(actor, "identity.update", person, {})
    assert index.get(person.pk).names[0].paternal == "cobas"
    assert _top("Leydan Duany") == person.pk


def test_a_deleted_person_leaves_the_index(
    actor: User, django_capture_on_commit_callbacks: Any
) -> None:
    person = person_create(actor=actor, given_names="Yanet", paternal_surname="Urbina")
    assert _top("Yanet Urbina") == person.pk
    pk = person.pk
    with django_capture_on_commit_callbacks(execute=True):
        person.delete()
    assert pk not in registry.registry_index()


def test_a_rolled_back_creation_never_shows(actor: User) -> None:
    registry.registry_index()
    try:
        with transaction.atomic():
            person_create(actor=actor, given_names="Yadiel", paternal_surname="Gainza")
            raise RuntimeError("the import failed")
    except RuntimeError:
        pass
    assert _top("Yadiel Gainza") is None


def test_a_saved_model_is_used_by_the_next_index(actor: User, settings: Any, tmp_path: Any) -> None:
    from detente.matching.model import LinkageModel

    settings.DATA_DIR = tmp_path
    person_create(actor=actor, given_names="Ana", paternal_surname="Lazo")
    model = LinkageModel(match_share=0.9)
    path = registry.save_model(model)
    assert path.exists()
    assert registry.registry_index().model.match_share == 0.9
