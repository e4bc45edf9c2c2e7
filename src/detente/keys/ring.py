"""Data keys and what is sealed with them (envelope encryption, docs/keys.md).

Each record class ("casework.note", "casework.attachment", …) has its own AES-256-GCM
data key, kept in the database only wrapped by the master key. A ciphertext starts with
the random id of the data key that made it, so after `detente keys rotate --data` old
and new ciphertexts are both read while the rows are sealed again in batches.

Every ciphertext is bound (AES-GCM associated data) to its record class and to the row
it belongs to (``ref``): moved to another row, it is refused, never read as that row's.

Fields are sealed as text (``seal_text``); files as a stream of 64 KiB chunks, each with
its own nonce (a random prefix, the chunk's number and a last-chunk flag), so a file cut
short, reordered or altered is refused, and memory stays one chunk whatever the size.
"""

from __future__ import annotations

import base64
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from detente.keys import master
from detente.keys.master import KeyProblem
from detente.keys.models import DataKey

TEXT_PREFIX = "dte1:"
FILE_MAGIC = b"\x00DTEF01\n"  # NUL first: no accepted plaintext file starts so
KEY_ID_BYTES = 8
NONCE_BYTES = 12
TAG_BYTES = 16
CHUNK = 64 * 1024
_PREFIX_BYTES = 7  # file nonce = prefix (7) + chunk number (4) + last flag (1)
FILE_HEADER_BYTES = len(FILE_MAGIC) + KEY_ID_BYTES + _PREFIX_BYTES


class Undecryptable(Exception):
    """A ciphertext that does not open: altered, moved, cut short, or its key is gone."""


@dataclass(frozen=True)
class RecordClass:
    """A kind of record sealed with its own data key, and how to seal all of it again."""

    name: str
    label: str
    # reseal(batch_size) -> how many rows/files were sealed again with the current key
    reseal: Callable[[int], int] | None = None


CLASSES: dict[str, RecordClass] = {}


def register(name: str, label: str, reseal: Callable[[int], int] | None = None) -> None:
    CLASSES[name] = RecordClass(name, label, reseal)


@dataclass(frozen=True)
class _Open:
    record_class: str
    version: int
    key_id: str
    aead: AESGCM
    raw: bytes = field(repr=False, default=b"")  # for keys derived from it (file names)


_lock = threading.Lock()
_by_id: dict[str, _Open] = {}  # unwrapped data keys, by key id (never changes meaning)


def _wrap_aad(record_class: str, version: int, key_id: str) -> bytes:
    return f"detente data key\x00{record_class}\x00{version}\x00{key_id}".encode()


