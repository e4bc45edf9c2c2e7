"""Notes and attachment files encrypted at rest (issue 17, point 1; docs/keys.md): what the
database and the data directory hold alone, the keys that open them, rotation, and the
refusals when a key is wrong or a ciphertext was moved, altered or cut short."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test import Client
from tests.support import World, make_user

from detente.access.policy import Role
from detente.audit.models import AuditEntry
from detente.casework import files, selectors, services
from detente.casework.models import Attachment, Note, NoteVersion
from detente.keys import checks, master, ring
from detente.keys.models import DataKey

SECRET = "Cell 14, met the lawyer: Rosalind"
HEAD, BLOCK = ring.FILE_HEADER_BYTES, ring.CHUNK + 16  # a sealed file's header, one chunk
PDF = b"%PDF-1.7\n" + b"".join(b"%% line %06d of the statement\n" % i for i in range(9000))


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    # No wait for other processes to see new data keys (there are none here).
    monkeypatch.setattr(ring, "CURRENT_TTL", 0.0)
    return tmp_path


def _note(world: World, text: str = SECRET) -> Note:
    return services.note_add(actor=world.actor, person=world.person(0), body=f"<p>{text}</p>")


def _attach(world: World, note: Note, data: bytes = PDF) -> Attachment:
    chunks = [data[i : i + 10_000] for i in range(0, len(data), 10_000)]
    return services.attachment_add(actor=world.actor, chunks=chunks, name="s.pdf", note=note)


def _raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM {table}")
        return [row[0] for row in cur.fetchall()]


def _other_master(settings: Any, tmp_path: Path, name: str = "other-key") -> None:
    """Point the settings at another (new) master key, forgetting what this process holds."""
    path = tmp_path / name
    master.create_file(path)
    settings.DETENTE_MASTER_KEY_FILE = path
    ring.forget()


def _reread(note: Note) -> Note:
    return Note.objects.get(pk=note.pk)


# --- What the database and the disk hold alone ---------------------------------------------


def test_the_database_alone_holds_no_note_text(world: World) -> None:
    note = _note(world)
    services.note_edit(actor=world.actor, note=note, body="<p>Second visit: Rosalind again</p>")
    stored = _raw("casework_note", "sealed_body") + _raw("casework_noteversion", "sealed_body")
    assert len(stored) == 3 and all(s.startswith(ring.TEXT_PREFIX) for s in stored)
    assert not any("Rosalind" in s or "Cell 14" in s for s in stored)
    wrapped = _raw("keys_datakey", "wrapped")
    assert wrapped and not any(master.configured().key.hex() in w for w in wrapped)
    # Read through the selectors, by someone allowed: the text as written, every version.
    analyst = make_user("ana", Role.ANALYST)
    shown = selectors.note_get(analyst, note.pk)
    assert "Rosalind again" in shown.body
    history = [v.body for v in NoteVersion.objects.filter(note=note).order_by("number")]
    assert history == [f"<p>{SECRET}</p>", "<p>Second visit: Rosalind again</p>"]


def test_the_stored_file_alone_holds_no_content_and_reads_back_whole(world: World) -> None:
    row = _attach(world, _note(world))
    on_disk = files.path_of(row.sha256).read_bytes()
    assert b"of the statement" not in on_disk and on_disk.startswith(ring.FILE_MAGIC)
    assert row.sha256 == hashlib.sha256(PDF).hexdigest()  # of the plaintext, as shown
    client = Client()
    client.force_login(make_user("ana", Role.ANALYST))
    got = client.get(f"/staff/attachments/{row.pk}/download/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF  # type: ignore[attr-defined]
    assert int(got["Content-Length"]) == len(PDF)


# --- Moved, altered, cut short -----------------------------------------------------------------


def test_a_note_text_copied_to_another_row_does_not_open(world: World) -> None:
    first, second = _note(world), _note(world, "Nothing to report")
    Note.objects.filter(pk=second.pk).update(sealed_body=_reread(first).sealed_body)
    with pytest.raises(ring.Undecryptable, match="moved from another row"):
        _reread(second).body  # noqa: B018 - reading is the test
    # The same for a version copied over another note's version.
    v1 = NoteVersion.objects.get(note=first).sealed_body
    NoteVersion._base_manager.filter(note=second).update(sealed_body=v1)
    with pytest.raises(ring.Undecryptable):
        NoteVersion.objects.get(note=second).body  # noqa: B018
    # And the page refuses rather than showing it.
    client = Client(raise_request_exception=False)
    client.force_login(make_user("ana", Role.ANALYST))
    assert client.get(f"/staff/notes/{second.pk}/").status_code == 500
    assert client.get(f"/staff/notes/{first.pk}/").status_code == 200


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda b: b[: HEAD + BLOCK], id="cut-at-a-chunk"),
        pytest.param(lambda b: b[:-7], id="cut-in-the-last-chunk"),
        pytest.param(lambda b: b[:200] + bytes([b[200] ^ 1]) + b[201:], id="one-bit-flipped"),
        pytest.param(
            lambda b: (
                b[:HEAD]
                + b[HEAD + BLOCK : HEAD + 2 * BLOCK]
                + b[HEAD : HEAD + BLOCK]
                + b[HEAD + 2 * BLOCK :]
            ),
            id="chunks-swapped",
        ),
    ],
)
def test_a_stored_file_altered_or_cut_short_is_refused_before_a_byte_is_sent(
    world: World, spoil: Any, tmp_path: Path
) -> None:
    assert len(PDF) > 2 * ring.CHUNK  # several chunks
    row = _attach(world, _note(world))
    path = files.path_of(row.sha256)
    path.write_bytes(spoil(path.read_bytes()))
    with pytest.raises(files.Unreadable, match="does not open at part"):
        files.plain_chunks(row.sha256)
    client = Client()
    client.force_login(make_user("ana", Role.ANALYST))
    got = client.get(f"/staff/attachments/{row.pk}/download/")
    assert got.status_code == 500 and b"cannot be read" in got.content
    assert b"of the statement" not in got.content
    out = tmp_path / "out.pdf"
    with pytest.raises(CommandError, match="does not open"):
        call_command("attach", "get", str(row.pk), "--output", str(out))
    assert not out.exists()


def test_a_stored_file_missing_on_this_server_is_refused_with_the_reason(
    world: World, tmp_path: Path
) -> None:
    # A second server without the shared attachments folder (docs/deployment.md).
    row = _attach(world, _note(world))
    files.path_of(row.sha256).unlink()
    client = Client()
    client.force_login(make_user("ana", Role.ANALYST))
    got = client.get(f"/staff/attachments/{row.pk}/download/")
    assert got.status_code == 500
    assert b"cannot be read" in got.content and b"shared folder mounted" in got.content
    out = tmp_path / "out.pdf"
    with pytest.raises(CommandError, match="attachments folder"):
        call_command("attach", "get", str(row.pk), "--output", str(out))
    assert not out.exists()


def test_a_sealed_file_moved_under_another_files_name_is_refused(world: World) -> None:
    note = _note(world)
    one, two = _attach(world, note), _attach(world, note, PDF + b"%% another\n")
    files.path_of(two.sha256).write_bytes(files.path_of(one.sha256).read_bytes())
    with pytest.raises(files.Unreadable, match="moved from another file"):
        files.plain_chunks(two.sha256)


# --- Rotation ----------------------------------------------------------------------------------


def test_rotation_keeps_every_note_and_file_readable(
    world: World, settings: Any, tmp_path: Path
) -> None:
    note = _note(world)
    services.note_edit(actor=world.actor, note=note, body="<p>v2</p>")
    row = _attach(world, note)
    old_key = master.configured()
    keyfile = Path(settings.DETENTE_MASTER_KEY_FILE)
    out = io.StringIO()
    call_command("keys", "rotate", stdout=out)
    new_key = master.configured()
    assert new_key.fingerprint != old_key.fingerprint and "re-wrapped" in out.getvalue()
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    kept = keyfile.with_name(f"{keyfile.name}.previous-{old_key.fingerprint}")
    assert master.parse(kept.read_text(), "old") == old_key.key
    assert set(DataKey.objects.values_list("master_fingerprint", flat=True)) == {
        new_key.fingerprint
    }
    ring.forget()  # a new process: only the new master key
    assert _reread(note).body == "<p>v2</p>" and _plain_of(row) == PDF
    # New data keys: every note, version and file sealed again, all still readable.
    before = {n: ring.key_id_of(s) for n, s in Note.objects.values_list("pk", "sealed_body")}
    call_command("keys", "rotate", "--data", "--batch-size", "1", stdout=io.StringIO())
    ring.forget()
    assert sorted(
        DataKey.objects.filter(record_class="casework.note").values_list("version", flat=True)
    ) == [1, 2]
    current = ring.current("casework.note").key_id
    assert {ring.key_id_of(s) for s in _raw("casework_note", "sealed_body")} == {current}
    assert {ring.key_id_of(s) for s in _raw("casework_noteversion", "sealed_body")} == {current}
    assert before[note.pk] != current
    with files.path_of(row.sha256).open("rb") as fh:
        assert ring.file_key_id(fh) == ring.current("casework.attachment").key_id
    assert [v.body for v in NoteVersion.objects.filter(note=note).order_by("number")] == [
        f"<p>{SECRET}</p>",
        "<p>v2</p>",
    ]
    assert _plain_of(row) == PDF
    actions = list(
        AuditEntry.objects.filter(action__startswith="keys.").values_list("action", flat=True)
    )
    assert actions == ["keys.rotate", "keys.rotate", "keys.reseal"]
    # The old master key no longer opens anything.
    settings.DETENTE_MASTER_KEY_FILE = kept
    ring.forget()
    assert [m.id for m in checks.master_key(None)] == ["detente.E302"]


def _plain_of(row: Attachment) -> bytes:
    return b"".join(files.plain_chunks(row.sha256))  # fmt: skip


def test_a_file_stored_before_encryption_is_read_if_whole_and_sealed_by_rotate_data(
    world: World,
) -> None:
    row = _attach(world, _note(world))
    path = files.path_of(row.sha256)
    path.write_bytes(PDF)  # as files were kept before this change
    assert _plain_of(row) == PDF
    call_command("keys", "rotate", "--data", "--keep-master", stdout=io.StringIO())
    assert not path.exists()  # moved to the new data key's name as it was sealed
    path = files.path_of(row.sha256)
    assert path.read_bytes().startswith(ring.FILE_MAGIC) and _plain_of(row) == PDF
    path.write_bytes(PDF.replace(b"line 000001", b"line 999999"))  # plain and altered
    with pytest.raises(files.Unreadable, match="does not match its SHA-256"):
        files.plain_chunks(row.sha256)


def test_rotation_refuses_a_master_key_given_in_the_environment(
    world: World, settings: Any
) -> None:
    _note(world)
    settings.DETENTE_MASTER_KEY = master.encode(master.configured().key)
    with pytest.raises(CommandError, match="comes from DETENTE_MASTER_KEY"):
        call_command("keys", "rotate", stdout=io.StringIO())
    call_command("keys", "rotate", "--data", "--keep-master", stdout=io.StringIO())
    assert _reread(_note(world)).body == f"<p>{SECRET}</p>"


# --- The key: missing, wrong, misplaced --------------------------------------------------------


def test_a_wrong_master_key_stops_the_server_and_the_worker_before_they_start(
    world: World, settings: Any, tmp_path: Path
) -> None:
    note = _note(world)
    _other_master(settings, tmp_path)
    found = checks.master_key(None)
    assert [m.id for m in found] == ["detente.E302"]
    assert "does not open the data key casework.note v1" in found[0].msg
    for command in ("serve", "db_worker"):
        with pytest.raises(SystemCheckError, match="does not open"):
            call_command(command, skip_checks=False)
    with pytest.raises(master.KeyProblem, match="lost key is lost data"):
        _reread(note).body  # noqa: B018 - and nothing is read half-way either
    with pytest.raises(CommandError, match="does not open every data key"):
        call_command("keys", "status", stdout=io.StringIO())


def test_production_without_a_master_key_refuses_to_start(
    world: World, settings: Any, tmp_path: Path
) -> None:
    settings.PRODUCTION = True
    settings.DETENTE_MASTER_KEY_FILE = tmp_path / "nowhere" / "master-key"
    found = checks.master_key(None)
    assert [m.id for m in found] == ["detente.E301"]
    assert "detente keys init" in found[0].msg
    assert not (tmp_path / "nowhere" / "master-key").exists()  # never made in production
    with pytest.raises(SystemCheckError, match="no master key"):
        call_command("serve", skip_checks=False)


def test_a_master_key_in_the_data_directory_is_refused(settings: Any, tmp_path: Path) -> None:
    inside = Path(settings.DATA_DIR) / "keys" / "master-key"
    settings.DETENTE_MASTER_KEY_FILE = inside
    assert "inside the data directory" in checks.master_key(None)[0].msg
    with pytest.raises(CommandError, match="inside the data directory"):
        call_command("keys", "init", stdout=io.StringIO())
    assert not inside.exists()


def test_a_malformed_master_key_is_named(settings: Any, tmp_path: Path) -> None:
    settings.DETENTE_MASTER_KEY = "not-a-key"
    found = checks.master_key(None)
    assert found[0].id == "detente.E301" and "DETENTE_MASTER_KEY does not hold" in found[0].msg


def test_keys_init_writes_a_private_file_once_and_status_prints_no_secret(
    db: Any, settings: Any, tmp_path: Path
) -> None:
    path = tmp_path / "operator" / "master-key"
    settings.DETENTE_MASTER_KEY_FILE = path
    out = io.StringIO()
    call_command("keys", "init", stdout=out)
    assert str(path) in out.getvalue() and "lost data" in out.getvalue()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    key = master.configured(create=False)
    with pytest.raises(CommandError, match="refusing to overwrite"):
        call_command("keys", "init", stdout=io.StringIO())
    assert master.configured(create=False).key == key.key
    ring.seal_text("casework.note", "note:1", "x")  # makes the first data key
    shown = io.StringIO()
    call_command("keys", "status", stdout=shown)
    text = shown.getvalue()
    assert key.fingerprint in text and "casework.note" in text and "opens" in text
    assert master.encode(key.key).split(":")[1] not in text and key.key.hex() not in text


def test_two_processes_making_the_key_at_once_both_use_the_one_written_first(
    settings: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    # Two servers starting together outside production, with no key yet: the other one
    # writes its key between this one's look and its write.
    path = tmp_path / "together" / "master-key"
    settings.DETENTE_MASTER_KEY_FILE = path
    real = master.create_file
    theirs: list[master.MasterKey] = []

    def raced(where: Path) -> master.MasterKey:
        theirs.append(real(where))
        return real(where)

    monkeypatch.setattr(master, "create_file", raced)
    mine = master.configured()
    assert mine.key == theirs[0].key  # one key in force, not a refusal
    assert [p.name for p in path.parent.iterdir()] == ["master-key"]  # no half-written file


def test_the_migration_seals_notes_written_before(world: World) -> None:
    """Notes stored as plain text before this change are sealed in place by the migration
    (with the historical models, as `migrate` runs it), and read as they were written."""
    import importlib

    from django.db.migrations.executor import MigrationExecutor

    note = _note(world)
    services.note_edit(actor=world.actor, note=note, body="<p>Later</p>")
    Note.objects.filter(pk=note.pk).update(sealed_body="<p>Later</p>")
    NoteVersion._base_manager.filter(note=note, number=1).update(sealed_body=f"<p>{SECRET}</p>")
    with pytest.raises(ring.Undecryptable, match="not sealed"):
        _reread(note).body  # noqa: B018 - plain text is never taken for a sealed one
    migration = importlib.import_module("detente.casework.migrations.0004_sealed_notes")
    state = MigrationExecutor(connection).loader.project_state(("casework", "0004_sealed_notes"))
    migration.seal(state.apps, None)
    stored = _raw("casework_note", "sealed_body") + _raw("casework_noteversion", "sealed_body")
    assert not any("Later" in s or "Rosalind" in s for s in stored)
    assert _reread(note).body == "<p>Later</p>"
    history = [v.body for v in NoteVersion.objects.filter(note=note).order_by("number")]
    assert history == [f"<p>{SECRET}</p>", "<p>Later</p>"]


def test_a_note_read_again_from_the_database_shows_its_newest_text(world: World) -> None:
    note = _note(world)
    assert note.body == f"<p>{SECRET}</p>"
    services.note_edit(actor=world.actor, note=note, body="<p>Newer</p>")
    note.refresh_from_db()
    assert note.body == "<p>Newer</p>" and note.version == 2


def test_the_same_file_sent_again_replaces_a_stored_copy_that_does_not_open(world: World) -> None:
    note = _note(world)
    row = _attach(world, note)
    path = files.path_of(row.sha256)
    path.write_bytes(path.read_bytes()[:-20])  # damaged on disk
    with pytest.raises(files.Unreadable):
        files.plain_chunks(row.sha256)
    again = _attach(world, note)
    assert again.sha256 == row.sha256 and _plain_of(row) == PDF
