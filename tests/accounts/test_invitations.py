"""Accounts in the browser: an invitation link, the password, the authenticator by QR code,
recovery codes (shown once, each accepted once at login), a new link, one's own account."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from tests.accounts.kit import PASSWORD, Clock, code_for, entries, logged_in, member

from detente.access.policy import Role, roles_of
from detente.accounts import services, totp
from detente.accounts.models import Invitation, RecoveryCode, TOTPDevice
from detente.audit.models import AuditEntry

NEW_PASSWORD = "a long walk by the malecon 7"


@pytest.fixture
def boss(actor: User, clock: Clock) -> User:
    return member(actor, "boss", "administrator", now=clock.now)


def invite(actor: User, username: str = "leo", role: str = "analyst") -> str:
    _user, _invitation, token = services.user_invite(actor=actor, username=username, role=role)
    return f"/staff/welcome/{token}/"


def opened(client: Client, url: str) -> tuple[str, str]:
    """The page's key (as shown, in groups of four) and the sealed form field."""
    response = client.get(url)
    assert response.status_code == 200
    return response.context["secret"].replace(" ", ""), response.context["sealed"]


def accept(client: Client, url: str, clock: Clock, **changes: str) -> Any:
    secret, sealed = opened(client, url)
    body = {
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "code": totp.totp(totp.decode_secret(secret), clock.now.timestamp()),
        "enrolment": sealed,
    } | changes
    return client.post(url, body)


def alike(a: Any, url_a: str, b: Any, url_b: str) -> bool:
    """The same answer but for the address it echoes (the language switch's ``next``)."""
    return a.status_code == b.status_code and a.content.replace(
        url_a.encode(), b"X"
    ) == b.content.replace(url_b.encode(), b"X")


def staff_login(client: Client, username: str, password: str, code: str) -> Any:
    return client.post("/staff/login/", {"username": username, "password": password, "otp": code})


