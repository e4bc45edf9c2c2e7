"""Disabling a user ends their sessions at once, revokes what hooks in, and is audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from tests.accounts.kit import (
    GENERIC,
    PASSWORD,
    Clock,
    admin_login,
    code_for,
    entries,
    logged_in,
    member,
)

from detente.accounts.services import user_disable, user_enable
from detente.accounts.signals import user_disabled
from detente.audit import ledger


def signed_in(user: User, clock: Clock) -> Client:
    client = Client()
    admin_login(client, user.username, PASSWORD, code_for(user, clock.now))
    assert logged_in(client) and client.get("/admin/").status_code == 200
    return client


def test_disabling_ends_the_users_session_on_their_next_request(
    analyst: User, actor: User, clock: Clock
) -> None:
    client = signed_in(analyst, clock)
    key = client.session.session_key

    ended = user_disable(actor=actor, user=analyst, reason="laptop stolen")

    assert ended == 1
    assert not Session.objects.filter(session_key=key).exists()
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    [entry] = entries("user.disable")
    assert entry == {"username": "ana", "reason": "laptop stolen", "sessions_ended": 1}
    assert ledger.verify().ok


def test_every_session_of_the_user_ends_and_nobody_elses(
    analyst: User, actor: User, clock: Clock
) -> None:
    other = member(actor, "bea", "verifier", now=clock.now)
    first = signed_in(analyst, clock)
    clock.advance(seconds=30)
    second = signed_in(analyst, clock)
    bystander = signed_in(other, clock)

    assert user_disable(actor=actor, user=analyst, reason="left the organisation") == 2

    assert first.get("/admin/").status_code == 302
    assert second.get("/admin/").status_code == 302
    assert bystander.get("/admin/").status_code == 200


def test_a_session_whose_key_was_cycled_after_login_still_ends(
    analyst: User, actor: User, clock: Clock
) -> None:
    client = signed_in(analyst, clock)
    old_key = client.session.session_key
    session = client.session
    session.cycle_key()  # what a password change does to the session
    session.save()
    assert session.session_key is not None
    client.cookies["sessionid"] = session.session_key
    assert session.session_key != old_key and client.get("/admin/").status_code == 200

    user_disable(actor=actor, user=analyst, reason="suspected compromise")

    assert client.get("/admin/").status_code == 302
    assert not Session.objects.filter(session_key=session.session_key).exists()


def test_a_disabled_user_cannot_log_in_again_until_enabled(
    analyst: User, actor: User, clock: Clock
) -> None:
    user_disable(actor=actor, user=analyst, reason="on leave")
    client = Client()
    response = admin_login(client, "ana", PASSWORD, code_for(analyst, clock.now))
    assert GENERIC in response.content.decode() and not logged_in(client)

    user_enable(actor=actor, user=analyst, reason="back from leave")
    clock.advance(seconds=30)
    admin_login(client, "ana", PASSWORD, code_for(analyst, clock.now))
    assert logged_in(client)
    assert entries("user.enable") == [{"username": "ana", "reason": "back from leave"}]


@pytest.mark.parametrize("role", ["verifier", "analyst", "legislature", None])
def test_only_an_administrator_can_disable(
    analyst: User, actor: User, clock: Clock, role: str | None
) -> None:
    someone = member(actor, "someone", role, now=clock.now)
    client = signed_in(analyst, clock)
    with pytest.raises(PermissionDenied):
        user_disable(actor=someone, user=analyst, reason="I do not like them")
    with pytest.raises(PermissionDenied):
        user_enable(actor=someone, user=analyst)
    assert User.objects.get(pk=analyst.pk).is_active
    assert client.get("/admin/").status_code == 200
    assert entries("user.disable") == []


def test_an_administrator_group_member_can_disable(
    analyst: User, actor: User, clock: Clock
) -> None:
    boss = member(actor, "boss", "administrator", now=clock.now)
    user_disable(actor=boss, user=analyst, reason="left")
    assert not User.objects.get(pk=analyst.pk).is_active


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_reason_is_required(analyst: User, actor: User, clock: Clock, reason: str) -> None:
    with pytest.raises(ValidationError) as err:
        user_disable(actor=actor, user=analyst, reason=reason)
    assert "reason" in err.value.message_dict
    assert User.objects.get(pk=analyst.pk).is_active


def test_an_administrator_cannot_disable_themselves_nor_disable_twice(
    analyst: User, actor: User, clock: Clock
) -> None:
    boss = member(actor, "boss", "administrator", now=clock.now)
    with pytest.raises(ValidationError, match="your own account"):
        user_disable(actor=boss, user=boss, reason="oops")
    user_disable(actor=boss, user=analyst, reason="left")
    with pytest.raises(ValidationError, match="already disabled"):
        user_disable(actor=boss, user=analyst, reason="again")
    assert len(entries("user.disable")) == 1


def test_the_user_disabled_hook_runs_inside_the_transaction(
    analyst: User, actor: User, clock: Clock
) -> None:
    seen: list[tuple[str, str]] = []

    def revoke_tokens(sender: Any, user: User, actor: User, reason: str, **kw: Any) -> None:
        seen.append((user.username, reason))

    def broken(sender: Any, **kw: Any) -> None:
        raise RuntimeError("token store unavailable")

    user_disabled.connect(revoke_tokens)
    try:
        user_disable(actor=actor, user=analyst, reason="left")
    finally:
        user_disabled.disconnect(revoke_tokens)
    assert seen == [("ana", "left")]

    user_enable(actor=actor, user=analyst)
    clock.advance(seconds=30)
    client = signed_in(analyst, clock)
    user_disabled.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            user_disable(actor=actor, user=analyst, reason="again")
    finally:
        user_disabled.disconnect(broken)
    # A hook that could not revoke means the user was not disabled half-way.
    assert User.objects.get(pk=analyst.pk).is_active and analyst.is_active
    assert client.get("/admin/").status_code == 200
    assert len(entries("user.disable")) == 1
