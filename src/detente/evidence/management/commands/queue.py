"""``detente queue list``: the verification queue, as the staff page shows it.

Reported releases awaiting independent confirmation, and disputed ones, oldest report
first, each with the claims behind its state (a protected source masked to those who do
not manage sources). ``--output FILE`` writes the staff page's download (CSV, Excel or
JSON). Staff only (``--as`` another staff user); confirming and disputing are done in the
staff pages or through the API, with a named source.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from detente.access.policy import Action, require
from detente.accounts.cli import add_viewer_argument, viewer_from
from detente.agreements.selectors import agreement_get
from detente.core.cli_support import add_download_arguments, download_format, write_download
from detente.evidence.verification_queue import QUEUE_COLUMNS, verification_queue_download


class Command(BaseCommand):
    help = "The verification queue: reported releases awaiting confirmation, and disputes."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ls = sub.add_parser("list", help="the queue, oldest report first")
        ls.add_argument("--agreement", metavar="SLUG", help="only this agreement")
        ls.add_argument("--state", choices=["reported", "disputed"], help="only this state")
        ls.add_argument("--json", action="store_true")
        add_download_arguments(ls)
        add_viewer_argument(ls)

    def handle(self, *args: Any, **opts: Any) -> None:
        viewer = viewer_from(opts)
        try:
            require(viewer, Action.READ)  # before any lookup: a refusal tells nothing
            agreement = None
            if opts["agreement"]:
                try:
                    agreement = agreement_get(viewer, opts["agreement"])
                except Http404:
                    slug = opts["agreement"]
                    raise CommandError(f"no agreement with the slug {slug!r}") from None
            fmt = download_format(opts) if opts["output"] else "json" if opts["json"] else "text"
            rows = verification_queue_download(
                viewer,
                fmt=fmt,
                agreement=agreement,
                state=opts["state"] or "",
                # Printed, the names were seen as on the page; written, they were taken.
                action="queue.export" if opts["output"] else "queue.view",
            )
        except PermissionDenied:
            raise CommandError("not allowed for this user") from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if opts["output"]:
            name = "verification-queue"
            self.stdout.write(write_download(opts["output"], name, fmt, QUEUE_COLUMNS, rows))
            return
        if opts["json"]:
            self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
            return
        if not rows:
            self.stdout.write("Nothing awaits review.")
        for r in rows:
            self.stdout.write(
                f"{r['agreement']:<20} {r['handle']:<9} {r['state']:<9} "
                f"{r['status'] or '':<22} {r['name'] or ''}"
            )
            for label in ("reported_by", "contradicted_by"):
                if r[label]:
                    self.stdout.write(f"    {label.replace('_', ' ')}: {r[label]}")
