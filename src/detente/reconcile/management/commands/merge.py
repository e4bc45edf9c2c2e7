"""``detente merge people SURVIVOR MERGED --reason R`` · ``detente merge split ID --reason R``
· ``detente merge list [--json]``.

Merging says two registry records are one person: the survivor keeps its handle and counts
the other's claims, custody and memberships; splitting undoes a wrong merge exactly. Both
are written to the audit ledger with the linkage model's score of the pair as evidence.
The operator acts (as the command line's account); find candidates with
``detente duplicates``.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from detente.access.policy import cli_actor
from detente.reconcile.models import Merge
from detente.reconcile.services import person_merge, person_split
from detente.registry.models import Person


def _person(ref: str) -> Person:
    # The operator names records as they are, merged ones included (a split needs them).
    text = ref.strip()
    found = (
        Person.objects.filter(pk=int(text))
        if text.isdigit()
        else Person.objects.filter(handle=text.upper())  # handles are upper case
    ).first()
    if found is None:
        raise CommandError(f"no person {ref!r}")
    return found


class Command(BaseCommand):
    help = "Merge two records of one person, undo a merge, or list merges."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        people = sub.add_parser("people", help="MERGED is SURVIVOR")
        people.add_argument("survivor")
        people.add_argument("merged")
        people.add_argument("--reason", required=True)
        split = sub.add_parser("split", help="undo a merge")
        split.add_argument("merge_id", type=int)
        split.add_argument("--reason", required=True)
        listing = sub.add_parser("list", help="every merge, newest first")
        listing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        actor = cli_actor()
        try:
            if opts["action"] == "people":
                merge = person_merge(
                    actor=actor,
                    survivor=_person(opts["survivor"]),
                    merged=_person(opts["merged"]),
                    reason=opts["reason"],
                )
                self.stdout.write(
                    f"merge #{merge.pk}: {merge.merged.handle} is now {merge.survivor.handle}"
                )
            elif opts["action"] == "split":
                found = Merge.objects.filter(pk=opts["merge_id"]).first()
                if found is None:
                    raise CommandError(f"no merge #{opts['merge_id']}")
                merge = person_split(actor=actor, merge=found, reason=opts["reason"])
                self.stdout.write(
                    f"merge #{merge.pk} undone: {merge.merged.handle} stands on its own again"
                )
            else:
                rows = [
                    {
                        "id": m.pk,
                        "survivor": m.survivor.handle,
                        "merged": m.merged.handle,
                        "reason": m.reason,
                        "merged_at": m.merged_at.isoformat(),
                        "split_at": m.split_at.isoformat() if m.split_at else None,
                    }
                    for m in Merge.objects.select_related("survivor", "merged").order_by("-pk")
                ]
                if opts["json"]:
                    self.stdout.write(json.dumps({"merges": rows}, indent=2))
                else:
                    for r in rows:
                        self.stdout.write(
                            f"#{r['id']}  {r['merged']} -> {r['survivor']}  {r['reason']}"
                        )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except Http404 as exc:
            raise CommandError(str(exc)) from None