def wrap(key: bytes, record_class: str, version: int, key_id: str, with_master: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(with_master).encrypt(nonce, key, _wrap_aad(record_class, version, key_id))
    return base64.b64encode(nonce + sealed).decode("ascii")


def unwrap(row: DataKey, with_master: bytes) -> bytes:
    raw = base64.b64decode(row.wrapped)
    return AESGCM(with_master).decrypt(
        raw[:NONCE_BYTES], raw[NONCE_BYTES:], _wrap_aad(row.record_class, row.version, row.key_id)
    )


def _not_opened(row: DataKey, key: master.MasterKey) -> KeyProblem:
    return KeyProblem(
        _(
            "the master key from %(where)s (fingerprint %(have)s) does not open the data key "
            "%(cls)s v%(version)d, wrapped by master key %(want)s. Give the master key it "
            "was made with (DETENTE_MASTER_KEY or DETENTE_MASTER_KEY_FILE). Without it what "
            "that key sealed cannot be read: a lost key is lost data (docs/keys.md)"
        )
        % {
            "where": key.where,
            "have": key.fingerprint,
            "cls": row.record_class,
            "version": row.version,
            "want": row.master_fingerprint,
        }
    )


def _opened(row: DataKey) -> _Open:
    found = _by_id.get(row.key_id)
    if found is not None:
        return found
    key = master.configured()
    try:
        raw = unwrap(row, key.key)
    except InvalidTag:
        # `detente keys rotate` commits the re-wrapped keys just before it moves the new
        # key file into place: a process that looks in between finds it beside.
        pending = master.pending()
        try:
            if pending is None:
                raise InvalidTag
            raw = unwrap(row, pending.key)
        except InvalidTag:
            raise _not_opened(row, key) from None
    found = _Open(row.record_class, row.version, row.key_id, AESGCM(raw), raw)
    with _lock:
        _by_id[row.key_id] = found
    return found


def _new_row(record_class: str, version: int, with_master: master.MasterKey) -> DataKey:
    key_id = secrets.token_hex(KEY_ID_BYTES)
    raw = AESGCM.generate_key(bit_length=256)
    return DataKey.objects.create(
        record_class=record_class,
        version=version,
        key_id=key_id,
        wrapped=wrap(raw, record_class, version, key_id, with_master.key),
        master_fingerprint=with_master.fingerprint,
    )


# The newest key of each class, as last looked up, kept CURRENT_TTL seconds: a write then
# costs no query for its key. After `detente keys rotate --data` a running process may
# write with the previous version for that long (still readable); the re-sealing waits
# as long before it starts, so it finds those rows too.
CURRENT_TTL = 30.0
_current: dict[str, tuple[float, _Open]] = {}


def current(record_class: str) -> _Open:
    """The newest data key of the class; the first is made on first use."""
    if record_class not in CLASSES:
        raise KeyError(record_class)
    cached = _current.get(record_class)
    if cached is not None and time.monotonic() - cached[0] < CURRENT_TTL:
        return cached[1]
    found = _current_from_db(record_class)
    with _lock:
        _current[record_class] = (time.monotonic(), found)
    return found


def _current_from_db(record_class: str) -> _Open:
    row = DataKey.objects.filter(record_class=record_class).order_by("-version").first()
    if row is None:
        key = master.configured()
        try:
            with transaction.atomic():
                row = _new_row(record_class, 1, key)
        except IntegrityError:  # made at the same moment by another process
            row = DataKey.objects.get(record_class=record_class, version=1)
    return _opened(row)


def by_id(key_id: str, record_class: str) -> _Open:
    found = _by_id.get(key_id)
    if found is None:
        row = DataKey.objects.filter(key_id=key_id).first()
        if row is None:
            raise Undecryptable(
                _("the data key %(id)s this was sealed with is not in the database")
                % {"id": key_id}
            )
        found = _opened(row)
    if found.record_class != record_class:
        raise Undecryptable(_("sealed with the key of another kind of record"))
    return found


def every_version(record_class: str) -> list[_Open]:
    """Every data key of the class, the current one first, then the older, newest first
    (one query; the first key is made on first use)."""
    first = current(record_class)
    rows = DataKey.objects.filter(record_class=record_class).order_by("-version")
    found = [_by_id.get(row.key_id) or _opened(row) for row in rows]
    return [first, *(k for k in found if k.key_id != first.key_id)]


def new_version(record_class: str, with_master: master.MasterKey) -> DataKey:
    last = DataKey.objects.filter(record_class=record_class).order_by("-version").first()
    return _new_row(record_class, (last.version if last else 0) + 1, with_master)


def forget() -> None:
    """Drop the unwrapped keys held in memory (a test's rolled-back keys, a new master)."""
    with _lock:
        _by_id.clear()
        _current.clear()


# --- Fields ---------------------------------------------------------------------------------


def _aad(record_class: str, ref: str, key_id: str) -> bytes:
    return f"detente\x00{record_class}\x00{ref}\x00{key_id}".encode()


def seal_text(record_class: str, ref: str, text: str) -> str:
    key = current(record_class)
    nonce = os.urandom(NONCE_BYTES)
    sealed = key.aead.encrypt(nonce, text.encode("utf-8"), _aad(record_class, ref, key.key_id))
    blob = bytes.fromhex(key.key_id) + nonce + sealed
    return TEXT_PREFIX + base64.b64encode(blob).decode("ascii")


def key_id_of(token: str) -> str | None:
    """The data key id a sealed text names, or None for text that is not sealed."""
    if not token.startswith(TEXT_PREFIX):
        return None
    try:
        return base64.b64decode(token[len(TEXT_PREFIX) :])[:KEY_ID_BYTES].hex()
    except ValueError:
        return None


def open_text(record_class: str, ref: str, token: str, what: str) -> str:
    """The text sealed in ``token`` for this row; ``Undecryptable`` naming ``what``."""
    if not token.startswith(TEXT_PREFIX):
        raise Undecryptable(
            _("%(what)s is not sealed (stored as plain text, or damaged)") % {"what": what}
        )
    try:
        blob = base64.b64decode(token[len(TEXT_PREFIX) :], validate=True)
    except ValueError:
        raise Undecryptable(_("%(what)s is damaged") % {"what": what}) from None
    key_id = blob[:KEY_ID_BYTES].hex()
    nonce = blob[KEY_ID_BYTES : KEY_ID_BYTES + NONCE_BYTES]
    try:
        key = by_id(key_id, record_class)
        plain = key.aead.decrypt(
            nonce, blob[KEY_ID_BYTES + NONCE_BYTES :], _aad(record_class, ref, key_id)
        )
    except InvalidTag:
        raise Undecryptable(
            _("%(what)s does not open: altered, or moved from another row") % {"what": what}
        ) from None
    except Undecryptable as exc:
        raise Undecryptable(f"{what}: {exc}") from None
    return plain.decode("utf-8")


def reseal_rows(model: Any, record_class: str, seal_again: Callable[[Any], str], size: int) -> int:
    """Every row of ``model`` whose ``sealed`` column is not sealed with the class's current
    data key, sealed again (``seal_again(row)`` gives the new ciphertext, opened with the
    key the old one names), in batches of ``size``, each its own transaction with its rows
    locked: an edit of the same row waits, and is not undone. How many were sealed again."""
    done, after = 0, 0
    while True:
        with transaction.atomic():
            newest = current(record_class).key_id
            rows = model._base_manager.filter(pk__gt=after).order_by("pk").select_for_update()
            batch = list(rows[:size])
            if not batch:
                return done
            for row in batch:
                if key_id_of(row.sealed) == newest:
                    continue
                model._base_manager.filter(pk=row.pk).update(sealed=seal_again(row))
                done += 1
            after = batch[-1].pk


# --- Files ------------------------------------------------------------------------------------


def _chunk_nonce(prefix: bytes, number: int, last: bool) -> bytes:
    return prefix + number.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def _file_aad(header: bytes, record_class: str, ref: str) -> bytes:
    return header + f"\x00{record_class}\x00{ref}".encode()


def seal_stream(record_class: str, ref: str, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The sealed file, piece by piece, for plaintext given in any chunks (one held)."""
    key = current(record_class)
    prefix = os.urandom(_PREFIX_BYTES)
    header = FILE_MAGIC + bytes.fromhex(key.key_id) + prefix
    aad = _file_aad(header, record_class, ref)
    yield header
    buffer, number = b"", 0
    pending: bytes | None = None
    for piece in chunks:
        buffer += piece
        while len(buffer) > CHUNK:
            if pending is not None:
                yield key.aead.encrypt(_chunk_nonce(prefix, number, False), pending, aad)
                number += 1
            pending, buffer = buffer[:CHUNK], buffer[CHUNK:]
    # What is left: at most two chunks, the last of them flagged.
    if pending is not None:
        if buffer:
            yield key.aead.encrypt(_chunk_nonce(prefix, number, False), pending, aad)
            number += 1
        else:
            buffer = pending
    yield key.aead.encrypt(_chunk_nonce(prefix, number, True), buffer, aad)


def is_sealed_file(handle: IO[bytes]) -> bool:
    start = handle.tell()
    head = handle.read(len(FILE_MAGIC))
    handle.seek(start)
    return head == FILE_MAGIC


def file_key_id(handle: IO[bytes]) -> str | None:
    start = handle.tell()
    head = handle.read(FILE_HEADER_BYTES)
    handle.seek(start)
    if not head.startswith(FILE_MAGIC) or len(head) < FILE_HEADER_BYTES:
        return None
    return head[len(FILE_MAGIC) : len(FILE_MAGIC) + KEY_ID_BYTES].hex()


def open_stream(record_class: str, ref: str, handle: IO[bytes], what: str) -> Iterator[bytes]:
    """The plaintext of a sealed file, chunk by chunk; ``Undecryptable`` at the first
    chunk that does not open, or when the file ends before its last chunk."""
    header = handle.read(FILE_HEADER_BYTES)
    if len(header) < FILE_HEADER_BYTES or not header.startswith(FILE_MAGIC):
        raise Undecryptable(_("%(what)s is not a sealed file") % {"what": what})
    key_id = header[len(FILE_MAGIC) : len(FILE_MAGIC) + KEY_ID_BYTES].hex()
    prefix = header[len(FILE_MAGIC) + KEY_ID_BYTES :]
    try:
        key = by_id(key_id, record_class)
    except Undecryptable as exc:
        raise Undecryptable(f"{what}: {exc}") from None
    aad = _file_aad(header, record_class, ref)
    size = CHUNK + TAG_BYTES
    block, number = handle.read(size), 0
    while True:
        following = handle.read(size)
        last = not following
        try:
            yield key.aead.decrypt(_chunk_nonce(prefix, number, last), block, aad)
        except InvalidTag:
            raise Undecryptable(
                _(
                    "%(what)s does not open at part %(n)d: altered, cut short, or moved "
                    "from another file"
                )
                % {"what": what, "n": number + 1}
            ) from None
        if last:
            return
        block, number = following, number + 1
