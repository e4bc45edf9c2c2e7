"""The backup file: one age-encrypted tar, written and read as a stream.

Members, in order::

    detente-backup.json        what the backup is (format, time, engine, ledger head,
                               signed checkpoint): read first, before anything is unpacked
    database/detente.sqlite3   the SQLite snapshot, or database/detente.pgdump (pg_dump -Fc)
    files/…                    the data directory's durable files, under their own paths
    manifest.json              the header again, with the size and SHA-256 of every member

Encryption streams in age's 64 KiB chunks (``pyrage.encrypt_io`` pulls the tar as it is
made, ``decrypt_io`` pushes plaintext as it is authenticated), so neither direction holds
a member in memory. age authenticates every chunk and marks the last one: a truncated or
altered file fails to decrypt, and the manifest's hashes catch the rest.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

import pyrage
from django.utils.translation import gettext as _

from detente.backups.errors import BackupError

FORMAT = "detente-backup"
VERSION = 1
HEADER = "detente-backup.json"
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database/detente.sqlite3", "postgresql": "database/detente.pgdump"}
FILES = "files/"
CHUNK = 1024 * 1024
BLOCK = tarfile.BLOCKSIZE


@dataclass(frozen=True)
class Source:
    """One member to write: a file on disk, under this name in the archive."""

    name: str
    path: Path


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False).encode()


def _info(name: str, size: int, mtime: float) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(mtime)
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def _pad(size: int) -> bytes:
    return b"\0" * (-size % BLOCK)


def tar_stream(header: dict[str, Any], sources: list[Source]) -> Iterator[bytes]:
    """The archive's bytes: the header, every source (hashed as it is read), the manifest."""
    members: dict[str, dict[str, Any]] = {}
    head = canonical(header)
    members[HEADER] = {"size": len(head), "sha256": hashlib.sha256(head).hexdigest()}
    yield _info(HEADER, len(head), 0) + head + _pad(len(head))
    for source in sources:
        with open(source.path, "rb") as fh:
            stat = os.fstat(fh.fileno())
            size, left, digest = stat.st_size, stat.st_size, hashlib.sha256()
            yield _info(source.name, size, stat.st_mtime)
            while left:
                chunk = fh.read(min(CHUNK, left))
                if not chunk:
                    raise BackupError(
                        _("%(path)s shrank while it was being read; run the backup again")
                        % {"path": source.path}
                    )
                digest.update(chunk)
                left -= len(chunk)
                yield chunk
            yield _pad(size)
        members[source.name] = {"size": size, "sha256": digest.hexdigest()}
    manifest = canonical({**header, "members": members})
    yield _info(MANIFEST, len(manifest), 0) + manifest + _pad(len(manifest))
    yield b"\0" * (2 * BLOCK)  # end of archive


class _Pull(io.RawIOBase):
    """A reader over an iterator of byte strings (what ``encrypt_io`` pulls from); an
    error raised by the iterator is kept, since it reaches us back only as an OSError."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.pending = b""
        self.error: BaseException | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            while not self.pending:
                self.pending = next(self.chunks)
        except StopIteration:
            return 0
        except BaseException as exc:
            self.error = exc
            raise
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


class _Counting(io.RawIOBase):
    """A writer that hashes and counts what passes to the file under it."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.size = 0
        self.digest = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = bytes(data)
        self.fh.write(view)
        self.digest.update(view)
        self.size += len(view)
        return len(view)


def write(
    out: IO[bytes], header: dict[str, Any], sources: list[Source], recipients: list[Any]
) -> tuple[int, str]:
    """Encrypt the archive to ``out``; answers the encrypted size and its SHA-256."""
    reader = _Pull(tar_stream(header, sources))
    writer = _Counting(out)
    try:
        pyrage.encrypt_io(reader, writer, recipients)
    except BackupError:
        raise
    except Exception as exc:
        if isinstance(reader.error, BackupError):
            raise reader.error from None
        if reader.error is not None:
            raise BackupError(
                _("reading the data for the backup failed: %(error)s") % {"error": reader.error}
            ) from None
        raise BackupError(_("encrypting the backup failed: %(error)s") % {"error": exc}) from None
    return writer.size, writer.digest.hexdigest()


# --- Reading ------------------------------------------------------------------------------


class _Stop(Exception):
    pass


