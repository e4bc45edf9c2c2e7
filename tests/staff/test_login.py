"""Signing in at /staff/login/ with a password and a one-time code, and out again."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.accounts.kit import PASSWORD, member
from tests.accounts.kit import code_for as code

from detente.access.policy import Role


def sign_in(client: Client, username: str, otp: str, next_url: str = "", **extra: Any) -> Any:
    data = {"username": username, "password": PASSWORD, "otp": otp}
    if next_url:
        data["next"] = next_url
    return client.post("/staff/login/", data, **extra)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_staff_pages_send_visitors_to_the_login_page(db: Any) -> None:
    response = Client().get("/staff/verification/?state=reported")
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/?next=/staff/verification/%3Fstate%3Dreported"
    page = Client().get(response["Location"]).content.decode()
    for label in ("Username", "Password", "Authentication code"):
        assert f">{label}</label>" in page
    assert 'autocomplete="one-time-code"' in page


def test_a_staff_member_signs_in_with_a_code_and_lands_where_they_were_going(
    actor: User, clock: Any
) -> None:
    ana = member(actor, "ana", Role.ANALYST, now=clock.now)
    client = Client()
    response = sign_in(client, "ana", code(ana, clock.now), "/staff/verification/")
    assert response.status_code == 302 and response["Location"] == "/staff/verification/"
    assert signed_in(client)
    page = client.get("/staff/verification/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"


def test_without_a_destination_staff_land_on_the_dashboard(actor: User, clock: Any) -> None:
    vera = member(actor, "vera", Role.VERIFIER, now=clock.now)
    response = sign_in(Client(), "vera", code(vera, clock.now))
    assert response["Location"] == "/staff/"


def test_legislative_staff_are_sent_to_the_public_site(actor: User, clock: Any) -> None:
    leg = member(actor, "leg", Role.LEGISLATURE, staff=False, now=clock.now)
    client = Client()
    # Even when the login was reached from a staff page they may not open.
    response = sign_in(client, "leg", code(leg, clock.now), "/staff/verification/")
    assert response["Location"] == "/"
    assert signed_in(client)
    assert client.get("/staff/").status_code == 403


@pytest.mark.parametrize(
    ("otp", "message"),
    [
        ("", "Enter the 6-digit code from your authenticator app."),
        ("000000", "That code is not valid or has expired."),
    ],
)
def test_a_missing_or_wrong_code_keeps_the_username_and_says_why(
    actor: User, clock: Any, otp: str, message: str
) -> None:
    member(actor, "ana", Role.ANALYST, now=clock.now)
    client = Client()
    page = sign_in(client, "ana", otp)
    text = page.content.decode()
    assert page.status_code == 200 and not signed_in(client)
    assert message in text
    assert 'value="ana"' in text  # what was typed is kept (never the password)
    assert PASSWORD not in text


def test_empty_fields_are_named(db: Any) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="es").post("/staff/login/", {"username": "", "password": ""})
    text = page.content.decode()
    assert page.status_code == 200
    # Username and password, in Spanish: beside each field, and in the error summary at the
    # top, each a link to its field; the title says there is an error.
    assert text.count("Este campo es obligatorio.") == 4
    assert 'href="#id_username"' in text and 'href="#id_password"' in text
    assert "<title>Error: " in text or "<title>Error:" in text


def test_the_lockout_holds_at_the_staff_login(actor: User, clock: Any) -> None:
    ana = member(actor, "ana", Role.ANALYST, now=clock.now)
    client = Client()
    for _ in range(5):
        client.post("/staff/login/", {"username": "ana", "password": "wrong", "otp": ""})
    clock.advance(seconds=30)
    page = sign_in(client, "ana", code(ana, clock.now))
    assert page.status_code == 200 and not signed_in(client)
    assert "locked for a while" in page.content.decode()


def test_signing_out_takes_a_post_and_ends_the_session(actor: User, clock: Any) -> None:
    ana = member(actor, "ana", Role.ANALYST, now=clock.now)
    client = Client()
    sign_in(client, "ana", code(ana, clock.now))
    assert client.get("/staff/logout/").status_code == 405
    assert signed_in(client)
    response = client.post("/staff/logout/")
    assert response.status_code == 302 and response["Location"] == "/staff/login/"
    assert "cookies" in response["Clear-Site-Data"]
    assert not signed_in(client)
    assert client.get("/staff/").status_code == 302


def test_the_login_form_needs_its_csrf_token(actor: User, clock: Any) -> None:
    ana = member(actor, "ana", Role.ANALYST, now=clock.now)
    client = Client(enforce_csrf_checks=True)
    assert sign_in(client, "ana", code(ana, clock.now)).status_code == 403
    assert not signed_in(client)
