"""``detente import FILE --source SLUG [--agreement SLUG] [--mapping FILE] [--dry-run] …``
and ``detente import show RUN [--rows] [--json] [--as USER]``.

Import another organisation's list (CSV, Excel or JSON) as one source's claims: every row
is linked to a registry person, queued for review, made a new person, or rejected with its
row and column. A failed import changes nothing; importing the same file again adds
nothing. See docs/reconciliation.md.

``show`` as the first argument shows what a stored import did (its summary, or with
``--rows`` each row's outcome, person and candidates, by handle). A list saved in a file
literally named ``show`` is imported as ``detente import ./show …``.
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser, Namespace
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from detente.access.policy import cli_actor
from detente.accounts.cli import add_viewer_argument, viewer_from
from detente.agreements.selectors import agreement_get
from detente.evidence.selectors import source_get
from detente.reconcile.importer import (
    LINK_ABOVE,
    REVIEW_ABOVE,
    ImportFailed,
    Summary,
)
from detente.reconcile.jobs import (
    candidates_text,
    import_run_get,
    import_run_rows,
    import_run_summary,
    row_result,
)
from detente.reconcile.models import Mode
from detente.reconcile.readers import FORMATS
from detente.reconcile.rows import parse_date, parse_status
from detente.reconcile.services import import_list


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


SHOW = "show"


class Command(BaseCommand):
    help = (
        "Import another organisation's list and match it to the registry. "
        "`import show RUN [--rows] [--json] [--as USER]` shows what a stored import did "
        "(a list in a file named 'show': ./show)."
    )
    _building_show = False

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        """The import's parser, which hands ``show …`` to a parser of its own (a file named
        ``show`` is ``./show``): ``detente import FILE …`` is parsed exactly as before."""
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        self._building_show = True
        try:
            show = super().create_parser(prog_name, f"{subcommand} {SHOW}", **kwargs)
        finally:
            self._building_show = False
        parse_import = parser.parse_args

        def parse_args(
            args: Sequence[str] | None = None, namespace: Namespace | None = None
        ) -> Namespace:
            given = list(sys.argv[2:] if args is None else args)
            if given and given[0] == SHOW:
                options = show.parse_args(given[1:], namespace)
                options.action = SHOW
                return options
            return parse_import(given, namespace)

        parser.parse_args = parse_args  # type: ignore[method-assign,assignment]
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        if self._building_show:
            parser.description = (
                "What a stored import did: its summary, or with --rows each row's outcome, "
                "reason, person and candidates (handles and probabilities, never names)."
            )
            parser.add_argument("run", type=int, help="the import's number")
            parser.add_argument("--rows", action="store_true", help="each row's outcome")
            parser.add_argument("--json", action="store_true", help="print JSON")
            add_viewer_argument(parser)
            return
        parser.add_argument("file", help="the list: .csv, .xlsx or .json ('show': see above)")
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
        parser.add_argument(
            "--mode",
            choices=Mode.values,
            default=Mode.MATCH,
            help="match: against the registry (links, rows for match review, new people); own: an "
            "organisation's own list into an empty or young registry (every row a person "
            "unless the evidence is strong; likely repeats flagged, nothing queued)",
        )
        parser.add_argument(
            "--reported-on",
            default="",
            help="the day a historical list was published or received (YYYY-MM-DD): its "
            "claims are received and its people named that day",
        )
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts.get("action") == SHOW:
            self._show(opts)
            return
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
        reported_on = None
        if opts["reported_on"]:
            try:
                reported_on, reported_precision = parse_date(opts["reported_on"])
            except ValueError as exc:
                raise CommandError(f"--reported-on: {exc}") from None
            if reported_precision != "day":
                raise CommandError("--reported-on: give the day (YYYY-MM-DD)")
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
                mode=opts["mode"],
                reported_on=reported_on,
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
        if s.possible_duplicates:
            self.stdout.write(
                f"  {s.possible_duplicates:,} new people may repeat an earlier one: "
                "see detente duplicates, and merge with detente merge"
            )
        if s.reasons and s.queued:
            reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(s.reasons.items()))
            self.stdout.write(f"  queued because: {reasons}")
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

    def _show(self, opts: dict[str, Any]) -> None:
        """Handles only: no name is printed, so nothing is recorded as seen."""
        viewer = viewer_from(opts)
        try:
            run = import_run_get(viewer, opts["run"])
        except Http404:
            raise CommandError(f"no import {opts['run']}") from None
        if not opts["rows"]:
            summary = import_run_summary(viewer, run)
            if opts["json"]:
                self.stdout.write(json.dumps(summary, indent=2, ensure_ascii=False))
                return
            self.stdout.write(
                f"Import #{run.pk}: {summary['file']} as {summary['source']}'s list "
                f"({summary['rows']:,} rows), {summary['created_at']} by {summary['created_by']}"
            )
            self.stdout.write(
                f"  linked {run.linked:,}  queued {run.queued:,}  new {run.new:,}  "
                f"rejected {run.rejected:,}  unchanged {run.unchanged:,}"
            )
            self.stdout.write(f"  rows: detente import show {run.pk} --rows")
            return
        rows = [row_result(r) for r in import_run_rows(viewer, run).iterator(chunk_size=2000)]
        if opts["json"]:
            self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        self.stdout.write(
            f"{'row':>6}  {'external_id':<14} {'outcome':<9} {'reason':<18} {'person':<9} "
            f"{'p':>6}  candidates"
        )
        for r in rows:
            p = "-" if r["probability"] is None else f"{r['probability']:.3f}"
            self.stdout.write(
                f"{r['row']:>6}  {r['external_id'] or '-':<14} {r['outcome']:<9} "
                f"{r['reason'] or '-':<18} {r['person'] or '-':<9} {p:>6}  "
                f"{candidates_text(r['candidates']) or '-'}"
            )
