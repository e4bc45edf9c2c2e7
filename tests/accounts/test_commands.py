"""``detente user …`` as an operator uses it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import Client
from tests.accounts.kit import PASSWORD, Clock, admin_login, code_for, entries, logged_in, member

from detente.access.policy import CLI_USERNAME
from detente.accounts import totp
from detente.accounts.models import TOTPDevice
from detente.audit.models import AuditEntry


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("user", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def demo_dir(settings: Any, tmp_path: Path) -> Path:
    """A data directory in which the demo wrote its logins file."""
    settings.DATA_DIR = tmp_path
    settings.DEBUG = False
    (tmp_path / "demo-logins.txt").write_text("admin\tpw\tadministrator\n")
    return tmp_path


def test_disable_from_the_command_line_ends_the_session_and_names_the_operator(
    analyst: User, clock: Clock
) -> None:
    client = Client()
    admin_login(client, "ana", PASSWORD, code_for(analyst, clock.now))
    assert logged_in(client)

    out, _err = run("disable", "ana", "--reason", "left the organisation")

    assert "Disabled ana; 1 session(s) ended." in out
    assert client.get("/admin/").status_code == 302
    entry = AuditEntry.objects.get(action="user.disable")
    assert entry.actor_label == CLI_USERNAME

    run("enable", "ana")
    assert User.objects.get(pk=analyst.pk).is_active


def test_command_errors_say_what_is_wrong(analyst: User, clock: Clock) -> None:
    with pytest.raises(CommandError, match="no user 'ghost'"):
        run("disable", "ghost", "--reason", "x")
    with pytest.raises(CommandError, match="reason: This field is required"):
        run("disable", "ana", "--reason", " ")
    with pytest.raises(CommandError, match="already has a confirmed authenticator"):
        run("totp-enrol", "ana")


def test_enrol_prints_the_link_and_secret_once_and_confirm_activates_it(
    actor: User, clock: Clock
) -> None:
    member(actor, "bea", "verifier", enrol=False)
    out, _err = run("totp-enrol", "bea")
    [uri] = [w for w in out.split() if w.startswith("otpauth://")]
    secret = out.split("secret:")[1].split()[0]
    assert uri == f"otpauth://totp/Detente:bea?secret={secret}&issuer=Detente"
    assert secret not in " ".join(e["username"] for e in entries("totp.enrol"))

    code = totp.totp(totp.decode_secret(secret), clock.now.timestamp())
    run("totp-confirm", "bea", code)
    assert TOTPDevice.objects.get(user__username="bea").confirmed

    out, _err = run("totp-enrol", "bea", "--replace", "--reason", "new phone")
    assert secret not in out and TOTPDevice.objects.filter(user__username="bea").count() == 1
    assert entries("totp.reset")[0]["reason"] == "new phone"


def test_totp_code_is_refused_outside_the_demo(analyst: User, clock: Clock, demo_dir: Path) -> None:
    with pytest.raises(CommandError, match="only for the demo"):
        run("totp-code", "ana")
    # A production account that happens to be called "admin", with no demo here.
    member(User.objects.get(username=CLI_USERNAME), "admin", "administrator", now=clock.now)
    (demo_dir / "demo-logins.txt").unlink()
    with pytest.raises(CommandError, match="only for the demo"):
        run("totp-code", "admin")


def test_totp_code_logs_a_demo_account_in(actor: User, clock: Clock, demo_dir: Path) -> None:
    admin = User.objects.create_user(
        username="admin", password=PASSWORD, is_staff=True, is_superuser=True
    )
    admin.groups.add(Group.objects.get_or_create(name="administrator")[0])

    code, err = run("totp-code", "admin")  # enrols the demo account on first use
    assert "DEMO ONLY" in err and "Enrolled a demo authenticator" in err
    client = Client()
    admin_login(client, "admin", PASSWORD, code.strip())
    assert logged_in(client)

    # Asked again at once, it gives the other code the login still accepts.
    second, _err = run("totp-code", "admin")
    assert second.strip() != code.strip()
    client = Client()
    admin_login(client, "admin", PASSWORD, second.strip())
    assert logged_in(client)
    with pytest.raises(CommandError, match="try again in 30 seconds"):
        run("totp-code", "admin")


def test_totp_code_works_for_anyone_with_debug_on(
    analyst: User, clock: Clock, settings: Any
) -> None:
    settings.DEBUG = True
    code, _err = run("totp-code", "ana")
    assert code.strip() == code_for(analyst, clock.now)


def test_unlock_from_the_command_line(analyst: User, clock: Clock) -> None:
    client = Client()
    for _ in range(5):
        admin_login(client, "ana", "wrong", "000000")
    run("unlock", "ana")
    admin_login(client, "ana", PASSWORD, code_for(analyst, clock.now))
    assert logged_in(client)
