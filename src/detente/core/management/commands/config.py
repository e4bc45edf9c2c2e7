"""``detente config``: every setting, the value in force and where it comes from (secrets
masked), so an operator need not read settings.py or the environment by hand."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from detente.core.config import rows


class Command(BaseCommand):
    help = "Show every setting, its value in force and where it comes from (secrets masked)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true")
        parser.add_argument(
            "--set", action="store_true", help="only the settings given in the environment"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        found = [r for r in rows() if not opts["set"] or r[2] == "environment"]
        if opts["json"]:
            self.stdout.write(
                json.dumps(
                    [{"name": n, "value": v, "from": f, "meaning": m} for n, v, f, m in found],
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        width = max((len(r[0]) for r in found), default=0)
        for name, value, source, meaning in found:
            mark = " (default)" if source == "default" else ""
            self.stdout.write(f"{name:<{width}}  {value}{mark}")
            self.stdout.write(f"{'':<{width}}    {meaning}")