def test_the_invited_person_sets_a_password_enrols_and_gets_recovery_codes(
    actor: User, clock: Clock
) -> None:
    url = invite(actor)
    client = Client()
    page = client.get(url)
    html = page.content.decode()
    # The QR code is plain SVG markup (the CSP forbids inline styles and scripts) and
    # the key is there as text too.
    assert "<svg" in html and "style=" not in html and "<script" not in html.split("</head>")[1]
    assert page.context["secret"] in html
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "no-store" in page["Cache-Control"]
    assert 'name="csrfmiddlewaretoken"' in html
    assert page.context["uri"].startswith("otpauth://totp/Detente:leo?secret=")

    done = accept(client, url, clock)
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == services.RECOVERY_CODES == len(set(codes))
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    text = done.content.decode()
    assert all(c in text for c in codes)
    leo = User.objects.get(username="leo")
    assert leo.check_password(NEW_PASSWORD)
    assert TOTPDevice.objects.get(user=leo).confirmed
    # Only keyed hashes are kept: neither a code nor the link's token is in the database.
    stored = list(RecoveryCode.objects.filter(user=leo).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not {c.replace("-", "") for c in codes} & set(stored)
    [entry] = entries("user.invitation_accept")
    assert entry["username"] == "leo" and entry["recovery_codes"] == 10
    assert AuditEntry.objects.get(action="user.invitation_accept").actor_label == "leo"

    # Used: the link now answers like one that never existed.
    unknown_url = "/staff/welcome/" + "x" * 43 + "/"
    again, unknown = client.get(url), client.get(unknown_url)
    assert again.status_code == 404
    assert alike(again, url, unknown, unknown_url)

    # The code spent while enrolling cannot sign in; the next one can.
    secret = TOTPDevice.objects.get(user=leo).key()
    refused = staff_login(Client(), "leo", NEW_PASSWORD, totp.totp(secret, clock.now.timestamp()))
    assert refused.status_code == 200
    signed_in = Client()
    clock.advance(seconds=30)
    staff_login(signed_in, "leo", NEW_PASSWORD, totp.totp(secret, clock.now.timestamp()))
    assert logged_in(signed_in)


def test_a_wrong_code_or_a_weak_password_changes_nothing_and_keeps_the_same_qr_code(
    actor: User, clock: Clock
) -> None:
    url = invite(actor)
    client = Client()
    secret, sealed = opened(client, url)
    body = {"password1": "short", "password2": "short", "code": "000000", "enrolment": sealed}
    wrong = client.post(url, body)
    assert wrong.status_code == 200
    errors = wrong.context["form"].errors
    assert "too short" in errors["password1"][0]
    assert errors["code"] == ["That code is not valid or has expired."]
    assert wrong.context["secret"].replace(" ", "") == secret  # no need to scan again
    assert 'value="short"' not in wrong.content.decode()
    leo = User.objects.get(username="leo")
    assert not leo.has_usable_password()
    assert not TOTPDevice.objects.filter(user=leo).exists()
    assert not entries("user.invitation_accept")
    # A tampered form field is refused, not trusted.
    tampered = accept(client, url, clock, enrolment="gAAAA" + sealed[5:-4] + "AAAA")
    assert "out of date" in str(tampered.context["form"].errors["code"])
    assert accept(client, url, clock).status_code == 200


def test_expired_and_replaced_links_answer_like_unknown_ones(actor: User, clock: Clock) -> None:
    url = invite(actor)
    unknown_url = "/staff/welcome/" + "y" * 43 + "/"
    unknown = Client().get(unknown_url)
    clock.advance(hours=72, seconds=1)
    expired = Client().get(url)
    assert expired.status_code == 404
    assert alike(expired, url, unknown, unknown_url)
    posted = Client().post(url, {"password1": NEW_PASSWORD})
    assert alike(posted, url, unknown, unknown_url)

    leo = User.objects.get(username="leo")
    first, token = services.invitation_issue(actor=actor, user=leo, reason="first")
    _second, newer = services.invitation_issue(actor=actor, user=leo, reason="again")
    assert Client().get(f"/staff/welcome/{token}/").status_code == 404
    assert Client().get(f"/staff/welcome/{newer}/").status_code == 200
    assert entries("user.invite")[-1]["replaced"] == 1
    first.refresh_from_db()
    assert first.cancelled_at is not None
    # A disabled account's link does not work either.
    services.user_disable(actor=actor, user=leo, reason="left")
    assert Client().get(f"/staff/welcome/{newer}/").status_code == 404


def test_a_recovery_code_signs_in_once_in_place_of_the_code(actor: User, clock: Clock) -> None:
    url = invite(actor)
    codes = accept(Client(), url, clock).context["codes"]
    client = Client()
    staff_login(client, "leo", NEW_PASSWORD, codes[3].upper().replace("-", " "))
    assert logged_in(client)
    [entry] = entries("auth.recovery_code")
    assert entry["username"] == "leo" and entry["left"] == 9
    again = Client()
    refused = staff_login(again, "leo", NEW_PASSWORD, codes[3])
    assert not logged_in(again)
    assert "That code is not valid or has expired." in refused.content.decode()
    assert entries("auth.otp_failed")[-1]["reason"] == "code_invalid"
    # Another user's code is not this user's.
    other = member(actor, "ana", "analyst", now=clock.now)
    assert not services.recovery_code_consume(other, codes[4], clock.now)


def test_an_administrator_makes_a_new_link_and_may_reset_the_factor_now(
    actor: User, boss: User, clock: Clock
) -> None:
    ana = member(actor, "ana", "analyst", now=clock.now)
    client = Client()
    client.force_login(boss)
    kept = client.post(f"/staff/users/{ana.pk}/", {"op": "invite", "invite-reason": "new phone"})
    assert kept.status_code == 200 and "/staff/welcome/" in kept.context["link"]
    assert TOTPDevice.objects.filter(user=ana, confirmed=True).exists()  # until it is used
    assert "Open until" in client.get(f"/staff/users/{ana.pk}/").content.decode()

    reset = client.post(
        f"/staff/users/{ana.pk}/",
        {"op": "invite", "invite-reason": "lost phone", "invite-reset": "on"},
    )
    assert reset.status_code == 200
    assert not TOTPDevice.objects.filter(user=ana).exists()
    assert entries("totp.reset")[-1]["reason"] == "lost phone"
    assert entries("user.invite")[-1] | {"expires_at": ""} == {
        "username": "ana",
        "expires_at": "",
        "reason": "lost phone",
        "reset": True,
        "replaced": 1,
    }
    assert Client().get(kept.context["link"]).status_code == 404  # replaced
    url = reset.context["link"].replace("http://testserver", "")
    accept(Client(), url, clock)
    assert User.objects.get(pk=ana.pk).check_password(NEW_PASSWORD)
    assert entries("user.invitation_accept")[-1]["replaced_authenticator"] is False

    refused = client.post(f"/staff/users/{ana.pk}/", {"op": "invite", "invite-reason": ""})
    assert refused.status_code == 200 and "link" not in refused.context


def test_only_administrators_invite(actor: User, clock: Clock) -> None:
    ana = member(actor, "ana", "verifier", now=clock.now)
    with pytest.raises(Exception, match="administrator only"):
        services.user_invite(actor=ana, username="leo", role="analyst")
    with pytest.raises(Exception, match="administrator only"):
        services.invitation_issue(actor=ana, user=ana, reason="x")
    assert not Invitation.objects.exists()


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("user", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_line_invites_and_reinvites(actor: User, settings: Any, clock: Clock) -> None:
    settings.MAILING = {**settings.MAILING, "PUBLIC_URL": "https://detente.example"}
    out, err = run("invite", "leo", "--role", "legislature")
    assert out.startswith("https://detente.example/staff/welcome/")
    assert "shown once" in err
    leo = User.objects.get(username="leo")
    assert roles_of(leo) == {Role.LEGISLATURE}
    assert Client().get(out.strip().replace("https://detente.example", "")).status_code == 200
    with pytest.raises(CommandError, match="already taken"):
        run("invite", "LEO", "--role", "analyst")
    with pytest.raises(CommandError, match="reason: This field is required"):
        run("reinvite", "leo", "--reason", " ")
    again, _err = run("reinvite", "leo", "--reason", "forgot the password")
    assert again != out
    assert Client().get(out.strip().replace("https://detente.example", "")).status_code == 404
    run("invite", "reader", "--role", "none")
    assert roles_of(User.objects.get(username="reader")) == set()


def test_my_account_shows_the_factor_and_makes_new_recovery_codes(
    actor: User, clock: Clock
) -> None:
    url = invite(actor)
    old = accept(Client(), url, clock).context["codes"]
    leo = User.objects.get(username="leo")
    client = Client()
    client.force_login(leo)
    page = client.get("/staff/account/").content.decode()
    assert "Enrolled" in page and "Recovery codes left" in page
    wrong = client.post("/staff/account/", {"code": "000000"})
    assert wrong.status_code == 200 and "codes" not in wrong.context
    assert "That code is not valid" in wrong.content.decode()
    clock.advance(seconds=30)
    made = client.post("/staff/account/", {"code": code_for(leo, clock.now)})
    assert made.status_code == 200
    new = made.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert not services.recovery_code_consume(leo, old[0], clock.now)
    assert services.recovery_code_consume(leo, new[0], clock.now)
    assert entries("recovery.regenerate") == [{"username": "leo", "count": 10}]
    # The same code twice does not make codes twice.
    replay = client.post("/staff/account/", {"code": code_for(leo, clock.now)})
    assert "codes" not in replay.context


def test_an_account_without_a_factor_sees_so(db: Any) -> None:
    reader = User.objects.create_user(username="reader", password=PASSWORD)
    client = Client()
    client.force_login(reader)
    page = client.get("/staff/account/").content.decode()
    assert "does not need one" in page
    assert client.post("/staff/account/", {"code": "123456"}).status_code == 200
    assert not RecoveryCode.objects.exists()
    assert Client().get("/staff/account/").status_code == 302


def test_the_demo_accounts_arrive_enrolled(db: Any, settings: Any, tmp_path: Any) -> None:
    from detente.demo.scenario import DEMO_USERS, _demo_users

    settings.DATA_DIR = tmp_path
    _demo_users(_operator())
    for username, *_rest in DEMO_USERS:
        device = TOTPDevice.objects.get(user__username=username)
        assert device.confirmed
    now = dt.datetime.now(dt.UTC)
    assert all(
        d.last_used_step is not None and d.last_used_step < totp.step_at(now.timestamp())
        for d in TOTPDevice.objects.all()
    )


def _operator() -> User:
    from detente.access.policy import cli_actor

    return cli_actor()
