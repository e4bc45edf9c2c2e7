"""``detente estimate --list SPEC --list SPEC [...] [--method M ...] [--stratify BY] [--json]``.

Multiple systems estimation from the overlap of the registry's lists (sources' lists and
agreements' named members): how many people, named on none of them, the lists suggest
exist. Read docs/estimation-methods.md before quoting a figure: the methods assume a closed
population, modelled list dependence and perfect matching.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from detente.core.cli_support import add_viewer_argument, viewer_from
from detente.evidence.estimates import METHODS, STRATA, import_grey_links, registry_estimate


def _bound(value: object) -> str:
    return "∞" if value is None else f"{value:,.0f}"


class Command(BaseCommand):
    help = "Estimate how many people no list names, from the overlap of the registry's lists."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--list",
            action="append",
            default=[],
            dest="lists",
            metavar="SPEC",
            help="source:SLUG, agreement:SLUG or import:RUN; repeat 2-10 times",
        )
        parser.add_argument(
            "--source", action="append", default=[], help="a source's list (same as source:SLUG)"
        )
        parser.add_argument("--method", action="append", choices=METHODS)
        parser.add_argument("--stratify", choices=STRATA, default="")
        parser.add_argument("--level", type=float, default=0.95)
        parser.add_argument(
            "--grey-zone",
            action="store_true",
            help="also estimate with the import lists' rows awaiting review accepted as "
            "their best candidates and rejected (import:RUN lists)",
        )
        parser.add_argument("--json", action="store_true")
        add_viewer_argument(parser)

    def handle(self, *args: Any, **opts: Any) -> None:
        specs = [*opts["lists"], *opts["source"]]
        if not 2 <= len(dict.fromkeys(specs)) <= 10:
            raise CommandError("give between 2 and 10 different lists (--list or --source)")
        viewer = viewer_from(opts)
        try:
            grey = import_grey_links(viewer, specs) if opts["grey_zone"] else []
            out = registry_estimate(
                viewer,
                specs,
                methods=opts["method"] or ["independence", "stepwise"],
                stratify=opts["stratify"],
                level=opts["level"],
                grey_links=grey,
            )
        except Http404 as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if opts["json"]:
            self.stdout.write(json.dumps(out, indent=2, default=float))
            return
        self.stdout.write(f"Observed on at least one list: {out['observed']}")
        self._estimates(out["estimates"])  # type: ignore[arg-type]
        stratified = out.get("stratified")
        if isinstance(stratified, dict):
            self.stdout.write(f"By {stratified['by']}:")
            for name, stratum in stratified["strata"].items():
                self.stdout.write(f" {name} (observed {stratum['observed']})")
                self._estimates(stratum["estimates"], indent="   ")
            self.stdout.write(" Sum over strata:")
            self._estimates([stratified["total"]], indent="   ")
        if opts["grey_zone"]:
            sensitivity = out.get("matching_sensitivity")
            if sensitivity is None:
                self.stdout.write("Grey zone: no rows await review.")
            elif isinstance(sensitivity, dict):
                self.stdout.write(f"Grey zone: refused: {sensitivity['refused']}")
            else:
                self.stdout.write("Grey zone (rows awaiting review):")
                for row in sensitivity:  # type: ignore[attr-defined]
                    self.stdout.write(
                        f"  {row['grey_zone']:<9} {row['estimate']:>10,.0f}  "
                        f"({_bound(row['lower'])} to {_bound(row['upper'])})"
                    )

    def _estimates(self, results: list[dict[str, Any]], indent: str = "  ") -> None:
        for r in results:
            if "refused" in r:
                self.stdout.write(f"{indent}{r['method']:<13} refused: {r['refused']}")
            else:
                self.stdout.write(
                    f"{indent}{r['method']:<13} {r['estimate']:>10,.0f}  "
                    f"({_bound(r['lower'])} to {_bound(r['upper'])}, {r['level']:.0%} "
                    f"{r['interval_kind']})  model: {r['model']}"
                )
