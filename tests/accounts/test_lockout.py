"""Lockout per (username, address): it stops the guesser, not the user at their own address."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory, override_settings
from tests.accounts.kit import (
    ADDRESS_A,
    ADDRESS_B,
    GENERIC,
    PASSWORD,
    Clock,
    admin_login,
    code_for,
    entries,
    failures,
    logged_in,
)

from detente.accounts import throttle
from detente.accounts.authentication import LoginRefused, Refusal, attempt_login
from detente.accounts.models import LoginThrottle


def page(response: Any, username: str) -> str:
    """The page without what differs between any two responses (CSRF token, the name typed)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return html.replace(f'value="{username}"', 'value=""')


def fail(client: Client, username: str, times: int) -> None:
    for _ in range(times):
        response = admin_login(client, username, "a wrong guess", "000000")
        assert GENERIC in response.content.decode()


def test_after_five_failures_the_right_password_and_code_are_refused_at_that_address_only(
    analyst: User, clock: Clock, client_a: Client, client_b: Client
) -> None:
    fail(client_a, "ana", 5)

    locked = admin_login(client_a, "ana", PASSWORD, code_for(analyst, clock.now))
    assert GENERIC in locked.content.decode() and not logged_in(client_a)

    # The real user, elsewhere, is not locked out by what happened at address A.
    admin_login(client_b, "ana", PASSWORD, code_for(analyst, clock.now))
    assert logged_in(client_b)

    [lockout] = entries("auth.lockout")
    assert lockout["username"] == "ana" and lockout["address"] == ADDRESS_A
    assert lockout["scope"] == "username_and_address"


def test_a_locked_pair_is_refused_without_checking_the_password(
    analyst: User, clock: Clock, client_a: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail(client_a, "ana", 5)
    checked: list[str] = []
    original = User.check_password

    def spy(self: User, raw: str) -> bool:
        checked.append(raw)
        return original(self, raw)

    monkeypatch.setattr(User, "check_password", spy)
    admin_login(client_a, "ana", PASSWORD, code_for(analyst, clock.now))
    assert checked == []
    # The password is checked again at an address that is not locked.
    admin_login(Client(REMOTE_ADDR=ADDRESS_B), "ana", PASSWORD, code_for(analyst, clock.now))
    assert checked == [PASSWORD]


def test_lockout_does_not_reveal_whether_the_username_exists(
    analyst: User, clock: Clock, client_a: Client
) -> None:
    fail(client_a, "ana", 5)
    fail(client_a, "nobody", 5)
    real = page(admin_login(client_a, "ana", "a wrong guess", "000000"), "ana")
    ghost = page(admin_login(client_a, "nobody", "a wrong guess", "000000"), "nobody")
    assert GENERIC in real and real == ghost
    # The ledger names real accounts; other typed text (perhaps a password typed in the
    # wrong box) is kept only as a keyed hash.
    logged = {e["username"] for e in entries("auth.lockout")}
    assert "ana" in logged and "nobody" not in logged
    assert any(u.startswith("hmac:") for u in logged)


def test_the_lock_ends_when_the_window_passes(
    analyst: User, clock: Clock, client_a: Client
) -> None:
    fail(client_a, "ana", 5)
    clock.advance(minutes=14, seconds=50)
    admin_login(client_a, "ana", PASSWORD, code_for(analyst, clock.now))
    assert not logged_in(client_a)

    clock.advance(seconds=20)
    admin_login(client_a, "ana", PASSWORD, code_for(analyst, clock.now))
    assert logged_in(client_a)


def test_failures_spread_over_more_than_the_window_do_not_lock(
    analyst: User, clock: Clock, client_a: Client
) -> None:
    fail(client_a, "ana", 4)
    clock.advance(minutes=16)
    fail(client_a, "ana", 4)
    admin_login(client_a, "ana", PASSWORD, code_for(analyst, clock.now))
    assert logged_in(client_a)
    assert entries("auth.lockout") == []


def test_a_successful_login_clears_the_pairs_failures(
    analyst: User, clock: Clock, client_a: Client
) -> None:
    fail(client_a, "ana", 4)
    admin_login(client_a, "ana", PASSWORD, code_for(analyst, clock.now))
    assert logged_in(client_a) and failures("ana", ADDRESS_A) == 0
    client_a.post("/admin/logout/")
    fail(client_a, "ana", 4)  # four more: not locked, since the success cleared the count
    clock.advance(seconds=30)
    admin_login(client_a, "ana", PASSWORD, code_for(analyst, clock.now))
    assert logged_in(client_a)


def test_wrong_codes_count_towards_the_lockout(
    analyst: User, clock: Clock, client_a: Client
) -> None:
    for _ in range(5):
        admin_login(client_a, "ana", PASSWORD, "000000")
    admin_login(client_a, "ana", PASSWORD, code_for(analyst, clock.now))
    assert not logged_in(client_a)
    assert len(entries("auth.otp_failed")) == 5 and len(entries("auth.lockout")) == 1


@override_settings(DETENTE_LOGIN_MAX_FAILURES=2)
def test_the_limit_is_a_setting(analyst: User, clock: Clock, client_a: Client) -> None:
    fail(client_a, "ana", 2)
    admin_login(client_a, "ana", PASSWORD, code_for(analyst, clock.now))
    assert not logged_in(client_a)


@override_settings(DETENTE_LOGIN_MAX_FAILURES_PER_ADDRESS=6)
def test_one_address_spraying_many_usernames_is_capped(
    analyst: User, clock: Clock, client_a: Client, client_b: Client
) -> None:
    for name in ("u1", "u2", "u3"):
        fail(client_a, name, 2)
    admin_login(client_a, "ana", PASSWORD, code_for(analyst, clock.now))
    assert not logged_in(client_a)
    [lockout] = entries("auth.lockout")
    assert lockout["scope"] == "address" and lockout["username"] is None
    admin_login(client_b, "ana", PASSWORD, code_for(analyst, clock.now))
    assert logged_in(client_b)


def test_attempts_in_flight_count_before_their_password_is_checked(clock: Clock, db: Any) -> None:
    # Five parallel requests are charged before any is checked; the sixth is refused.
    for _ in range(5):
        assert throttle.charge("ana", ADDRESS_A, clock.now)
    assert not throttle.charge("ana", ADDRESS_A, clock.now)
    assert throttle.charge("ana", ADDRESS_B, clock.now)


def test_forwarded_for_headers_are_not_trusted(analyst: User, clock: Clock) -> None:
    for i in range(5):
        request = RequestFactory().post(
            "/", REMOTE_ADDR=ADDRESS_A, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}"
        )
        with pytest.raises(LoginRefused):
            attempt_login(request=request, username="ana", password="guess", code="")
    request = RequestFactory().post("/", REMOTE_ADDR=ADDRESS_A, HTTP_X_FORWARDED_FOR="192.0.2.99")
    with pytest.raises(LoginRefused) as refused:
        attempt_login(
            request=request, username="ana", password=PASSWORD, code=code_for(analyst, clock.now)
        )
    assert refused.value.reason is Refusal.LOCKED


