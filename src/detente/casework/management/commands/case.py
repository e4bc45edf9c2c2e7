"""``detente case raise|edit|list``: cases raised with officials about a person or an
agreement (docs/casework.md).

``raise`` and ``edit`` act as the operator; ``list`` shows what ``--as USERNAME`` may see.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from detente.access.policy import cli_actor
from detente.accounts.cli import add_viewer_argument, viewer_from
from detente.agreements.cli import find_party
from detente.casework import selectors, services
from detente.casework.cli import (
    add_subject_arguments,
    found,
    intervention_json,
    reader,
    run,
    subject,
)
from detente.casework.models import Channel

OPTIONS = {
    "subject": "--person/--agreement",
    "channel": "--channel",
    "occurred_on": "--on",
    "asked": "--asked",
    "official": "--official",
    "raised_by": "--raised-by",
    "answer": "--answer",
    "next_step": "--next-step",
}


def _fields(parser: ArgumentParser, *, new: bool) -> None:
    parser.add_argument("--channel", choices=Channel.values, required=new, help="how")
    parser.add_argument("--on", dest="occurred_on", metavar="YYYY-MM-DD", required=new)
    parser.add_argument("--asked", required=new, help="what was asked")
    parser.add_argument("--party", metavar="SLUG", help="the party it was raised with")
    parser.add_argument("--official", help="the official, by role")
    parser.add_argument("--raised-by", dest="raised_by", help="who raised it (default: you)")
    parser.add_argument("--answer", help="the answer")
    parser.add_argument("--next-step", dest="next_step", help="what to do next")


class Command(BaseCommand):
    help = "Record and list the cases raised with officials."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        new = sub.add_parser("raise", help="record a case raised about a person or agreement")
        add_subject_arguments(new)
        _fields(new, new=True)
        edit = sub.add_parser("edit", help="change a case raised (the answer, the next step...)")
        edit.add_argument("id", type=int)
        _fields(edit, new=False)
        listing = sub.add_parser("list", help="cases raised, newest first")
        add_subject_arguments(listing, required=False)
        listing.add_argument("--party", metavar="SLUG", help="only those raised with a party")
        listing.add_argument("--json", action="store_true")
        add_viewer_argument(listing)

    def handle(self, *args: Any, **opts: Any) -> None:
        getattr(self, "_" + opts["action"])(opts)

    def _raise(self, opts: dict[str, Any]) -> None:
        actor = cli_actor()
        person, agreement = subject(actor, opts)
        party = find_party(opts["party"], "--party") if opts["party"] else None
        values = {k: opts[k] or "" for k in ("official", "raised_by", "answer", "next_step")}
        row = run(
            lambda: services.intervention_raise(
                actor=actor,
                person=person,
                agreement=agreement,
                party=party,
                channel=opts["channel"],
                occurred_on=opts["occurred_on"],
                asked=opts["asked"],
                **values,
            ),
            OPTIONS,
        )
        self.stdout.write(f"case raised #{row.pk} recorded ({row.subject_label})")

    def _edit(self, opts: dict[str, Any]) -> None:
        actor = cli_actor()
        row = found(lambda: selectors.intervention_get(actor, opts["id"]), f"no case #{opts['id']}")
        names = ("channel", "occurred_on", "asked", "official", "raised_by", "answer", "next_step")
        changes: dict[str, Any] = {k: opts[k] for k in names if opts[k] is not None}
        if opts["party"] is not None:
            changes["party"] = find_party(opts["party"], "--party") if opts["party"] else None
        run(lambda: services.intervention_edit(actor, row, **changes), OPTIONS)
        self.stdout.write(f"case raised #{row.pk} updated")

    def _list(self, opts: dict[str, Any]) -> None:
        viewer = viewer_from(opts)
        reader(viewer)
        person, agreement = subject(viewer, opts)
        party = None
        if opts["party"]:
            from detente.agreements.selectors import party_get

            party = found(lambda: party_get(viewer, opts["party"]), f"no party {opts['party']!r}")
        rows = list(
            selectors.interventions(viewer, person=person, agreement=agreement, party=party)
        )
        if opts["json"]:
            data = [intervention_json(r) for r in rows]
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        if not rows:
            self.stdout.write("No case raised.")
        for r in rows:
            with_whom = " ".join(x for x in (r.party.slug if r.party else "", r.official) if x)
            self.stdout.write(
                f"#{r.pk:<6} {r.occurred_on}  {r.subject_label:<12} {r.channel:<8} "
                f"{with_whom or '-'}: {r.asked[:60]}"
                + (f"  -> next: {r.next_step[:40]}" if r.next_step else "")
            )
