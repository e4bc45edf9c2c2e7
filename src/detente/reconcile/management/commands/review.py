"""``detente review list|show|accept|reject|choose|accept-above``: the match review queue.

``list`` and ``show`` read (staff, also ``--as`` another user; ``list --output FILE`` writes
the staff page's download: CSV, Excel or JSON with the candidates); the decisions are the
operator's (verifiers decide through the API or the staff pages). ``accept-above`` accepts
every waiting row of an import at or above a probability, after showing how many.
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from detente.access.policy import cli_actor
from detente.accounts.cli import add_viewer_argument, viewer_from
from detente.core.cli_support import add_download_arguments, download_format, write_download
from detente.reconcile.models import Reason
from detente.reconcile.readers import write_csv
from detente.reconcile.selectors import (
    BULK_FLOOR,
    CAREFUL_REASONS,
    MATCH_REVIEW_COLUMNS,
    bulk_rows,
    candidates_seen_by,
    match_review_download,
    match_review_get,
    match_review_queue,
    row_name,
    run_get,
)
from detente.reconcile.services import (
    match_review_accept,
    match_review_accept_bulk,
    match_review_choose,
    match_review_reject,
)
from detente.registry.selectors import person_get

CSV_COLUMNS = [
    "row_id",
    "run",
    "row",
    "name",
    "birth_date",
    "status",
    "event_date",
    "evidence",
    "best_candidate",
    "probability",
    "reason",
]


class Command(BaseCommand):
    help = "The match review queue: uncertain matches from imports."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ls = sub.add_parser("list", help="queued rows awaiting a decision")
        ls.add_argument("--run", type=int, help="only this import")
        ls.add_argument("--decided", action="store_true", help="the decided rows instead")
        ls.add_argument("--above", type=float, help="best candidate at least this likely")
        ls.add_argument("--below", type=float, help="best candidate at most this likely")
        ls.add_argument("--reason", choices=Reason.values, help="only rows queued for this reason")
        ls.add_argument("--json", action="store_true")
        ls.add_argument("--csv", metavar="FILE", help="write the list as CSV for a spreadsheet")
        add_download_arguments(ls)
        add_viewer_argument(ls)
        show = sub.add_parser("show", help="one queued row with its candidates")
        show.add_argument("row", type=int)
        show.add_argument("--json", action="store_true")
        add_viewer_argument(show)
        for name, text in (
            ("accept", "the row is its best candidate"),
            ("reject", "the row is a new person"),
        ):
            p = sub.add_parser(name, help=text)
            p.add_argument("row", type=int)
            p.add_argument("--note", default="")
        choose = sub.add_parser("choose", help="the row is another person")
        choose.add_argument("row", type=int)
        choose.add_argument("person", help="handle, such as P-0017")
        choose.add_argument("--note", default="")
        bulk = sub.add_parser(
            "accept-above",
            help="accept every waiting row of an import whose best candidate is at or above P",
        )
        bulk.add_argument("above", type=float, metavar="P", help=f"{BULK_FLOOR:g} to 1")
        bulk.add_argument("--run", type=int, required=True, help="the import")
        bulk.add_argument(
            "--reason",
            choices=Reason.values,
            help="only rows queued for this reason (default: any but "
            + ", ".join(CAREFUL_REASONS)
            + ", which are accepted in bulk only when named)",
        )
        bulk.add_argument("--note", default="")
        bulk.add_argument("--yes", action="store_true", help="do not ask before accepting")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            getattr(self, "_" + opts["action"].replace("-", "_"))(opts)
        except PermissionDenied:
            raise CommandError("not allowed for this user") from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None

    def _row(self, viewer: Any, row_id: int) -> Any:
        try:
            return match_review_get(viewer, row_id)
        except Http404:
            raise CommandError(f"no queued row {row_id}") from None

    def _list(self, opts: dict[str, Any]) -> None:
        viewer = viewer_from(opts)
        run = None
        if opts["run"]:
            try:
                run = run_get(viewer, opts["run"])
            except Http404:
                raise CommandError(f"no import {opts['run']}") from None
        if opts["output"]:
            # The staff page's download: the waiting rows with every candidate (names
            # where the viewer may see them), recorded in the ledger.
            if opts["decided"]:
                raise CommandError("--output writes the waiting rows: leave out --decided")
            fmt = download_format(opts)
            found = match_review_download(
                viewer,
                fmt=fmt,
                run=run,
                above=opts["above"],
                below=opts["below"],
                reason=opts["reason"],
            )
            name = "review-queue"
            self.stdout.write(
                write_download(opts["output"], name, fmt, MATCH_REVIEW_COLUMNS, found)
            )
            return
        rows = list(
            match_review_queue(
                viewer,
                run=run,
                decided=opts["decided"],
                above=opts["above"],
                below=opts["below"],
                reason=opts["reason"],
            )[:10_000]
        )
        items = [
            {
                "row_id": r.pk,
                "run": r.run_id,
                "row": r.number,
                "name": row_name(r),
                "birth_date": r.data["person"].get("birth_date") or "",
                "status": r.data.get("status", ""),
                "event_date": r.data.get("event_date", ""),
                "evidence": r.data.get("evidence_text", ""),
                "best_candidate": r.candidates[0]["handle"] if r.candidates else "",
                "probability": r.probability,
                "reason": r.reason,
                "decision": r.decision or None,
                "person": r.person.handle if r.person else None,
            }
            for r in rows
        ]
        if opts["csv"]:
            Path(opts["csv"]).write_text(write_csv(items, CSV_COLUMNS), encoding="utf-8")
            self.stdout.write(f"{len(items)} rows written to {opts['csv']}")
            return
        if opts["json"]:
            self.stdout.write(json.dumps(items, indent=2, ensure_ascii=False))
            return
        if not items:
            self.stdout.write("The queue is empty.")
        for i in items:
            decided = f"  → {i['decision']} {i['person']}" if i["decision"] else ""
            self.stdout.write(
                f"#{i['row_id']:<7} import {i['run']} row {i['row']:<6} {i['name']:<40} "
                f"best {i['best_candidate'] or '-':<9} p={i['probability'] or 0:.3f}{decided}"
            )

    def _show(self, opts: dict[str, Any]) -> None:
        viewer = viewer_from(opts)
        row = self._row(viewer, opts["row"])
        candidates = candidates_seen_by(viewer, row)
        data = {
            "row_id": row.pk,
            "run": row.run_id,
            "row": row.number,
            "name": row_name(row),
            "parsed": row.data,
            "candidates": [
                {
                    "handle": c.handle,
                    "name": c.name,
                    "probability": c.probability,
                    "explanation": c.explanation,
                }
                for c in candidates
            ],
            "decision": row.decision or None,
            "person": row.person.handle if row.person else None,
        }
        if opts["json"]:
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        self.stdout.write(f"#{row.pk}: import {row.run_id}, row {row.number}: {data['name']}")
        for c in candidates:
            self.stdout.write(f"  {c.handle:<9} p={c.probability:.3f}  {c.name or ''}")
            for f in c.explanation.get("fields", []):
                self.stdout.write(f"      {f['field']:<11} {f['weight']:+6.2f}  {f['description']}")

    def _accept(self, opts: dict[str, Any]) -> None:
        actor = cli_actor()
        row = match_review_accept(actor=actor, row=self._row(actor, opts["row"]), note=opts["note"])
        self.stdout.write(f"#{row.pk} accepted: {row.person.handle if row.person else ''}")

    def _reject(self, opts: dict[str, Any]) -> None:
        actor = cli_actor()
        row = match_review_reject(actor=actor, row=self._row(actor, opts["row"]), note=opts["note"])
        self.stdout.write(
            f"#{row.pk} rejected: new person {row.person.handle if row.person else ''}"
        )

    def _choose(self, opts: dict[str, Any]) -> None:
        actor = cli_actor()
        try:
            person = person_get(actor, opts["person"])
        except Http404:
            raise CommandError(f"no person {opts['person']!r}") from None
        row = match_review_choose(
            actor=actor, row=self._row(actor, opts["row"]), person=person, note=opts["note"]
        )
        self.stdout.write(f"#{row.pk} linked to {row.person.handle if row.person else ''}")

    def _accept_above(self, opts: dict[str, Any]) -> None:
        actor = cli_actor()
        try:
            run = run_get(actor, opts["run"])
        except Http404:
            raise CommandError(f"no import {opts['run']}") from None
        above, reason = opts["above"], opts["reason"]
        rows = bulk_rows(actor, run=run, above=above, reason=reason)
        count = rows.count()
        which = (
            f"queued as {reason}" if reason else "of any reason but " + ", ".join(CAREFUL_REASONS)
        )
        self.stdout.write(
            f"{count} waiting rows of import {run.pk} ({run.file_name}) have a best candidate "
            f"at or above {above:g}, {which}."
        )
        if not count:
            return
        for r in rows[:10]:
            best = r.candidates[0].get("handle") if r.candidates else "-"
            self.stdout.write(
                f"  row {r.number:<6} {row_name(r):<40} best {best or '-':<9} "
                f"p={r.probability or 0:.3f}"
            )
        if count > 10:
            self.stdout.write(f"  … and {count - 10} more")
        if not opts["yes"]:
            if not sys.stdin.isatty():
                raise CommandError("not accepted: give --yes to accept without being asked")
            answer = input(f"Accept these {count} rows as their best candidates? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                self.stdout.write("Nothing accepted.")
                return
        done = match_review_accept_bulk(
            actor=actor, run=run, above=above, reason=reason, expected=count, note=opts["note"]
        )
        self.stdout.write(f"{len(done)} rows accepted.")
