"""The users pages: administrators only; every action goes through an audited service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from tests.oversight.kit import entries, field_errors, page
from tests.support import make_user

from detente.access.policy import CLI_USERNAME, Role, cli_actor, roles_of
from detente.accounts import services
from detente.accounts.models import Invitation, LoginThrottle, TOTPDevice
from detente.api.models import ApiToken
from detente.api.services import token_create


@pytest.fixture(autouse=True)
def fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin(login: Callable[..., Client]) -> Client:
    return login("administrator", username="ada")


@pytest.fixture
def ana(db: Any) -> User:
    user = make_user("ana", Role.ANALYST, staff=True)
    services.totp_enroll(actor=cli_actor(), user=user)
    return user


def act(client: Client, user: User, op: str, **data: str) -> Any:
    prefix = {"totp_reset": "totp"}.get(op, op)
    body = {"op": op, **{f"{prefix}-{k}": v for k, v in data.items()}}
    return client.post(f"/staff/users/{user.pk}/", body)


def test_the_list_shows_role_second_factor_and_state(admin: Client, ana: User) -> None:
    LoginThrottle.objects.create(
        address="198.51.100.7",
        username="ana",
        failures=5,
        window_started_at=timezone.now(),
        locked_until=timezone.now() + dt.timedelta(minutes=10),
    )
    response = admin.get("/staff/users/")
    assert response.status_code == 200
    rows = {r.username: r for r in response.context["rows"]}
    assert CLI_USERNAME not in rows  # the operator is not a person to manage
    assert rows["ana"].role == "analyst"
    assert rows["ana"].second_factor == "unconfirmed"
    assert rows["ana"].locked_until is not None
    assert rows["ada"].second_factor == "none"
    html = page(response)
    assert "Enrolled, not confirmed" in html and "Locked" in html


def test_an_administrator_invites_a_person(admin: Client) -> None:
    form = {"username": "leo", "email": "leo@example.org", "role": "legislature"}
    response = admin.post("/staff/users/new/", form)
    assert response.status_code == 200
    user = User.objects.get(username="leo")
    link = response.context["link"]
    assert link.startswith("http://testserver/staff/welcome/")
    assert link in page(response)  # shown this once
    assert roles_of(user) == {Role.LEGISLATURE} and not user.has_usable_password()
    assert entries("user.create") == [{"username": "leo", "role": "legislature"}]
    assert [e["username"] for e in entries("user.invite")] == ["leo"]
    # The link itself is nowhere in the database or the ledger.
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert not Invitation.objects.filter(token_hash__contains=token).exists()
    assert token not in str(entries("user.invite"))


def test_a_bad_or_taken_username_is_refused_on_its_field(admin: Client, ana: User) -> None:
    errors = field_errors(admin.post("/staff/users/new/", {"username": "ANA", "role": "analyst"}))
    assert errors == {"username": ["The username “ANA” is already taken."]}
    errors = field_errors(admin.post("/staff/users/new/", {"username": "a b", "role": "analyst"}))
    assert list(errors) == ["username"]
    assert not User.objects.filter(username="a b").exists()


def test_changing_a_role(admin: Client, ana: User) -> None:
    response = act(admin, ana, "role", role="verifier", reason="promoted")
    assert response.status_code == 302
    assert roles_of(User.objects.get(pk=ana.pk)) == {Role.VERIFIER}
    assert entries("user.role")[0]["after"] == "verifier"


def test_disable_needs_a_reason_then_ends_access_and_tokens(admin: Client, ana: User) -> None:
    token, _secret = token_create(actor=ana, user=ana, name="script", scope="read")
    refused = act(admin, ana, "disable", reason="")
    assert field_errors(refused, "failed") == {"reason": ["This field is required."]}
    assert User.objects.get(pk=ana.pk).is_active

    done = admin.post(
        f"/staff/users/{ana.pk}/", {"op": "disable", "disable-reason": "left"}, follow=True
    )
    assert "ana is disabled" in page(done)
    assert not User.objects.get(pk=ana.pk).is_active
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None

    assert act(admin, ana, "enable", reason="back").status_code == 302
    assert User.objects.get(pk=ana.pk).is_active
    assert [e["reason"] for e in entries("user.enable")] == ["back"]


def test_resetting_the_second_factor(admin: Client, ana: User) -> None:
    response = act(admin, ana, "totp_reset", reason="lost phone")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=ana).exists()
    assert entries("totp.reset")[0]["reason"] == "lost phone"
    # Nothing left to reset: the service's refusal is shown, not a crash.
    again = act(admin, ana, "totp_reset", reason="again")
    assert again.status_code == 200
    assert "ana has no authenticator." in page(again)


def test_unlocking(admin: Client, ana: User) -> None:
    LoginThrottle.objects.create(
        address="198.51.100.7",
        username="ana",
        failures=5,
        window_started_at=timezone.now(),
        locked_until=timezone.now() + dt.timedelta(minutes=10),
    )
    assert "Lift the lockout" in page(admin.get(f"/staff/users/{ana.pk}/"))
    assert act(admin, ana, "unlock").status_code == 302
    assert not LoginThrottle.objects.filter(username="ana").exists()
    assert entries("auth.unlock")[0]["username"] == "ana"


def test_an_administrator_cannot_disable_or_demote_themselves(admin: Client) -> None:
    me = User.objects.get(username="ada")
    html = page(admin.get(f"/staff/users/{me.pk}/"))
    assert "This is your own account" in html and 'value="disable"' not in html
    forced = act(admin, me, "disable", reason="oops")
    assert "You cannot disable your own account." in page(forced)
    assert User.objects.get(pk=me.pk).is_active
    forced = act(admin, me, "role", role="analyst")
    assert "You cannot change your own role" in page(forced)


def test_the_operator_account_is_not_found(admin: Client) -> None:
    assert admin.get(f"/staff/users/{cli_actor().pk}/").status_code == 404


@pytest.mark.parametrize("role", ["verifier", "analyst", "legislature", "public"])
def test_only_administrators(login: Callable[..., Client], ana: User, role: str) -> None:
    client = login(role)
    assert client.get("/staff/users/").status_code == 403
    assert client.get("/staff/users/new/").status_code == 403
    assert client.get(f"/staff/users/{ana.pk}/").status_code == 403
    assert act(client, ana, "disable", reason="x").status_code == 403
    assert User.objects.get(pk=ana.pk).is_active


def test_the_pages_in_spanish(login: Callable[..., Client], ana: User) -> None:
    admin = login("administrator", language="es")
    html = page(admin.get("/staff/users/"))
    assert "Usuarios" in html and "Registrado, sin confirmar" in html
    response = act(admin, ana, "disable", reason="")
    assert field_errors(response, "failed") == {"reason": ["Este campo es obligatorio."]}
