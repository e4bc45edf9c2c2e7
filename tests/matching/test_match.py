"""``detente match`` and ``match_query``: staff find people by name, with the reasons."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from tests.support import World, make_user

from detente.access.policy import Role
from detente.audit.models import AuditEntry
from detente.matching.selectors import match_query
from detente.registry.services import person_create


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("match", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def yoany(world: World) -> Any:
    person_create(actor=world.actor, given_names="Yoani", paternal_surname="Rodríguez",
                  maternal_surname="Pérez", birth_date=dt.date(1979, 1, 1),
                  birth_precision="year", province="Holguín")  # fmt: skip
    return person_create(
        actor=world.actor,
        given_names="Yoany",
        paternal_surname="Rodríguez",
        maternal_surname="Cardet",
        birth_date=dt.date(1983, 5, 12),
        province="Artemisa",
        municipality="Bauta",
    )


def test_staff_find_the_person_however_the_name_is_written(world: World, yoany: Any) -> None:
    for text in ("Yoany Rguez Cardet", "RODRIGUEZ CARDET, YOANI", "yoani rodriguez cardet"):
        results = match_query(world.actor, text, birth_year=1983, province="Artemisa")
        assert results[0].handle == yoany.handle, text
        assert results[0].name == "Yoany Rodríguez Cardet"
        assert results[0].probability > 0.9
    levels = {e["field"]: e["level"] for e in results[0].explanation()}
    assert levels["surnames"] == "both_exact"
    assert levels["birth_date"] == "to_year"


def test_every_identity_shown_is_recorded(world: World, yoany: Any) -> None:
    before = AuditEntry.objects.filter(action="person.match").count()
    results = match_query(world.actor, "Yoany Cardet", limit=2)
    entry = AuditEntry.objects.filter(action="person.match").order_by("-seq").first()
    assert AuditEntry.objects.filter(action="person.match").count() == before + 1
    assert entry is not None
    assert set(entry.payload["people"]) == {r.handle for r in results}
    assert "Cardet" not in entry.data and "Yoany" not in entry.data


@pytest.mark.parametrize("role", [None, Role.LEGISLATURE])
def test_only_staff_may_match(world: World, role: str | None) -> None:
    user = make_user("outsider", role)
    with pytest.raises(PermissionDenied):
        match_query(user, "Yoandri Pérez")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"text": "  ;; "}, "text"),
        ({"text": "x" * 201}, "text"),
        ({"text": "Ana", "birth_year": 1700}, "birth_year"),
        ({"text": "Ana", "birth_year": 3000}, "birth_year"),
        ({"text": "Ana", "limit": 0}, "limit"),
        ({"text": "Ana", "limit": 101}, "limit"),
    ],
)
def test_bad_requests_name_the_field(world: World, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        match_query(world.actor, **kwargs)
    assert field in error.value.message_dict


def test_the_command_prints_handle_probability_and_reasons(world: World, yoany: Any) -> None:
    text = run("Yoany Rguez Cardet", "--birth-year", "1983", "--limit", "2")
    first = text.splitlines()[0]
    assert first.startswith(yoany.handle)
    assert "Yoany Rodríguez Cardet" in first
    assert "both surnames agree" in text
    data = json.loads(run("Yoany Rguez Cardet", "--json", "--limit", "1"))
    assert data[0]["handle"] == yoany.handle
    assert {e["field"] for e in data[0]["explanation"]} >= {"given_name", "surnames"}


def test_the_command_says_so_when_nobody_resembles_the_name(world: World) -> None:
    assert "No one" in run("Zacarías Wojtyła Nkemelu")


def test_the_command_refuses_bad_input_clearly(world: World) -> None:
    with pytest.raises(CommandError, match="birth_year"):
        run("Ana Pérez", "--birth-year", "1200")


@pytest.mark.parametrize(
    "role", ["anonymous", "public", "legislature", "analyst", "verifier", "administrator"]
)
def test_the_command_for_every_role(world: World, yoany: Any, role: str) -> None:
    if role == "anonymous":
        who = "anonymous"
    else:
        user: User = make_user(f"m-{role}", None if role == "public" else role)
        who = user.username
    if role in ("analyst", "verifier", "administrator"):
        assert yoany.handle in run("Yoany Cardet", "--as", who)
    else:
        with pytest.raises(CommandError, match="staff only"):
            run("Yoany Cardet", "--as", who)