@pytest.mark.parametrize(
    ("remote", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("", "unknown"),
        ("not an address", "unknown"),
    ],
)
def test_addresses_are_keyed_by_ip_and_ipv6_by_its_64_network(remote: str, key: str) -> None:
    assert throttle.client_address(RequestFactory().get("/", REMOTE_ADDR=remote)) == key


def test_old_rows_are_pruned(analyst: User, clock: Clock, client_a: Client) -> None:
    fail(client_a, "ana", 5)
    assert LoginThrottle.objects.count() == 2  # the pair and the address
    clock.advance(minutes=31)
    fail(Client(REMOTE_ADDR=ADDRESS_B), "other", 1)
    assert set(LoginThrottle.objects.values_list("address", flat=True)) == {ADDRESS_B}


def test_an_administrator_can_lift_a_lockout(
    analyst: User, actor: User, clock: Clock, client_a: Client
) -> None:
    from detente.accounts.services import login_unlock

    fail(client_a, "ana", 5)
    login_unlock(actor=actor, user=analyst)
    admin_login(client_a, "ana", PASSWORD, code_for(analyst, clock.now))
    assert logged_in(client_a)
    assert entries("auth.unlock")[0]["username"] == "ana"


def test_is_locked_reports_the_state_without_charging(analyst: User, clock: Clock) -> None:
    for _ in range(5):
        assert throttle.charge("ana", ADDRESS_A, clock.now)
    assert throttle.is_locked("ana", ADDRESS_A, clock.now)
    assert failures("ana", ADDRESS_A) == 5
    assert not throttle.is_locked("ana", ADDRESS_B, clock.now)
    assert not throttle.is_locked("ana", ADDRESS_A, clock.now + dt.timedelta(minutes=16))
