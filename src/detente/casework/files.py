"""Evidence files: received in chunks, sized and hashed as they come, recognised by their
content (never their name), stored in the data directory under their SHA-256.

Accepted: PDF; PNG, JPEG, WebP and GIF images; plain UTF-8 text; Word (docx), Excel (xlsx)
and OpenDocument text (odt) files. Refused, naming what was found: SVG and any other XML
or HTML, executables (ELF, Windows 'MZ', Mach-O, scripts starting '#!'), other archives
(zip, gzip, 7z, rar), an office file whose members unpack beyond the limit (a zip bomb)
or hold macros, an image that does not decode, anything else.

A file being received is written to ``DATA_DIR/attachments/tmp`` (it must be read as it
is, to be recognised and stripped) and, once accepted, sealed in 64 KiB chunks with the
attachments' data key into place (``DATA_DIR/attachments/ab/abcd…``, mode 0600) and the
plain copy removed; a refused one is removed at once, so nothing of it is left behind.

A stored file is named by a keyed hash of its SHA-256 (HMAC-SHA256 with a key derived
from the attachments' current data key), never by the SHA-256 itself: a disk holding the
files, without the database and the master key, does not confirm that a known document is
there. After `detente keys rotate --data` a file keeps its name until it is sealed again
(then it takes the new key's); a reader looks under the name of each data key, newest
first, and under the bare SHA-256 (files kept before, until migration 0011 renames them).

Reading a stored file first checks every chunk and the SHA-256 of the whole, so a file
altered, cut short or moved is refused before a byte is sent, never served as garbage
(docs/keys.md).
"""

from __future__ import annotations

import codecs
import hashlib
import hmac
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from detente.casework.models import ATTACHMENT_CLASS, AttachmentKind
from detente.core.errors import invalid
from detente.keys import ring

CHUNK = 64 * 1024
# An office file may hold this many members at most, unpacking to at most
# DETENTE_ATTACHMENT_MAX_UNPACKED_MB, none compressed more than this many times.
MAX_MEMBERS = 5_000
MAX_RATIO = 200


def max_bytes() -> int:
    return int(settings.DETENTE_ATTACHMENT_MAX_BYTES)


def max_unpacked() -> int:
    return int(settings.DETENTE_ATTACHMENT_MAX_UNPACKED_BYTES)


def root() -> Path:
    return Path(settings.DATA_DIR) / "attachments"


def _checked(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256")
    return sha256


def name_key(data_key: bytes) -> bytes:
    """The key that names files, derived from one of the attachments' data keys."""
    return hmac.new(data_key, b"detente attachment file name", hashlib.sha256).digest()


def keyed_name(sha256: str, data_key: bytes) -> str:
    """The name a file of this content is stored under with this data key."""
    return hmac.new(name_key(data_key), _checked(sha256).encode(), hashlib.sha256).hexdigest()


def _in_folder(name: str, folder: Path | None = None) -> Path:
    return (folder or root()) / name[:2] / name


def legacy_path(sha256: str) -> Path:
    """Where files were kept before their names were keyed: under their bare SHA-256."""
    return _in_folder(_checked(sha256))


def candidates(sha256: str) -> list[Path]:
    """Where a file of this content may be: under the name of each attachments' data key
    (the current first), then under its bare SHA-256 (kept before names were keyed)."""
    keys = ring.every_version(ATTACHMENT_CLASS)
    return [_in_folder(keyed_name(sha256, k.raw)) for k in keys] + [legacy_path(sha256)]


def path_of(sha256: str) -> Path:
    """Where the file of this content is stored; where it would be stored (under the
    current key's name) when there is none."""
    places = candidates(sha256)
    return next((p for p in places if p.exists()), places[0])


def _folder(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


@dataclass
class Received:
    """A file written to a temporary place, with its size and SHA-256."""

    path: Path
    size: int
    sha256: str

    def discard(self) -> None:
        with suppress(FileNotFoundError):
            self.path.unlink()


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.3g}"


def receive(chunks: Iterable[bytes], field: str = "file") -> Received:
    """Write ``chunks`` to a new temporary file (mode 0600), hashing as they come; refuse
    (and remove it) as soon as it grows past the limit. Memory: one chunk at a time."""
    limit = max_bytes()
    fd, name = tempfile.mkstemp(dir=_folder(root() / "tmp"), prefix="in-")
    path = Path(name)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise invalid(
                        field,
                        _("This file is larger than %(max)s MB; nothing was stored.")
                        % {"max": _mb(limit)},
                    )
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise invalid(field, _("This file is empty; nothing was stored."))
    except BaseException:
        with suppress(FileNotFoundError):
            path.unlink()
        raise
    return Received(path, size, digest.hexdigest())


def file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK):
        yield chunk


