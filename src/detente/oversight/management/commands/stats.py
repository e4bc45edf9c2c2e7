"""``detente stats [show|draft|releases|propose]``: the public statistics and their releases.

``show`` (the default) prints what the public reads: the newest approved release. ``draft``
prints what a release counted now would publish, ``releases`` lists them all, ``propose``
counts and proposes one. Approving or rejecting needs a second person signed in (the staff
page or the API), never the operator at the shell: see ``detente.publishing.releases``.
"""

from __future__ import annotations

import argparse
import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from detente.access.policy import Action, cli_actor, require
from detente.accounts.cli import add_viewer_argument, viewer_from
from detente.publishing.releases import (
    draft_conflicts,
    release_list,
    statistics_propose,
)
from detente.publishing.statistics import PublicStatistics, public_statistics


class Command(BaseCommand):
    help = "The public statistics (fixed tables, small cells suppressed) and their releases."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true")
        add_viewer_argument(parser)
        sub = parser.add_subparsers(dest="action")
        readers = [
            sub.add_parser("show", help="what the public reads: the newest approved release"),
            sub.add_parser("draft", help="what a release counted now would publish (staff)"),
            sub.add_parser("releases", help="every release: proposed, approved, rejected (staff)"),
        ]
        for reader in readers:  # also after the subcommand; SUPPRESS keeps the first one's
            reader.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
            reader.add_argument(
                "--as", dest="as_user", metavar="USERNAME", default=argparse.SUPPRESS
            )
        pr = sub.add_parser("propose", help="count now and propose publishing the figures")
        pr.add_argument("--reason", required=True)
        pr.add_argument("--json", action="store_true", default=argparse.SUPPRESS)

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts.get("action") or "show"
        if action == "propose" and opts.get("as_user"):
            raise CommandError("--as is for reading: a proposal is made as the operator")
        try:
            getattr(self, f"_{action}")(opts)
        except ValidationError as exc:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(problems) from None
        except PermissionDenied:
            raise CommandError("not allowed for this user") from None

    def _show(self, opts: dict[str, Any]) -> None:
        stats = public_statistics(viewer_from(opts))
        if stats is None:
            if opts["json"]:
                self.stdout.write(json.dumps({"release": None}))
            else:
                self.stdout.write("No statistics have been released yet (detente stats propose).")
            return
        self._print(stats, opts)

    def _draft(self, opts: dict[str, Any]) -> None:
        require(viewer_from(opts), Action.READ)  # staff only: the draft is not yet public
        stats, found = draft_conflicts()
        if opts["json"]:
            data = stats.as_json() | {"conflicts": [c.as_json() for c in found]}
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        self._print(stats, opts)
        for c in found:
            moved = ", ".join(f"{d.row}/{d.col} {d.before}->{d.after}" for d in c.moved[:5])
            more = f" and {len(c.moved) - 5} more" if len(c.moved) > 5 else ""
            self.stdout.write(
                f"Not publishable against release #{c.release}: {moved}{more} "
                "(moved by fewer people than the threshold)"
            )

    def _releases(self, opts: dict[str, Any]) -> None:
        viewer = viewer_from(opts)
        require(viewer, Action.READ)  # staff only: proposals are not public
        rows = [
            {
                "id": r.pk,
                "status": r.status,
                "people": r.people,
                "counted_at": r.counted_at.isoformat(),
                "proposed_by": r.proposed_by.get_username(),
                "decided_by": r.decided_by.get_username() if r.decided_by else None,
                "decided_at": r.decided_at.isoformat() if r.decided_at else None,
                "reason": r.reason,
            }
            for r in release_list(viewer)
        ]
        if opts["json"]:
            self.stdout.write(json.dumps({"releases": rows}, indent=2, ensure_ascii=False))
            return
        for r in rows:
            decided = f", {r['status']} by {r['decided_by']}" if r["decided_by"] else ""
            self.stdout.write(
                f"#{r['id']} {r['status']:<9} {r['people']} people counted {r['counted_at']}, "
                f"proposed by {r['proposed_by']}{decided}"
            )

    def _propose(self, opts: dict[str, Any]) -> None:
        release = statistics_propose(actor=cli_actor(), reason=opts["reason"])
        if opts["json"]:
            self.stdout.write(json.dumps({"id": release.pk, "status": release.status}))
            return
        self.stdout.write(
            f"Release #{release.pk} proposed ({release.people} people counted). Nothing is "
            "published until a different verifier or administrator approves it, on the "
            "staff statistics page or through the API."
        )

    def _print(self, stats: PublicStatistics, opts: dict[str, Any]) -> None:
        if opts["json"]:
            self.stdout.write(json.dumps(stats.as_json(), indent=2, ensure_ascii=False))
            return
        if stats.release is not None:
            self.stdout.write(
                f"Release #{stats.release}: counted {stats.counted_at}, "
                f"published {stats.released_at}"
            )
        self.stdout.write(f"Population: {stats.population}: {stats.people}")
        for name in stats.withheld:
            self.stdout.write(f"{name}: withheld whole (too few people to publish safely)")
        for t in stats.tables:
            width = max(len(c) for c in t.col_labels) + 1
            self.stdout.write(f"\n{t.name} (· = suppressed, fewer than {t.threshold} or derivable)")
            self.stdout.write(" " * 12 + "".join(f"{c[:width]:>{width}}" for c in t.col_labels))
            for label, row, total in zip(t.row_labels, t.cells, t.row_totals, strict=True):
                cells = "".join(f"{'·' if v is None else v:>{width}}" for v in row)
                self.stdout.write(f"{label:<12}{cells}  = {'·' if total is None else total}")
