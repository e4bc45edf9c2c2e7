"""``detente person show ID [--json]``: a person, their claims and why their status is so.

``detente person claims HANDLE [--json] [--output FILE]``: the person's claims as the staff
person page lists them (staff only), printed or as the page's download (CSV, Excel, JSON).
"""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from detente.access.policy import Action, require
from detente.accounts.cli import add_viewer_argument, viewer_from
from detente.core.cli_support import add_download_arguments, download_format, write_download
from detente.core.dates import PreciseDate
from detente.registry.selectors import person_detail, person_get
from detente.registry.services import CLAIM_COLUMNS, person_claims_download


class Command(BaseCommand):
    help = "Show a person from the registry."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="one person, by id or handle (P-0017)")
        show.add_argument("ref")
        show.add_argument("--json", action="store_true")
        add_viewer_argument(show)
        claims = sub.add_parser("claims", help="a person's claims, as the staff page lists them")
        claims.add_argument("ref")
        claims.add_argument("--json", action="store_true")
        add_download_arguments(claims)
        add_viewer_argument(claims)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "claims":
            self._claims(opts)
            return
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

    def _claims(self, opts: dict[str, Any]) -> None:
        viewer = viewer_from(opts)
        try:
            require(viewer, Action.READ)  # before the lookup: a refusal tells nothing
        except PermissionDenied:
            raise CommandError("not allowed for this user") from None
        try:
            person = person_get(viewer, opts["ref"])
        except Http404:
            raise CommandError(f"no person {opts['ref']!r}") from None
        fmt = download_format(opts) if opts["output"] else "json" if opts["json"] else "text"
        rows = person_claims_download(viewer, person, fmt=fmt)
        if opts["output"]:
            name = f"{person.handle}-claims"
            self.stdout.write(write_download(opts["output"], name, fmt, CLAIM_COLUMNS, rows))
            return
        if opts["json"]:
            self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        if not rows:
            self.stdout.write(f"No claim recorded about {person.handle}.")
        for r in rows:
            what = r["status"] or f"retracts #{r['corrects']}"
            left = "  [left out]" if r["left_out"] else ""
            self.stdout.write(
                f"#{r['id']:<6} {r['event_date'] or '':<10} {what:<24} "
                f"{r['source']} ({r['reliability']}){left}"
            )