# --- What a file is -----------------------------------------------------------------------


def _refuse(field: str, found: str) -> ValidationError:
    return invalid(
        field,
        _(
            "This file is %(found)s, which is not accepted; send a PDF, an image (PNG, "
            "JPEG, WebP, GIF), plain text or a Word, Excel or OpenDocument text file."
        )
        % {"found": found},
    )


_EXECUTABLES = (
    (b"\x7fELF", gettext_noop("an executable program (ELF)")),
    (b"MZ", gettext_noop("a Windows program (MZ)")),
    (b"\xfe\xed\xfa\xce", gettext_noop("a macOS program (Mach-O)")),
    (b"\xfe\xed\xfa\xcf", gettext_noop("a macOS program (Mach-O)")),
    (b"\xce\xfa\xed\xfe", gettext_noop("a macOS program (Mach-O)")),
    (b"\xcf\xfa\xed\xfe", gettext_noop("a macOS program (Mach-O)")),
    (b"\xca\xfe\xba\xbe", gettext_noop("a Java class or macOS program")),
    (b"#!", gettext_noop("a script (it starts with #!)")),
)
_ARCHIVES = (
    (b"\x1f\x8b", gettext_noop("a gzip archive")),
    (b"7z\xbc\xaf\x27\x1c", gettext_noop("a 7-Zip archive")),
    (b"Rar!", gettext_noop("a RAR archive")),
    (b"BZh", gettext_noop("a bzip2 archive")),
    (b"\xfd7zXZ\x00", gettext_noop("an XZ archive")),
)


def sniff(path: Path, field: str = "file") -> str:
    """The kind of the file at ``path`` (an ``AttachmentKind`` value), read from its
    content; a ValidationError naming what it is when it is not accepted."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"%PDF-"):
        return AttachmentKind.PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _image(path, AttachmentKind.PNG, field)
    if head.startswith(b"\xff\xd8\xff"):
        return _image(path, AttachmentKind.JPEG, field)
    if head.startswith((b"GIF87a", b"GIF89a")):
        return _image(path, AttachmentKind.GIF, field)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _image(path, AttachmentKind.WEBP, field)
    if head.startswith(b"PK\x03\x04"):
        return _office(path, field)
    for magic, found in _EXECUTABLES:
        if head.startswith(magic):
            raise _refuse(field, _(found))
    for magic, found in _ARCHIVES:
        if head.startswith(magic):
            raise _refuse(field, _(found))
    return _text(path, head, field)


def _text(path: Path, head: bytes, field: str) -> str:
    """Plain UTF-8 text: decodes throughout, no NUL, and not markup (SVG, XML, HTML)."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(b"<"):
        found = _("an SVG image") if b"<svg" in head.lower() else _("XML or HTML markup")
        raise _refuse(field, found)
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        try:
            while chunk := fh.read(CHUNK):
                if b"\x00" in chunk:
                    raise ValueError
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except ValueError:
            raise _refuse(field, _("binary data of a kind not recognised")) from None
    return AttachmentKind.TEXT


