"""``detente import FILE --source SLUG [--agreement SLUG] [--mapping FILE] [--dry-run] …``.

Import another organisation's list (CSV, Excel or JSON) as one source's claims: every row
is linked to a registry person, queued for review, made a new person, or rejected with its
row and column. A failed import changes nothing; importing the same file again adds
nothing. See docs/reconciliation.md.
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from detente.access.policy import cli_actor
from detente.agreements.selectors import agreement_get
from detente.evidence.selectors import source_get
from detente.reconcile.importer import (
    LINK_ABOVE,
    REVIEW_ABOVE,
    ImportFailed,
    Summary,
    import_list,
)
from detente.reconcile.readers import FORMATS
from detente.reconcile.rows import parse_date, parse_status


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 < value <= 1.0:
        raise ValueError(text)
    return value


class ProgressBar:
    """A one-line progress report on stderr, redrawn in place (only on a terminal)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.shown = False

    def __call__(self, phase: str, done: int, total: int) -> None:
        label = {"validate": "checking", "match": "matching", "write": "importing"}[phase]
        if total:
            width = 30
            filled = int(width * done / total) if total else width
            bar = "#" * filled + "-" * (width - filled)
            text = f"\r{label:<10} [{bar}] {done:,}/{total:,} rows"
        else:
            text = f"\r{label:<10} {done:,} rows"
        self.stream.write(text)
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = "Import another organisation's list and match it to the registry."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="the list: .csv, .xlsx or .json")
        parser.add_argument("--source", required=True, help="slug of the source whose list it is")
        parser.add_argument("--agreement", help="name the people on this agreement (slug)")
        parser.add_argument("--mapping", help='JSON file {"our column": "their header"}')
        parser.add_argument("--dry-run", action="store_true", help="report, write nothing")
        parser.add_argument("--encoding", default="", help="the CSV's encoding (default: detected)")
        parser.add_argument("--format", choices=FORMATS, default="", dest="fmt")
        parser.add_argument("--status", default="", help="status for rows without one")
        parser.add_argument("--event-date", default="", help="event date for rows without one")
        parser.add_argument(
            "--link-above",
            type=_probability,
            default=LINK_ABOVE,
            help=f"link automatically at or above this probability (default {LINK_ABOVE})",
        )
        parser.add_argument(
            "--review-above",
            type=_probability,
            default=REVIEW_ABOVE,
            help=f"queue for review at or above this probability (default {REVIEW_ABOVE})",
        )
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        actor = cli_actor()
        try:
            source = source_get(actor, opts["source"])
        except Http404:
            raise CommandError(f"no source {opts['source']!r}") from None
        agreement = None
        if opts["agreement"]:
            try:
                agreement = agreement_get(actor, opts["agreement"])
            except Http404:
                raise CommandError(f"no agreement {opts['agreement']!r}") from None
        status = ""
        if opts["status"]:
            try:
                status = parse_status(opts["status"])
            except ValueError as exc:
                raise CommandError(f"--status: {exc}") from None
        event_date = precision = None
        if opts["event_date"]:
            try:
                event_date, precision = parse_date(opts["event_date"])
            except ValueError as exc:
                raise CommandError(f"--event-date: {exc}") from None
        bar = ProgressBar(sys.stderr) if sys.stderr.isatty() and not opts["json"] else None
        try:
            summary = import_list(
                actor=actor,
                path=opts["file"],
                source=source,
                agreement=agreement,
                mapping_path=opts["mapping"],
                fmt=opts["fmt"],
                encoding=opts["encoding"],
                dry_run=opts["dry_run"],
                link_above=opts["link_above"],
                review_above=opts["review_above"],
                status=status,
                event_date=event_date,
                event_precision=precision or "day",
                progress=bar,
            )
        except ImportFailed as failed:
            if bar:
                bar.close()
            self._report(failed.summary, opts["json"])
            raise CommandError(
                f"the import failed ({failed.summary.rejected} invalid rows); nothing was changed"
            ) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if bar:
            bar.close()
        self._report(summary, opts["json"])

    def _report(self, summary: Summary, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
            return
        s = summary
        head = {
            "completed": "Imported",
            "dry_run": "Dry run (nothing written) of",
            "failed": "Failed (nothing written):",
        }[s.status]
        self.stdout.write(f"{head} {s.file_name} as {s.source}'s list ({s.rows:,} rows)")
        self.stdout.write(
            f"  linked {s.linked:,}  queued {s.queued:,}  new {s.new:,}  "
            f"rejected {s.rejected:,}  unchanged {s.unchanged:,}"
        )
        for error in s.errors:
            where = ", ".join(
                x
                for x in (
                    f"row {error['row']}" if error["row"] is not None else "",
                    f"column {error['column']}" if error["column"] else "",
                )
                if x
            )
            self.stdout.write(f"  error: {where + ': ' if where else ''}{error['message']}")
        for warning in s.warnings:
            self.stdout.write(f"  note: {warning['message']}")
        if s.run:
            self.stdout.write(f"  recorded as import #{s.run}; digest {s.digest}")
            if s.queued:
                self.stdout.write(f"  review the queue: detente review list --run {s.run}")
