"""Whose eyes a command reads with: ``--as USERNAME`` (or ``--as anonymous``) at the
command line, the operator account otherwise.

Reading commands of every app take it, so that what a user may see can be checked from
the shell; whatever is seen that way is recorded in the ledger as seen by the operator.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management.base import CommandError

from detente.access.policy import Viewer, cli_actor

ANONYMOUS = "anonymous"


def add_viewer_argument(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="as_user",
        metavar="USERNAME",
        help="see exactly what this user may see (or 'anonymous' for the public); "
        "default: the operator, who sees everything",
    )


def viewer_from(opts: dict[str, Any]) -> Viewer:
    name = opts.get("as_user")
    operator = cli_actor()
    if not name:
        return operator
    viewer: Any
    if name == ANONYMOUS:
        viewer = AnonymousUser()
    else:
        try:
            viewer = get_user_model().objects.get(username=name)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user {name!r}") from None
        if not viewer.is_active:
            raise CommandError(f"user {name!r} is disabled")
    # Whatever is seen through --as is recorded as seen by the operator.
    viewer._detente_operator = operator
    return viewer
