"""``detente person show ID [--json]``: a person, their claims and why their status is so."""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from detente.core.cli_support import add_viewer_argument, viewer_from
from detente.core.dates import PreciseDate
from detente.registry.selectors import person_detail, person_get


class Command(BaseCommand):
    help = "Show a person from the registry."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="one person, by id or handle (P-0017)")
        show.add_argument("ref")
        show.add_argument("--json", action="store_true")
        add_viewer_argument(show)

    def handle(self, *args: Any, **opts: Any) -> None:
        viewer = viewer_from(opts)
        try:
            person = person_get(viewer, opts["ref"])
        except Http404:
            raise CommandError(f"no person {opts['ref']!r}") from None
        data = person_detail(viewer, person).as_json()
        if opts["json"]:
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        ident = data["identity"]
        if ident is None:
            out = [f"{data['handle']}  [identity not disclosed]"]
        else:
            name = " ".join(
                x
                for x in (
                    ident["given_names"],
                    ident["paternal_surname"],
                    ident["maternal_surname"],
                )
                if x
            )
            out = [f"{data['handle']}  {name}" + ("  [at risk]" if data["at_risk"] else "")]
            if ident["aliases"]:
                out.append(f"  also known as: {', '.join(ident['aliases'])}")
            out.append(
                f"  born {ident['birth'] or 'unknown'}; "
                f"{ident['municipality']}, {ident['province']}"
            )
            if ident["affiliation"]:
                out.append(f"  affiliation: {ident['affiliation']}")
        out.append("  custody:")
        for e in data["custody"]:
            out.append(f"    {e['start']}  {e['status']}  {e['place']}")
        out.append("  claims:")
        for c in data["claims"]:
            what = c["status"] or f"retracts #{c['corrects']}"
            # As known: "2015-03" for a month, not the first day of it.
            when = (
                str(PreciseDate.of(dt.date.fromisoformat(c["event_date"]), c["event_precision"]))
                if c["event_date"]
                else ""
            )
            out.append(
                f"    #{c['id']:<6} {when:<10} {what:<24} "
                f"{c['source']} ({c['reliability']}, {c['independence_group']})"
            )
        out.append("  status:")
        for s in data["statuses"]:
            where = s["agreement"] or "(general)"
            out.append(
                f"    {where:<28} {s['state']:<11} {s['status'] or '':<22} rule: {s['rule']}"
                f"; claims {s['decisive_claims']}"
                + (
                    f"; contradicted by {s['contradicting_claims']}"
                    if s["contradicting_claims"]
                    else ""
                )
            )
        self.stdout.write("\n".join(out))
