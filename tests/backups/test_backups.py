"""Backups that restore: ``detente backup`` and ``detente restore`` (docs/operations.md).

A scratch Detente (its own data directory, and its own database: a SQLite file, or a
fresh PostgreSQL database when DATABASE_URL points at PostgreSQL) is set up and backed up
once per module by tests/backups/scenario.py in its own process: once at rest, once while
another thread records claims. The restores run here, into fresh data directories (and,
on PostgreSQL, fresh scratch databases named after the test database, dropped after).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pyrage
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.management import CommandError, call_command
from pyrage import x25519

from detente.audit import checkpoints
from detente.backups import archive, database, keys

ROOT = Path(__file__).resolve().parents[2]
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def _admin_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))


def _url_of(name: str) -> str:
    return urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))


def _create_db(name: str) -> None:
    import psycopg

    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_db(name: str) -> None:
    import psycopg

    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    """The scratch Detente's two backups and what it held (see scenario.py)."""
    base = tmp_path_factory.mktemp("backup-source")
    out = base / "out"
    out.mkdir()
    recipient = keys.keygen(out / "identity.txt")
    env = {
        **os.environ,
        "DETENTE_BACKUP_DIR": str(base / "scheduled"),
        "DETENTE_BACKUP_RECIPIENTS": recipient,
        "DETENTE_BACKUP_KEEP": "2",
        "DETENTE_DATA_DIR": str(base / "data"),
        "DETENTE_SIGNING_KEY_FILE": str(base / "config" / "ledger-ed25519.pem"),
        "DETENTE_MASTER_KEY_FILE": str(base / "config" / "master-key"),
        "DETENTE_TASKS": "database",
        "PYTHONPATH": str(ROOT),
    }
    name = ""
    if ON_POSTGRES:
        name = f"helperb_backup_src_{uuid.uuid4().hex[:8]}"
        _create_db(name)
        env["DATABASE_URL"] = _url_of(name)
    else:
        env["DATABASE_URL"] = f"sqlite:///{base / 'data' / 'detente.sqlite3'}"
    try:
        done = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, "-m", "tests.backups.scenario", str(out)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        found = json.loads(done.stdout.strip().splitlines()[-1])
        yield {**found, "source": base / "data", "backup_dir": base / "scheduled"}
    finally:
        if name:
            _drop_db(name)


@pytest.fixture
def target_db(db: Any) -> Iterator[str | None]:
    """On PostgreSQL, an empty database to restore into, named after the test database."""
    if not ON_POSTGRES:
        yield None
        return
    name = f"{settings.DATABASES['default']['NAME']}_restore_{uuid.uuid4().hex[:6]}"
    _create_db(name)
    try:
        yield _url_of(name)
    finally:
        _drop_db(name)


