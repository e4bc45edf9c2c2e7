"""``detente token create USERNAME --name N --scope read|write [--days D]`` and ``revoke``."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from detente.access.policy import cli_actor
from detente.api.models import ApiToken
from detente.api.services import token_create, token_revoke


class Command(BaseCommand):
    help = "Make or revoke API tokens (the token is printed once and never stored)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        mk = sub.add_parser("create", help="make a token for a user")
        mk.add_argument("username")
        mk.add_argument("--name", required=True)
        mk.add_argument("--scope", choices=["read", "write"], default="read")
        mk.add_argument("--days", type=int, default=90)
        rv = sub.add_parser("revoke", help="revoke a token by its prefix")
        rv.add_argument("prefix")
        sub.add_parser("list", help="every token: prefix, user, scope, expiry, state")

    def handle(self, *args: Any, **opts: Any) -> None:
        actor = cli_actor()
        try:
            if opts["action"] == "create":
                user = get_user_model().objects.filter(username=opts["username"]).first()
                if user is None:
                    raise CommandError(f"no user {opts['username']!r}")
                token, secret = token_create(
                    actor=actor,
                    user=user,
                    name=opts["name"],
                    scope=opts["scope"],
                    days=opts["days"],
                )
                self.stdout.write(secret)
                self.stderr.write(
                    f"Token {token.prefix} for {user.get_username()} ({token.scope}), expires "
                    f"{token.expires_at:%Y-%m-%d}. Shown once: store it now."
                )
            elif opts["action"] == "revoke":
                found = ApiToken.objects.filter(prefix=opts["prefix"]).first()
                if found is None:
                    raise CommandError(f"no token {opts['prefix']!r}")
                token_revoke(actor=actor, token=found)
                self.stdout.write(f"Revoked {found.prefix}.")
            else:
                for t in ApiToken.objects.select_related("user").order_by("created_at"):
                    state = "revoked" if t.revoked_at else "active"
                    self.stdout.write(
                        f"{t.prefix}  {t.user.get_username():<16} {t.scope:<6} "
                        f"{t.expires_at:%Y-%m-%d}  {state}  {t.name}"
                    )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
