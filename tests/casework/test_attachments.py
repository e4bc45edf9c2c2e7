"""Evidence files (issue 16, point 3): recognised by content, sized while streamed, hashed,
kept in the data directory (0600), stripped of metadata on request, downloaded only through
recorded staff links, the command line and the API; anything refused leaves nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.http import Http404
from django.test import Client
from PIL import Image
from tests.support import World, make_user

from detente.access.policy import Role
from detente.api.services import token_create
from detente.audit import ledger
from detente.audit.models import AuditEntry
from detente.casework import files, selectors, services
from detente.casework.models import Attachment, Note
from detente.evidence.models import Claim
from detente.evidence.services import claim_record

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


def _stored(settings: Any) -> list[Path]:
    """Every file under the attachments folder (temporary ones included)."""
    folder = Path(settings.DATA_DIR) / "attachments"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _plain(sha256: str) -> bytes:
    """A stored file's content, opened with the attachments' data key."""
    return b"".join(files.plain_chunks(sha256))


def _note(world: World, visibility: str = "staff") -> Note:
    return services.note_add(
        actor=world.actor, person=world.person(0), body="<p>Met</p>", visibility=visibility
    )


def _add(world: World, data: bytes, name: str = "f.pdf", **subject: Any) -> Attachment:
    subject = subject or {"note": _note(world)}
    return services.attachment_add(
        actor=world.actor, chunks=[data[i : i + 1000] for i in range(0, len(data), 1000)],
        name=name, **subject,
    )  # fmt: skip


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    return out.getvalue()


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "QzCameraMaker"
    exif[0x8825] = {1: "N", 2: (23.0, 8.0, 12.5), 3: "W", 4: (82.0, 21.0, 5.0)}
    out = io.BytesIO()
    Image.new("RGB", (16, 8), "blue").save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


DOCX = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}


def _image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(out, kind)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PDF, "pdf"),
        (_png(), "png"),
        (_image("JPEG"), "jpeg"),
        (_image("GIF"), "gif"),
        (_image("WEBP"), "webp"),
        ("Seen on 3 May, well.\nÁngel\n".encode(), "text"),
        (_zip(DOCX), "docx"),
        (_zip({"[Content_Types].xml": b"<T/>", "xl/workbook.xml": b"<w/>"}), "xlsx"),
        (_zip({"mimetype": b"application/vnd.oasis.opendocument.text", "c.xml": b"<x/>"}), "odt"),
    ],
)
def test_an_accepted_file_is_kept_by_its_hash_for_the_server_only(
    world: World, settings: Any, data: bytes, kind: str
) -> None:
    row = _add(world, data, name="../../etc/evidence.bin")  # the name says nothing
    digest = hashlib.sha256(data).hexdigest()
    assert (row.kind, row.size, row.sha256) == (kind, len(data), digest)
    assert row.name == "evidence.bin"  # no folder from the name
    path = files.path_of(digest)
    # On disk only sealed, under a keyed name (never its SHA-256, docs/keys.md): the
    # content is read back through the key, never from the file.
    assert _stored(settings) == [path] and data[:40] not in path.read_bytes()
    assert digest not in str(path) and path.parent.parent == Path(settings.DATA_DIR) / "attachments"
    assert _plain(digest) == data
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    entry = AuditEntry.objects.order_by("-position").first()
    assert entry is not None and entry.action == "attachment.create"
    assert entry.payload["sha256"] == digest and entry.payload["person"] == world.person(0).handle
    assert entry.payload["name"].startswith("hmac:") and "evidence" not in entry.data
    assert ledger.verify().ok


def _bomb() -> bytes:
    return _zip({**DOCX, "word/media/zeros.bin": b"\0" * (3 * 1024 * 1024)})


@pytest.mark.parametrize(
    ("data", "name", "said"),
    [
        (b"MZ\x90\x00\x03" + b"\0" * 200, "report.pdf", "a Windows program"),
        (b"\x7fELF\x02\x01\x01" + b"\0" * 100, "photo.jpg", "an executable program (ELF)"),
        (b"#!/bin/sh\nrm -rf /\n", "notes.txt", "a script"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "a.pdf",
            "an SVG image",
        ),
        (b"<!doctype html><html><script>x()</script></html>", "a.txt", "XML or HTML markup"),
        (_zip({"payload.exe": b"MZ"}), "a.docx", "a ZIP archive that is not a Word"),
        (_bomb(), "a.docx", "zip bomb"),
        (_zip({**DOCX, "word/vbaProject.bin": b"x"}), "a.docx", "an office file with macros"),
        (b"\x1f\x8b\x08\x00" + b"\0" * 50, "a.pdf", "a gzip archive"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "a.png", "damaged or not what it claims"),
        (b"\xff\xfe\x00\x01binary\x00\x00", "a.txt", "binary data of a kind not recognised"),
        (b"", "empty.pdf", "This file is empty"),
    ],
)
def test_a_disguised_or_dangerous_file_is_refused_naming_it_and_nothing_is_kept(
    world: World, settings: Any, data: bytes, name: str, said: str
) -> None:
    settings.DETENTE_ATTACHMENT_MAX_UNPACKED_BYTES = 1024 * 1024
    note = _note(world)
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError, match=re.escape(said)) as refused:
        _add(world, data, name=name, note=note)
    assert "file" in refused.value.message_dict
    assert not Attachment.objects.exists() and AuditEntry.objects.count() == before
    assert _stored(settings) == []  # not even the temporary file


def test_a_file_over_the_limit_is_refused_while_it_streams(world: World, settings: Any) -> None:
    settings.DETENTE_ATTACHMENT_MAX_BYTES = 5000
    note = _note(world)
    sent: list[int] = []

    def chunks() -> Any:
        for i in range(100):  # 100 kB offered; reading stops past 5 kB
            sent.append(i)
            yield ((PDF if i == 0 else b"") + b"x" * 1000)[:1000]

    with pytest.raises(ValidationError, match=re.escape("larger than 0.00477 MB")):
        services.attachment_add(actor=world.actor, chunks=chunks(), name="big.pdf", note=note)
    assert len(sent) == 5 + 1  # the sixth chunk crossed the limit: nothing more was read
    assert not Attachment.objects.exists() and _stored(settings) == []


def test_stripped_image_for_everyone_the_original_for_verifiers_only(
    world: World, settings: Any
) -> None:
    original = _jpeg_with_gps()
    assert b"QzCameraMaker" in original
    row = services.attachment_add(
        actor=world.actor,
        chunks=[original],
        name="cell.jpg",
        note=_note(world),
        strip_metadata=True,
    )
    assert row.stripped and row.original_sha256 == hashlib.sha256(original).hexdigest()
    analyst = make_user("ana", Role.ANALYST)
    verifier = make_user("vera", Role.VERIFIER)
    got = selectors.attachment_download(analyst, row.pk)
    stripped = _plain(got.sha256)
    assert got.sha256 == row.sha256 != row.original_sha256
    assert b"QzCameraMaker" not in stripped
    with Image.open(io.BytesIO(stripped)) as img:
        assert not img.getexif() and img.size == (16, 8)
    with pytest.raises(Http404):
        selectors.attachment_download(analyst, row.pk, original=True)
    mine = selectors.attachment_download(verifier, row.pk, original=True)
    assert mine.sha256 == row.original_sha256
    kept = files.path_of(mine.sha256)
    assert mine.sha256 not in str(kept)
    assert b"QzCameraMaker" in _plain(mine.sha256)
    assert b"QzCameraMaker" not in kept.read_bytes()
    last = AuditEntry.objects.order_by("-position").first()
    assert last is not None and last.payload["original"] is True


def test_only_images_can_be_stripped(world: World, settings: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        services.attachment_add(
            actor=world.actor, chunks=[PDF], name="a.pdf", note=_note(world), strip_metadata=True
        )
    assert "strip_metadata" in refused.value.message_dict
    assert not Attachment.objects.exists() and _stored(settings) == []


def test_a_file_is_as_missing_as_its_subject(world: World) -> None:
    hidden = _add(world, PDF, note=_note(world, "verifiers"))
    analyst = make_user("ana", Role.ANALYST)
    outsider = make_user("leg", Role.LEGISLATURE)
    assert list(selectors.attachments(make_user("vera", Role.VERIFIER))) == [hidden]
    for viewer in (analyst, outsider):
        assert not selectors.attachments(viewer).exists()
        for pk in (hidden.pk, 999999):
            with pytest.raises(Http404):
                selectors.attachment_download(viewer, pk)
    with pytest.raises(Http404):  # nor can an analyst attach a file to that note
        services.attachment_add(actor=analyst, chunks=[PDF], name="x", note=hidden.note)


def test_upload_list_and_download_on_the_staff_pages(world: World, settings: Any) -> None:
    note = _note(world)
    client = Client()
    client.force_login(make_user("ana", Role.ANALYST))
    form = client.get(f"/staff/attachments/new/?note={note.pk}")
    assert form.status_code == 200 and b'enctype="multipart/form-data"' in form.content
    sent = client.post(
        f"/staff/attachments/new/?note={note.pk}",
        {"file": SimpleUploadedFile("report.pdf", PDF, content_type="image/png")},
    )
    assert sent.status_code == 302 and sent["Location"] == f"/staff/notes/{note.pk}/"
    row = Attachment.objects.get()
    page = client.get(f"/staff/notes/{note.pk}/")
    assert row.sha256.encode() in page.content and b"PDF document" in page.content
    before = AuditEntry.objects.count()
    got = client.get(f"/staff/attachments/{row.pk}/download/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF  # type: ignore[attr-defined]
    assert got["Content-Type"] == "application/pdf"
    assert (
        got["Content-Disposition"].startswith("attachment;")
        and "report.pdf" in got["Content-Disposition"]
    )
    assert got["X-Content-Type-Options"] == "nosniff"
    entry = AuditEntry.objects.get(position=before + 1)
    assert (entry.action, entry.kind, entry.actor_label) == ("attachment.download", "access", "ana")
    assert entry.payload["people"] == [world.person(0).handle]
    # Refused: the form says why, nothing is kept.
    bad = client.post(
        f"/staff/attachments/new/?note={note.pk}",
        {"file": SimpleUploadedFile("x.pdf", b"\x7fELF" + b"\0" * 64)},
    )
    assert bad.status_code == 200 and b"an executable program (ELF)" in bad.content
    assert Attachment.objects.count() == 1 and len(_stored(settings)) == 1


def test_a_claim_shows_its_files_on_the_person_page(world: World) -> None:
    claim: Claim = claim_record(
        actor=world.actor,
        source=world.sources["gov"],
        person=world.person(0),
        status="pardoned",
        event_date=dt.date(2020, 2, 1),
    )
    row = _add(world, b"Statement by the family.\n", name="statement.txt", claim=claim)
    client = Client()
    client.force_login(make_user("vera", Role.VERIFIER))
    page = client.get(f"/staff/people/{world.person(0).handle}/")
    assert row.sha256.encode() in page.content
    assert f"/staff/attachments/new/?claim={claim.pk}".encode() in page.content
    got = client.get(f"/staff/attachments/{row.pk}/download/")
    assert got["Content-Disposition"].endswith('filename="statement.txt"')


def _cli(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_attach_add_list_and_get_from_the_command_line(
    world: World, settings: Any, tmp_path: Path
) -> None:
    note = _note(world)
    source = tmp_path / "in.jpg"
    source.write_bytes(_jpeg_with_gps())
    said = _cli("attach", "add", "--note", str(note.pk), str(source), "--strip-metadata")
    row = Attachment.objects.get()
    assert row.sha256 in said and row.stripped
    make_user("ana", Role.ANALYST)
    listed = json.loads(_cli("attach", "list", "--note", str(note.pk), "--json", "--as", "ana"))
    assert [(r["id"], r["sha256"], r["kind"]) for r in listed] == [(row.pk, row.sha256, "jpeg")]
    out = tmp_path / "out.jpg"
    _cli("attach", "get", str(row.pk), "--output", str(out), "--as", "ana")
    assert hashlib.sha256(out.read_bytes()).hexdigest() == row.sha256
    with pytest.raises(CommandError, match="no attachment"):
        _cli("attach", "get", str(row.pk), "--output", str(tmp_path / "o2"), "--original",
             "--as", "ana")  # fmt: skip
    bad = tmp_path / "evil.pdf"
    bad.write_bytes(b"MZ" + b"\0" * 100)
    with pytest.raises(CommandError, match="FILE: This file is a Windows program"):
        _cli("attach", "add", "--note", str(note.pk), str(bad))
    assert Attachment.objects.count() == 1


def _auth(role: str, name: str, scope: str = "write") -> dict[str, str]:
    user = make_user(name, role)
    _, secret = token_create(actor=user, user=user, name="t", scope=scope)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_upload_list_and_download_through_the_api(world: World, settings: Any) -> None:
    note = _note(world)
    auth = _auth(Role.ANALYST, "ana")
    client = Client()
    made = client.post(
        "/api/attachments",
        {"note": note.pk, "file": SimpleUploadedFile("a.png", _png())},
        **auth,
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["kind"] == "png" and body["sha256"] == hashlib.sha256(_png()).hexdigest()
    listed = client.get(f"/api/attachments?note={note.pk}", **auth).json()["items"]
    assert [r["id"] for r in listed] == [body["id"]]
    got = client.get(f"/api/attachments/{body['id']}/download", **auth)
    assert got.status_code == 200 and got["X-Content-Type-Options"] == "nosniff"
    refused = client.post(
        "/api/attachments",
        {"note": note.pk, "file": SimpleUploadedFile("a.pdf", b"#!/usr/bin/env python\n")},
        **auth,
    )
    assert refused.status_code == 422 and "a script" in refused.content.decode()
    other = _auth(Role.LEGISLATURE, "leg", "read")
    hidden = client.get(f"/api/attachments/{body['id']}/download", **other)
    missing = client.get("/api/attachments/999999/download", **other)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert Attachment.objects.count() == 1
