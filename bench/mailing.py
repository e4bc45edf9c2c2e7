"""Email benchmark: one digest to N confirmed subscribers, into a local SMTP sink.

Run: ``.venv/bin/python bench/mailing.py`` (SQLite in a temporary data directory), or
with ``DATABASE_URL=postgres://…/any`` to run on a fresh scratch PostgreSQL database
that is created for the run and dropped after it.

The sink is aiosmtpd in another process, accepting everything. In the same run, the
same messages (same subscribers, same bytes but for the Date and boundary) go through:

1. a bare ``smtplib`` client: compose each message, ``sendmail`` it on one connection,
   no database at all: the ceiling of this machine and this sink;
2. Detente's outbox (``detente.mailing.delivery.deliver``): eligibility checked again
   per message, each message marked sent in the database before its final ".", the
   relay's reply recorded; several connections.

It prints messages a minute for both, their ratio, and the peak resident memory of the
process while the outbox was delivering (sampled every 0.1 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def run_sink(port: int) -> None:
    """The sink process: accept every message, count them, print the count on SIGTERM."""
    from aiosmtpd.controller import Controller

    class Counter:
        messages = 0
        octets = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            Counter.messages += 1
            Counter.octets += len(envelope.content)
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    print("ready", flush=True)
    while not done.wait(0.5):  # wake up now and then, so the signal is seen
        pass
    controller.stop()
    print(f"{Counter.messages} {Counter.octets}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of a process (this one by default)."""
    if pid is None:
        t = os.times()
        return t.user + t.system
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakRss:
    def __init__(self) -> None:
        self.peak = rss_mib()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.wait(0.1):
            self.peak = max(self.peak, rss_mib())

    def __enter__(self) -> PeakRss:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join()
        self.peak = max(self.peak, rss_mib())


def seed(count: int) -> Any:
    """A public agreement, a list, ``count`` confirmed subscribers, one digest queued."""
    from django.db import transaction
    from django.utils import timezone
    from tests.support import build_world

    from detente.access.policy import cli_actor
    from detente.access.services import agreement_set_audience
    from detente.evidence.services import claim_record
    from detente.mailing import addresses, digests, services
    from detente.mailing.models import Subscriber, Subscription

    actor = cli_actor()
    world = build_world(actor, slug="bench")
    agreement_set_audience(actor=actor, agreement=world.agreement, audience="public")
    ml = services.list_create(
        actor=actor, slug="bench-news", kind="agreement", agreement=world.agreement
    )
    now = timezone.now()
    t0 = time.perf_counter()
    batch = 5000
    for start in range(0, count, batch):
        with transaction.atomic():
            subs = Subscriber.objects.bulk_create(
                [
                    Subscriber(
                        email=f"reader{i:06d}@example.org",
                        email_hash=addresses.address_hash(f"reader{i:06d}@example.org"),
                        language="es" if i % 3 == 0 else "en",
                    )
                    for i in range(start, min(start + batch, count))
                ]
            )
            Subscription.objects.bulk_create(
                [
                    Subscription(
                        subscriber=s,
                        mailing_list=ml,
                        status="confirmed",
                        requested_at=now,
                        confirmed_at=now,
                    )
                    for s in subs
                ]
            )
    print(f"subscribers created         {time.perf_counter() - t0:8.1f} s")
    claim_record(
        actor=actor,
        source=world.sources["embassy"],
        person=world.person(0),
        agreement=world.agreement,
        status="unconditional_release",
        event_date=dt.date(2020, 2, 1),
    )
    t0 = time.perf_counter()
    built = digests.build(ml)
    assert built.recipients == count and built.digest is not None
    print(f"digest built, outbox filled {time.perf_counter() - t0:8.1f} s  ({count:,} rows)")
    return built.digest


