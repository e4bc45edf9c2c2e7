"""``detente user …``: invite people, disable and enable accounts, enrol authenticators,
lift lockouts.

Runs as the operator account (``cli_actor()``), so every change is in the audit ledger.
``totp-code`` prints a valid login code and exists ONLY so a local demo can be logged
into: it refuses unless DEBUG is on or the account is one the demo created.
"""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from detente.access.policy import cli_actor
from detente.accounts import services, totp
from detente.accounts.models import TOTPDevice
from detente.demo.scenario import DEMO_USERS, logins_path


def _user(username: str) -> User:
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise CommandError(f"no user {username!r}") from None


def _refusal(exc: ValidationError) -> CommandError:
    text = "; ".join(
        f"{field}: {message}"
        for field, messages in exc.message_dict.items()
        for message in messages
    )
    return CommandError(text)


def demo_account(username: str) -> bool:
    """True for an account the demo created on this installation.

    Both conditions: the name is one of the demo's, and the demo wrote its logins file
    into this data directory. A production account that happens to be called "admin"
    fails the second.
    """
    if username not in {row[0] for row in DEMO_USERS}:
        return False
    path = logins_path()
    if not path.exists():
        return False
    return any(line.split("\t", 1)[0] == username for line in path.read_text().splitlines())


def usable_code(device: TOTPDevice, now: dt.datetime) -> tuple[str, dt.datetime] | None:
    """A code the login accepts now, and when it stops being accepted; None if none is.

    The current step's code, or, once that step is spent, the next step's (the login
    accepts one step ahead), so a demo can log in twice within 30 seconds.
    """
    key = device.key()
    current = totp.step_at(now.timestamp())
    for step in (current, current + totp.DRIFT_STEPS):
        if device.last_used_step is None or step > device.last_used_step:
            until = dt.datetime.fromtimestamp(
                (step + totp.DRIFT_STEPS + 1) * totp.PERIOD, tz=dt.UTC
            )
            return totp.hotp(key, step), until
    return None


def invitation_link(token: str) -> str:
    """The link's full address, on the site's public address (``DETENTE_PUBLIC_URL``)."""
    from django.urls import reverse

    base = str(settings.MAILING.get("PUBLIC_URL", "")).rstrip("/")
    return base + reverse("oversight:welcome", args=[token])


