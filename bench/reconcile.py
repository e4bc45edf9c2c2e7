"""Import benchmark: a 100,000-row list into a 100,000-person registry, and reading a
1,000,000-row file.

Run with ``.venv/bin/python bench/reconcile.py`` (``--registry``, ``--incoming``,
``--big`` change the sizes). Uses a throw-away SQLite database in a temporary data
directory unless DATABASE_URL is set (then it must be a scratch database: the bench fills
it). The lists come from the project's Hispanic benchmark generator
(``bench/matching/hispanic.py``: registry people written by other hands, with its
documented corruption model, 80 % of the rows being registry people).

What is measured, each ``detente import`` run in a child process of its own so its peak
memory (RSS) is its own:

1. the import of the 100,000-row list: wall time (process start, loading the registry's
   records, both passes, the one transaction) and peak RSS; the outcome counts and, from
   the generator's truth, how right the automatic links were;
2. the same file again: nothing added (wall time);
3. a 1,000,000-row file whose last row is invalid: the validation pass reads every row,
   reports the bad one with its row and column, and writes nothing (wall time, peak RSS).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CPU = [float("nan")]  # CPU seconds (user + system) of the last child measured
COLUMNS = [
    "external_id",
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "birth_date",
    "sex",
    "province",
    "municipality",
    "status",
    "event_date",
]


def _child(
    args: list[str], env: dict[str, str]
) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run ``detente ARGS`` in a child; wall seconds, peak RSS in MiB, the result."""
    cli = [sys.executable, "-m", "detente.cli", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    done = subprocess.run(cli, env=env, capture_output=True, text=True)  # noqa: S603
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of the children is the largest of any child so far: children run one at a
    # time, largest last is not guaranteed, so a smaller later child reports the earlier.
    return wall, max(peak, before) / 1024, done


def _rss_of(
    args: list[str], env: dict[str, str]
) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Like ``_child`` but the peak RSS of this child alone (via /usr/bin/time when there)."""
    timer = Path("/usr/bin/time")
    if not timer.exists():
        return _child(args, env)
    cli = [str(timer), "-f", "%M %U %S", sys.executable, "-m", "detente.cli", *args]
    t0 = time.perf_counter()
    done = subprocess.run(cli, env=env, capture_output=True, text=True)  # noqa: S603
    wall = time.perf_counter() - t0
    lines = done.stderr.strip().splitlines()
    peak = cpu = float("nan")
    if lines and len(lines[-1].split()) == 3:
        rss, user, system = lines[-1].split()
        peak, cpu = int(rss) / 1024, float(user) + float(system)
    CPU[0] = cpu
    return wall, peak, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--registry", type=int, default=100_000)
    parser.add_argument("--incoming", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("DETENTE_DATA_DIR", tmp)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
        print(
            f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, python {sys.version.split()[0]}, "
            f"database {os.environ.get('DATABASE_URL', 'sqlite (temporary file)')}"
        )
        import django

        django.setup()
        from bench.matching.hispanic import generate
        from django.core.management import call_command
        from django.db import transaction

        from detente.access.policy import cli_actor
        from detente.evidence.services import source_create
        from detente.reconcile.models import ImportRow, Outcome
        from detente.reconcile.rows import parse_date
        from detente.registry.services import PersonFields, people_create_bulk

        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        bench = generate(args.registry, args.incoming, seed=args.seed)
        print(
            f"generated registry {len(bench.registry):,} and list {len(bench.incoming):,} "
            f"in {time.perf_counter() - t0:.1f} s"
        )

        # The registry, loaded with the bulk service (its own search tokens included).
        actor = cli_actor()
        t0 = time.perf_counter()
        fields = []
        for row in bench.registry:
            birth, precision = None, "day"
            if row.birth:
                parts = row.birth.split("-")
                precision = {1: "year", 2: "month", 3: "day"}[len(parts)]
                birth = dt.date(
                    int(parts[0]),
                    int(parts[1]) if len(parts) > 1 else 1,
                    int(parts[2]) if len(parts) > 2 else 1,
                )
            fields.append(
                PersonFields(
                    given_names=row.given_names,
                    paternal_surname=row.paternal_surname,
                    maternal_surname=row.maternal_surname,
                    birth_date=birth,
                    birth_precision=precision,
                    sex=row.sex,
                    province=row.province,
                    municipality=row.municipality,
                )
            )
        with transaction.atomic():
            people = people_create_bulk(actor=actor, people=fields, batch_size=5000)
        person_of_row = [p.pk for p in people]
        del fields, people
        print(f"loaded the registry in {time.perf_counter() - t0:.1f} s")
        source = source_create(
            actor=actor,
            slug="bench-ngo",
            name="Bench NGO",
            kind="ngo",
            reliability="B",
            independence_group="bench-ngo",
        )

        def birth(text: str) -> str:
            # The generator's digit slips can make an impossible or future date, which
            # would (rightly) fail the whole import: such a cell is left empty here.
            try:
                today = dt.datetime.now(dt.UTC).date()
                return text if text and parse_date(text)[0] <= today else ""
            except ValueError:
                return ""

        path = Path(tmp) / "incoming.csv"
        truth: dict[str, int | None] = {}
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            for row in bench.incoming:
                truth[row.id] = None if row.person is None else person_of_row[row.person]
                writer.writerow(
                    [
                        row.id,
                        row.given_names,
                        row.paternal_surname,
                        row.maternal_surname,
                        birth(row.birth),
                        row.sex,
                        row.province,
                        row.municipality,
                        "detained",
                        "2024-01-15",
                    ]
                )

        command = ["import", str(path), "--source", source.slug, "--json"]
        wall, peak, done = _rss_of(command, env)
        if done.returncode:
            print(done.stdout[-3000:], done.stderr[-3000:])
            raise SystemExit("the import failed")
        summary = json.loads(done.stdout)
        print(
            f"import of {args.incoming:,} rows into {args.registry:,}: {wall:.1f} s wall "
            f"({CPU[0]:.1f} s CPU), peak RSS {peak:,.0f} MiB"
        )
        print(
            "  outcome: "
            + ", ".join(
                f"{k} {summary[k]:,}" for k in ("linked", "queued", "new", "unchanged", "rejected")
            )
        )

        # How right the automatic decisions were, against the generator's truth.
        external = {}
        with path.open(encoding="utf-8") as fh:
            for number, rec in enumerate(csv.DictReader(fh), start=2):
                external[number] = rec["external_id"]
        right = wrong = missed_new = made_new_right = queued_true = 0
        for number, outcome, pid in ImportRow.objects.filter(run_id=summary["run"]).values_list(
            "number", "outcome", "person_id"
        ):
            true = truth[external[number]]
            if outcome == Outcome.LINKED:
                right += pid == true
                wrong += pid != true
            elif outcome == Outcome.NEW:
                made_new_right += true is None
                missed_new += true is not None
            elif outcome == Outcome.QUEUED:
                queued_true += true is not None
        linked = right + wrong
        print(
            f"  automatic links right: {right:,} of {linked:,} "
            f"({right / max(linked, 1):.4f}); new people who were in the registry: "
            f"{missed_new:,}; truly new: {made_new_right:,}; queued rows with a true match: "
            f"{queued_true:,} of {summary['queued']:,}"
        )

        wall2, _peak, done2 = _rss_of(command, env)
        again = json.loads(done2.stdout)
        print(
            f"same file again: {wall2:.1f} s wall ({CPU[0]:.1f} s CPU), "
            f"unchanged {again['unchanged']:,}, run {again['run']}"
        )

        # A million rows, the last one invalid: the whole file is validated, nothing written.
        big = Path(tmp) / "big.csv"
        with big.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            n = len(bench.incoming)
            for i in range(args.big - 1):
                row = bench.incoming[i % n]
                day = dt.date(2000, 1, 1) + dt.timedelta(days=i // n)
                writer.writerow(
                    [
                        f"B{i}",
                        row.given_names,
                        row.paternal_surname,
                        row.maternal_surname,
                        birth(row.birth),
                        row.sex,
                        row.province,
                        row.municipality,
                        "detained",
                        day.isoformat(),
                    ]
                )
            writer.writerow(
                ["B-last", "Ana", "Díaz", "", "31/02/1980", "F", "", "", "detained", "2024-01-15"]
            )
        size = big.stat().st_size / 2**20
        wall3, peak3, done3 = _rss_of(["import", str(big), "--source", source.slug, "--json"], env)
        report = json.loads(done3.stdout)
        print(
            f"validation of {args.big:,} rows ({size:,.0f} MiB): {wall3:.1f} s wall "
            f"({CPU[0]:.1f} s CPU), "
            f"peak RSS {peak3:,.0f} MiB; status {report['status']}, errors "
            f"{[(e['row'], e['column']) for e in report['errors']]}"
        )


if __name__ == "__main__":
    main()
