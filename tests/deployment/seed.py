"""What the two-server tests and the two-server benchmark write to their scratch database
from a process of their own, as an operator at the shell would.

``python -m tests.deployment.seed world`` (with the scratch database's environment)
migrates the database, notes which keys that made in the data directory, makes the master
key (``detente keys init``), and loads a small world through the services: the test
helpers' agreement, made public, its members' names disclosed to the public; an
administrator, a verifier and an analyst, each with a password and a confirmed
authenticator; API tokens. It prints, as JSON, what a client needs to use them (the
tokens, the passwords and the authenticators' secrets) — scratch data that lives as long
as the test.

``python -m tests.deployment.seed withdraw HANDLE`` withdraws one person's name from the
public (proposed by the analyst, approved by the verifier: the two people the rule asks
for), as the admin pages would.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

TOKENS = ("match", "page", "rate", "import", "bench")


def world() -> dict[str, Any]:
    import datetime as dt

    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.utils import timezone
    from tests.support import build_world

    from detente.access.models import Audience
    from detente.access.policy import Role, cli_actor
    from detente.access.services import (
        agreement_set_audience,
        disclosure_approve,
        disclosure_propose,
    )
    from detente.accounts import services as accounts
    from detente.accounts import totp
    from detente.api.services import token_create

    call_command("migrate", verbosity=0)
    # The operator's step before any server starts (docs/deployment.md): one master key,
    # given to every host; servers starting together would each try to make it.
    call_command("keys", "init", stdout=io.StringIO())
    actor = cli_actor()
    # What `detente migrate` leaves in keys/: what an operator copies to the next server.
    keys = sorted(p.name for p in (Path(settings.DATA_DIR) / "keys").iterdir())
    people: dict[str, dict[str, str]] = {}
    users: dict[str, User] = {}
    for username, role in (
        ("admin", Role.ADMINISTRATOR),
        ("verifier", Role.VERIFIER),
        ("analyst", Role.ANALYST),
    ):
        password = secrets.token_urlsafe(12)
        user = User.objects.create_user(username=username, password=password)
        accounts.set_role_groups(user, role)
        now = timezone.now()
        device, _uri = accounts.totp_enroll(actor=actor, user=user, now=now)
        # Confirmed with the previous step's code, so the current ones stay free for signing in.
        accounts.totp_confirm(
            actor=actor,
            user=user,
            code=totp.totp(device.key(), now.timestamp() - totp.PERIOD),
            now=now,
        )
        users[username] = user
        people[username] = {"password": password, "totp": device.secret()}

    w = build_world(actor, members=3, slug="deal")
    agreement_set_audience(actor=actor, agreement=w.agreement, audience="public")
    opening = disclosure_propose(
        actor=users["analyst"],
        audience=Audience.PUBLIC,
        people=w.people,
        reason="The families agreed to publication.",
    )
    disclosure_approve(actor=users["verifier"], disclosure=opening)
    tokens = {
        name: token_create(
            actor=users["admin"], user=users["admin"], name=name, scope="write", days=2
        )[1]
        for name in TOKENS
    }
    members = [
        {
            "handle": p.handle,
            "name": f"{p.identity.given_names} {p.identity.paternal_surname}",
        }
        for p in w.people
    ]
    return {
        "keys_after_migrate": keys,
        "agreement": w.agreement.slug,
        "sources": {key: s.slug for key, s in w.sources.items()},
        "members": members,
        "users": people,
        "tokens": tokens,
        "seeded_at": dt.datetime.now(dt.UTC).isoformat(),
    }


def withdraw(handle: str) -> None:
    from django.contrib.auth.models import User

    from detente.access.models import Audience, DisclosureAction
    from detente.access.services import disclosure_approve, disclosure_propose
    from detente.registry.models import Person

    proposal = disclosure_propose(
        actor=User.objects.get(username="analyst"),
        audience=Audience.PUBLIC,
        people=[Person.objects.get(handle=handle)],
        action=DisclosureAction.WITHDRAW,
        reason="The family asked for the name to be taken down.",
    )
    disclosure_approve(actor=User.objects.get(username="verifier"), disclosure=proposal)


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
    import django

    django.setup()
    if argv[:1] == ["world"]:
        sys.stdout.write(json.dumps(world()) + "\n")
    elif argv[:1] == ["withdraw"] and len(argv) == 2:
        withdraw(argv[1])
    else:
        raise SystemExit("usage: python -m tests.deployment.seed world | withdraw HANDLE")


if __name__ == "__main__":
    main(sys.argv[1:])
