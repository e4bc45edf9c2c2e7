"""``detente party list|create|edit|archive|restore``: the parties agreements are made between.

Acts as the operator account (``cli_actor()``), so every change is in the audit ledger.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from detente.access.policy import cli_actor
from detente.agreements.cli import find_party
from detente.agreements.models import PartyKind
from detente.agreements.selectors import party_list
from detente.agreements.services import party_archive, party_create, party_edit
from detente.core.cli_support import refusal

# The services' field names, as the options of this command.
OPTIONS = {
    "slug": "SLUG",
    "name": "--name",
    "kind": "--kind",
    "independence_group": "--group",
}


class Command(BaseCommand):
    help = "List, create, edit, archive and restore parties to agreements."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ls = sub.add_parser("list", help="the parties (archived ones only with --all)")
        ls.add_argument("--all", action="store_true", help="archived parties too, marked")
        ls.add_argument("--json", action="store_true")
        cr = sub.add_parser("create", help="record a party")
        cr.add_argument("slug", metavar="SLUG")
        cr.add_argument("--name", required=True)
        cr.add_argument(
            "--group",
            required=True,
            help="independence group: the sources in it speak for this party",
        )
        cr.add_argument("--kind", choices=PartyKind.values, default=PartyKind.GOVERNMENT)
        ed = sub.add_parser("edit", help="correct a party; options left out stay as they are")
        ed.add_argument("slug", metavar="SLUG")
        ed.add_argument("--name")
        ed.add_argument("--kind", choices=PartyKind.values)
        ed.add_argument("--group", help="a new independence group (rederives its agreements)")
        ar = sub.add_parser("archive", help="keep a party for its history; offer it no more")
        ar.add_argument("slug", metavar="SLUG")
        rs = sub.add_parser("restore", help="offer an archived party again")
        rs.add_argument("slug", metavar="SLUG")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            getattr(self, f"_{opts['action']}")(opts)
        except ValidationError as exc:
            raise refusal(exc, OPTIONS) from None
        except PermissionDenied as exc:
            raise CommandError(_("refused: %(reason)s") % {"reason": exc}) from None

    def _list(self, opts: dict[str, Any]) -> None:
        parties = party_list(cli_actor())
        if not opts["all"]:
            parties = parties.filter(archived_at__isnull=True)
        rows = [
            {
                "slug": p.slug,
                "name": p.name,
                "kind": p.kind,
                "independence_group": p.independence_group,
                "archived": p.archived_at is not None,
            }
            for p in parties
        ]
        if opts["json"]:
            self.stdout.write(json.dumps({"parties": rows}, indent=2, ensure_ascii=False))
            return
        if not rows:
            self.stdout.write(_("No parties yet; `detente party create` records one."))
            return
        self.stdout.write(f"{'SLUG':<28} {'KIND':<13} {'GROUP':<28} NAME")
        for r in rows:
            mark = f"  [{_('archived')}]" if r["archived"] else ""
            self.stdout.write(
                f"{r['slug']:<28} {r['kind']:<13} {r['independence_group']:<28} {r['name']}{mark}"
            )

    def _create(self, opts: dict[str, Any]) -> None:
        party = party_create(
            actor=cli_actor(),
            slug=opts["slug"],
            name=opts["name"],
            kind=opts["kind"],
            independence_group=opts["group"],
        )
        self.stdout.write(
            _("Created the party %(slug)s (%(name)s).") % {"slug": party.slug, "name": party.name}
        )

    def _edit(self, opts: dict[str, Any]) -> None:
        party = find_party(opts["slug"])
        if opts["name"] is None and opts["kind"] is None and opts["group"] is None:
            raise CommandError(_("nothing to change: give --name, --kind or --group"))
        party = party_edit(
            actor=cli_actor(),
            party=party,
            name=opts["name"],
            kind=opts["kind"],
            independence_group=opts["group"],
        )
        self.stdout.write(_("Saved the party %(slug)s.") % {"slug": party.slug})

    def _archive(self, opts: dict[str, Any]) -> None:
        party = party_archive(actor=cli_actor(), party=find_party(opts["slug"]))
        self.stdout.write(
            _("Archived the party %(slug)s; `detente party restore %(slug)s` undoes it.")
            % {"slug": party.slug}
        )

    def _restore(self, opts: dict[str, Any]) -> None:
        party = party_archive(actor=cli_actor(), party=find_party(opts["slug"]), archived=False)
        self.stdout.write(_("Restored the party %(slug)s.") % {"slug": party.slug})
