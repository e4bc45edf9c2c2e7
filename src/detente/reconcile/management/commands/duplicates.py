"""``detente duplicates [--above P] [--limit N] [--json]``: likely duplicate people.

Every pair of registry people the linkage model scores at or above ``P`` (default 0.5),
likeliest first, with the probability. Staff only (``--as`` another staff user); merge a
true pair with the merge service (see docs/reconciliation.md).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from detente.accounts.cli import add_viewer_argument, viewer_from
from detente.reconcile.selectors import duplicate_pairs


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = "List likely duplicate people in the registry, with scores."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--above", type=_probability, default=0.5, help="lowest probability")
        parser.add_argument("--limit", type=int, default=100, help="at most this many pairs")
        parser.add_argument("--json", action="store_true")
        add_viewer_argument(parser)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        try:
            pairs = duplicate_pairs(viewer_from(opts), above=opts["above"], limit=opts["limit"])
        except PermissionDenied:
            raise CommandError("not allowed for this user") from None
        if opts["json"]:
            self.stdout.write(
                json.dumps(
                    [
                        {
                            "left": p.left,
                            "right": p.right,
                            "left_name": p.left_name,
                            "right_name": p.right_name,
                            "probability": round(p.probability, 6),
                            "match_weight": round(p.match_weight, 2),
                        }
                        for p in pairs
                    ],
                    indent=2,
                    ensure_ascii=False,
                )
            )
            return
        if not pairs:
            self.stdout.write("No likely duplicates.")
        for p in pairs:
            self.stdout.write(
                f"{p.probability:6.3f}  {p.left:<9} {p.left_name:<40} {p.right:<9} {p.right_name}"
            )
