"""``detente estimate --source A --source B [...] [--method M ...] [--json]``.

Multiple systems estimation from the overlap of sources' lists: how many people, named on
none of them, the lists suggest exist. Read docs/estimation-methods.md before quoting a
figure: the methods assume a closed population, modelled list dependence and perfect
matching.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from detente.core.cli_support import add_viewer_argument, viewer_from
from detente.estimation import IdentifiabilityError, capture_table, estimate, pattern_bits
from detente.evidence.lists import source_lists

METHODS = ("independence", "stepwise", "aic", "bic", "bma")


class Command(BaseCommand):
    help = "Estimate how many people no list names, from the overlap of sources' lists."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--source", action="append", required=True, help="repeat 2-10 times")
        parser.add_argument("--method", action="append", choices=METHODS)
        parser.add_argument("--json", action="store_true")
        add_viewer_argument(parser)

    def handle(self, *args: Any, **opts: Any) -> None:
        slugs = list(dict.fromkeys(opts["source"]))
        if not 2 <= len(slugs) <= 10:
            raise CommandError("give between 2 and 10 different --source lists")
        methods = opts["method"] or ["independence", "stepwise"]
        if "bma" in methods and len(slugs) > 5:
            raise CommandError("model averaging (bma) is implemented for at most 5 lists")
        try:
            lists = source_lists(viewer_from(opts), slugs)
        except Http404 as exc:
            raise CommandError(str(exc)) from None
        table = capture_table(lists)
        results = []
        for method in methods:
            try:
                results.append(estimate(table, method).as_dict())
            except (IdentifiabilityError, ValueError) as exc:
                results.append({"method": method, "refused": str(exc)})
        patterns = [
            {"lists": [n for n, b in zip(table.lists, bits, strict=True) if b], "count": int(c)}
            for bits, c in zip(pattern_bits(table.k), table.counts, strict=True)
        ]
        if opts["json"]:
            out = {
                "lists": {s: len(ids) for s, ids in lists.items()},
                "observed": table.observed,
                "capture_patterns": patterns,
                "estimates": results,
            }
            self.stdout.write(json.dumps(out, indent=2, default=float))
            return
        self.stdout.write(f"Observed on at least one list: {table.observed}")
        for r in results:
            if "refused" in r:
                self.stdout.write(f"  {r['method']:<13} refused: {r['refused']}")
            else:
                self.stdout.write(
                    f"  {r['method']:<13} {r['estimate']:>10,.0f}  "
                    f"({r['lower']:,.0f} to {r['upper']:,.0f}, {r['level']:.0%} "
                    f"{r['interval_kind']})  model: {r['model']}"
                )
