"""``detente merge``: merge two records of one person and undo it from the command line."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from tests.support import World

from detente.registry.models import Person


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("merge", *args, stdout=out)
    return out.getvalue()


def test_merge_then_split_from_the_command_line(world: World) -> None:
    survivor, merged = world.person(0), world.person(1)
    said = run("people", survivor.handle, merged.handle, "--reason", "same birth record")
    assert f"{merged.handle} is now {survivor.handle}" in said
    assert Person.objects.get(pk=merged.pk).merged_into_id == survivor.pk
    (row,) = json.loads(run("list", "--json"))["merges"]
    run("split", str(row["id"]), "--reason", "different mothers")
    assert Person.objects.get(pk=merged.pk).merged_into_id is None
    assert json.loads(run("list", "--json"))["merges"][0]["split_at"] is not None


def test_bad_merges_say_why(world: World) -> None:
    with pytest.raises(CommandError, match="no person 'P-999999'"):
        run("people", world.person(0).handle, "P-999999", "--reason", "x")
    with pytest.raises(CommandError, match="themselves"):
        run("people", world.person(0).handle, world.person(0).handle, "--reason", "x")
    with pytest.raises(CommandError, match="no merge #42"):
        run("split", "42", "--reason", "x")
