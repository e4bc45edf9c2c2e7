"""One-time codes: HOTP (RFC 4226) and TOTP (RFC 6238), written for Detente.

Production codes are SHA-1, 30-second steps, 6 digits, which is what every common
authenticator app assumes when scanning an ``otpauth://`` link. The digest and length
are parameters only so the RFC test vectors (SHA-256/512, 8 digits) can be checked.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets
from urllib.parse import quote, urlencode

PERIOD = 30
DIGITS = 6
ALGORITHM = "sha1"
# Codes from one step before or after the server's step are accepted: phones and servers
# disagree on the time by a few seconds, and a user types a code that is about to expire.
DRIFT_STEPS = 1
SECRET_BYTES = 20  # 160 bits, the length RFC 4226 recommends for HMAC-SHA-1
ISSUER = "Detente"

_ALGORITHMS = frozenset({"sha1", "sha256", "sha512"})


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, algorithm: str = ALGORITHM) -> str:
    """The HOTP value for ``counter`` (RFC 4226, section 5.3), zero-padded."""
    if algorithm not in _ALGORITHMS:
        raise ValueError(f"unsupported algorithm {algorithm!r}")
    if not 0 <= counter < 2**64:
        raise ValueError("the counter is an unsigned 64-bit number")
    if not 6 <= digits <= 10:
        raise ValueError("codes have 6 to 10 digits")
    mac = hmac.new(key, counter.to_bytes(8, "big"), algorithm).digest()
    offset = mac[-1] & 0x0F  # dynamic truncation
    value = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFF_FFFF
    return str(value % 10**digits).zfill(digits)


def step_at(unix_time: float, *, period: int = PERIOD) -> int:
    """The time step (RFC 6238's T) that contains ``unix_time``; T0 is the Unix epoch."""
    return int(unix_time // period)


def totp(
    key: bytes,
    unix_time: float,
    *,
    period: int = PERIOD,
    digits: int = DIGITS,
    algorithm: str = ALGORITHM,
) -> str:
    """The TOTP value at ``unix_time`` (seconds since the epoch)."""
    return hotp(key, step_at(unix_time, period=period), digits=digits, algorithm=algorithm)


def is_well_formed(code: str, *, digits: int = DIGITS) -> bool:
    # ASCII digits only: str.isdigit() would also accept "١٢٣٤٥٦" and other scripts.
    return re.fullmatch(f"[0-9]{{{digits}}}", code) is not None


def normalise_code(code: str | None) -> str:
    """The code as typed, without the spaces some apps show in the middle ("123 456")."""
    return "".join((code or "").split())


def match_step(
    key: bytes,
    code: str,
    unix_time: float,
    *,
    drift: int = DRIFT_STEPS,
    after: int | None = None,
    period: int = PERIOD,
    digits: int = DIGITS,
    algorithm: str = ALGORITHM,
) -> int | None:
    """The step whose code equals ``code`` within ±``drift`` steps, or None.

    Steps at or before ``after`` (the last step already used) never match, so a code,
    or an older one still inside the drift window, cannot be replayed. Every candidate is
    computed and compared in constant time, so the time taken does not depend on how
    much of the code was right.
    """
    if not is_well_formed(code, digits=digits):
        return None
    current = step_at(unix_time, period=period)
    found: int | None = None
    for step in range(current - drift, current + drift + 1):
        if step < 0:
            continue
        expected = hotp(key, step, digits=digits, algorithm=algorithm)
        same = hmac.compare_digest(expected.encode(), code.encode())
        if same and found is None and (after is None or step > after):
            found = step
    return found


def generate_secret() -> str:
    """A new random secret, base32 without padding (what authenticator apps expect)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def decode_secret(secret: str) -> bytes:
    """The key bytes of a base32 secret; spaces, lower case and missing padding allowed."""
    text = "".join(secret.split()).upper()
    text += "=" * (-len(text) % 8)
    try:
        return base64.b32decode(text)
    except binascii.Error as exc:
        raise ValueError("not a base32 secret") from exc


def provisioning_uri(secret: str, account: str, *, issuer: str = ISSUER) -> str:
    """The ``otpauth://`` link an authenticator app scans (as a QR code) or opens."""
    label = quote(issuer, safe="") + ":" + quote(account, safe="")
    query = urlencode({"secret": secret, "issuer": issuer}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"
