"""Issue 18, point 1: one rule and one placeholder for how a source appears to a viewer.

A protected source is named to verifiers and administrators only; everyone else meets the
same words in its place ("protected source", translated) on every page and in every file,
and the same slug ("protected") in machine fields. The rule lives in
``detente.access.sources``; these tests hold every output to it, and keep the words from
being written out again elsewhere."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import re
from pathlib import Path

from django.test import Client
from tests.support import World, at, make_user

from detente.access.policy import Role
from detente.access.sources import PROTECTED, shown_name, shown_slug
from detente.evidence.models import Source
from detente.evidence.services import claim_record, source_create
from detente.registry.status import CustodyStatus

SRC = Path(__file__).resolve().parents[2] / "src" / "detente"
HOME = SRC / "access" / "sources.py"


def _protected(world: World) -> Source:
    source = source_create(
        actor=world.actor,
        slug="insider",
        name="Guard at the prison",
        kind="anonymous_official",
        reliability="B",
        independence_group="insider",
        protected=True,
    )
    claim_record(
        actor=world.actor,
        source=source,
        person=world.person(),
        status=CustodyStatus.DETAINED,
        event_date=dt.date(2020, 2, 5),
        received_at=at("2020-02-06"),
    )
    return source


def _client(role: str, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(make_user(f"{role}-{language}", role))
    return client


def test_the_rule_names_a_protected_source_to_deciders_only(world: World) -> None:
    source = _protected(world)
    for role, named in (
        (Role.ANALYST, False),
        (Role.VERIFIER, True),
        (Role.ADMINISTRATOR, True),
    ):
        viewer = make_user(f"rule-{role}", role)
        assert shown_name(viewer, source) == (
            "Guard at the prison" if named else "protected source"
        )
        assert shown_slug(viewer, source) == ("insider" if named else PROTECTED)
    open_source = world.sources["gov"]
    analyst = make_user("rule-open", Role.ANALYST)
    assert shown_name(analyst, open_source) == open_source.name


def test_every_staff_output_shows_the_same_words_in_its_place(world: World) -> None:
    _protected(world)
    handle = world.person().handle
    analyst = _client(Role.ANALYST)
    pages = {
        "person page": analyst.get(f"/staff/people/{handle}/").content.decode(),
        "dashboard": analyst.get("/staff/").content.decode(),
    }
    for where, page in pages.items():
        assert "Guard at the prison" not in page, where
        assert "protected source" in page, where
    exported = analyst.get(f"/staff/people/{handle}/claims.csv").content.decode()
    sources = {row["source"] for row in csv.DictReader(io.StringIO(exported))}
    assert PROTECTED in sources and "Guard at the prison" not in exported
    # The same words, translated, for a reader in Spanish.
    spanish = _client(Role.ANALYST, "es").get(f"/staff/people/{handle}/").content.decode()
    assert "fuente protegida" in spanish and "protected source" not in spanish
    # A verifier is told who it is, on the same pages.
    verifier = _client(Role.VERIFIER).get(f"/staff/people/{handle}/").content.decode()
    assert "Guard at the prison" in verifier


def test_the_placeholder_is_written_in_one_place() -> None:
    """No module or template but ``access/sources.py`` writes the words out: a second copy
    is how the two spellings ("protected" and "protected source") came about."""
    found = []
    for path in SRC.rglob("*.py"):
        if path == HOME or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and node.value == "protected source":
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
            # A masked slug compared by hand instead of with the constant.
            if isinstance(node, ast.Compare) and any(
                isinstance(c, ast.Constant) and c.value == PROTECTED
                for c in [node.left, *node.comparators]
            ):
                found.append(f"{path.relative_to(SRC)}:{node.lineno} (compares with 'protected')")
    tag = re.compile(r"""\{%\s*(translate|trans)\s+["']protected source["']""")
    for path in SRC.rglob("*.html"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if tag.search(line):
                found.append(f"{path.relative_to(SRC)}:{number}")
    assert not found, f"use detente.access.sources instead: {found}"
