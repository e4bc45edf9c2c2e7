"""Confidentiality benchmarks: ledger overhead, ledger verification, restricted lists.

Run: ``.venv/bin/python bench/security.py`` (SQLite in a temporary data directory, or the
database in DATABASE_URL). Prints medians; results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from typing import Any


def _median_ms(times: list[float]) -> str:
    return f"median {statistics.median(times) * 1000:8.2f} ms (min {min(times) * 1000:.2f})"


def bench_append_overhead(rounds: int) -> None:
    from tests.support import build_world

    from detente.access.policy import cli_actor
    from detente.audit import ledger
    from detente.evidence.services import claim_record
    from detente.registry.status import CustodyStatus

    actor = cli_actor()
    w = build_world(actor, members=50, slug="bench")
    real_append = ledger.append
    with_ledger: list[float] = []
    without: list[float] = []
    base = dt.datetime(2020, 2, 1, 12, tzinfo=dt.UTC)
    for i in range(rounds):
        # Interleaved, so drift in machine load hits both alike.
        for target, no_ledger in ((with_ledger, False), (without, True)):
            if no_ledger:
                ledger.append = lambda *a, **k: None  # type: ignore[assignment]
            t0 = time.perf_counter()
            claim_record(
                actor=actor,
                source=w.sources["ngo"],
                person=w.person(i % 50),
                status=CustodyStatus.DETAINED,
                event_date=(base + dt.timedelta(days=i % 300)).date(),
                received_at=base + dt.timedelta(days=300),
            )
            target.append(time.perf_counter() - t0)
            ledger.append = real_append  # type: ignore[assignment]
    ratio = statistics.median(with_ledger) / statistics.median(without)
    print(f"claim_record with ledger entry     {_median_ms(with_ledger)}  (n={rounds})")
    print(f"claim_record without ledger entry  {_median_ms(without)}")
    print(f"  ratio with/without: {ratio:.2f} (target <= 1.3)")


def bench_verify(entries: int) -> None:
    from django.db import connection, transaction

    from detente.audit import ledger
    from detente.audit.models import AuditEntry

    start = AuditEntry.objects.count()
    last = AuditEntry.objects.order_by("-position").values_list("position", "hash").first()
    pos, prev = last if last else (0, ledger.GENESIS)
    t0 = time.perf_counter()
    table = AuditEntry._meta.db_table
    sql = (
        f"INSERT INTO {table} (position, at, actor_id, actor_label, kind, action, "  # noqa: S608
        "object_type, object_id, request_id, data, prev_hash, hash) "
        "VALUES (%s, %s, NULL, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    batch: list[tuple[Any, ...]] = []
    with transaction.atomic(), connection.cursor() as cur:
        for i in range(entries):
            pos += 1
            at = f"2026-01-01T00:00:{i % 60:02d}.000000Z"
            data = f'{{"people":["P-{i % 100000:06d}"]}}'
            digest = ledger.entry_hash(
                prev, at, "", "bench", "access", "person.view", "registry.person", str(i), "", data
            )
            batch.append(
                (
                    pos,
                    at,
                    "bench",
                    "access",
                    "person.view",
                    "registry.person",
                    str(i),
                    "",
                    data,
                    prev,
                    digest,
                )
            )
            prev = digest
            if len(batch) == 20000:
                cur.executemany(sql, batch)
                batch = []
        if batch:
            cur.executemany(sql, batch)
    print(
        f"wrote {entries} ledger entries in {time.perf_counter() - t0:.1f} s "
        f"(ledger now {start + entries})"
    )
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        result = ledger.verify()
        times.append(time.perf_counter() - t0)
        assert result.ok, result
    print(
        f"detente audit verify over {start + entries} entries: median "
        f"{statistics.median(times):.2f} s (min {min(times):.2f}, n=3; target < 10 s)"
    )


def bench_restricted_list(people: int, repeat: int) -> None:
    from django.contrib.auth.models import Group, User
    from django.db import transaction

    from detente.access.models import Disclosure, Grant
    from detente.access.policy import cli_actor
    from detente.agreements.models import Agreement, Membership, Party
    from detente.registry.models import Identity, Person, open_identity
    from detente.registry.selectors import person_list

    actor = cli_actor()
    now = dt.datetime.now(dt.UTC)
    with transaction.atomic():
        gov = Party.objects.create(slug="lgov", name="Gov", independence_group="lgov")
        other = Party.objects.create(slug="lother", name="Other", independence_group="lother")
        agreement = Agreement.objects.create(
            slug="list-bench",
            title="List",
            promisor=gov,
            promisee=other,
            announced_on=dt.date(2020, 1, 1),
            promised_count=people,
            audience="legislature",
        )
        persons = Person.objects.bulk_create(
            [Person(handle=f"L-{i:06d}", at_risk=i % 13 == 0) for i in range(people)],
            batch_size=2000,
        )
        Identity.objects.bulk_create(
            [Identity(person=p, given_names="Name", paternal_surname=p.handle) for p in persons],
            batch_size=2000,
        )
        Membership.objects.bulk_create(
            [
                Membership(agreement=agreement, person=p, named_on=dt.date(2020, 1, 2))
                for p in persons
            ],
            batch_size=2000,
        )
        d = Disclosure.objects.create(
            audience="legislature",
            action="open",
            reason="bench",
            proposed_by=actor,
            status="approved",
        )
        Grant.objects.bulk_create(
            [
                Grant(
                    disclosure=d,
                    person=p,
                    audience="legislature",
                    action="open",
                    effective_from=now - dt.timedelta(days=1),
                )
                for p in persons[::2]
            ],
            batch_size=2000,
        )
        legislator = User.objects.create_user(username="bench-leg")
        legislator.groups.add(Group.objects.get_or_create(name="legislature")[0])

    def run() -> int:
        rows = list(
            person_list(legislator).values_list(
                *(
                    "handle",
                    "identity_visible",
                    "identity__sealed",  # opened for those shown, as the pages do
                    "identity__person_id",
                )
            )
        )
        shown = [open_identity(r[3], r[2]) for r in rows if r[1]]
        return len(shown)

    visible = run()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    print(
        f"restricted list of {people} people for a legislature viewer "
        f"({visible} identities visible): {_median_ms(times)} (n={repeat}; target < 150 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("DETENTE_DATA_DIR", tmp)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(
            f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, database "
            f"{os.environ.get('DATABASE_URL', 'sqlite (temporary file)')}"
        )
        bench_append_overhead(args.rounds)
        bench_restricted_list(args.people, args.repeat)
        bench_verify(args.entries)


if __name__ == "__main__":
    main()
