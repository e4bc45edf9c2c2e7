"""Two app servers, one worker, one PostgreSQL database, 100 clients; one server killed
mid-run (issue 17, point 3).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python bench/two_servers.py

Starts the deployment tests/deployment/cluster.py lays out (two ``detente serve`` with a
data directory each, one ``detente db_worker``) on a scratch database made beside the one
``DATABASE_URL`` names, and drives it with ``--clients`` threads for ``--seconds``. Each
client sends a mix of reads (the public agreement page with no session, the API's members
list, a ``POST /api/match``) and writes (``POST /api/claims``, each with a unique marker in
its evidence text), alternating between the servers through a tiny failover client: a
connection refused marks that server down for a few seconds and the request goes to the
other. Half-way, server A's gunicorn master and workers are killed at once (SIGKILL to its
process group, as when a machine dies).

A write whose connection was refused never reached a server and is sent again; a write cut
off after it was sent (connection reset, timeout) has an unknown outcome and is *not*
sent again — a claim has no idempotency key, so a blind retry could record it twice.

At the end it checks the database: every write answered 2xx is there exactly once (lost or
duplicated: a failure); each write of unknown outcome is there at most once; and the
ledger verifies (``detente audit verify``). It prints requests, errors in the kill window
and after it, p50/p95 latency before and after the kill, and the machine's load average.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.deployment.cluster import Answer, Cluster, call, on_postgresql, scratch_database

# Seconds a server that refused a connection is skipped.
DOWN_FOR = 3.0
# The kill window: errors from the kill to this many seconds after it are "during the kill".
WINDOW = 5.0


@dataclass
class Sample:
    at: float  # seconds since the start
    kind: str  # page, members, match, write
    server: str
    status: int  # 0: no answer
    seconds: float
    error: str = ""


class Failover:
    """Round-robin over the servers; a refused connection skips that server for a while."""

    def __init__(self, servers: dict[str, str]) -> None:
        self.servers = servers
        self.down: dict[str, float] = {}
        self.turn = 0
        self.lock = threading.Lock()

    def order(self) -> list[str]:
        with self.lock:
            self.turn += 1
            names = list(self.servers)
            names = names[self.turn % len(names) :] + names[: self.turn % len(names)]
            now = time.monotonic()
            up = [n for n in names if self.down.get(n, 0) <= now]
            return up + [n for n in names if n not in up]

    def mark_down(self, name: str) -> None:
        with self.lock:
            self.down[name] = time.monotonic() + DOWN_FOR

    def send(self, method: str, path: str, **kwargs: object) -> tuple[str, Answer | None, str]:
        """(server, answer, error): the answer of the first server that took the request;
        None with the error when none did, or when a request was cut off after it was sent
        (unknown outcome: not sent again)."""
        last = ""
        for name in self.order():
            try:
                return name, call(self.servers[name], method, path, **kwargs), ""  # type: ignore[arg-type]
            except OSError as exc:
                reason = getattr(exc, "reason", exc)
                refused = isinstance(reason, ConnectionRefusedError) or (
                    getattr(reason, "errno", None) == errno.ECONNREFUSED
                )
                self.mark_down(name)
                last = f"{name}: {type(reason).__name__}"
                if not refused:
                    return name, None, last  # sent, perhaps acted on: never sent twice
        return "", None, last


def client(
    number: int,
    failover: Failover,
    world: dict[str, object],
    started: float,
    until: float,
    samples: list[Sample],
    written: dict[str, str],
) -> None:
    token = world["tokens"]["bench"]  # type: ignore[index]
    slug = world["agreement"]
    members = world["members"]  # type: ignore[assignment]
    source = world["sources"]["gov"]  # type: ignore[index]
    seq = 0
    while time.monotonic() < until:
        seq += 1
        pick = (number + seq) % 10
        marker = ""
        if pick < 4:  # 40 % writes
            kind = "write"
            marker = f"bench-{number}-{seq}-{uuid.uuid4().hex[:8]}"
            person = members[seq % len(members)]["handle"]  # type: ignore[index]
            args: dict[str, object] = {
                "token": token,
                "payload": {
                    "source": source,
                    "person": person,
                    "kind": "status",
                    "status": "sentenced",
                    "event_date": f"20{10 + seq % 10}-0{1 + seq % 9}-1{seq % 10}",
                    "evidence_text": marker,
                },
            }
            method, path = "POST", "/api/claims"
        elif pick < 7:
            kind, method, path, args = "page", "GET", f"/agreements/{slug}/", {}
        elif pick < 9:
            kind, method, path = "members", "GET", f"/api/agreements/{slug}/members"
            args = {"token": token}
        else:
            kind, method, path = "match", "POST", "/api/match"
            name = members[seq % len(members)]["name"]  # type: ignore[index]
            args = {"token": token, "payload": {"q": name}}
        t0 = time.monotonic()
        server, answer, error = failover.send(method, path, timeout=30, **args)
        took = time.monotonic() - t0
        status = answer.status if answer is not None else 0
        samples.append(Sample(t0 - started, kind, server, status, took, error))
        if marker:
            written[marker] = (
                "ok" if 200 <= status < 300 else ("unknown" if status == 0 else "refused")
            )


def counts(database_url: str) -> Counter[str]:
    """How many claims hold each bench marker."""
    query = (
        "SELECT evidence_text, COUNT(*) FROM evidence_claim "
        "WHERE evidence_text LIKE 'bench-%' GROUP BY evidence_text"
    )
    if database_url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(urlsplit(database_url).path) as conn:
            return Counter(dict(conn.execute(query).fetchall()))
    import psycopg

    with psycopg.connect(database_url) as conn:
        return Counter(dict(conn.execute(query).fetchall()))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--workers", type=int, default=3, help="gunicorn workers per server (serve's default)"
    )
    opts = parser.parse_args()
    if not on_postgresql():
        print("note: DATABASE_URL is not PostgreSQL; running on a shared SQLite file")
    folder = Path(tempfile.mkdtemp(prefix="detente-two-servers-"))
    with scratch_database(folder, "bench") as url:
        # The limit is per token: 100 clients share one here.
        cluster = Cluster(folder, url, settings={"DETENTE_API_RATE_PER_MINUTE": "1000000"})
        try:
            world = cluster.prepare("a")
            for name in ("a", "b"):
                cluster.serve(name, workers=opts.workers)
            cluster.worker("w")
            for name in ("a", "b"):
                cluster.ready(cluster.hosts[name])
            servers = {name: cluster.hosts[name].base for name in ("a", "b")}
            failover = Failover(servers)
            samples: list[Sample] = []
            written: dict[str, str] = {}
            started = time.monotonic()
            until = started + opts.seconds
            threads = [
                threading.Thread(
                    target=client,
                    args=(n, failover, world, started, until, samples, written),
                    daemon=True,
                )
                for n in range(opts.clients)
            ]
            for t in threads:
                t.start()
            time.sleep(opts.seconds / 2)
            killed = time.monotonic() - started
            cluster.kill("a")
            print(f"killed server a at {killed:.1f} s")
            for t in threads:
                t.join(timeout=opts.seconds + 60)
            load = os.getloadavg()
            in_db = counts(url)
            verify = subprocess.run(
                [sys.executable, "-m", "detente.cli", "audit", "verify", "--json"],
                env=cluster.hosts["b"].env,
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            cluster.stop()

    ok = [m for m, s in written.items() if s == "ok"]
    unknown = [m for m, s in written.items() if s == "unknown"]
    lost = [m for m in ok if in_db[m] == 0]
    doubled = [m for m in written if in_db[m] > 1]
    # By when the answer (or the error) came: a request in flight at the kill fails then.
    before = [s for s in samples if s.at + s.seconds < killed]
    after = [s for s in samples if s.at + s.seconds >= killed + WINDOW]
    window = [s for s in samples if killed <= s.at + s.seconds < killed + WINDOW]
    errors = Counter(s.error or str(s.status) for s in samples if not 200 <= s.status < 300)
    report = {
        "clients": opts.clients,
        "seconds": opts.seconds,
        "gunicorn_workers_per_server": opts.workers,
        "database": "postgresql" if url.startswith("postgres") else "sqlite",
        "requests": len(samples),
        "per_second_before_kill": round(len(before) / killed, 1),
        "per_second_after_window": round(len(after) / max(opts.seconds - killed - WINDOW, 1), 1),
        "by_kind": dict(Counter(s.kind for s in samples)),
        "served_by": dict(Counter(s.server for s in samples)),
        "served_by_after_kill": dict(Counter(s.server for s in samples if s.at >= killed)),
        "in_flight_at_kill": sum(1 for s in samples if s.at < killed <= s.at + s.seconds),
        "errors_total": sum(errors.values()),
        "errors_in_kill_window": sum(1 for s in window if not 200 <= s.status < 300),
        "errors_after_window": sum(1 for s in after if not 200 <= s.status < 300),
        "errors_by_reason": dict(errors),
        "p50_ms_before_kill": round(1000 * pct([s.seconds for s in before], 0.5), 1),
        "p95_ms_before_kill": round(1000 * pct([s.seconds for s in before], 0.95), 1),
        "p50_ms_after_window": round(1000 * pct([s.seconds for s in after], 0.5), 1),
        "p95_ms_after_window": round(1000 * pct([s.seconds for s in after], 0.95), 1),
        "p50_ms_writes": round(
            1000
            * statistics.median(
                [s.seconds for s in samples if s.kind == "write"] or [float("nan")]
            ),
            1,
        ),
        "writes_sent": len(written),
        "writes_2xx": len(ok),
        "writes_unknown_outcome": len(unknown),
        "writes_unknown_in_db": sum(1 for m in unknown if in_db[m]),
        "lost_writes": len(lost),
        "duplicated_writes": len(doubled),
        "ledger_verifies": verify.returncode == 0,
        "load_average_at_end": [round(x, 2) for x in load],
    }
    print(json.dumps(report, indent=2))
    if lost or doubled or verify.returncode:
        print(verify.stdout[-2000:], verify.stderr[-2000:])
        raise SystemExit("FAILED: lost or duplicated writes, or the ledger does not verify")


if __name__ == "__main__":
    main()
