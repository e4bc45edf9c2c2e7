"""Seed a scratch database for the crash test: one public agreement, one list, N confirmed
subscribers, one digest in the outbox, one delivery task queued for the worker.

Run as ``python -m tests.mailing.crash_seed N`` with the scratch database's environment.
"""

from __future__ import annotations

import os
import sys


def main(count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
    import django

    django.setup()
    import datetime as dt

    from django.utils import timezone
    from tests.support import build_world

    from detente.access.policy import cli_actor
    from detente.access.services import agreement_set_audience
    from detente.evidence.services import claim_record
    from detente.mailing import addresses, digests, services
    from detente.mailing.models import Subscriber, Subscription
    from detente.mailing.tasks import deliver_outbox

    actor = cli_actor()
    world = build_world(actor)
    agreement_set_audience(actor=actor, agreement=world.agreement, audience="public")
    ml = services.list_create(
        actor=actor, slug="deal-news", kind="agreement", agreement=world.agreement
    )
    now = timezone.now()
    for i in range(count):
        address = f"s{i:03d}@example.org"
        sub = Subscriber.objects.create(email=address, email_hash=addresses.address_hash(address))
        Subscription.objects.create(
            subscriber=sub, mailing_list=ml, status="confirmed", requested_at=now, confirmed_at=now
        )
    claim_record(
        actor=actor,
        source=world.sources["embassy"],
        person=world.person(0),
        agreement=world.agreement,
        status="unconditional_release",
        event_date=dt.date(2020, 2, 1),
    )
    built = digests.build(ml)
    assert built.recipients == count, built
    deliver_outbox.enqueue()


if __name__ == "__main__":
    main(int(sys.argv[1]))
