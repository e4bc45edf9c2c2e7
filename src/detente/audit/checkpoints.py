"""Signed checkpoints of the ledger, in the C2SP signed-note format.

A checkpoint says "the ledger had N entries and its head hash was H", signed with an
Ed25519 key that never enters the database. Kept off the server (mailed to a board
member, printed, published), checkpoints let anyone show later that the ledger still
passes through H at position N: nothing before it was changed, removed or reordered.

Format (https://c2sp.org/tlog-checkpoint and https://c2sp.org/signed-note)::

    <origin>
    <N>
    <base64 of the 32-byte root>

    — <key name> <base64 of 4-byte key id + 64-byte signature>
    — <witness name> <base64 of a cosignature> (detente.audit.cosignature), if any

The third line holds the root of a chain over the entry hashes (ledger.ROOT_GENESIS)
rather than a Merkle tree root: the ledger is a chain, and a witness checks consistency by
following it from the entry hashes. Checkpoints signed before witnesses existed hold the
last entry's own hash there; verification accepts either.

The signing key lives outside the data directory by default (DETENTE_SIGNING_KEY_FILE):
a copy of the data directory must not carry the key that signs checkpoints.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

EM_DASH = "\u2014"


def default_origin() -> str:
    return str(settings.DETENTE_LEDGER_ORIGIN)


def _legacy_key_paths() -> tuple[Path, Path]:
    keys = Path(settings.DATA_DIR) / "keys"
    return keys / "ledger-ed25519.pem", keys / "ledger-ed25519.pub"


def configured_key_paths() -> tuple[Path, Path]:
    """Where ``detente audit keygen`` puts the key: DETENTE_SIGNING_KEY_FILE, by default in
    the operator's configuration folder, outside the data directory (docs/operations.md)."""
    private = Path(settings.DETENTE_SIGNING_KEY_FILE)
    return private, private.with_suffix(".pub")


def key_paths() -> tuple[Path, Path]:
    """The signing key and its public half.

    Outside the data directory by default, so that whoever copies the data directory (a
    backup, a stolen disk, an intruder who reads files) does not also get the key that
    signs checkpoints. A key made before it moved, in the data directory's keys/ folder,
    is still used until it is moved; ``detente check`` and ``audit verify`` warn about it.
    """
    private, public = configured_key_paths()
    if not private.exists() and not public.exists():
        old_private, old_public = _legacy_key_paths()
        if old_private.exists() or old_public.exists():
            return old_private, old_public
    return private, public


def signing_key_in_data_dir() -> Path | None:
    """The signing key's path when it lies inside the data directory, else None."""
    private, _public = key_paths()
    if not private.exists():
        return None
    try:
        private.resolve().relative_to(Path(settings.DATA_DIR).resolve())
    except ValueError:
        return None
    return private


def _key_id(name: str, public: bytes) -> bytes:
    # signed-note key id: SHA-256(name || 0x0A || 0x01 (Ed25519) || public key)[:4]
    return hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def generate_key(private_path: Path, public_path: Path) -> None:
    if private_path.exists():
        raise FileExistsError(f"{private_path} exists; refusing to overwrite a signing key")
    private_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public_path.write_text(base64.b64encode(raw_public(key.public_key())).decode() + "\n")


def load_private(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(path.read_text().strip()))


class CheckpointError(ValueError):
    pass


def vkey(name: str, public: bytes, signature_type: int = 0x01) -> str:
    """A signed-note verifier key: ``<name>+<hex key id>+<base64(type || public key)>``."""
    typed = bytes([signature_type]) + public
    kid = hashlib.sha256(name.encode() + b"\n" + typed).digest()[:4]
    return f"{name}+{kid.hex()}+{base64.b64encode(typed).decode()}"