def _restore(
    file: str | Path, identity: str | Path, target: Path, url: str | None, *more: str
) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = [str(file), "--identity", str(identity), "--data-dir", str(target), *more]
    if url:
        args += ["--database-url", url]
    call_command("restore", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _restored_db(target: Path, url: str | None) -> dict[str, Any]:
    if url:
        from detente.settings import database_from_url

        return database_from_url(url)
    return database.sqlite_readonly(target / "detente.sqlite3")


def _ledger(target: Path, url: str | None) -> Any:
    with database.opened(_restored_db(target, url)) as conn:
        return database.verify_ledger(conn)


def _left_beside(target: Path) -> list[str]:
    """Anything a restore left next to the target (temporary folders, partial copies)."""
    return sorted(p.name for p in target.parent.iterdir() if p.name != target.name)


def _header(path: str | Path, identity: str | Path) -> dict[str, Any]:
    plain = pyrage.decrypt(Path(path).read_bytes(), keys.identities(Path(identity)))
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        member = tar.extractfile(archive.HEADER)
        assert member is not None
        return dict(json.loads(member.read()))


# --- Restoring what was backed up -----------------------------------------------------------


def test_a_backup_restores_into_a_fresh_data_directory_and_its_ledger_verifies(
    scratch: dict[str, Any], target_db: str | None, tmp_path: Path
) -> None:
    target = tmp_path / "restored"
    out, err = _restore(
        scratch["at_rest"], scratch["identity"], target, target_db, "--pubkey", scratch["pubkey"]
    )

    n = scratch["ledger_at_rest"]
    assert f"Ledger: {n} entries, verified" in out
    assert "Signed checkpoint: signature verified" in out
    assert "3 people, 1 agreements" in out and "1 attachments" in out
    assert err == ""
    # What was in the data directory is back, byte for byte.
    digest = scratch["attachment_sha256"]
    stored = scratch["attachment_file"]
    kept = target / "attachments" / stored
    # (sealed at rest, docs/keys.md: the backup carries the sealed file, never the text,
    # under a keyed name, never its SHA-256)
    source = scratch["source"] / "attachments" / stored
    assert digest not in stored and not (target / "attachments" / digest[:2] / digest).exists()
    assert kept.read_bytes() == source.read_bytes()
    assert scratch["evidence"].encode() not in kept.read_bytes()
    assert oct(kept.stat().st_mode & 0o777) == "0o600"
    assert (target / "keys" / "secret_key").read_text() == scratch["secret_key"]
    assert list((target / "checkpoints").glob("checkpoint-*.txt"))
    # The database: the whole ledger, as the backup recorded it.
    result = _ledger(target, target_db)
    assert result.ok and result.head_position == n
    header = _header(scratch["at_rest"], scratch["identity"])
    assert header["ledger"]["size"] == n
    assert header["ledger"]["root_hash"] == result.root_hash
    assert checkpoints.parse_unchecked(header["checkpoint"])[0].size == n
    assert header["engine"] == ("postgresql" if ON_POSTGRES else "sqlite")
    # Nothing that is not durable, and never the signing key.
    names = _members(scratch["at_rest"], scratch["identity"])
    assert not [m for m in names if m.startswith(("files/static", "files/detente.sqlite3"))]
    assert not [m for m in names if m.endswith(".pem")]
    assert _left_beside(target) == []


def _members(path: str | Path, identity: str | Path) -> list[str]:
    plain = pyrage.decrypt(Path(path).read_bytes(), keys.identities(Path(identity)))
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        return tar.getnames()


def test_a_backup_taken_while_claims_were_recorded_restores_to_a_ledger_that_verifies(
    scratch: dict[str, Any], target_db: str | None, tmp_path: Path
) -> None:
    # The writer kept recording during the backup: the live ledger grew meanwhile.
    assert scratch["ledger_after_second"] > scratch["ledger_before_second"]
    header = _header(scratch["during_writes"], scratch["identity"])
    size = header["ledger"]["size"]
    assert scratch["ledger_before_second"] <= size <= scratch["ledger_after_second"]
    assert size < scratch["ledger_at_end"]

    target = tmp_path / "restored"
    out, _err = _restore(
        scratch["during_writes"],
        scratch["identity"],
        target,
        target_db,
        "--pubkey",
        scratch["pubkey"],
    )
    assert f"Ledger: {size} entries, verified" in out
    result = _ledger(target, target_db)
    assert result.ok and result.head_position == size
    assert result.head_hash == header["ledger"]["head_hash"]


# --- Bad input: refused, clearly, with the target untouched -----------------------------------


def test_a_wrong_identity_is_refused_before_anything_is_written(
    scratch: dict[str, Any], target_db: str | None, tmp_path: Path
) -> None:
    other = tmp_path / "other.txt"
    keys.keygen(other)
    target = tmp_path / "restored"
    with pytest.raises(CommandError, match=r"not encrypted to the identity in .*other\.txt"):
        _restore(scratch["at_rest"], other, target, target_db)
    assert not target.exists()
    assert _left_beside(target) == ["other.txt"]


def test_a_missing_or_empty_identity_file_is_named(scratch: dict[str, Any], tmp_path: Path) -> None:
    target = tmp_path / "restored"
    with pytest.raises(CommandError, match=r"identity file .*nowhere\.txt does not exist"):
        _restore(scratch["at_rest"], tmp_path / "nowhere.txt", target, None)
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing here\n")
    with pytest.raises(CommandError, match="holds no age identity"):
        _restore(scratch["at_rest"], empty, target, None)
    assert not target.exists()


@pytest.mark.parametrize("damage", ["truncated", "byte flipped"])
def test_a_damaged_backup_is_refused_and_the_target_is_untouched(
    scratch: dict[str, Any], target_db: str | None, tmp_path: Path, damage: str
) -> None:
    data = bytearray(Path(scratch["at_rest"]).read_bytes())
    if damage == "truncated":
        data = data[: len(data) * 2 // 3]
    else:
        data[len(data) // 2] ^= 0x01
    bad = tmp_path / "bad.age"
    bad.write_bytes(bytes(data))
    target = tmp_path / "restored"
    target.mkdir()
    with pytest.raises(CommandError, match="damaged or cut short") as refused:
        _restore(bad, scratch["identity"], target, target_db)
    assert "Nothing was restored" in str(refused.value)
    assert list(target.iterdir()) == []
    assert _left_beside(target) == ["bad.age"]
    if target_db:
        from detente.settings import database_from_url

        assert database.pg_table_count(database_from_url(target_db)) == 0


def test_a_member_altered_inside_a_well_encrypted_file_is_refused(
    scratch: dict[str, Any], target_db: str | None, tmp_path: Path
) -> None:
    """Anyone holding the recipient (a public key) can encrypt a file: the manifest's
    hashes still catch an altered member."""
    identities = keys.identities(Path(scratch["identity"]))
    plain = pyrage.decrypt(Path(scratch["at_rest"]).read_bytes(), identities)
    # The attachment, sealed at rest (docs/keys.md), one byte of it changed.
    sealed = (scratch["source"] / "attachments" / scratch["attachment_file"]).read_bytes()
    assert plain.count(sealed) == 1 and scratch["evidence"].encode() not in plain
    forged = plain.replace(sealed, sealed[:-1] + bytes([sealed[-1] ^ 1]))
    bad = tmp_path / "forged.age"
    bad.write_bytes(pyrage.encrypt(forged, [x25519.Recipient.from_str(scratch["recipient"])]))
    target = tmp_path / "restored"
    with pytest.raises(CommandError, match=r"files/attachments/.* does not match its SHA-256"):
        _restore(bad, scratch["identity"], target, target_db)
    assert not target.exists() or list(target.iterdir()) == []
    assert _left_beside(target) == ["forged.age"]


def test_a_checkpoint_that_does_not_verify_stops_the_restore_before_it_is_served(
    scratch: dict[str, Any], target_db: str | None, tmp_path: Path
) -> None:
    stranger = tmp_path / "stranger.pub"
    public = checkpoints.raw_public(Ed25519PrivateKey.generate().public_key())
    import base64

    stranger.write_text(base64.b64encode(public).decode() + "\n")
    target = tmp_path / "restored"
    with pytest.raises(CommandError, match="does not verify with") as refused:
        _restore(
            scratch["at_rest"], scratch["identity"], target, target_db, "--pubkey", str(stranger)
        )
    message = str(refused.value)
    assert "NOT to be served" in message
    assert not (target / "detente.sqlite3").exists()
    failed = [p for p in tmp_path.iterdir() if ".restore-failed-" in p.name]
    assert len(failed) == 1 and failed[0].name in message.replace(str(tmp_path) + "/", "")
    if target_db:
        from detente.settings import database_from_url

        assert "was emptied again" in message
        assert database.pg_table_count(database_from_url(target_db)) == 0


@pytest.mark.skipif(ON_POSTGRES, reason="edits the SQLite snapshot inside the backup")
def test_a_backup_whose_ledger_was_rewritten_is_not_served(
    scratch: dict[str, Any], db: Any, tmp_path: Path
) -> None:
    """Someone holding the recipient rewrites an entry (triggers dropped) and builds a
    backup whose manifest matches: the restored ledger does not verify, so nothing is
    kept, even with no public key at hand."""
    import sqlite3

    identities = keys.identities(Path(scratch["identity"]))
    plain = pyrage.decrypt(Path(scratch["at_rest"]).read_bytes(), identities)
    unpacked = tmp_path / "unpacked"
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        names = tar.getnames()
        tar.extractall(unpacked, filter="data")
    header = json.loads((unpacked / archive.HEADER).read_text())
    db_file = unpacked / archive.DATABASE_MEMBERS["sqlite"]
    with sqlite3.connect(db_file) as conn:
        triggers = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
            ["audit_auditentry"],
        ).fetchall()
        for (name,) in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute("UPDATE audit_auditentry SET data = '{}' WHERE position = 3")
    sources = [
        archive.Source(name, unpacked / name)
        for name in names
        if name not in (archive.HEADER, archive.MANIFEST)
    ]
    forged = tmp_path / "forged.age"
    with forged.open("wb") as out:
        archive.write(out, header, sources, [x25519.Recipient.from_str(scratch["recipient"])])

    target = tmp_path / "restored"
    with pytest.raises(CommandError, match="restored ledger does not verify: entry 3") as refused:
        _restore(forged, scratch["identity"], target, None)
    assert "NOT to be served" in str(refused.value)
    assert not target.exists() or list(target.iterdir()) == []


def test_without_the_public_key_the_checkpoint_is_said_to_be_unchecked(
    scratch: dict[str, Any], target_db: str | None, tmp_path: Path
) -> None:
    out, err = _restore(scratch["at_rest"], scratch["identity"], tmp_path / "r", target_db)
    assert "Ledger:" in out and "verified" in out
    assert "signed checkpoint NOT verified" in err and "--pubkey" in err


def test_a_data_directory_that_holds_data_needs_force(
    scratch: dict[str, Any], target_db: str | None, tmp_path: Path
) -> None:
    target = tmp_path / "restored"
    (target / "attachments").mkdir(parents=True)
    precious = target / "attachments" / "kept.txt"
    precious.write_text("earlier data")
    with pytest.raises(CommandError, match=r"is not empty \(attachments/kept\.txt.*--force"):
        _restore(scratch["at_rest"], scratch["identity"], target, target_db)
    assert precious.read_text() == "earlier data"
    assert _left_beside(target) == []

    out, _err = _restore(scratch["at_rest"], scratch["identity"], target, target_db, "--force")
    assert "Ledger:" in out and "before-restore" in out
    aside = next(p for p in tmp_path.iterdir() if ".before-restore-" in p.name)
    assert (aside / "attachments" / "kept.txt").read_text() == "earlier data"
    assert not (target / "attachments" / "kept.txt").exists()
    assert _ledger(target, target_db).head_position == scratch["ledger_at_rest"]


@pytest.mark.skipif(not ON_POSTGRES, reason="a database to restore into: PostgreSQL only")
def test_a_database_that_holds_tables_needs_force(
    scratch: dict[str, Any], target_db: str | None, tmp_path: Path
) -> None:
    _restore(scratch["at_rest"], scratch["identity"], tmp_path / "first", target_db)
    with pytest.raises(CommandError, match=r"already holds \d+ tables.*--force"):
        _restore(scratch["during_writes"], scratch["identity"], tmp_path / "second", target_db)
    assert not (tmp_path / "second").exists()
    assert _ledger(tmp_path / "first", target_db).head_position == scratch["ledger_at_rest"]
    _restore(
        scratch["during_writes"], scratch["identity"], tmp_path / "second", target_db, "--force"
    )
    header = _header(scratch["during_writes"], scratch["identity"])
    assert _ledger(tmp_path / "second", target_db).head_position == header["ledger"]["size"]


# --- Taking a backup ------------------------------------------------------------------------


def test_no_recipient_is_refused_and_nothing_is_written(settings: Any, tmp_path: Path) -> None:
    settings.DETENTE_BACKUP_RECIPIENTS = []
    settings.DETENTE_BACKUP_RECIPIENTS_FILE = None
    with pytest.raises(CommandError, match="no recipient to encrypt the backup to"):
        call_command("backup", output=tmp_path / "b.age")
    with pytest.raises(CommandError, match=r"--recipient: 'ssh-ed25519 AAAA' is not an age"):
        call_command("backup", output=tmp_path / "b.age", recipient=["ssh-ed25519 AAAA"])
    assert list(tmp_path.iterdir()) == []


def test_keygen_writes_a_private_identity_once(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "backup-identity.txt"
    out = io.StringIO()
    call_command("backup", keygen=path, stdout=out)
    recipient = next(line for line in out.getvalue().splitlines() if line.startswith("age1"))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert str(keys.identities(path)[0].to_public()) == recipient
    with pytest.raises(CommandError, match="refusing to overwrite an identity"):
        call_command("backup", keygen=path, stdout=io.StringIO())


def test_the_worker_backs_up_on_schedule_keeps_the_newest_and_writes_the_ledger(
    scratch: dict[str, Any],
) -> None:
    done = scratch["scheduled"]
    # `migrate` queued the first run, as backups are configured; the worker ran it.
    assert done["queued_by_migrate"] == ["READY"]
    assert done["successful"] == 1
    # Two kept: the new one and the newest older one; never a file that is not a backup.
    assert len(done["files"]) == 3 and "notes.txt" in done["files"]
    assert "detente-backup-20260103T000000Z.age" in done["files"]
    written = sorted(set(done["files"]) - {"notes.txt", "detente-backup-20260103T000000Z.age"})
    assert len(written) == 1 and written[0].startswith("detente-backup-")
    path = Path(scratch["backup_dir"]) / written[0]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert _header(path, scratch["identity"])["format"] == archive.FORMAT
    # The ledger says so: which file, what it pruned, scheduled.
    [entry] = done["entries"][:1]
    assert entry["file"] == written[0] and entry["scheduled"] is True
    assert entry["pruned"] == [
        "detente-backup-20260102T000000Z.age",
        "detente-backup-20260101T000000Z.age",
    ]
    # The next run waits a day; running again at once writes nothing.
    assert done["ready"] == 1 and 23.5 < done["next_in_hours"] <= 24
    assert done["second_run"] == {"done": False, "reason": "not due"}
    assert done["files_after_second_run"] == done["files"]
    assert "2 backup(s)" in done["listing"] and written[0] in done["listing"]
    assert "Next scheduled backup" in done["listing"]
