"""Test helpers: a small world of parties, sources, an agreement and people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import connection

from detente.agreements.models import Agreement, Party
from detente.agreements.services import agreement_add_members, agreement_create, party_create
from detente.evidence.models import Source
from detente.evidence.services import source_create
from detente.registry.models import Person
from detente.registry.services import custody_episode_add, person_create
from detente.registry.status import CustodyStatus

UTC = dt.UTC


def at(day: str, hour: int = 12) -> dt.datetime:
    """A received-at time: noon UTC of an ISO day."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=UTC)


@dataclass
class World:
    actor: User
    releasing: Party
    counterpart: Party
    agreement: Agreement
    sources: dict[str, Source]
    people: list[Person]

    def person(self, i: int = 0) -> Person:
        return self.people[i]


def make_user(username: str, role: str | None, *, staff: bool = False) -> User:
    """A user with one role (or none); ``staff`` lets them open the admin."""
    user = User.objects.create_user(
        username=username, password="not-used-here-1234", is_staff=staff
    )
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def build_world(actor: User, members: int = 3, slug: str = "deal") -> World:
    releasing = party_create(
        actor=actor, slug=f"{slug}-gov", name="Releasing", independence_group=f"{slug}-gov"
    )
    counterpart = party_create(
        actor=actor, slug=f"{slug}-other", name="Counterpart", independence_group=f"{slug}-other"
    )
    specs = {
        "gov": ("detaining_government", "C", f"{slug}-gov"),
        "gov_press": ("press", "B", f"{slug}-gov"),
        "embassy": ("counterpart_government", "A", f"{slug}-other"),
        "ngo": ("ngo", "B", f"{slug}-ngo"),
        "family": ("family", "C", f"{slug}-family"),
        "blog": ("press", "D", f"{slug}-blog"),
    }
    sources = {
        key: source_create(
            actor=actor,
            slug=f"{slug}-{key.replace('_', '-')}",
            name=key,
            kind=kind,
            reliability=grade,
            independence_group=group,
        )
        for key, (kind, grade, group) in specs.items()
    }
    agreement = agreement_create(
        actor=actor,
        slug=slug,
        title="Test agreement",
        promisor=releasing,
        promisee=counterpart,
        announced_on=dt.date(2020, 1, 10),
        promised_count=members + 2,
    )
    people = []
    for i in range(members):
        p = person_create(actor=actor, given_names=f"Yoandri {i}", paternal_surname="Pérez")
        custody_episode_add(
            actor=actor, person=p, status=CustodyStatus.SENTENCED, start_date=dt.date(2018, 5, 1)
        )
        people.append(p)
    agreement_add_members(
        actor=actor, agreement=agreement, people=people, named_on=dt.date(2020, 1, 15)
    )
    return World(actor, releasing, counterpart, agreement, sources, people)


# --- Tampering with the ledger, as an intruder with database access would --------------

TABLE = "audit_auditentry"


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cur:
        cur.execute(statement, params or [])


@contextmanager
def triggers_off() -> Iterator[None]:
    """What an intruder with database access does first (undone with the test's transaction)."""
    if connection.vendor == "postgresql":
        sql("SET LOCAL session_replication_role = replica")
    else:
        sql("DROP TRIGGER audit_no_update")
        sql("DROP TRIGGER audit_no_delete")
    yield


def forget_public_copies() -> None:
    """Drop every kept copy of the public pages (the shared copies and the per-process
    cache of the open data): for a test that changes data behind the services' back,
    which no data version sees."""
    from django.core.cache import cache

    from detente.web import pages

    cache.clear()
    pages.forget()


def set_identity(people: Any, **fields: Any) -> None:
    """Change identities behind the services' back, as ``QuerySet.update`` would (no
    signal, no ledger entry): ``people`` is a person, a person id, a list of them or a
    queryset of people. Sealed fields (names, birth date, places) are sealed again."""
    from detente.registry.models import SEALED_IDENTITY_FIELDS, Identity

    if isinstance(people, (Person, int)):
        people = [people]
    ids = [p.pk if isinstance(p, Person) else p for p in people]
    sealed = {k: v for k, v in fields.items() if k in SEALED_IDENTITY_FIELDS}
    plain = {k: v for k, v in fields.items() if k not in SEALED_IDENTITY_FIELDS}
    for identity in Identity.objects.filter(person_id__in=ids):
        for name, value in sealed.items():
            setattr(identity, name, value)
        identity.seal()
        Identity.objects.filter(pk=identity.pk).update(sealed=identity.sealed, **plain)


def people_named(**fields: Any) -> list[Person]:
    """The people whose identity has these values (opened, compared in Python)."""
    from detente.registry.models import Identity

    return [
        i.person
        for i in Identity.objects.select_related("person").order_by("person_id")
        if all(getattr(i, k) == v for k, v in fields.items())
    ]


def word_token(word: str) -> str:
    """The keyed token under which a folded word (or its first twelve letters) is stored
    in the name search index."""
    from detente.registry import search

    (token,) = search.keyed({search.PREFIX + word[: search.PREFIX_MAX]}, search.current_token_key())
    return token