def parse_vkey(text: str, signature_type: int = 0x01) -> tuple[str, Ed25519PublicKey]:
    """The name and Ed25519 key of a verifier key of this signature type, checked."""
    parts = text.strip().split("+", 2)  # the base64 key may contain "+" itself
    if len(parts) != 3 or not parts[0] or any(c.isspace() for c in parts[0]):
        raise CheckpointError(f"{text!r} is not a verifier key (name+keyid+key)")
    name, _kid, key_b64 = parts
    try:
        typed = base64.b64decode(key_b64, validate=True)
    except ValueError:
        raise CheckpointError(f"verifier key of {name!r}: the key is not base64") from None
    if len(typed) != 33 or typed[0] != signature_type:
        raise CheckpointError(
            f"verifier key of {name!r}: not an Ed25519 key of signature type {signature_type}"
        )
    if vkey(name, typed[1:], signature_type) != text.strip():
        raise CheckpointError(f"verifier key of {name!r}: the key id does not match the key")
    return name, Ed25519PublicKey.from_public_bytes(typed[1:])


def split_note(text: str) -> tuple[str, list[str]]:
    """A signed note's text (with its final newline) and its signature lines.

    The signatures follow the last blank line (the text itself may contain one)."""
    body, sep, sigs = text.rpartition("\n\n")
    if not sep:
        raise CheckpointError("not a signed note: no blank line before the signature")
    return body + "\n", [line for line in sigs.splitlines() if line]


def sign(size: int, head_hash_hex: str, key: Ed25519PrivateKey, origin: str | None = None) -> str:
    origin = origin or default_origin()
    body = f"{origin}\n{size}\n{base64.b64encode(bytes.fromhex(head_hash_hex)).decode()}\n"
    signature = key.sign(body.encode())
    kid = _key_id(origin, raw_public(key.public_key()))
    return f"{body}\n{EM_DASH} {origin} {base64.b64encode(kid + signature).decode()}\n"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    head_hash: str  # hex: the root (see ledger.ROOT_GENESIS), or an entry hash in old ones


_SIZE = re.compile(r"^(0|[1-9][0-9]*)$")


def parse_unchecked(text: str, origin_expected: str | None = None) -> tuple[Checkpoint, str]:
    """The checkpoint a note states and the note's text, signatures NOT checked."""
    body, _sigs = split_note(text)
    lines = body.split("\n")
    if len(lines) < 4:
        raise CheckpointError("a checkpoint body needs origin, size and hash lines")
    origin, size_text, hash_b64 = lines[0], lines[1], lines[2]
    expected = origin_expected or default_origin()
    if origin != expected:
        raise CheckpointError(f"checkpoint of {origin!r}, not of this ledger ({expected!r})")
    if not _SIZE.match(size_text):
        raise CheckpointError(f"size {size_text!r} is not a number")
    try:
        head = base64.b64decode(hash_b64, validate=True)
    except ValueError:
        raise CheckpointError("the hash line is not base64") from None
    if len(head) != 32:
        raise CheckpointError("the hash line does not hold a SHA-256 hash")
    return Checkpoint(origin, int(size_text), head.hex()), body


def parse_and_check(
    text: str, public: Ed25519PublicKey, origin_expected: str | None = None
) -> Checkpoint:
    """Parse a checkpoint and check its signature; raise CheckpointError saying what failed.

    Other signature lines (a witness's cosignatures) are ignored here."""
    cp, body = parse_unchecked(text, origin_expected)
    kid = _key_id(cp.origin, raw_public(public))
    for line in split_note(text)[1]:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH or parts[1] != cp.origin:
            continue
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except ValueError:
            continue
        if raw[:4] != kid:
            continue
        try:
            public.verify(raw[4:], body.encode())
        except InvalidSignature:
            raise CheckpointError("the signature does not verify with this key") from None
        return cp
    raise CheckpointError("no signature by this key")


def checkpoint_dir() -> Path:
    return Path(settings.DATA_DIR) / "checkpoints"


def newest_published() -> str | None:
    """The text of the newest checkpoint on this server that verifies with its public key
    (the largest ledger size), or None: what the public site publishes for anyone to keep.

    Published so that copies exist off the server: an intruder who cuts the ledger short
    and signs nothing new cannot take back what others already hold."""
    _private, public_path = key_paths()
    if not public_path.exists():
        return None
    public = load_public(public_path)
    best: tuple[int, str] | None = None
    for path in sorted(checkpoint_dir().glob("checkpoint-*.txt")):
        try:
            text = path.read_text()
            cp = parse_and_check(text, public)
        except (OSError, CheckpointError):
            continue
        if best is None or cp.size > best[0]:
            best = (cp.size, text)
    return best[1] if best else None