def bare_smtplib(digest: Any, port: int) -> float:
    """Compose and send the same messages with smtplib, one connection, no database."""
    import smtplib

    from django.conf import settings

    from detente.mailing.compose import BulkWriter, render_digest, sender
    from detente.mailing.digests import public_views
    from detente.mailing.models import Subscription

    ml = digest.mailing_list
    views = {v.slug: v for v in public_views(ml)}
    writers = {
        lang: BulkWriter(digest, ml, render_digest(digest, ml, views, lang))  # type: ignore[arg-type]
        for lang, _name in settings.LANGUAGES
    }
    rows = list(
        Subscription.objects.filter(mailing_list=ml).values_list(
            "subscriber_id", "subscriber__email", "subscriber__email_hash", "subscriber__language"
        )
    )
    from_address = sender()[1]
    t0 = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as conn:
        for sid, address, ehash, lang in rows:
            envelope = writers[lang].envelope(address, sid, ehash)
            conn.sendmail(from_address, [address], envelope.data)
    return time.perf_counter() - t0


def outbox(count: int) -> tuple[float, float, Any]:
    from detente.mailing.delivery import deliver

    print(f"resident memory before      {rss_mib():8.0f} MiB")
    t0 = time.perf_counter()
    with PeakRss() as peak:
        outcome = deliver()
    elapsed = time.perf_counter() - t0
    assert outcome.accepted == count, outcome
    return elapsed, peak.peak, outcome


def scratch_postgres(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    name = f"detente_bench_mail_{uuid.uuid4().hex[:8]}"
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    return name, admin, urlunsplit(parts._replace(path=f"/{name}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        run_sink(args.sink)
        return
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
    port = free_port()
    os.environ.update(
        {
            "DETENTE_EMAIL_HOST": "127.0.0.1",
            "DETENTE_EMAIL_PORT": str(port),
            "DETENTE_MAIL_RATE": "0",
            "DETENTE_MAIL_CONNECTIONS": str(args.connections),
            "DETENTE_PUBLIC_URL": "https://detente.example",
            "DETENTE_EMAIL_FROM": "Detente <updates@detente.example>",
            "DETENTE_TASKS": "immediate",
        }
    )
    url = os.environ.get("DATABASE_URL", "")
    scratch = None
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        name, admin, scratch_url = scratch_postgres(url)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        scratch = (name, admin)
        os.environ["DATABASE_URL"] = scratch_url
    sink = subprocess.Popen(  # noqa: S603 - this file, as the sink
        [sys.executable, __file__, "--sink", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ.setdefault("DETENTE_DATA_DIR", tmp)
            import django

            django.setup()
            from django.core.management import call_command
            from django.db import connection

            call_command("migrate", verbosity=0)
            print(
                f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {args.subscribers:,} "
                f"subscribers, database {connection.vendor}, "
                f"{args.connections} connection(s) for the outbox"
            )
            digest = seed(args.subscribers)
            cpu = [(cpu_seconds(), cpu_seconds(sink.pid))]
            bare = bare_smtplib(digest, port)
            cpu.append((cpu_seconds(), cpu_seconds(sink.pid)))
            ours, peak, outcome = outbox(args.subscribers)
            cpu.append((cpu_seconds(), cpu_seconds(sink.pid)))
            connection.close()
    finally:
        sink.send_signal(signal.SIGTERM)
        try:
            out, _err = sink.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            sink.kill()
            raise
        if scratch is not None:
            import psycopg

            with psycopg.connect(scratch[1], autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{scratch[0]}" WITH (FORCE)')
    received, octets = (int(x) for x in out.split())
    n = args.subscribers

    def per_message(phase: int) -> str:
        (c0, s0), (c1, s1) = cpu[phase], cpu[phase + 1]
        return (
            f"CPU/message: client {(c1 - c0) / n * 1e3:.2f} ms, sink {(s1 - s0) / n * 1e3:.2f} ms"
        )

    load = os.getloadavg()[0]
    print(
        f"bare smtplib (compose+send) {bare:8.1f} s  {n / bare * 60:10,.0f} messages/min  "
        f"{per_message(0)}"
    )
    print(
        f"Detente outbox              {ours:8.1f} s  {n / ours * 60:10,.0f} messages/min  "
        f"{per_message(1)}"
    )
    print(f"  ratio outbox / bare       {bare / ours:8.2f}")
    print(f"  peak RSS while delivering {peak:8.0f} MiB")
    print(f"  outcome {outcome.as_dict()}")
    print(f"  load average at the end   {load:8.2f} (2 cores, shared)")
    print(f"sink received {received:,} messages, {octets / 2**20:,.0f} MiB (expected {2 * n:,})")
    assert received == 2 * n


if __name__ == "__main__":
    main()
