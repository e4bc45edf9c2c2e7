"""The audit ledger: the database refuses changes, and verify names the entry tampered with."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction
from tests.support import TABLE, World, sql, triggers_off

from detente.audit import checkpoints, ledger
from detente.audit.models import AuditEntry
from detente.registry.services import person_create


def forge_after(entry: AuditEntry) -> None:
    """Insert a well-formed entry chained onto ``entry``, at the next position."""
    forged = ledger.entry_hash(
        entry.hash, entry.at, "", "intruder", "change", "person.create", "x", "1", "", "{}"
    )
    sql(
        f"INSERT INTO {TABLE} (position, at, actor_label, kind, action, object_type, "
        "object_id, request_id, data, prev_hash, hash) "
        "VALUES (%s, %s, 'intruder', 'change', 'person.create', 'x', '1', '', '{}', %s, %s)",
        [entry.position + 1, entry.at, entry.hash, forged],
    )


@pytest.fixture
def entries(world: World) -> int:
    for i in range(6):
        person_create(actor=world.actor, given_names=f"Yusnier {i}", paternal_surname="Lazo")
    result = ledger.verify()
    assert result.ok
    return result.head_position


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {TABLE} SET action = 'nothing' WHERE position = 2",
        f"DELETE FROM {TABLE} WHERE position = 2",
    ],
)
def test_the_database_refuses_update_and_delete(entries: int, statement: str) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql(statement)
    assert ledger.verify().ok


def test_the_orm_refuses_update_and_delete(entries: int) -> None:
    entry = AuditEntry.objects.get(position=2)
    for attempt in (entry.save, entry.delete, AuditEntry.objects.all().delete):
        with pytest.raises(TypeError):
            attempt()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(position=2).update(action="x")


def test_an_altered_entry_is_named(entries: int) -> None:
    with triggers_off():
        sql(f"UPDATE {TABLE} SET data = %s WHERE position = 4", ['{"forged":true}'])
    result = ledger.verify()
    assert (result.ok, result.first_bad_position) == (False, 4)
    assert "content" in result.reason


def test_a_deleted_entry_is_named(entries: int) -> None:
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE position = 3")
    result = ledger.verify()
    assert (result.ok, result.first_bad_position) == (False, 3)
    assert "missing" in result.reason


def test_a_deleted_entry_with_renumbering_is_named(entries: int) -> None:
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE position = 3")
        sql(f"UPDATE {TABLE} SET position = -position WHERE position > 3")
        sql(f"UPDATE {TABLE} SET position = -position - 1 WHERE position < 0")
    result = ledger.verify()
    assert (result.ok, result.first_bad_position) == (False, 3)


def test_an_inserted_entry_is_named(entries: int) -> None:
    with triggers_off():
        sql(f"UPDATE {TABLE} SET position = -position WHERE position > 2")
        sql(f"UPDATE {TABLE} SET position = -position + 1 WHERE position < 0")
        forge_after(AuditEntry.objects.get(position=2))
    result = ledger.verify()
    assert (result.ok, result.first_bad_position) == (False, 3)
    assert "inserted" in result.reason


def test_reordered_entries_are_named(entries: int) -> None:
    with triggers_off():
        sql(f"UPDATE {TABLE} SET position = -1 WHERE position = 4")
        sql(f"UPDATE {TABLE} SET position = 4 WHERE position = 5")
        sql(f"UPDATE {TABLE} SET position = 5 WHERE position = -1")
    result = ledger.verify()
    assert (result.ok, result.first_bad_position) == (False, 4)


def _rechain_from(position: int) -> None:
    """The careful attacker: change an entry and recompute every hash after it."""
    rows = list(AuditEntry.objects.order_by("position"))
    prev = ledger.GENESIS
    with triggers_off():
        for r in rows:
            data = '{"forged":true}' if r.position == position else r.data
            digest = ledger.entry_hash(
                prev,
                r.at,
                str(r.actor_id or ""),
                r.actor_label,
                r.kind,
                r.action,
                r.object_type,
                r.object_id,
                r.request_id,
                data,
            )
            sql(
                f"UPDATE {TABLE} SET data = %s, prev_hash = %s, hash = %s WHERE position = %s",
                [data, prev, digest, r.position],
            )
            prev = digest


def test_a_signed_checkpoint_catches_a_rechained_ledger(
    entries: int, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    call_command("audit", "keygen", stdout=io.StringIO())
    out = io.StringIO()
    call_command("audit", "checkpoint", stdout=out)
    assert f"\n{entries}\n" in out.getvalue()
    call_command("audit", "verify", stdout=io.StringIO())
    _rechain_from(2)
    assert ledger.verify().ok  # the chain alone cannot tell
    with pytest.raises(CommandError, match=f"entry {entries}: it differs from a signed checkpoint"):
        call_command("audit", "verify", stdout=io.StringIO())


def test_a_checkpoint_signed_by_another_key_is_rejected(
    entries: int, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    call_command("audit", "keygen", stdout=io.StringIO())
    call_command("audit", "checkpoint", stdout=io.StringIO())
    other = tmp_path / "other"
    checkpoints.generate_key(other / "k.pem", other / "k.pub")
    with pytest.raises(CommandError, match="no signature by this key"):
        call_command("audit", "verify", "--pubkey", str(other / "k.pub"), stdout=io.StringIO())
    (cp,) = (tmp_path / "checkpoints").glob("*.txt")
    cp.write_text(cp.read_text().replace(f"\n{entries}\n", f"\n{entries - 1}\n"))
    with pytest.raises(CommandError, match="does not verify"):
        call_command("audit", "verify", stdout=io.StringIO())


def test_checkpoint_needs_a_key(entries: int, settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    with pytest.raises(CommandError, match="keygen"):
        call_command("audit", "checkpoint", stdout=io.StringIO())


def test_verify_command_reports_the_bad_entry(entries: int) -> None:
    with triggers_off():
        sql(f"UPDATE {TABLE} SET actor_label = 'someone-else' WHERE position = 5")
    with pytest.raises(CommandError, match="entry 5"):
        call_command("audit", "verify", stdout=io.StringIO())


def test_entries_after_the_last_checkpoint_are_reported_as_unproven(
    entries: int, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    call_command("audit", "keygen", stdout=io.StringIO())
    call_command("audit", "checkpoint", stdout=io.StringIO())
    # Someone with database access appends a well-formed entry at the end.
    last = AuditEntry.objects.order_by("-position").first()
    assert last is not None
    forge_after(last)
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "1 entries come after the last signed checkpoint" in out.getvalue()


def test_two_checkpoints_of_one_size_with_different_heads_are_a_fork(
    entries: int, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    call_command("audit", "keygen", stdout=io.StringIO())
    call_command("audit", "checkpoint", stdout=io.StringIO())
    (cp,) = (tmp_path / "checkpoints").glob("*.txt")
    key = checkpoints.load_private(checkpoints.key_paths()[0])
    (tmp_path / "checkpoints" / "checkpoint-forked.txt").write_text(
        checkpoints.sign(entries, "ab" * 32, key)
    )
    with pytest.raises(CommandError, match="fork"):
        call_command("audit", "verify", stdout=io.StringIO())
    assert cp.exists()
