"""Witness cosignatures of checkpoints, in the C2SP tlog-cosignature format (cosignature/v1).

A cosignature is one more signature line on the checkpoint note::

    — <witness name> base64(4-byte key id || 8-byte big-endian time || 64-byte Ed25519)

The key id is SHA-256(name || "\\n" || 0x04 || public key)[:4] and the signed message is
``cosignature/v1\\ntime <unix seconds>\\n`` followed by the checkpoint text. It states: at
that time, this was the largest ledger the witness had seen for the origin, consistent
with every earlier one it cosigned (https://c2sp.org/tlog-cosignature).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from detente.audit.checkpoints import EM_DASH, CheckpointError, raw_public, split_note, vkey

SIGNATURE_TYPE = 0x04


def key_id(name: str, public: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(
        name.encode() + b"\n" + bytes([SIGNATURE_TYPE]) + raw_public(public)
    ).digest()[:4]


def witness_vkey(name: str, public: Ed25519PublicKey) -> str:
    return vkey(name, raw_public(public), SIGNATURE_TYPE)


def signed_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(body: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> str:
    """The cosignature line (with its newline) of a checkpoint's text ``body``."""
    if not 0 <= timestamp < 2**63:
        raise ValueError("timestamp out of range")
    signature = key.sign(signed_message(body, timestamp))
    raw = key_id(name, key.public_key()) + timestamp.to_bytes(8, "big") + signature
    return f"{EM_DASH} {name} {base64.b64encode(raw).decode()}\n"


@dataclass(frozen=True)
class Cosigned:
    witness: str
    timestamp: int


def check(text: str, name: str, public: Ed25519PublicKey) -> Cosigned:
    """The verified cosignature by this witness on the checkpoint note ``text``; raise
    CheckpointError if there is none or it does not verify."""
    body, lines = split_note(text)
    kid = key_id(name, public)
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH or parts[1] != name:
            continue
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except ValueError:
            continue
        if len(raw) != 4 + 8 + 64 or raw[:4] != kid:
            continue
        timestamp = int.from_bytes(raw[4:12], "big")
        try:
            public.verify(raw[12:], signed_message(body, timestamp))
        except InvalidSignature:
            raise CheckpointError(f"the cosignature of {name} does not verify") from None
        return Cosigned(name, timestamp)
    raise CheckpointError(f"no cosignature by {name}")
