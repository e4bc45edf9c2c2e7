"""Encrypting TOTP secrets at rest.

The key is derived (HKDF-SHA256) from ``settings.SECRET_KEY``, which lives in the data
directory's ``keys/`` folder or the environment, never in the database: a database dump
alone does not give anyone the second factor. Keys derived from
``SECRET_KEY_FALLBACKS`` still decrypt, so the secret key can be rotated without
re-enrolling everyone at once (re-sealing happens at the next enrolment).

The sealed text also names the user it belongs to, so a ciphertext copied from one
account's row to another's is refused rather than giving the copier a known factor.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

__all__ = ["InvalidToken", "seal", "unseal"]

_SALT = b"detente.accounts"
_INFO = b"totp-secret-v1"


def _fernet(secret_key: str) -> Fernet:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(raw))


def _box() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(k) for k in keys])


def seal(owner_pk: int, secret: str) -> str:
    return _box().encrypt(f"{owner_pk}:{secret}".encode()).decode("ascii")


def unseal(owner_pk: int, token: str) -> str:
    """The secret, or ``InvalidToken`` if the key changed or the text was moved or altered."""
    plain = _box().decrypt(token.encode("ascii")).decode()
    owner, _, secret = plain.partition(":")
    if owner != str(owner_pk):
        raise InvalidToken
    return secret


def _hmac_key(secret_key: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose).derive(
        secret_key.encode()
    )


def keyed_hashes(purpose: str, message: str) -> list[str]:
    """HMAC-SHA256 of ``message`` under a key derived from each secret key (current first).

    For invitation tokens and recovery codes: the database keeps only this hash, and
    without ``SECRET_KEY`` a copy of the database can neither check a guess against it
    nor make a value that matches.
    """
    import hmac

    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [
        hmac.new(
            _hmac_key(k, f"detente-{purpose}-v1".encode()), message.encode(), "sha256"
        ).hexdigest()
        for k in keys
    ]
