"""Foundation benchmarks: agreement progress at scale, and loading the demo.

Run with ``make bench`` (or ``.venv/bin/python bench/run.py``). Uses a throw-away SQLite
database in a temporary data directory unless DATABASE_URL is set. Prints medians; paste
the output into docs/benchmarks.md with the date and the command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time


def _median_ms(fn, repeat: int) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), min(times), max(times)


def bench_progress(members: int, claims_per_member: int, repeat: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from detente.access.policy import cli_actor
    from detente.agreements.derivation import rebuild_agreement
    from detente.agreements.models import Agreement, Membership, Party
    from detente.agreements.selectors import agreement_progress
    from detente.evidence.models import Claim, ClaimKind, Source
    from detente.registry.models import Identity, Person
    from detente.registry.status import CustodyStatus

    rng = random.Random(7)
    actor = cli_actor()
    t0 = time.perf_counter()
    with transaction.atomic():
        gov = Party.objects.create(slug="gov", name="Gov", independence_group="gov")
        other = Party.objects.create(slug="other", name="Other", independence_group="other")
        agreement = Agreement.objects.create(
            slug="big",
            title="Big",
            promisor=gov,
            promisee=other,
            announced_on=dt.date(2020, 1, 1),
            promised_count=members + 500,
        )
        groups = ["gov", "gov", "other", "ngo", "family", "press"]
        sources = [
            Source.objects.create(
                slug=f"s{i}",
                name=f"s{i}",
                kind="ngo",
                reliability="ABCDEF"[i % 6],
                independence_group=g,
            )
            for i, g in enumerate(groups * 2)
        ]
        people = Person.objects.bulk_create(
            [Person(handle=f"P-{i:06d}") for i in range(members)], batch_size=2000
        )
        Identity.objects.bulk_create(
            [Identity(person=p, given_names="Bench", paternal_surname=f"S{p.pk}") for p in people],
            batch_size=2000,
        )
        Membership.objects.bulk_create(
            [
                Membership(agreement=agreement, person=p, named_on=dt.date(2020, 1, 2))
                for p in people
            ],
            batch_size=2000,
        )
        statuses = [s.value for s in CustodyStatus]
        base = dt.datetime(2020, 1, 5, 12, tzinfo=dt.UTC)
        batch = []
        for p in people:
            for _ in range(claims_per_member):
                day = rng.randint(0, 300)
                batch.append(
                    Claim(
                        source=rng.choice(sources),
                        kind=ClaimKind.STATUS,
                        person=p,
                        status=rng.choice(statuses),
                        event_date=(base + dt.timedelta(days=day)).date(),
                        received_at=base + dt.timedelta(days=day + rng.randint(0, 5)),
                        credibility=3,
                        recorded_by=actor,
                    )
                )
        Claim.objects.bulk_create(batch, batch_size=5000)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    rebuild_agreement(agreement)
    rebuild = time.perf_counter() - t0
    n_claims = Claim.objects.count()
    print(
        f"setup: {members} members, {n_claims} claims in {setup:.1f} s; "
        f"full rebuild of member states {rebuild * 1000:.0f} ms"
    )
    med, lo, hi = _median_ms(lambda: agreement_progress(actor, agreement), repeat)
    print(
        f"agreement progress (current)      median {med:7.1f} ms  (min {lo:.1f}, max {hi:.1f}, "
        f"n={repeat})"
    )
    past = dt.date(2020, 6, 1)
    med, lo, hi = _median_ms(lambda: agreement_progress(actor, agreement, as_of=past), 5)
    print(
        f"agreement progress (as of a date) median {med:7.1f} ms  (min {lo:.1f}, max {hi:.1f}, n=5)"
    )


def bench_demo(repeat: int) -> None:
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "DETENTE_DATA_DIR": tmp}
            env.pop("DATABASE_URL", None)
            cli = [sys.executable, "-m", "detente.cli"]
            subprocess.run([*cli, "migrate", "-v0"], env=env, check=True)  # noqa: S603
            t0 = time.perf_counter()
            subprocess.run([*cli, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
            times.append(time.perf_counter() - t0)
    print(
        "detente demo (fresh SQLite, process start included) "
        f"median {statistics.median(times):.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}, n={repeat})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--claims-per-member", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--only", choices=["progress", "demo"])
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("DETENTE_DATA_DIR", tmp)
        print(
            f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, python {sys.version.split()[0]}, "
            f"database {os.environ.get('DATABASE_URL', 'sqlite (temporary file)')}"
        )
        if args.only in (None, "progress"):
            bench_progress(args.members, args.claims_per_member, args.repeat)
        if args.only in (None, "demo"):
            bench_demo(3)


if __name__ == "__main__":
    main()
