"""``detente stats [--json]``: the public statistics tables, as published."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from detente.core.cli_support import add_viewer_argument, viewer_from
from detente.publishing.statistics import public_statistics


class Command(BaseCommand):
    help = "Print the public statistics (fixed tables with small cells suppressed)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true")
        add_viewer_argument(parser)

    def handle(self, *args: Any, **opts: Any) -> None:
        stats = public_statistics(viewer_from(opts))
        if opts["json"]:
            self.stdout.write(json.dumps(stats.as_json(), indent=2, ensure_ascii=False))
            return
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
