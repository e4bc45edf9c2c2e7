"""Logging in with a password and a code, through the admin as a person would."""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import aauthenticate, authenticate
from django.contrib.auth.models import User
from django.test import Client, override_settings
from tests.accounts.kit import (
    ADDRESS_A,
    CODE_INVALID,
    CODE_MISSING,
    GENERIC,
    NOT_ENROLLED,
    PASSWORD,
    Clock,
    admin_login,
    code_for,
    device_state,
    entries,
    failures,
    logged_in,
    member,
)

from detente.accounts import backends
from detente.accounts.authentication import LoginRefused, Refusal, attempt_login
from detente.accounts.models import TOTPDevice


def test_password_and_code_log_a_staff_member_into_the_admin(
    analyst: User, clock: Clock, client_a: Client
) -> None:
    page = client_a.get("/admin/login/")
    assert 'name="otp"' in page.content.decode()
    response = admin_login(client_a, "ana", PASSWORD, code_for(analyst, clock.now))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client_a.get("/admin/").status_code == 200
    assert logged_in(client_a)


def test_code_with_the_spaces_an_app_shows_is_accepted(
    analyst: User, clock: Clock, client_a: Client
) -> None:
    code = code_for(analyst, clock.now)
    admin_login(client_a, "ana", PASSWORD, f"{code[:3]} {code[3:]}")
    assert logged_in(client_a)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", CODE_MISSING),
        ("12a456", CODE_MISSING),
        ("1234567", CODE_MISSING),
        ("expired", CODE_INVALID),
        ("wrong", CODE_INVALID),
    ],
)
def test_a_missing_malformed_wrong_or_expired_code_is_refused_and_changes_nothing_else(
    analyst: User, clock: Clock, client_a: Client, code: str, message: str
) -> None:
    if code == "expired":
        code = code_for(analyst, clock.now - dt.timedelta(seconds=90))  # three steps ago
    elif code == "wrong":
        right = code_for(analyst, clock.now)
        code = f"{(int(right) + 1) % 1_000_000:06d}"
    before = (device_state(analyst), User.objects.get(pk=analyst.pk).last_login)

    response = admin_login(client_a, "ana", PASSWORD, code)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not logged_in(client_a)
    assert (device_state(analyst), User.objects.get(pk=analyst.pk).last_login) == before
    assert failures("ana", ADDRESS_A) == 1
    [entry] = entries("auth.otp_failed")
    assert entry["username"] == "ana" and entry["address"] == ADDRESS_A
    assert code not in str(entry) or code == ""  # the code typed is never recorded


def test_a_code_cannot_be_used_twice(analyst: User, clock: Clock, client_a: Client) -> None:
    code = code_for(analyst, clock.now)
    admin_login(client_a, "ana", PASSWORD, code)
    assert logged_in(client_a)
    client_a.post("/admin/logout/")
    assert not logged_in(client_a)

    response = admin_login(client_a, "ana", PASSWORD, code)

    assert CODE_INVALID in response.content.decode() and not logged_in(client_a)
    assert entries("auth.otp_failed")[-1]["reason"] == "code_reused"
    # The next step's code is fine: the user does not have to wait.
    admin_login(client_a, "ana", PASSWORD, code_for(analyst, clock.now + dt.timedelta(seconds=30)))
    assert logged_in(client_a)


def test_a_wrong_password_gets_the_generic_message_and_no_code_is_checked(
    analyst: User, clock: Clock, client_a: Client
) -> None:
    before = device_state(analyst)
    response = admin_login(client_a, "ana", "not the password", code_for(analyst, clock.now))
    assert GENERIC in response.content.decode() and not logged_in(client_a)
    assert device_state(analyst) == before  # the right code was not spent
    assert entries("auth.otp_failed") == []
    assert failures("ana", ADDRESS_A) == 1


