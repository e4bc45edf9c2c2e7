"""A ledger cut short after its last checkpoint still verifies on the server: `audit verify`
and the staff page say so every time, and the newest signed checkpoint is published for
anyone to keep, so a copy held elsewhere shows the cut."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from tests.support import TABLE, World, make_user, sql, triggers_off

from detente.access.policy import Role
from detente.audit import checkpoints, ledger
from detente.registry.services import person_create

URL = "/.well-known/detente/checkpoint"


@pytest.fixture
def signed(world: World, settings: Any, tmp_path: Path) -> int:
    """A ledger with a signed checkpoint over all of it; returns its size."""
    settings.DATA_DIR = tmp_path
    for i in range(3):
        person_create(actor=world.actor, given_names=f"Yusnier {i}", paternal_surname="Lazo")
    call_command("audit", "keygen", stdout=io.StringIO())
    call_command("audit", "checkpoint", stdout=io.StringIO())
    return ledger.verify().head_position


def _verify(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def test_verify_always_says_what_it_cannot_prove(signed: int, world: World) -> None:
    said = _verify()
    assert said.startswith("OK:")
    assert f"0 entries come after the last signed checkpoint (entry {signed})" in said
    assert f"Entries removed from the end after entry {signed} cannot be detected" in said
    report = json.loads(_verify("--json"))
    assert report["last_checkpoint_position"] == signed
    assert report["cut_after_last_checkpoint_detectable_here"] is False


def test_a_cut_after_the_checkpoint_passes_here_and_the_published_copy_shows_it(
    signed: int, world: World
) -> None:
    published = Client().get(URL)
    assert published.status_code == 200
    assert published["Content-Type"].startswith("text/plain")
    _private, public_path = checkpoints.key_paths()
    kept = checkpoints.parse_and_check(
        published.content.decode(), checkpoints.load_public(public_path)
    )
    assert kept.size == signed
    # More is recorded and signed; then an intruder deletes the newest entries and the
    # newest checkpoint file, leaving a chain that is whole and an older checkpoint.
    person_create(actor=world.actor, given_names="Dayron", paternal_surname="Lazo")
    call_command("audit", "checkpoint", stdout=io.StringIO())
    newest = checkpoints.parse_and_check(
        Client().get(URL).content.decode(), checkpoints.load_public(public_path)
    )
    assert newest.size > signed  # the page follows the newest checkpoint
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE position > %s", [signed])
    public = checkpoints.load_public(public_path)
    for path in checkpoints.checkpoint_dir().glob("checkpoint-*.txt"):
        if checkpoints.parse_and_check(path.read_text(), public).size > signed:
            path.unlink()
    said = _verify()
    assert said.startswith("OK:")  # nothing on the server can see the cut …
    assert f"after entry {signed} cannot be detected" in said  # … and it says so
    # … but the copy someone kept names a size the ledger no longer reaches.
    assert ledger.verify().head_position < newest.size


def test_without_a_checkpoint_nothing_is_claimed(
    world: World, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    assert "No signed checkpoint: nothing here proves" in _verify()
    assert Client().get(URL).status_code == 404


def test_the_staff_verify_page_says_it_too(signed: int, world: World) -> None:
    client = Client()
    client.force_login(make_user("vera", Role.VERIFIER, staff=True))
    html = client.post("/staff/ledger/verify/").content.decode()
    assert "The ledger is intact." in html
    assert f"Entries removed from the end after entry {signed}" in html
    assert f'href="{URL}"' in html