class _FirstChunk(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        raise _Stop


def check_identity(path: Path, identities: list[Any], shown: str) -> None:
    """Fail at once, writing nothing, when the file is not age or not for these keys."""
    try:
        with open(path, "rb") as fh:
            pyrage.decrypt_io(fh, _FirstChunk(), identities)
    except FileNotFoundError:
        raise BackupError(_("backup file %(path)s does not exist") % {"path": path}) from None
    except _Stop:
        return  # our writer stopped it: the header opened and the first chunk decrypted
    except (pyrage.DecryptError, OSError) as exc:
        raise _decrypt_error(exc, path, shown) from None
    # An archive never decrypts to nothing: say it is empty below, when it is read.


def _decrypt_error(exc: BaseException, path: Path, shown: str) -> BackupError:
    text = str(exc)
    if "No matching keys" in text:
        return BackupError(
            _(
                "the backup %(path)s was not encrypted to the identity in %(identity)s "
                "(wrong key): nothing was restored"
            )
            % {"path": path, "identity": shown}
        )
    if "Header is invalid" in text or "header" in text.lower():
        return BackupError(
            _("%(path)s is not an age-encrypted Detente backup (%(error)s)")
            % {"path": path, "error": text}
        )
    return BackupError(
        _("%(path)s is damaged or cut short: it does not decrypt (%(error)s)")
        % {"path": path, "error": text}
    )


@dataclass
class Unpacked:
    header: dict[str, Any]
    manifest: dict[str, Any]
    folder: Path
    members: dict[str, dict[str, Any]]


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in name:
        raise ValueError(name)
    return path


def read(
    path: Path, identities: list[Any], folder: Path, on_header: Callable[[dict[str, Any]], None]
) -> Unpacked:
    """Decrypt and unpack ``path`` into ``folder`` (empty, private), checking every member
    against the manifest. Raises BackupError naming what is wrong; the caller removes the
    folder then. ``on_header`` sees the header before any other member is unpacked."""
    read_end, write_end = os.pipe()
    failures: list[BaseException] = []
    # Set once we stop reading: a failure after it is the pipe we closed, not the file.
    stopped = threading.Event()

    def decrypt() -> None:
        sink = os.fdopen(write_end, "wb", buffering=0)
        try:
            with open(path, "rb") as src:
                pyrage.decrypt_io(src, sink, identities)
        except BaseException as exc:
            # Noted before the pipe closes: the reader sees the end only after this.
            if not stopped.is_set():
                failures.append(exc)
        finally:
            sink.close()

    thread = threading.Thread(target=decrypt, name="detente-restore-decrypt", daemon=True)
    thread.start()
    seen: dict[str, dict[str, Any]] = {}
    header: dict[str, Any] | None = None
    manifest: dict[str, Any] | None = None
    problem: BackupError | None = None
    with os.fdopen(read_end, "rb") as stream:
        try:
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for info in tar:
                    if manifest is not None:
                        raise BackupError(_("members follow the manifest"))
                    try:
                        name = _safe_name(info.name)
                    except ValueError:
                        raise BackupError(
                            _("member %(name)r has an unsafe name") % {"name": info.name}
                        ) from None
                    if not info.isreg():
                        raise BackupError(
                            _("member %(name)r is not a regular file") % {"name": info.name}
                        )
                    fh = tar.extractfile(info)
                    if fh is None:  # pragma: no cover - regular files always have data
                        raise BackupError(_("member %(name)r has no data") % {"name": info.name})
                    if info.name in (HEADER, MANIFEST):
                        data = fh.read()
                        seen[info.name] = {
                            "size": len(data),
                            "sha256": hashlib.sha256(data).hexdigest(),
                        }
                        try:
                            parsed = json.loads(data)
                        except ValueError:
                            raise BackupError(
                                _("member %(name)s is not JSON") % {"name": info.name}
                            ) from None
                        if info.name == HEADER:
                            if header is not None or seen.keys() != {HEADER}:
                                raise BackupError(_("the header is not the first member"))
                            header = parsed
                            if header.get("format") != FORMAT:
                                raise BackupError(_("this is not a Detente backup"))
                            if header.get("version") != VERSION:
                                raise BackupError(
                                    _("backup format version %(v)s is not one this Detente reads")
                                    % {"v": header.get("version")}
                                )
                            on_header(header)
                        else:
                            manifest = parsed
                        continue
                    if header is None:
                        raise BackupError(_("the header is not the first member"))
                    if info.name in seen:
                        raise BackupError(_("member %(name)s appears twice") % {"name": info.name})
                    target = folder.joinpath(*name.parts)
                    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                    digest, size = hashlib.sha256(), 0
                    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "wb") as out:
                        while chunk := fh.read(CHUNK):
                            digest.update(chunk)
                            size += len(chunk)
                            out.write(chunk)
                    seen[info.name] = {"size": size, "sha256": digest.hexdigest()}
            # Read to the end, so that age checks the last chunk too.
            while rest := stream.read(CHUNK):
                if rest.strip(b"\0"):
                    raise BackupError(_("data follows the end of the archive"))
        except BackupError as exc:
            problem = exc
        except (tarfile.TarError, OSError, EOFError) as exc:
            problem = BackupError(str(exc) or type(exc).__name__)
        finally:
            stopped.set()
    thread.join()
    decrypt_failure = failures[0] if failures else None
    if decrypt_failure is not None:
        # Decryption failing explains whatever the tar reader saw after it.
        raise _decrypt_error(decrypt_failure, path, "")
    if problem is not None:
        raise BackupError(
            _("%(path)s is not a sound backup: %(problem)s") % {"path": path, "problem": problem}
        )
    if header is None or manifest is None:
        raise BackupError(
            _("%(path)s is not a sound backup: %(problem)s")
            % {"path": path, "problem": _("no header or no manifest (cut short?)")}
        )
    expected = manifest.get("members") or {}
    stated = {k: v for k, v in manifest.items() if k != "members"}
    if stated != header:
        raise _unsound(path, _("the manifest does not repeat the header"))
    seen.pop(MANIFEST, None)
    for member in sorted(set(expected) | set(seen)):
        if member not in seen:
            raise _unsound(path, _("member %(name)s is missing") % {"name": member})
        if member not in expected:
            raise _unsound(path, _("member %(name)s is not in the manifest") % {"name": member})
        if seen[member] != expected[member]:
            raise _unsound(
                path,
                _("member %(name)s does not match its SHA-256 in the manifest (altered)")
                % {"name": member},
            )
    return Unpacked(header=header, manifest=manifest, folder=folder, members=expected)


def _unsound(path: Path, problem: str) -> BackupError:
    return BackupError(
        _("%(path)s is not a sound backup: %(problem)s") % {"path": path, "problem": problem}
    )