def test_staff_without_an_authenticator_cannot_log_in_at_all(
    actor: User, clock: Clock, client_a: Client
) -> None:
    member(actor, "nodevice", "verifier", enrol=False)
    for code in ("", "123456"):
        response = admin_login(client_a, "nodevice", PASSWORD, code)
        assert NOT_ENROLLED in response.content.decode()
        assert not logged_in(client_a)
    assert [e["reason"] for e in entries("auth.otp_failed")] == ["not_enrolled"] * 2


def test_an_unconfirmed_authenticator_does_not_count(
    actor: User, clock: Clock, client_a: Client
) -> None:
    user = member(actor, "pending", "analyst", confirm=False)
    response = admin_login(client_a, "pending", PASSWORD, code_for(user, clock.now))
    assert NOT_ENROLLED in response.content.decode() and not logged_in(client_a)


@pytest.mark.parametrize(
    ("role", "staff", "superuser"),
    [
        ("administrator", True, False),
        ("verifier", True, False),
        ("analyst", True, False),
        ("legislature", False, False),
        (None, True, False),  # staff with no group still opens the admin
        (None, True, True),
    ],
)
def test_every_role_and_every_staff_account_needs_a_code(
    actor: User, clock: Clock, role: str | None, staff: bool, superuser: bool
) -> None:
    user = member(actor, "someone", role, staff=staff)
    if superuser:
        User.objects.filter(pk=user.pk).update(is_superuser=True)
    with pytest.raises(LoginRefused) as refused:
        attempt_login(request=None, username="someone", password=PASSWORD, code="")
    assert refused.value.reason is Refusal.CODE_MISSING


def test_an_account_with_no_role_and_no_staff_flag_needs_no_code(actor: User, clock: Clock) -> None:
    member(actor, "plain", None, staff=False, enrol=False)
    user = attempt_login(request=None, username="plain", password=PASSWORD, code="")
    assert user.get_username() == "plain"


def test_a_legislature_member_passes_the_code_but_not_the_admin_door(
    actor: User, clock: Clock, client_a: Client
) -> None:
    user = member(actor, "leg", "legislature", staff=False)
    response = admin_login(client_a, "leg", PASSWORD, code_for(user, clock.now))
    assert GENERIC in response.content.decode() and not logged_in(client_a)


def test_a_disabled_account_gets_the_generic_message(
    analyst: User, clock: Clock, client_a: Client
) -> None:
    User.objects.filter(pk=analyst.pk).update(is_active=False)
    response = admin_login(client_a, "ana", PASSWORD, code_for(analyst, clock.now))
    assert GENERIC in response.content.decode() and not logged_in(client_a)


@override_settings(AUTHENTICATION_BACKENDS=[backends.PATH])
def test_authenticate_itself_refuses_a_password_without_a_code(analyst: User, clock: Clock) -> None:
    assert authenticate(None, username="ana", password=PASSWORD) is None
    assert not Client().login(username="ana", password=PASSWORD)
    user = authenticate(
        None, username="ana", password=PASSWORD, otp_token=code_for(analyst, clock.now)
    )
    assert user is not None and user.pk == analyst.pk


@override_settings(AUTHENTICATION_BACKENDS=[backends.PATH])
def test_the_async_path_is_guarded_too(analyst: User, clock: Clock) -> None:
    # ModelBackend's aauthenticate checks only the password; ours must not.
    check = async_to_sync(aauthenticate)
    assert check(None, username="ana", password=PASSWORD) is None
    user = check(None, username="ana", password=PASSWORD, otp_token=code_for(analyst, clock.now))
    assert user is not None and user.pk == analyst.pk


def test_a_secret_that_no_longer_decrypts_blocks_the_login_with_a_clear_message(
    analyst: User, clock: Clock, client_a: Client
) -> None:
    code = code_for(analyst, clock.now)
    with override_settings(SECRET_KEY="a-different-secret-key-" * 3):
        response = admin_login(client_a, "ana", PASSWORD, code)
    assert "enrol you again" in response.content.decode() and not logged_in(client_a)
    assert TOTPDevice.objects.get(user=analyst).confirmed  # nothing was changed
