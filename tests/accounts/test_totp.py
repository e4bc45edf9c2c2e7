"""The one-time code algorithm against the RFCs, and the rules for accepting a code."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from detente.accounts import totp

RFC4226_KEY = b"12345678901234567890"
RFC4226_HOTP = [
    "755224",
    "287082",
    "359152",
    "969429",
    "338314",
    "254676",
    "287922",
    "162583",
    "399871",
    "520489",
]

# RFC 6238 appendix B: the seed is the ASCII digits repeated to the digest's length.
RFC6238_KEYS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
RFC6238_TOTP = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("counter", "expected"), list(enumerate(RFC4226_HOTP)))
def test_hotp_matches_rfc_4226_appendix_d(counter: int, expected: str) -> None:
    assert totp.hotp(RFC4226_KEY, counter) == expected


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), RFC6238_TOTP)
def test_totp_matches_rfc_6238_appendix_b(at: int, sha1: str, sha256: str, sha512: str) -> None:
    for algorithm, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        got = totp.totp(RFC6238_KEYS[algorithm], at, digits=8, algorithm=algorithm)
        assert got == expected, algorithm


def test_six_digit_codes_are_the_last_six_of_the_rfc_values() -> None:
    # What an authenticator app shows for the RFC's SHA-1 seed at T=59.
    assert totp.totp(RFC6238_KEYS["sha1"], 59) == "287082"


def test_codes_keep_leading_zeros() -> None:
    assert totp.totp(RFC6238_KEYS["sha1"], 1111111109, digits=8) == "07081804"


def test_secret_is_base32_of_160_random_bits_and_round_trips() -> None:
    secret = totp.generate_secret()
    assert len(secret) == 32 and secret.isalnum() and secret == secret.upper()
    key = totp.decode_secret(secret)
    assert len(key) == 20
    assert totp.decode_secret(secret.lower()[:16] + " " + secret.lower()[16:]) == key
    assert totp.generate_secret() != secret


def test_a_secret_that_is_not_base32_is_refused() -> None:
    with pytest.raises(ValueError, match="base32"):
        totp.decode_secret("not base32!")


def test_provisioning_uri_is_what_authenticator_apps_scan() -> None:
    secret = base64.b32encode(RFC4226_KEY).decode()
    uri = totp.provisioning_uri(secret, "ana maría")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert parts.path == "/Detente:ana%20mar%C3%ADa"
    assert parse_qs(parts.query) == {"secret": [secret], "issuer": ["Detente"]}
    assert uri.startswith(f"otpauth://totp/Detente:ana%20mar%C3%ADa?secret={secret}&issuer=")


NOW = 1_700_000_015.0  # 15 s into a step
STEP = totp.step_at(NOW)


def code(step: int) -> str:
    return totp.hotp(RFC4226_KEY, step)


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_codes_one_step_either_side_are_accepted(offset: int) -> None:
    assert totp.match_step(RFC4226_KEY, code(STEP + offset), NOW) == STEP + offset


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_codes_further_away_are_refused(offset: int) -> None:
    assert totp.match_step(RFC4226_KEY, code(STEP + offset), NOW) is None


def test_a_used_step_and_older_ones_are_never_accepted_again() -> None:
    assert totp.match_step(RFC4226_KEY, code(STEP), NOW, after=STEP) is None
    assert totp.match_step(RFC4226_KEY, code(STEP - 1), NOW, after=STEP) is None
    # ...but the next step's code still is, so a user can log in again within 30 s.
    assert totp.match_step(RFC4226_KEY, code(STEP + 1), NOW, after=STEP) == STEP + 1


@pytest.mark.parametrize("bad", ["12a456", "", "1234567", "12345", "١٢٣٤٥٦", " 123456x"])
def test_malformed_codes_are_refused(bad: str) -> None:
    assert not totp.is_well_formed(bad)
    assert totp.match_step(RFC4226_KEY, bad, NOW) is None


def test_spaces_that_apps_show_inside_a_code_are_ignored() -> None:
    spaced = code(STEP)[:3] + " " + code(STEP)[3:]
    assert totp.match_step(RFC4226_KEY, totp.normalise_code(spaced), NOW) == STEP
