"""Ledger actions and objects in words on the staff pages, in both languages (issue 14,
point 7); every action the code writes has its words."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from django.test import Client
from tests.oversight.kit import page
from tests.support import World

from detente.audit.labels import ACTIONS
from detente.evidence.models import ClaimKind
from detente.registry.services import person_set_at_risk

SRC = Path(__file__).resolve().parents[2] / "src" / "detente"
# Written through an f-string (f"{kind}.archive"): listed by hand.
COMPUTED = {"agreement.archive", "agreement.restore", "party.archive", "party.restore"}
COMPUTED |= {"source.archive", "source.restore"}
# A claim's entry is named after its kind (f"claim.{kind}").
COMPUTED |= {f"claim.{kind}" for kind in ClaimKind.values}


def _written_actions() -> set[str]:
    """Every action code passed as a literal to the ledger's writers."""
    found = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in ("append", "record_access", "_append", "record_download"):
                continue
            for arg in [*node.args[1:3], *(k.value for k in node.keywords if k.arg == "action")]:
                value = getattr(arg, "value", None)
                if isinstance(value, str) and "." in value and value.islower() and " " not in value:
                    found.add(value)
    return found


def test_every_action_written_has_words() -> None:
    written = _written_actions() | COMPUTED
    assert len(written) > 50  # the scan finds the writers
    assert written - set(ACTIONS) == set()


def test_the_ledger_page_speaks_words(world: World, login: Callable[..., Client]) -> None:
    person_set_at_risk(actor=world.actor, person=world.person(0), at_risk=True)
    english = page(login("verifier").get("/staff/ledger/"))
    assert "changed whether a person is at risk" in english
    assert f"person {world.person(0).handle}" in english
    spanish = page(login("administrator", language="es").get("/staff/ledger/"))
    assert "cambió si una persona está en riesgo" in spanish
    assert f"persona {world.person(0).handle}" in spanish
