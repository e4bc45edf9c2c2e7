"""Interactive lookups as staff meet them: ``match_query`` with the database, warm.

    .venv/bin/python -m bench.match_query --generator hispanic --registry 100000 --queries 2000
    .venv/bin/python -m bench.match_query --generator independent

A registry of ``--registry`` people from one of the two generators (``bench/import_quality``
explains them) is loaded into a throw-away SQLite database (or the scratch database named by
``DATABASE_URL``); then ``--queries`` rows of the generator's list that name a registry
person are looked up the way ``detente match`` and the new-person form look them up: the
name as one line of text (the list's own ``name`` cell, or its parts joined), the birth
year and the province when the row gives them. Each lookup is timed whole —
``detente.matching.selectors.match_query``: the candidate index (caught up through the
ledger), the visibility query, the re-scoring against the stored identities and the
ledger entry of the access — after one warm-up query (the process has loaded the saved
index). Reported: top-1 and top-5 recall (the true person first, among the first five),
and p50/p95/p99 of the time per lookup.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _typed(row: dict[str, str]) -> str:
    if row.get("name"):
        return row["name"]
    parts = (
        row.get("given_names", ""),
        row.get("paternal_surname", ""),
        row.get("maternal_surname", ""),
    )
    return " ".join(p for p in parts if p)


def _year(text: str) -> int | None:
    from detente.reconcile.rows import parse_date

    try:
        return parse_date(text)[0].year if text else None
    except ValueError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", choices=("hispanic", "independent"), default="hispanic")
    parser.add_argument("--registry", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="detente-bench-")
    os.environ.setdefault("DETENTE_DATA_DIR", tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
    import django

    django.setup()
    from bench.import_quality import GENERATORS, load_registry
    from bench.matching.common import machine
    from django.core.management import call_command

    from detente.access.policy import cli_actor
    from detente.matching.registry import reset
    from detente.matching.selectors import match_query

    print(f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {machine()}")
    print(f"# database {os.environ.get('DATABASE_URL', 'sqlite (temporary file)')}")
    call_command("migrate", verbosity=0)
    data = GENERATORS[args.generator](args.registry, args.queries * 2, args.seed)
    person_of = load_registry(data.registry)
    actor = cli_actor()
    known = [
        (row, person_of[pid])
        for row, pid in zip(data.rows, data.truth, strict=True)
        if pid is not None
    ][: args.queries]
    from detente.registry.models import Person

    handles = dict(Person.objects.values_list("pk", "handle"))
    reset()
    match_query(actor, "José Pérez")  # warm: the index is built (and saved) once
    times: list[float] = []
    top1 = top5 = 0
    for row, person in known:
        text = _typed(row)
        if not text.strip():
            continue
        year = _year(row.get("birth_date", ""))
        if year is not None and not 1850 <= year <= dt.datetime.now(dt.UTC).year:
            year = None
        start = time.perf_counter()
        found = match_query(
            actor, text[:200], birth_year=year, province=row.get("province") or None, limit=5
        )
        times.append(time.perf_counter() - start)
        got = [r.handle for r in found]
        top1 += bool(got) and got[0] == handles[person]
        top5 += handles[person] in got
    n = len(times)
    cuts = statistics.quantiles(times, n=100)
    print(
        f"{data.name}: {n:,} lookups against {len(data.registry):,} people: top-1 {top1 / n:.2%}, "
        f"top-5 {top5 / n:.2%}; p50 {cuts[49] * 1000:.1f} ms, p95 {cuts[94] * 1000:.1f} ms, "
        f"p99 {cuts[98] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
