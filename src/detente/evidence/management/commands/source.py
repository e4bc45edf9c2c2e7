"""``detente source list|create|edit|archive|restore``: who makes the claims, and how far
they are trusted.

Acts as the operator account (``cli_actor()``), an administrator, so ``list`` shows
protected sources too, marked as such. A protected source's name and group reach the
audit ledger only as keyed hashes (``evidence.services``).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils.translation import gettext as _

from detente.access.policy import cli_actor
from detente.core.cli_support import refusal
from detente.evidence.models import Reliability, Source, SourceKind
from detente.evidence.selectors import source_get, source_list
from detente.evidence.services import source_archive, source_create, source_edit

# The services' field names, as the options of this command.
OPTIONS = {
    "slug": "SLUG",
    "name": "--name",
    "kind": "--kind",
    "reliability": "--grade",
    "independence_group": "--group",
    "protected": "--protected",
}


def _grade(text: str) -> str:
    return text.strip().upper()


def _source(slug: str) -> Source:
    try:
        return source_get(cli_actor(), slug)
    except Http404:
        raise CommandError(
            _("no source %(slug)r; `detente source list` shows them") % {"slug": slug}
        ) from None


class Command(BaseCommand):
    help = "List, create, edit, archive and restore sources."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ls = sub.add_parser("list", help="the sources (archived ones only with --all)")
        ls.add_argument("--all", action="store_true", help="archived sources too, marked")
        ls.add_argument("--json", action="store_true")
        cr = sub.add_parser("create", help="record a source")
        cr.add_argument("slug", metavar="SLUG")
        cr.add_argument("--name", required=True)
        cr.add_argument("--kind", required=True, choices=SourceKind.values)
        cr.add_argument(
            "--grade",
            required=True,
            type=_grade,
            choices=Reliability.values,
            help="reliability, A (completely reliable) to E (unreliable); F: cannot be judged",
        )
        cr.add_argument(
            "--group",
            required=True,
            help="independence group: sources in one group are not independent of each other",
        )
        cr.add_argument(
            "--protected", action="store_true", help="the identity of the source is confidential"
        )
        ed = sub.add_parser("edit", help="correct a source; options left out stay as they are")
        ed.add_argument("slug", metavar="SLUG")
        ed.add_argument("--name")
        ed.add_argument("--kind", choices=SourceKind.values)
        ed.add_argument(
            "--grade",
            type=_grade,
            choices=Reliability.values,
            help="a new reliability grade (rederives every member its claims touch)",
        )
        ed.add_argument("--group", help="a new independence group (rederives likewise)")
        guard = ed.add_mutually_exclusive_group()
        guard.add_argument(
            "--protected", dest="protected", action="store_const", const=True, default=None
        )
        guard.add_argument("--unprotected", dest="protected", action="store_const", const=False)
        ar = sub.add_parser("archive", help="keep a source's claims; take no new ones from it")
        ar.add_argument("slug", metavar="SLUG")
        rs = sub.add_parser("restore", help="take claims from an archived source again")
        rs.add_argument("slug", metavar="SLUG")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            getattr(self, f"_{opts['action']}")(opts)
        except ValidationError as exc:
            raise refusal(exc, OPTIONS) from None
        except PermissionDenied as exc:
            raise CommandError(_("refused: %(reason)s") % {"reason": exc}) from None

    def _list(self, opts: dict[str, Any]) -> None:
        sources = source_list(cli_actor())
        if not opts["all"]:
            sources = sources.filter(archived_at__isnull=True)
        rows = [
            {
                "slug": s.slug,
                "name": s.name,
                "kind": s.kind,
                "reliability": s.reliability,
                "independence_group": s.independence_group,
                "protected": s.protected,
                "archived": s.archived_at is not None,
            }
            for s in sources
        ]
        if opts["json"]:
            self.stdout.write(json.dumps({"sources": rows}, indent=2, ensure_ascii=False))
            return
        if not rows:
            self.stdout.write(_("No sources yet; `detente source create` records one."))
            return
        self.stdout.write(f"{'SLUG':<28} {'KIND':<22} {'GRADE':<5} {'GROUP':<28} NAME")
        for r in rows:
            marks = "".join(
                f"  [{label}]"
                for label, on in ((_("protected"), r["protected"]), (_("archived"), r["archived"]))
                if on
            )
            self.stdout.write(
                f"{r['slug']:<28} {r['kind']:<22} {r['reliability']:<5} "
                f"{r['independence_group']:<28} {r['name']}{marks}"
            )

    def _create(self, opts: dict[str, Any]) -> None:
        source = source_create(
            actor=cli_actor(),
            slug=opts["slug"],
            name=opts["name"],
            kind=opts["kind"],
            reliability=opts["grade"],
            independence_group=opts["group"],
            protected=opts["protected"],
        )
        self.stdout.write(
            _("Created the source %(slug)s (%(kind)s, grade %(grade)s).")
            % {"slug": source.slug, "kind": source.kind, "grade": source.reliability}
        )

    def _edit(self, opts: dict[str, Any]) -> None:
        source = _source(opts["slug"])
        changes = {
            "name": opts["name"],
            "kind": opts["kind"],
            "reliability": opts["grade"],
            "independence_group": opts["group"],
            "protected": opts["protected"],
        }
        if all(value is None for value in changes.values()):
            raise CommandError(
                _("nothing to change: give --name, --kind, --grade, --group or --(un)protected")
            )
        source = source_edit(actor=cli_actor(), source=source, **changes)
        self.stdout.write(_("Saved the source %(slug)s.") % {"slug": source.slug})

    def _archive(self, opts: dict[str, Any]) -> None:
        source = source_archive(actor=cli_actor(), source=_source(opts["slug"]))
        self.stdout.write(
            _(
                "Archived the source %(slug)s; its claims stand. `detente source restore "
                "%(slug)s` undoes it."
            )
            % {"slug": source.slug}
        )

    def _restore(self, opts: dict[str, Any]) -> None:
        source = source_archive(actor=cli_actor(), source=_source(opts["slug"]), archived=False)
        self.stdout.write(_("Restored the source %(slug)s.") % {"slug": source.slug})
