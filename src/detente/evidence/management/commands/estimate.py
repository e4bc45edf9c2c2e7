"""``detente estimate --list SPEC --list SPEC [...] [--method M ...] [--stratify BY] [--json]``
or ``detente estimate --table FILE.csv [--method M ...] [--json]``.

Multiple systems estimation from the overlap of the registry's lists (sources' lists and
agreements' named members): how many people, named on none of them, the lists suggest
exist. With ``--table`` the capture table is read from a file instead (a published table, or
an analyst's own): nothing in the database is read or written, so no viewer is needed and
``--as`` does not apply. Read docs/estimation-methods.md before quoting a figure: the
methods assume a closed population, modelled list dependence and perfect matching.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from detente.accounts.cli import add_viewer_argument, viewer_from
from detente.estimation import CaptureFileError, read_capture_csv
from detente.evidence.estimates import (
    METHODS,
    STRATA,
    registry_estimate,
    table_estimate,
)


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
        parser.add_argument(
            "--table",
            metavar="FILE.csv",
            help="read the capture table from a file instead of the registry: '#' comments, "
            "a header of 2-10 list names then 'count', one row per observed 0/1 pattern",
        )
        parser.add_argument("--method", action="append", choices=METHODS)
        parser.add_argument("--stratify", choices=STRATA, default="")
        parser.add_argument("--level", type=float, default=0.95)
        parser.add_argument(
            "--grey-zone",
            action="store_true",
            help="kept for old scripts: the estimates with the rows awaiting review resolved "
            "both ways are now always shown",
        )
        parser.add_argument("--json", action="store_true")
        add_viewer_argument(parser)

    def handle(self, *args: Any, **opts: Any) -> None:
        specs = [*opts["lists"], *opts["source"]]
        if opts["table"]:
            self._from_file(specs, opts)
            return
        if not 2 <= len(dict.fromkeys(specs)) <= 10:
            raise CommandError("give between 2 and 10 different lists (--list or --source)")
        viewer = viewer_from(opts)
        try:
            out = registry_estimate(
                viewer,
                specs,
                methods=opts["method"] or ["independence", "stepwise"],
                stratify=opts["stratify"],
                level=opts["level"],
            )
        except Http404 as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if opts["json"]:
            self.stdout.write(json.dumps(out, indent=2, default=float))
            return
        labels = out["labels"]
        names = out["names"]
        for spec, count in out["lists"].items():  # type: ignore[attr-defined]
            self.stdout.write(f"{labels[spec]} ({names[spec]}): {count:,}")  # type: ignore[index]
        self.stdout.write(f"Observed on at least one list: {out['observed']}")
        self._estimates(out["estimates"])  # type: ignore[arg-type]
        bounds = out.get("awaiting_review")
        if isinstance(bounds, dict):
            self.stdout.write(
                f"Rows awaiting review, not counted above: {bounds['rows']:,}. With them resolved:"
            )
            for key, title in (
                ("as_matched", "as the people they most resemble"),
                ("as_new", "as new people"),
            ):
                part = bounds[key]
                self.stdout.write(f" {title} (observed {part['observed']:,})")
                self._estimates(part["estimates"], indent="   ")
        self._warnings(out["warnings"])  # type: ignore[arg-type]
        stratified = out.get("stratified")
        if isinstance(stratified, dict):
            self.stdout.write(f"By {stratified['by']}:")
            for name, stratum in stratified["strata"].items():
                self.stdout.write(f" {name} (observed {stratum['observed']})")
                self._estimates(stratum["estimates"], indent="   ")
            self.stdout.write(" Sum over strata:")
            self._estimates([stratified["total"]], indent="   ")

    def _from_file(self, specs: list[str], opts: dict[str, Any]) -> None:
        clashes = [
            flag
            for flag, given in (
                ("--list/--source", specs),
                ("--stratify", opts["stratify"]),
                ("--grey-zone", opts["grey_zone"]),
                ("--as", opts.get("as_user")),
            )
            if given
        ]
        if clashes:
            raise CommandError(
                f"--table reads the capture table from the file only; drop {', '.join(clashes)}"
            )
        try:
            table = read_capture_csv(opts["table"])
            out = table_estimate(
                table,
                methods=opts["method"] or ["independence", "stepwise"],
                level=opts["level"],
            )
        except CaptureFileError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if opts["json"]:
            self.stdout.write(json.dumps(out, indent=2, default=float))
            return
        totals = ", ".join(f"{name} {n:,}" for name, n in out["lists"].items())  # type: ignore[attr-defined]
        self.stdout.write(f"Lists: {totals}")
        self.stdout.write(f"Observed on at least one list: {out['observed']}")
        self._estimates(out["estimates"])  # type: ignore[arg-type]
        self._warnings(out["warnings"])  # type: ignore[arg-type]

    def _warnings(self, warnings: list[dict[str, Any]]) -> None:
        """Each warning as a plain sentence, after the figures it is about."""
        for w in warnings:
            self.stdout.write(self.style.WARNING(f"Warning: {w['message']}"))

    def _estimates(self, results: list[dict[str, Any]], indent: str = "  ") -> None:
        for r in results:
            if "refused" in r:
                self.stdout.write(f"{indent}{r['method']:<26} refused: {r['refused']}")
                continue
            self.stdout.write(
                f"{indent}{r['method']:<26} {r['estimate']:>10,.0f}  "
                f"({_bound(r['lower'])} to {_bound(r['upper'])}, {r['level']:.0%} "
                f"{r['interval_kind']})  model: {r['model']}"
            )
            extra = []
            if r.get("aic") is not None:
                extra.append(f"AIC {r['aic']:,.1f}")
            if r.get("exhaustive") is True:
                extra.append(f"exhaustive search of {r['models_tried']:,} models")
            elif r.get("exhaustive") is False:
                extra.append(f"NOT EXHAUSTIVE: {r['models_tried']:,} models tried")
                search = r.get("search") or {}
                crit = search.get("criterion", "aic")
                for direction in ("forward", "backward", "restart"):
                    best = search.get(direction)
                    if best:
                        extra.append(
                            f"best {direction}: {crit.upper()} {best[crit]:,.1f}, "
                            f"{best['estimate']:,.0f}"
                        )
            if r.get("ess") is not None:
                extra.append(
                    f"effective draws {r['ess']:,.0f}, R-hat {r['rhat']:.3f}, "
                    f"Geweke |z| {r['geweke']:.1f}"
                )
            if r.get("delta") is not None:
                extra.append(f"prior delta {r['delta']:g}")
            if r.get("tail_mass") is not None:
                extra.append(f"posterior beyond half the grid {r['tail_mass']:.1e}")
            if extra:
                self.stdout.write(f"{indent}{'':<26} " + "; ".join(extra))