def _image(path: Path, kind: str, field: str) -> str:
    """An image Pillow can decode, of no more pixels than its decompression-bomb limit."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            img.verify()
    except Exception:
        raise invalid(
            field, _("This image is damaged or not what it claims to be; nothing was stored.")
        ) from None
    return kind


_OFFICE = (
    ("word/document.xml", AttachmentKind.DOCX),
    ("xl/workbook.xml", AttachmentKind.XLSX),
)
_ODT = b"application/vnd.oasis.opendocument.text"


def _office(path: Path, field: str) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            kind = next((k for member, k in _OFFICE if member in names), None)
            if kind is None and "mimetype" in names:
                mimetype = archive.open("mimetype").read(len(_ODT) + 1)
                kind = AttachmentKind.ODT if mimetype.strip() == _ODT else None
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        raise _refuse(field, _("a damaged ZIP archive")) from None
    if kind is None:
        raise _refuse(field, _("a ZIP archive that is not a Word, Excel or OpenDocument text file"))
    if kind != AttachmentKind.ODT and "[Content_Types].xml" not in names:
        raise _refuse(field, _("a ZIP archive that is not a Word, Excel or OpenDocument text file"))
    unpacked = sum(m.file_size for m in members)
    ratio = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
    if len(members) > MAX_MEMBERS or unpacked > max_unpacked() or ratio > MAX_RATIO:
        raise invalid(
            field,
            _(
                "This office file unpacks to %(size)s MB in %(n)d parts (at most %(max)s MB "
                "in %(parts)d parts, none compressed more than %(ratio)d times): it looks "
                "like a zip bomb; nothing was stored."
            )
            % {
                "size": _mb(unpacked),
                "n": len(members),
                "max": _mb(max_unpacked()),
                "parts": MAX_MEMBERS,
                "ratio": MAX_RATIO,
            },
        )
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise _refuse(field, _("an office file with macros"))
    return kind


# --- Metadata -----------------------------------------------------------------------------

_PIL_FORMAT = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}


def strip_metadata(path: Path, kind: str) -> Received:
    """A copy of the image at ``path`` without its metadata (EXIF with GPS, XMP, comments,
    text chunks, ICC profile), turned as its EXIF orientation said; written to a new
    temporary file and hashed."""
    from PIL import Image, ImageOps

    fd, name = tempfile.mkstemp(dir=_folder(root() / "tmp"), prefix="stripped-")
    out_path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out, Image.open(path) as img:
            frames = getattr(img, "n_frames", 1)
            if frames > 1:
                img.info = {k: v for k, v in img.info.items() if k in ("duration", "loop")}
                img.save(out, format=_PIL_FORMAT[kind], save_all=True)
            else:
                clean = ImageOps.exif_transpose(img).copy()
                # Pillow writes some of ``info`` back (comment, ICC profile, XMP): only
                # transparency, which is part of the picture, is kept.
                clean.info = {k: v for k, v in clean.info.items() if k == "transparency"}
                options: dict[str, Any] = {"quality": 95} if kind == "jpeg" else {}
                clean.save(out, format=_PIL_FORMAT[kind], **options)
        digest = hashlib.sha256()
        with out_path.open("rb") as fh:
            for chunk in file_chunks(fh):
                digest.update(chunk)
    except BaseException:
        with suppress(FileNotFoundError):
            out_path.unlink()
        raise
    return Received(out_path, out_path.stat().st_size, digest.hexdigest())


# --- Storing and reading ------------------------------------------------------------------


class Unreadable(Exception):
    """A stored file that does not open or does not match its SHA-256: said, never served."""


def _seal_into(chunks: Iterable[bytes], sha256: str, target: Path) -> None:
    """Seal the plaintext ``chunks`` into ``target`` (written beside it, then moved in)."""
    fd, name = tempfile.mkstemp(dir=_folder(target.parent), prefix=".sealing-")
    try:
        with os.fdopen(fd, "wb") as out:
            for piece in ring.seal_stream(ATTACHMENT_CLASS, sha256, chunks):
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(name, 0o600)
        os.replace(name, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(name)
        raise


def keep(received: Received) -> Path:
    """Seal an accepted file into place under its keyed name (mode 0600) and remove the
    plain copy; the same content already there is kept once."""
    places = candidates(received.sha256)
    target = places[0]
    _folder(target.parent)
    try:
        if not _readable(received.sha256):
            # New, or a copy there that does not open (damaged, or sealed with a key this
            # database does not hold): the received file replaces it, under the current
            # key's name (any other copy of it removed, so the new one is what is read).
            with received.path.open("rb") as fh:
                _seal_into(file_chunks(fh), received.sha256, target)
            for other in places[1:]:
                other.unlink(missing_ok=True)
        else:
            target = path_of(received.sha256)
    finally:
        received.discard()
    return target


def _what(sha256: str) -> str:
    return _("The stored file %(sha)s…") % {"sha": sha256[:12]}


def _plain_pieces(sha256: str, handle: IO[bytes]) -> Iterator[bytes]:
    if ring.is_sealed_file(handle):
        try:
            yield from ring.open_stream(ATTACHMENT_CLASS, sha256, handle, _what(sha256))
        except ring.Undecryptable as exc:
            raise Unreadable(str(exc)) from None
    else:
        # Stored before files were sealed (until `detente keys rotate --data` seals it):
        # read only if it is still the file its name says.
        yield from file_chunks(handle)


def _check(sha256: str) -> Path:
    """The stored file of this content, checked whole (``Unreadable`` otherwise)."""
    digest = hashlib.sha256()
    path = path_of(sha256)
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        # With several servers the files live in one shared folder (docs/deployment.md):
        # a server without it mounted must say so, not fail with a bare 500.
        raise Unreadable(
            _(
                "%(what)s is not in this server's attachments folder (with more than one "
                "server, is the shared folder mounted here? docs/deployment.md)"
            )
            % {"what": _what(sha256)}
        ) from None
    with fh:
        for piece in _plain_pieces(sha256, fh):
            digest.update(piece)
    if digest.hexdigest() != sha256:
        raise Unreadable(
            _("%(what)s does not match its SHA-256: altered or damaged") % {"what": _what(sha256)}
        )
    return path


def _readable(sha256: str) -> bool:
    try:
        _check(sha256)
    except (FileNotFoundError, Unreadable):
        return False
    return True


def plain_chunks(sha256: str) -> Iterator[bytes]:
    """The file's plaintext, chunk by chunk, checked whole before the first chunk comes
    (``Unreadable`` otherwise). Memory: one chunk at a time."""
    path = _check(sha256)

    def pieces() -> Iterator[bytes]:
        with path.open("rb") as fh:
            yield from _plain_pieces(sha256, fh)

    return pieces()


class PlainFile:
    """A stored file's plaintext as a file to read (for ``FileResponse``), checked whole
    when made."""

    def __init__(self, sha256: str) -> None:
        self._pieces = plain_chunks(sha256)
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._buffer += piece
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def close(self) -> None:
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()


def seal_again(sha256: str) -> bool:
    """Seal a stored file with the current data key, under that key's name, if it is not
    already (or is still plain, or under another name); True if it was. The file is
    checked whole first; readers holding the old one open keep reading it. Stopped
    midway, the file is under one name or the other, and a new run finishes the job."""
    places = candidates(sha256)
    path, target = path_of(sha256), places[0]
    with path.open("rb") as fh:
        done = path == target and ring.file_key_id(fh) == ring.current(ATTACHMENT_CLASS).key_id
    if not done:
        # Checked whole first, then read again as it is sealed: no plain copy on disk.
        _seal_into(plain_chunks(sha256), sha256, target)
    for other in places[1:]:  # the copy under an older name, once the new one is in place
        other.unlink(missing_ok=True)
    return not done


def rename_keyed(sha256: str) -> bool:
    """Move a file kept under its bare SHA-256 to its keyed name (as it is: sealed or
    plain); True if it was moved. One rename, so a reader finds it under either name."""
    legacy = legacy_path(sha256)
    if not legacy.exists():
        return False
    target = candidates(sha256)[0]
    if target.exists():
        legacy.unlink(missing_ok=True)  # moved already, by a run that was stopped
    else:
        _folder(target.parent)
        os.replace(legacy, target)
    return True


def rename_legacy(sha256: str) -> bool:
    """Back: the file under its bare SHA-256 again (the migration undone)."""
    path, legacy = path_of(sha256), legacy_path(sha256)
    if path == legacy or not path.exists():
        return False
    _folder(legacy.parent)
    os.replace(path, legacy)
    return True


def stored_names(sha256: str, data_keys: list[bytes]) -> list[str]:
    """The names (``ab/abcd…`` under ``attachments``) a file of this content may have,
    given the attachments' data keys (for a backup checked apart from the site)."""
    names = [keyed_name(sha256, k) for k in data_keys] + [_checked(sha256)]
    return [f"{n[:2]}/{n}" for n in names]
