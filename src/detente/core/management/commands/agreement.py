"""``detente agreement list`` and ``detente agreement status SLUG [--as-of DATE] [--json]``."""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from detente.agreements.selectors import (
    agreement_get,
    agreement_list,
    agreement_members,
    agreement_progress,
)
from detente.core.cli_support import add_viewer_argument, viewer_from


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "List agreements and show their progress."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ls = sub.add_parser("list", help="every agreement with its headline figures")
        ls.add_argument("--json", action="store_true")
        add_viewer_argument(ls)
        st = sub.add_parser("status", help="the progress of one agreement")
        st.add_argument("slug")
        st.add_argument("--as-of", type=_date, help="progress as known at the end of DATE")
        st.add_argument("--json", action="store_true")
        add_viewer_argument(st)
        mb = sub.add_parser("members", help="the named members, as the viewer may see them")
        mb.add_argument("slug")
        mb.add_argument("--json", action="store_true")
        add_viewer_argument(mb)

    def handle(self, *args: Any, **opts: Any) -> None:
        viewer = viewer_from(opts)
        if opts["action"] == "list":
            rows = []
            for a in agreement_list(viewer):
                p = agreement_progress(viewer, a)
                rows.append(
                    {
                        "slug": a.slug,
                        "title": a.title,
                        "announced_on": a.announced_on.isoformat(),
                        "promised": p.promised,
                        "named": p.named,
                        "claimed": p.claimed,
                        "confirmed": p.confirmed,
                    }
                )
            if opts["json"]:
                self.stdout.write(json.dumps({"agreements": rows}, indent=2))
                return
            self.stdout.write(
                f"{'SLUG':<28} {'ANNOUNCED':<10} {'PROMISED':>8} {'NAMED':>6} "
                f"{'CLAIMED':>8} {'CONFIRMED':>9}  TITLE"
            )
            for r in rows:
                self.stdout.write(
                    f"{r['slug']:<28} {r['announced_on']:<10} {r['promised']:>8} "
                    f"{r['named']:>6} {r['claimed']:>8} {r['confirmed']:>9}  {r['title']}"
                )
            return

        try:
            agreement = agreement_get(viewer, opts["slug"])
        except Http404:
            raise CommandError(f"no agreement with the slug {opts['slug']!r}") from None
        if opts["action"] == "members":
            members = agreement_members(viewer, agreement)
            if opts["json"]:
                rows = [
                    {
                        "handle": m.handle,
                        "name": m.name,
                        "state": m.state,
                        "release_category": m.release_category or None,
                        "status": m.status or None,
                        "released_on": m.released_on.isoformat() if m.released_on else None,
                    }
                    for m in members
                ]
                self.stdout.write(json.dumps({"members": rows}, indent=2, ensure_ascii=False))
                return
            for m in members:
                self.stdout.write(
                    f"{m.handle:<10} {m.state:<11} {m.status or '':<22} "
                    f"{m.name or '[identity not disclosed]'}"
                )
            return
        progress = agreement_progress(viewer, agreement, as_of=opts["as_of"])
        if opts["json"]:
            self.stdout.write(json.dumps(progress.as_json(), indent=2, ensure_ascii=False))
            return
        p = progress
        when = f" as of {p.as_of}" if p.as_of else ""
        lines = [
            f"{agreement.title} ({agreement.slug}){when}",
            f"  announced {agreement.announced_on} by {agreement.promisor} to {agreement.promisee}",
            "",
            f"  promised                  {p.promised:>6}",
            f"    named                   {p.named:>6}",
            f"    unnamed                 {p.unnamed:>6}",
        ]
        if p.named_beyond_promise:
            lines.append(f"    named beyond promise    {p.named_beyond_promise:>6}")
        lines += [
            f"  claimed released          {p.claimed:>6}"
            + (
                f"   (releasing party says {p.claimed_by_releasing_party})"
                if p.claimed_by_releasing_party is not None
                else ""
            ),
            f"  confirmed released        {p.confirmed:>6}   gap to claim: {p.gap}",
            "",
            "  named members by state:",
            f"    confirmed, unconditional {p.confirmed_unconditional:>5}",
            f"    confirmed, conditional   {p.confirmed_conditional:>5}",
            f"    reported only            {p.reported:>5}",
            f"    disputed                 {p.disputed:>5}",
            f"    re-arrested              {p.rearrested:>5}",
            f"    still held               {p.held:>5}",
            f"    died                     {p.died:>5}",
            f"    disappeared              {p.disappeared:>5}",
            f"    total                    {p.named:>5}",
        ]
        if p.aggregate_claims:
            lines += ["", "  claims about the agreement as a whole:"]
            for c in p.aggregate_claims:
                lines.append(f"    {c.event_date}  {c.source}: {c.released_count} released")
        lines += ["", "  milestones:"]
        for stone in p.milestones:
            when = stone.date.isoformat() if stone.date else "—"
            lines.append(f"    {when:<10}  {stone.label}")
        self.stdout.write("\n".join(lines))
