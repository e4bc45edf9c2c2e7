"""``detente match "NAME" [--birth-year Y] [--province P] [--limit N] [--json] [--as USER]``.

Who in the registry a name as typed most likely refers to: handle, match probability and
the explanation of each score (which fields agreed, at which level, for how many bits).
Staff only; for anyone else it fails as if there were nothing to match against.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from detente.accounts.cli import add_viewer_argument, viewer_from
from detente.matching.selectors import MAX_LIMIT, match_query


class Command(BaseCommand):
    help = "Find who in the registry a name refers to, with the reasons."
    # An answer in well under a second: the system checks would load every URL, view and
    # the estimation engine first (seconds). `detente check` runs them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help='a name as written, e.g. "Yoany Rguez Cardet"')
        parser.add_argument("--birth-year", type=int, help="year of birth, when known")
        parser.add_argument("--province", help="province, when known")
        parser.add_argument(
            "--limit", type=int, default=10, help=f"how many candidates (1-{MAX_LIMIT})"
        )
        parser.add_argument("--json", action="store_true")
        add_viewer_argument(parser)

    def handle(self, *args: Any, **opts: Any) -> None:
        viewer = viewer_from(opts)
        try:
            results = match_query(
                viewer,
                opts["name"],
                birth_year=opts["birth_year"],
                province=opts["province"],
                limit=opts["limit"],
            )
        except PermissionDenied:
            raise CommandError(_("Matching names is for staff only.")) from None
        except ValidationError as exc:
            messages = [
                f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items()
            ]
            raise CommandError("; ".join(messages)) from None
        if opts["json"]:
            data = [r.as_json() for r in results]
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        if not results:
            self.stdout.write(_("No one in the registry resembles this name."))
            return
        out: list[str] = []
        for result in results:
            out.append(f"{result.handle:<9} {result.probability:6.1%}  {result.name}")
            for item in result.explanation():
                out.append(
                    f"    {item['field_label']:<14} {item['weight']:+6.1f}  {item['level_label']}"
                )
        self.stdout.write("\n".join(out))