class Command(BaseCommand):
    help = "Manage accounts: invite, disable, enable, authenticators, lockouts."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        i = sub.add_parser(
            "invite",
            help="create an account with a role and print its one-time invitation link",
        )
        i.add_argument("username")
        i.add_argument(
            "--role",
            required=True,
            choices=["administrator", "verifier", "analyst", "legislature", "none"],
        )
        i.add_argument("--email", default="")
        n = sub.add_parser(
            "reinvite",
            help="print a new invitation link for an account (new password and authenticator)",
        )
        n.add_argument("username")
        n.add_argument("--reason", required=True, help="why (kept in the audit ledger)")
        n.add_argument(
            "--reset",
            action="store_true",
            help="remove the current authenticator and recovery codes now",
        )
        d = sub.add_parser("disable", help="disable an account and end its sessions at once")
        d.add_argument("username")
        d.add_argument("--reason", required=True, help="why (kept in the audit ledger)")
        e = sub.add_parser("enable", help="let a disabled account log in again")
        e.add_argument("username")
        e.add_argument("--reason", default="")
        t = sub.add_parser(
            "totp-enrol", help="create an authenticator; prints its link and secret once"
        )
        t.add_argument("username")
        t.add_argument(
            "--replace", action="store_true", help="reset a confirmed authenticator first"
        )
        t.add_argument("--reason", default="re-enrolled from the command line")
        c = sub.add_parser("totp-confirm", help="confirm an authenticator with a code it shows")
        c.add_argument("username")
        c.add_argument("code")
        r = sub.add_parser("totp-reset", help="remove an authenticator (lost or copied)")
        r.add_argument("username")
        r.add_argument("--reason", required=True)
        u = sub.add_parser("unlock", help="lift the login lockouts of a username")
        u.add_argument("username")
        g = sub.add_parser(
            "totp-code",
            help="DEMO ONLY: print a code that logs a demo account in now (enrols it if needed)",
        )
        g.add_argument("username")

    def handle(self, *args: Any, **opts: Any) -> None:
        action: str = opts["action"]
        actor = cli_actor()
        try:
            if action == "invite":
                self._invite(actor, opts)
                return
            user = _user(opts["username"])
            getattr(self, "_" + action.replace("-", "_"))(actor, user, opts)
        except ValidationError as exc:
            raise _refusal(exc) from None

    def _invite(self, actor: User, opts: dict[str, Any]) -> None:
        role = "" if opts["role"] == "none" else opts["role"]
        user, invitation, token = services.user_invite(
            actor=actor, username=opts["username"], role=role, email=opts["email"]
        )
        self._print_link(user, invitation.expires_at, token)

    def _reinvite(self, actor: User, user: User, opts: dict[str, Any]) -> None:
        invitation, token = services.invitation_issue(
            actor=actor, user=user, reason=opts["reason"], reset=opts["reset"]
        )
        self._print_link(user, invitation.expires_at, token)

    def _print_link(self, user: User, expires_at: dt.datetime, token: str) -> None:
        self.stderr.write(
            f"Invitation for {user.username} (shown once; pass it on by a channel you "
            f"trust). It works once, until {expires_at:%Y-%m-%d %H:%M} UTC:"
        )
        self.stdout.write(invitation_link(token))

    def _disable(self, actor: User, user: User, opts: dict[str, Any]) -> None:
        ended = services.user_disable(actor=actor, user=user, reason=opts["reason"])
        self.stdout.write(f"Disabled {user.username}; {ended} session(s) ended.")

    def _enable(self, actor: User, user: User, opts: dict[str, Any]) -> None:
        services.user_enable(actor=actor, user=user, reason=opts["reason"])
        self.stdout.write(f"Enabled {user.username}.")

    def _totp_enrol(self, actor: User, user: User, opts: dict[str, Any]) -> None:
        existing = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        if existing and opts["replace"]:
            services.totp_reset(actor=actor, user=user, reason=opts["reason"])
        device, uri = services.totp_enroll(actor=actor, user=user)
        self.stdout.write(
            f"Authenticator for {user.username} (shown once; give it to them privately):\n"
            f"  link:   {uri}\n"
            f"  secret: {device.secret()}\n"
            f"It is not active until confirmed with a code from the app:\n"
            f"  detente user totp-confirm {user.username} CODE"
        )

    def _totp_confirm(self, actor: User, user: User, opts: dict[str, Any]) -> None:
        services.totp_confirm(actor=actor, user=user, code=opts["code"])
        self.stdout.write(f"Authenticator of {user.username} confirmed; it is now required.")

    def _totp_reset(self, actor: User, user: User, opts: dict[str, Any]) -> None:
        services.totp_reset(actor=actor, user=user, reason=opts["reason"])
        self.stdout.write(f"Authenticator of {user.username} removed.")

    def _unlock(self, actor: User, user: User, opts: dict[str, Any]) -> None:
        services.login_unlock(actor=actor, user=user)
        self.stdout.write(f"Login lockouts of {user.username} lifted.")

    def _totp_code(self, actor: User, user: User, opts: dict[str, Any]) -> None:
        if not (settings.DEBUG or demo_account(user.username)):
            raise CommandError(
                f"refused: totp-code works only for the demo's accounts or with DEBUG on, "
                f"and {user.username!r} is not a demo account here"
            )
        now = timezone.now()
        device = TOTPDevice.objects.filter(user=user).first()
        if device is None or not device.confirmed:
            # The demo creates its accounts without authenticators; give them one so the
            # demo can be logged into. Audited like any enrolment.
            device, _uri = services.totp_enroll(actor=actor, user=user, now=now)
            # Confirm with the previous step's code (inside the drift window), so the
            # current and next steps stay free for logging in.
            code = totp.totp(device.key(), now.timestamp() - totp.PERIOD)
            device = services.totp_confirm(actor=actor, user=user, code=code, now=now)
            self.stderr.write(
                f"Enrolled a demo authenticator for {user.username}.", self.style.WARNING
            )
        found = usable_code(device, now)
        if found is None:
            raise CommandError("both usable codes were just used; try again in 30 seconds")
        code, until = found
        self.stderr.write(
            f"DEMO ONLY. Code for {user.username}, accepted until {until:%H:%M:%S} UTC (once):",
            self.style.WARNING,
        )
        self.stdout.write(code)
