"""Enrolling, confirming and resetting authenticators; the secret at rest."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client, override_settings
from tests.accounts.kit import (
    CODE_INVALID,
    CODE_MISSING,
    NOT_ENROLLED,
    PASSWORD,
    Clock,
    admin_login,
    code_for,
    device_state,
    entries,
    logged_in,
    member,
)

from detente.accounts import sealing, totp
from detente.accounts.models import TOTPDevice
from detente.accounts.services import totp_confirm, totp_enroll, totp_reset
from detente.audit.models import AuditEntry


def secret_from(uri: str) -> str:
    return parse_qs(urlsplit(uri).query)["secret"][0]


def test_enrolment_gives_a_link_an_app_can_scan_and_keeps_the_secret_encrypted(
    actor: User, clock: Clock
) -> None:
    user = member(actor, "ana", enrol=False)
    device, uri = totp_enroll(actor=actor, user=user)
    secret = secret_from(uri)
    assert uri == f"otpauth://totp/Detente:ana?secret={secret}&issuer=Detente"
    assert device.secret() == secret and not device.confirmed

    # What a database dump shows: neither the secret nor its key bytes.
    with connection.cursor() as cur:
        cur.execute("SELECT sealed_secret FROM accounts_totpdevice")
        [(stored,)] = cur.fetchall()
    assert secret not in stored and secret.lower() not in stored
    assert totp.decode_secret(secret).hex() not in stored
    # And nothing in the ledger does either.
    ledger_text = " ".join(AuditEntry.objects.values_list("data", flat=True))
    assert secret not in ledger_text and "ana" in ledger_text


def test_the_secret_cannot_be_read_with_another_secret_key_but_can_with_a_fallback(
    actor: User, clock: Clock
) -> None:
    user = member(actor, "ana", enrol=False)
    device, uri = totp_enroll(actor=actor, user=user)
    with override_settings(SECRET_KEY="another-key-" * 5), pytest.raises(sealing.InvalidToken):
        TOTPDevice.objects.get(pk=device.pk).secret()
    from django.conf import settings

    old = settings.SECRET_KEY
    with override_settings(SECRET_KEY="rotated-key-" * 5, SECRET_KEY_FALLBACKS=[old]):
        assert TOTPDevice.objects.get(pk=device.pk).secret() == secret_from(uri)


def test_a_sealed_secret_copied_to_another_account_is_refused(actor: User, clock: Clock) -> None:
    mine = member(actor, "attacker", enrol=False)
    victim = member(actor, "victim", now=clock.now)
    device, _uri = totp_enroll(actor=actor, user=mine)
    TOTPDevice.objects.filter(user=victim).update(sealed_secret=device.sealed_secret)
    with pytest.raises(sealing.InvalidToken):
        TOTPDevice.objects.get(user=victim).secret()


def test_an_unconfirmed_authenticator_is_confirmed_by_a_code_and_then_required(
    actor: User, clock: Clock
) -> None:
    user = member(actor, "ana", enrol=False)
    client = Client()
    admin_login(client, "ana", PASSWORD, "")
    assert not logged_in(client)  # no authenticator: no login

    _device, uri = totp_enroll(actor=actor, user=user)
    key = totp.decode_secret(secret_from(uri))
    code_now = totp.totp(key, clock.now.timestamp())
    totp_confirm(actor=actor, user=user, code=code_now)
    assert TOTPDevice.objects.get(user=user).confirmed
    assert [e["username"] for e in entries("totp.confirm")] == ["ana"]

    # The code seen at enrolment was spent by the confirmation.
    response = admin_login(client, "ana", PASSWORD, code_now)
    assert CODE_INVALID in response.content.decode() and not logged_in(client)
    clock.advance(seconds=30)
    admin_login(client, "ana", PASSWORD, totp.totp(key, clock.now.timestamp()))
    assert logged_in(client)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", CODE_MISSING),
        ("12a456", CODE_MISSING),
        ("1234567", CODE_MISSING),
        ("old", CODE_INVALID),
    ],
)
def test_confirmation_with_a_bad_code_is_refused_and_changes_nothing(
    actor: User, clock: Clock, code: str, message: str
) -> None:
    user = member(actor, "ana", enrol=False)
    totp_enroll(actor=actor, user=user)
    if code == "old":
        code = code_for(user, clock.now - dt.timedelta(seconds=90))
    before = device_state(user)
    with pytest.raises(ValidationError) as err:
        totp_confirm(actor=actor, user=user, code=code)
    assert err.value.message_dict == {"code": [message]}
    assert device_state(user) == before
    assert entries("totp.confirm") == []


def test_a_user_may_enrol_themselves_only_while_they_have_no_confirmed_authenticator(
    actor: User, clock: Clock
) -> None:
    user = member(actor, "ana", enrol=False)
    device, _uri = totp_enroll(actor=user, user=user)
    totp_confirm(actor=user, user=user, code=code_for(user, clock.now))
    with pytest.raises(ValidationError, match="reset"):
        totp_enroll(actor=user, user=user)
    # Not even an administrator silently replaces a confirmed one: reset comes first.
    with pytest.raises(ValidationError, match="reset"):
        totp_enroll(actor=actor, user=user)
    assert TOTPDevice.objects.get(user=user).sealed_secret == device.sealed_secret


@pytest.mark.parametrize("role", ["verifier", "analyst", "legislature"])
def test_only_an_administrator_enrols_or_resets_someone_else(
    actor: User, clock: Clock, role: str
) -> None:
    target = member(actor, "ana", enrol=False)
    other = member(actor, "other", role, now=clock.now)
    with pytest.raises(PermissionDenied):
        totp_enroll(actor=other, user=target)
    with pytest.raises(PermissionDenied):
        totp_reset(actor=other, user=other, reason="lost phone")
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert TOTPDevice.objects.filter(user=other, confirmed=True).exists()


def test_a_reset_blocks_login_until_a_new_authenticator_is_confirmed(
    analyst: User, actor: User, clock: Clock
) -> None:
    totp_reset(actor=actor, user=analyst, reason="phone lost")
    client = Client()
    response = admin_login(client, "ana", PASSWORD, "123456")
    assert NOT_ENROLLED in response.content.decode() and not logged_in(client)
    [entry] = entries("totp.reset")
    assert entry == {
        "username": "ana",
        "reason": "phone lost",
        "was_confirmed": True,
        "recovery_codes_removed": 0,
    }
    with pytest.raises(ValidationError, match="no authenticator"):
        totp_reset(actor=actor, user=analyst, reason="again")
